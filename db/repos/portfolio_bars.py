"""A portfolio's market history: the window's closes and volumes, the calendar, the
benchmark's levels, holidays and corporate actions, each for the portfolio's instruments
only, in one statement each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Row, TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.markets.instruments import CorporateAction, CorporateActionKind
from domain.portfolios.valuation import CloseSeries

# How far before a window a holding's last close is looked for.
CARRY_DAYS = 14
# One instrument's bars of a window in day order (`i`, the instrument of a lateral join): days
# as ordinals and closes in whole paisa (the tick constraint keeps them two-place), which
# decode as plain integers.
_WINDOW_ROWS = (
    "SELECT day - DATE '0001-01-01' + 1 AS ordinal, (close * 100)::int8 AS paisa, volume"
    " FROM daily_bars WHERE instrument_id = i AND day BETWEEN :since AND :last ORDER BY day"
)
# What a window's bars are keyed by: two 64-bit hashes, of every day and of every close in
# day order (PostgreSQL's own array hash, the one hash partitioning uses; a tenth of the cost
# of an md5 of their text).
_HASHES = (
    "hash_array_extended({days}, 0) AS days_hash, hash_array_extended({closes}, 0) AS closes_hash"
)


def _window(instrument_ids: Sequence[int], first_day: date, last_day: date) -> dict[str, object]:
    """The parameters of `_WINDOW_ROWS` for a window (with the days a close is carried from)."""
    return {
        "ids": list(instrument_ids),
        "since": first_day - timedelta(days=CARRY_DAYS),
        "last": last_day,
    }


# Each instrument's bars are read by plain index scans of the partitions, which come out in
# day order already; the planner otherwise picks bitmap scans for so few rows and sorts each
# instrument's bars again (half as much time again in PostgreSQL). Set for the statement's
# own transaction only.
_INDEX_ORDER = text("SET LOCAL enable_bitmapscan = off")


async def _window_rows(
    engine: AsyncEngine, sql: TextClause, params: dict[str, object]
) -> Sequence[Row[Any]]:
    async with engine.connect() as conn:
        await conn.execute(_INDEX_ORDER)
        return (await conn.execute(sql, params)).all()


def _digest(days_hash: int, closes_hash: int) -> str:
    return f"{days_hash & _MASK:016x}{closes_hash & _MASK:016x}"


_MASK = 2**64 - 1


class WindowBars(NamedTuple):
    """An instrument's bars over a window: closes from the first day on (the last earlier
    close carried to it), volumes, and a digest of every bar read (it changes with any close
    or day), so a result computed from them can be keyed without hashing the series."""

    closes: CloseSeries
    volumes: list[int]
    digest: str


async def window_bars(
    engine: AsyncEngine, *, instrument_ids: Sequence[int], first_day: date, last_day: date
) -> dict[int, WindowBars]:
    """Daily closes as traded (not adjusted) and volumes of many instruments, one statement.

    Each close series runs from `first_day` to `last_day`; an instrument with no bar on
    `first_day` carries its last close of the CARRY_DAYS before it, keyed by `first_day`, so
    a holding is priced from the window's first session. Volumes are the bars' own, oldest
    first.

    Each instrument's bars come from its own index scans, already in day order across the
    monthly partitions, and are aggregated in that order (a third of the time of sorting
    them all by instrument and then each aggregate by day); the order is checked here all
    the same.
    """
    hashes = _HASHES.format(days="b.days", closes="b.closes")
    sql = text(
        f"SELECT i AS instrument_id, b.days, b.closes, b.volumes, {hashes}"  # noqa: S608 - constant
        " FROM unnest(CAST(:ids AS integer[])) AS i CROSS JOIN LATERAL ("
        " SELECT array_agg(ordinal) AS days, array_agg(paisa) AS closes,"
        " array_agg(volume) AS volumes"
        f" FROM ({_WINDOW_ROWS}) AS s) AS b WHERE b.days IS NOT NULL"
    )
    rows = await _window_rows(engine, sql, _window(instrument_ids, first_day, last_day))
    first = first_day.toordinal()
    out: dict[int, WindowBars] = {}
    for r in rows:
        days = np.array(r.days, np.int64)
        paisa = np.array(r.closes, np.int64)
        volumes = list(r.volumes)
        if len(days) > 1 and bool(np.any(days[1:] <= days[:-1])):
            order = np.argsort(days, kind="stable")
            days, paisa = days[order], paisa[order]
            volumes = [volumes[k] for k in order.tolist()]
        at = int(np.searchsorted(days, first))
        series = CloseSeries(days, paisa).from_day(first_day)
        out[r.instrument_id] = WindowBars(series, volumes[at:], _digest(r.days_hash, r.closes_hash))
    return out


async def window_digests(
    engine: AsyncEngine, *, instrument_ids: Sequence[int], first_day: date, last_day: date
) -> dict[int, str]:
    """The digest `window_bars` gives each instrument over the same window, without reading
    the bars out: enough to tell whether a result computed from them still holds."""
    hashes = _HASHES.format(days="array_agg(ordinal)", closes="array_agg(paisa)")
    sql = text(
        "SELECT i AS instrument_id, b.days_hash, b.closes_hash"  # noqa: S608 - constant
        " FROM unnest(CAST(:ids AS integer[])) AS i CROSS JOIN LATERAL ("
        f" SELECT count(*) AS bars, {hashes} FROM ({_WINDOW_ROWS}) AS s) AS b WHERE b.bars > 0"
    )
    rows = await _window_rows(engine, sql, _window(instrument_ids, first_day, last_day))
    return {r.instrument_id: _digest(r.days_hash, r.closes_hash) for r in rows}


async def corporate_actions_between(
    engine: AsyncEngine, *, instrument_ids: Sequence[int], after: date, until: date
) -> dict[int, list[CorporateAction]]:
    """Corporate actions of many instruments with ex-dates in (after, until], oldest first."""
    sql = text(
        "SELECT id, instrument_id, kind, ex_date, value, price, description"
        " FROM corporate_actions WHERE instrument_id = ANY(:ids)"
        " AND ex_date > :after AND ex_date <= :until ORDER BY ex_date, id"
    )
    out: dict[int, list[CorporateAction]] = {}
    async with engine.connect() as conn:
        rows = await conn.execute(
            sql, {"ids": list(instrument_ids), "after": after, "until": until}
        )
        for r in rows:
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


async def sessions_between(engine: AsyncEngine, *, first_day: date, last_day: date) -> list[date]:
    """The trading days of the calendar in [first_day, last_day], oldest first."""
    sql = text(
        "SELECT coalesce(array_agg(DISTINCT day ORDER BY day), '{}') AS days"
        " FROM trading_sessions WHERE day BETWEEN :a AND :b"
    )
    async with engine.connect() as conn:
        days = await conn.scalar(sql, {"a": first_day, "b": last_day})
    return list(days or [])


async def index_levels(
    engine: AsyncEngine, *, code: str, first_day: date, last_day: date
) -> dict[date, Decimal] | None:
    """An index's closes from its last on or before `first_day` to `last_day`; None for an
    unknown index code."""
    sql = text(
        """
        SELECT x.id,
               (SELECT array_agg(b.day ORDER BY b.day) FROM index_daily_bars b
                 WHERE b.index_id = x.id AND b.day <= :b AND b.day >= coalesce(
                   (SELECT max(p.day) FROM index_daily_bars p
                     WHERE p.index_id = x.id AND p.day <= :a), :a)) AS days,
               (SELECT array_agg(b.close ORDER BY b.day) FROM index_daily_bars b
                 WHERE b.index_id = x.id AND b.day <= :b AND b.day >= coalesce(
                   (SELECT max(p.day) FROM index_daily_bars p
                     WHERE p.index_id = x.id AND p.day <= :a), :a)) AS closes
          FROM indices x WHERE x.code = :code
        """
    )
    async with engine.connect() as conn:
        row = (await conn.execute(sql, {"code": code, "a": first_day, "b": last_day})).one_or_none()
    if row is None:
        return None
    return dict(zip(row.days or [], row.closes or [], strict=True))


async def holidays(engine: AsyncEngine) -> frozenset[date]:
    """The market's holidays."""
    async with engine.connect() as conn:
        return frozenset(r.day for r in await conn.execute(text("SELECT day FROM market_holidays")))
