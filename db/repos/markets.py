"""Reads of market data: reference data, bars, corporate actions, sessions.

Every function takes an engine and keyword arguments, opens one short connection, makes
one batched statement (`= ANY(:ids)`) where it reads several keys, and returns domain
objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import polars as pl
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.markets.bars import Candle
from domain.markets.instruments import (
    CorporateAction,
    CorporateActionKind,
    DataSource,
    Index,
    IndexConstituent,
    Instrument,
    InstrumentKind,
    ListingStatus,
    Sector,
)
from domain.markets.quotes import PriceRange
from domain.markets.reference import ReferenceData
from domain.markets.sessions import TradingSession

_TABLES = {
    ("instrument", "daily"): ("daily_bars", "instrument_id"),
    ("instrument", "minute"): ("minute_bars", "instrument_id"),
    ("index", "daily"): ("index_daily_bars", "index_id"),
    ("index", "minute"): ("index_minute_bars", "index_id"),
}


async def reference_version(engine: AsyncEngine) -> int:
    """The current version of reference data (0 before any change was recorded)."""
    async with engine.connect() as conn:
        value = await conn.scalar(
            text("SELECT version FROM data_versions WHERE name = 'reference'")
        )
    return int(value or 0)


async def load_reference(engine: AsyncEngine) -> ReferenceData:
    """Every sector, instrument, index and membership, in one snapshot."""
    async with engine.connect() as conn:
        version = await conn.scalar(
            text("SELECT version FROM data_versions WHERE name = 'reference'")
        )
        sectors = (await conn.execute(text("SELECT code, name FROM sectors ORDER BY code"))).all()
        instruments = (
            await conn.execute(
                text(
                    "SELECT id, symbol, name, sector_code, kind, shares_outstanding,"
                    " free_float_pct, face_value, lot_size, listing_status, listed_on, data_source"
                    " FROM instruments ORDER BY symbol"
                )
            )
        ).all()
        indices = (
            await conn.execute(
                text(
                    "SELECT id, code, name, base_value, base_date, divisor, shariah"
                    " FROM indices ORDER BY code"
                )
            )
        ).all()
        members = (
            await conn.execute(
                text("SELECT index_id, instrument_id, cap_factor FROM index_constituents")
            )
        ).all()
    return ReferenceData(
        version=int(version or 0),
        sectors=tuple(Sector(code=r.code, name=r.name) for r in sectors),
        instruments=tuple(
            Instrument(
                id=r.id,
                symbol=r.symbol,
                name=r.name,
                sector_code=r.sector_code,
                kind=InstrumentKind(r.kind),
                shares_outstanding=r.shares_outstanding,
                free_float_pct=r.free_float_pct,
                face_value=r.face_value,
                lot_size=r.lot_size,
                listing_status=ListingStatus(r.listing_status),
                listed_on=r.listed_on,
                data_source=DataSource(r.data_source),
            )
            for r in instruments
        ),
        indices=tuple(
            Index(
                id=r.id,
                code=r.code,
                name=r.name,
                base_value=r.base_value,
                base_date=r.base_date,
                divisor=r.divisor,
                shariah=r.shariah,
            )
            for r in indices
        ),
        constituents=tuple(
            IndexConstituent(
                index_id=r.index_id, instrument_id=r.instrument_id, cap_factor=r.cap_factor
            )
            for r in members
        ),
    )


async def bump_reference_version(conn: AsyncConnection) -> int:
    """Record, inside the caller's transaction, that reference data changed."""
    value = await conn.scalar(
        text(
            "INSERT INTO data_versions (name, version) VALUES ('reference', 1)"
            " ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1,"
            " updated_at = now() RETURNING version"
        )
    )
    return int(value)


async def search_instruments(engine: AsyncEngine, *, text_query: str, limit: int) -> list[int]:
    """Instrument ids matching a symbol prefix or, typo-tolerantly, a name or symbol.

    Exact and prefix symbol matches come first, then by trigram similarity.
    """
    sql = text(
        """
        SELECT id FROM (
            SELECT id, symbol,
                   CASE WHEN symbol = :q THEN 0 WHEN symbol LIKE :prefix THEN 1 ELSE 2 END AS tier,
                   greatest(similarity(symbol, :q), word_similarity(:lq, lower(name))) AS score
              FROM instruments
             WHERE symbol LIKE :prefix
                OR lower(name) LIKE :contains
                OR symbol % :q
                OR :lq <% lower(name)
        ) m
        ORDER BY tier, score DESC, symbol
        LIMIT :limit
        """
    )
    q = text_query.strip()
    escaped = q.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    lower = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    async with engine.connect() as conn:
        rows = await conn.execute(
            sql,
            {
                "q": q.upper(),
                "lq": q.lower(),
                "prefix": escaped + "%",
                "contains": "%" + lower + "%",
                "limit": limit,
            },
        )
        return [r.id for r in rows]


def _candle(r: object) -> Candle:
    return Candle(
        ts=r.ts,  # type: ignore[attr-defined]
        open=r.open,  # type: ignore[attr-defined]
        high=r.high,  # type: ignore[attr-defined]
        low=r.low,  # type: ignore[attr-defined]
        close=r.close,  # type: ignore[attr-defined]
        volume=int(r.volume),  # type: ignore[attr-defined]
        turnover=r.turnover,  # type: ignore[attr-defined]
        trades=int(r.trades),  # type: ignore[attr-defined]
    )


async def daily_candles(
    engine: AsyncEngine, *, kind: str, key: int, first_day: date, last_day: date
) -> tuple[list[Candle], list[date]]:
    """Daily candles of an instrument (`kind="instrument"`) or index in [first_day, last_day].

    Each candle opens at its day's first session (09:32 PKT when the calendar lacks the day).
    """
    table, column = _TABLES[(kind, "daily")]
    sql = text(
        f"""
        SELECT b.day,
               coalesce(s.open_at, (b.day + time '09:32') AT TIME ZONE 'Asia/Karachi') AS ts,
               b.open, b.high, b.low, b.close, b.volume, b.turnover, b.trades
          FROM {table} b
          LEFT JOIN trading_sessions s ON s.day = b.day AND s.number = 1
         WHERE b.{column} = :key AND b.day BETWEEN :first AND :last
         ORDER BY b.day
        """  # noqa: S608 - table and column come from a fixed mapping
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(sql, {"key": key, "first": first_day, "last": last_day})).all()
    return [_candle(r) for r in rows], [r.day for r in rows]


async def intraday_candles(
    engine: AsyncEngine, *, kind: str, key: int, start: datetime, end: datetime, minutes: int
) -> list[Candle]:
    """Candles of `minutes` width from 1-minute bars, aligned to each session's open."""
    table, column = _TABLES[(kind, "minute")]
    # A candle is listed when it opens in [start, end), with all its minutes: the minutes are
    # read up to one width past `end`, and buckets opening before `start` are dropped.
    sql = text(
        f"""
        SELECT * FROM (
        SELECT date_bin(make_interval(mins => :minutes), b.ts, s.open_at) AS ts,
               (array_agg(b.open ORDER BY b.ts))[1] AS open,
               max(b.high) AS high, min(b.low) AS low,
               (array_agg(b.close ORDER BY b.ts DESC))[1] AS close,
               sum(b.volume) AS volume, sum(b.turnover) AS turnover, sum(b.trades) AS trades
          FROM {table} b
          -- Equality on the PKT day lets the planner hash-join instead of a range loop.
          JOIN trading_sessions s ON s.day = (b.ts AT TIME ZONE 'Asia/Karachi')::date
                                 AND b.ts >= s.open_at AND b.ts < s.close_at
         WHERE b.{column} = :key AND b.ts >= :start
           AND b.ts < CAST(:end AS timestamptz) + make_interval(mins => :minutes)
           AND s.day BETWEEN (CAST(:start AS timestamptz) AT TIME ZONE 'Asia/Karachi')::date
                         AND (CAST(:end AS timestamptz) AT TIME ZONE 'Asia/Karachi')::date
         GROUP BY 1
        ) candles
         WHERE ts >= :start AND ts < :end
         ORDER BY ts
        """  # noqa: S608 - table and column come from a fixed mapping
    )
    async with engine.connect() as conn:
        rows = (
            await conn.execute(sql, {"key": key, "start": start, "end": end, "minutes": minutes})
        ).all()
    return [_candle(r) for r in rows]


async def hourly_candles(
    engine: AsyncEngine, *, instrument_id: int, start: datetime, end: datetime
) -> list[Candle]:
    """H1 candles of an instrument from the hourly rollup (same buckets as `intraday_candles`)."""
    sql = text(
        "SELECT ts, open, high, low, close, volume, turnover, trades FROM hourly_bars"
        " WHERE instrument_id = :key AND ts >= :start AND ts < :end ORDER BY ts"
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(sql, {"key": instrument_id, "start": start, "end": end})).all()
    return [_candle(r) for r in rows]


async def corporate_actions(
    engine: AsyncEngine, *, instrument_ids: Sequence[int]
) -> dict[int, list[CorporateAction]]:
    """Corporate actions per instrument, oldest first."""
    sql = text(
        "SELECT id, instrument_id, kind, ex_date, value, price, description"
        " FROM corporate_actions WHERE instrument_id = ANY(:ids) ORDER BY ex_date"
    )
    out: dict[int, list[CorporateAction]] = {i: [] for i in instrument_ids}
    async with engine.connect() as conn:
        for r in await conn.execute(sql, {"ids": list(instrument_ids)}):
            out[r.instrument_id].append(
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


async def closes_before(
    engine: AsyncEngine, *, instrument_id: int, days: Sequence[date]
) -> dict[date, Decimal]:
    """For each day, the instrument's last close strictly before it."""
    sql = text(
        """
        SELECT d AS day, (SELECT b.close FROM daily_bars b
                           WHERE b.instrument_id = :id AND b.day < d
                           ORDER BY b.day DESC LIMIT 1) AS close
          FROM unnest(CAST(:days AS date[])) AS d
        """
    )
    async with engine.connect() as conn:
        rows = await conn.execute(sql, {"id": instrument_id, "days": list(days)})
        return {r.day: r.close for r in rows if r.close is not None}


async def ranges_since(
    engine: AsyncEngine, *, instrument_ids: Sequence[int] | None, since: date
) -> dict[int, PriceRange]:
    """High and low of daily bars from `since` on, per instrument (all when `ids` is None)."""
    sql = text(
        "SELECT instrument_id, max(high) AS high, min(low) AS low FROM daily_bars"
        " WHERE (CAST(:ids AS integer[]) IS NULL OR instrument_id = ANY(:ids)) AND day >= :since"
        " GROUP BY instrument_id"
    )
    ids = None if instrument_ids is None else list(instrument_ids)
    async with engine.connect() as conn:
        rows = await conn.execute(sql, {"ids": ids, "since": since})
        return {r.instrument_id: PriceRange(high=r.high, low=r.low) for r in rows}


async def latest_daily_bars(engine: AsyncEngine) -> list[tuple[int, date, Candle, Decimal | None]]:
    """Each instrument's most recent daily bar with the close of the bar before it."""
    sql = text(
        """
        SELECT i.id AS instrument_id, b.day, b.day::timestamptz AS ts, b.open, b.high, b.low,
               b.close, b.volume, b.turnover, b.trades,
               coalesce(b.prev_close, (SELECT p.close FROM daily_bars p
                                        WHERE p.instrument_id = i.id AND p.day < b.day
                                        ORDER BY p.day DESC LIMIT 1)) AS prev_close
          FROM instruments i
          CROSS JOIN LATERAL (SELECT * FROM daily_bars d WHERE d.instrument_id = i.id
                               ORDER BY d.day DESC LIMIT 1) b
        """
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(sql)).all()
    return [(r.instrument_id, r.day, _candle(r), r.prev_close) for r in rows]


async def latest_index_bars(engine: AsyncEngine) -> dict[int, tuple[date, Decimal, Decimal]]:
    """Each index's last daily (day, close) with the close before it: (day, close, prev)."""
    sql = text(
        """
        SELECT x.id, b.day, b.close,
               (SELECT p.close FROM index_daily_bars p WHERE p.index_id = x.id AND p.day < b.day
                 ORDER BY p.day DESC LIMIT 1) AS prev_close
          FROM indices x
          CROSS JOIN LATERAL (SELECT day, close FROM index_daily_bars d WHERE d.index_id = x.id
                               ORDER BY d.day DESC LIMIT 1) b
        """
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(sql)).all()
    return {r.id: (r.day, r.close, r.prev_close or r.close) for r in rows}


async def sessions_between(
    engine: AsyncEngine, *, first_day: date, last_day: date
) -> list[TradingSession]:
    """Scheduled sessions on the days in [first_day, last_day]."""
    sql = text(
        "SELECT day, number, pre_open_at, open_at, close_at FROM trading_sessions"
        " WHERE day BETWEEN :first AND :last ORDER BY open_at"
    )
    async with engine.connect() as conn:
        rows = await conn.execute(sql, {"first": first_day, "last": last_day})
        return [
            TradingSession(
                day=r.day,
                number=r.number,
                pre_open_at=r.pre_open_at,
                open_at=r.open_at,
                close_at=r.close_at,
            )
            for r in rows
        ]


_FRAME_SCHEMA = pl.Schema(
    {
        "ts": pl.Datetime("us", "UTC"),
        "open": pl.Float64(),
        "high": pl.Float64(),
        "low": pl.Float64(),
        "close": pl.Float64(),
        "volume": pl.Float64(),
        "turnover": pl.Float64(),
    }
)


async def daily_frame(
    engine: AsyncEngine, *, instrument_id: int, first_day: date, last_day: date
) -> pl.DataFrame:
    """An instrument's daily bars in [first_day, last_day] as a Float64 frame (indicator math).

    The same rows and candle times as `daily_candles`, decoded as floats by the database: a
    long history for indicators needs no Decimal per price.
    """
    sql = text(
        """
        SELECT coalesce(s.open_at, (b.day + time '09:32') AT TIME ZONE 'Asia/Karachi') AS ts,
               b.open::float8, b.high::float8, b.low::float8, b.close::float8,
               b.volume::float8, b.turnover::float8
          FROM daily_bars b
          LEFT JOIN trading_sessions s ON s.day = b.day AND s.number = 1
         WHERE b.instrument_id = :key AND b.day BETWEEN :first AND :last
         ORDER BY b.day
        """
    )
    params = {"key": instrument_id, "first": first_day, "last": last_day}
    async with engine.connect() as conn:
        rows = (await conn.execute(sql, params)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=_FRAME_SCHEMA, orient="row")
