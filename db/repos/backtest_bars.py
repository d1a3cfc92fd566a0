"""Backtests' history: many instruments' daily bars in one statement, and the benchmark.

Bars reach the engine as one polars frame per instrument (ts, open, high, low, close, volume,
turnover as Float64), back-adjusted for corporate actions to the terms of the last bar read
(the factors of `chart(adjusted: true)` and the screener), with `ts` the day's first session
open, as the daily chart shows it. Volumes are scaled by the share-count factors (bonuses and
splits), as the adjusted chart's are, so a volume rule or a bar's volume sees no jump at an
ex-date; turnover by both, so VWAP is adjusted like the prices.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.markets.adjustments import back_adjustment
from domain.markets.instruments import CorporateAction, CorporateActionKind

PRICES = ("open", "high", "low", "close")

# Each instrument's bars from its `warmup`-th bar before `first` (all it has when fewer) to
# `last`, as binary COPY rows of fixed width that numpy decodes in one go. COPY takes no bind
# parameters: the values are formatted from Python ints and dates only (`_copy_query`).
_BARS = """
    WITH starts AS MATERIALIZED (
        SELECT i.id, CASE WHEN {warmup} = 0 THEN DATE '{first}' ELSE coalesce(
                   (SELECT w.day FROM daily_bars w
                     WHERE w.instrument_id = i.id AND w.day < DATE '{first}'
                     ORDER BY w.day DESC OFFSET {skip} LIMIT 1),
                   DATE '-infinity') END AS since
          FROM unnest(ARRAY[{ids}]::integer[]) AS i(id)
    )
    SELECT b.instrument_id, b.day - DATE '1970-01-01', b.open::float8, b.high::float8,
           b.low::float8, b.close::float8, b.volume::float8, b.turnover::float8
      FROM starts
      JOIN daily_bars b
        ON b.instrument_id = starts.id AND b.day >= starts.since AND b.day <= DATE '{last}'
"""
_BAR_FIELDS = (
    ("instrument_id", ">i4"),
    ("day", ">i4"),
    *((c, ">f8") for c in (*PRICES, "volume", "turnover")),
)
# Small, whole series come back as one row of arrays: decoded in C, not row by row.
_SESSIONS = text(
    """
    SELECT coalesce(array_agg(day - DATE '1970-01-01' ORDER BY day), '{}') AS days,
           coalesce(array_agg((extract(epoch FROM open_at) * 1000000)::int8 ORDER BY day),
                    '{}') AS opens
      FROM trading_sessions WHERE number = 1 AND day BETWEEN :first AND :last
    """
)
_ACTIONS = text(
    """
    SELECT id, instrument_id, kind, ex_date, value, price, description
      FROM corporate_actions
     WHERE instrument_id = ANY(:ids) AND ex_date > :first AND ex_date <= :last
     ORDER BY ex_date
    """
)
_BENCHMARK = text(
    """
    SELECT coalesce(array_agg(b.day - DATE '1970-01-01' ORDER BY b.day), '{}') AS days,
           coalesce(array_agg(b.close::float8 ORDER BY b.day), '{}') AS closes
      FROM index_daily_bars b
      JOIN indices x ON x.id = b.index_id
     WHERE x.code = :code AND b.day BETWEEN :first AND :last
    """
)
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_MICROS_PER_DAY = 86_400_000_000
# A day the calendar lacks opens at 09:32 PKT (04:32 UTC), as the daily chart has it.
_DEFAULT_OPEN = (4 * 60 + 32) * 60_000_000
_EPOCH = date(1970, 1, 1)


def copy_rows(data: bytes, fields: Sequence[tuple[str, str]]) -> np.ndarray:
    """Rows of a binary COPY whose fields are all fixed-width and NOT NULL, as a record array.

    Args:
        data: the whole COPY output (header, tuples, trailer).
        fields: each field's name and numpy big-endian type (">i4", ">i8", ">f8").

    Raises:
        ValueError: a malformed stream, another field count, a NULL or a field of another
            width.
    """
    if not data.startswith(_COPY_SIGNATURE) or data[-2:] != b"\xff\xff":
        raise ValueError("not a binary COPY stream")
    start = 19 + int.from_bytes(data[15:19], "big")
    spec: list[tuple[str, str]] = [("_count", ">i2")]
    for i, (name, kind) in enumerate(fields):
        spec += [(f"_width{i}", ">i4"), (name, kind)]
    dtype = np.dtype(spec)
    body = data[start:-2]
    if len(body) % dtype.itemsize:
        raise ValueError("COPY tuples are not of the expected width")
    rows = np.frombuffer(body, dtype=dtype)
    if rows.shape[0] and not bool(np.all(rows["_count"] == len(fields))):
        raise ValueError("COPY tuples have another field count")
    for i, (_name, kind) in enumerate(fields):
        if rows.shape[0] and not bool(np.all(rows[f"_width{i}"] == np.dtype(kind).itemsize)):
            raise ValueError(f"COPY field {i} is NULL or of another width")
    return rows


def _session_opens(days: np.ndarray, calendar: Any) -> np.ndarray:
    """Each day's first session open in µs since the epoch (09:32 PKT where none is known).

    `calendar` is a `_SESSIONS` row: the calendar's days (ascending) and their first opens.
    """
    opens = days.astype(np.int64) * _MICROS_PER_DAY + _DEFAULT_OPEN
    known = np.array(calendar.days, dtype=np.int64)
    if known.shape[0]:
        at = np.array(calendar.opens, dtype=np.int64)
        pos = np.minimum(np.searchsorted(known, days), known.shape[0] - 1)
        hit = known[pos] == days
        opens[hit] = at[pos[hit]]
    return opens


def _instants(micros: np.ndarray) -> pl.Series:
    return pl.Series("ts", micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))


async def daily_frames(
    engine: AsyncEngine,
    *,
    instrument_ids: Sequence[int],
    first_day: date,
    last_day: date,
    warmup: int,
) -> dict[int, pl.DataFrame]:
    """Back-adjusted daily bars of many instruments, read in one statement.

    Args:
        engine: where the bars are.
        instrument_ids: the instruments.
        first_day: the first day of the run.
        last_day: the last day read (inclusive).
        warmup: how many of each instrument's bars before `first_day` to read as well (all
            it has when fewer), so that indicators are defined from the first day.

    Returns:
        Each instrument's bars oldest first (instruments without bars are absent): ts
        (Datetime UTC, the day's first session open), open, high, low, close, volume,
        turnover (Float64).
    """
    chunks: list[bytes] = []

    async def collect(chunk: bytes) -> None:
        # A coroutine sink: a file object would be written through a thread per chunk.
        chunks.append(chunk)

    ids = [int(i) for i in instrument_ids]
    query = _copy_query(ids=ids, first=first_day, last=last_day, warmup=int(warmup))

    async def read_bars() -> np.ndarray:
        async with engine.connect() as conn:
            # Many small index scans: compiling them (JIT) costs more than it saves.
            await conn.execute(text("SET LOCAL jit = off"))
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.copy_from_query(query, output=collect, format="binary")
        return copy_rows(b"".join(chunks), _BAR_FIELDS)

    async def read_context(since: date) -> tuple[Any, dict[int, list[CorporateAction]]]:
        async with engine.connect() as conn:
            calendar = (await conn.execute(_SESSIONS, {"first": since, "last": last_day})).one()
            return calendar, await _actions(conn, ids, since, last_day)

    # The calendar and the actions are read alongside the bars, from a bound that covers the
    # warm-up at about 1.5 calendar days a session; a history with longer gaps reads again.
    guess = first_day - timedelta(days=2 * warmup + 31)
    rows, (calendar, actions) = await asyncio.gather(read_bars(), read_context(guess))
    if rows.shape[0] == 0:
        return {}
    lo = _EPOCH + timedelta(days=int(rows["day"].min()))
    if lo < guess:
        calendar, actions = await read_context(lo)
    rows = rows[np.lexsort((rows["day"], rows["instrument_id"]))]
    ids_at, starts = np.unique(rows["instrument_id"], return_index=True)
    opens = _session_opens(rows["day"], calendar)
    ends = [*starts[1:].tolist(), rows.shape[0]]
    frames: dict[int, pl.DataFrame] = {}
    for instrument_id, a, b in zip(ids_at.tolist(), starts.tolist(), ends, strict=True):
        part = rows[a:b]
        values = {c: part[c].astype(np.float64) for c in (*PRICES, "volume", "turnover")}
        last = _EPOCH + timedelta(days=int(part["day"][-1]))
        own = [x for x in actions.get(instrument_id, ()) if x.ex_date <= last]
        if own:
            prices, volumes = back_adjustment(
                part["day"].astype("datetime64[D]"), values["close"], own
            )
            price_scale, volume_scale = prices / prices[-1], volumes / volumes[-1]
            values = {c: values[c] * price_scale for c in PRICES} | {
                "volume": values["volume"] * volume_scale,
                # Turnover scales with both, so VWAP (turnover over volume) is adjusted like
                # the prices (a split leaves it as traded).
                "turnover": values["turnover"] * price_scale * volume_scale,
            }
        frames[instrument_id] = pl.DataFrame(
            [
                _instants(opens[a:b]),
                *(pl.Series(c, values[c], dtype=pl.Float64) for c in PRICES),
                pl.Series("volume", values["volume"], dtype=pl.Float64),
                pl.Series("turnover", values["turnover"], dtype=pl.Float64),
            ]
        )
    return frames


def _copy_query(*, ids: list[int], first: date, last: date, warmup: int) -> str:
    if warmup < 0:
        raise ValueError("warmup is a count of bars")
    return _BARS.format(
        ids=",".join(str(i) for i in ids) or "NULL",
        first=first.isoformat(),
        last=last.isoformat(),
        warmup=warmup,
        skip=max(warmup - 1, 0),
    )


async def _actions(
    conn: AsyncConnection, ids: list[int], first: date, last: date
) -> dict[int, list[CorporateAction]]:
    """Actions going ex after the first bar read and up to the last, per instrument."""
    out: dict[int, list[CorporateAction]] = {}
    params = {"ids": ids, "first": first, "last": last}
    for r in await conn.execute(_ACTIONS, params):
        out.setdefault(r.instrument_id, []).append(
            CorporateAction(
                id=r.id,
                instrument_id=r.instrument_id,
                kind=CorporateActionKind(r.kind),
                ex_date=r.ex_date,
                value=r.value,
                price=r.price,
                description=r.description,
            )
        )
    return out


async def benchmark_frame(
    engine: AsyncEngine, *, code: str, first_day: date, last_day: date
) -> pl.DataFrame | None:
    """An index's daily closes in [first_day, last_day] (ts, close), None when it has none."""
    async with engine.connect() as conn:
        params = {"first": first_day, "last": last_day}
        series = (await conn.execute(_BENCHMARK, {"code": code, **params})).one()
        if not series.days:
            return None
        calendar = (await conn.execute(_SESSIONS, params)).one()
    days = np.array(series.days, dtype=np.int64)
    return pl.DataFrame(
        [
            _instants(_session_opens(days, calendar)),
            pl.Series("close", series.closes, dtype=pl.Float64),
        ]
    )


async def count_sessions(engine: AsyncEngine, *, first_day: date, last_day: date) -> int:
    """Trading days of the calendar in [first_day, last_day]."""
    sql = text(
        "SELECT count(*) FROM trading_sessions WHERE number = 1 AND day BETWEEN :first AND :last"
    )
    async with engine.connect() as conn:
        return int(await conn.scalar(sql, {"first": first_day, "last": last_day}) or 0)
