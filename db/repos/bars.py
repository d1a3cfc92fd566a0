"""Writing bars: the upserts shared by file imports and the live ingest pipeline.

Every write is an upsert keyed by (instrument, day) or (instrument, minute), so a bar written
twice (a re-imported file, an ingester restarted mid-session) replaces itself, never doubles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.markets.bars import Candle
from domain.markets.sessions import PKT

UPSERT_DAILY = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(
            CAST(:ids AS integer[]), CAST(:days AS date[]), CAST(:o AS numeric[]),
            CAST(:h AS numeric[]), CAST(:l AS numeric[]), CAST(:c AS numeric[]),
            CAST(:v AS bigint[]), CAST(:t AS numeric[]), CAST(:n AS integer[]),
            CAST(:p AS numeric[])
        ) AS r(instrument_id, day, open, high, low, close, volume, turnover, trades, prev_close)
    )
    INSERT INTO daily_bars AS b (instrument_id, day, open, high, low, close, volume, turnover,
                                 trades, prev_close)
    SELECT * FROM incoming
    ON CONFLICT (instrument_id, day) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
        volume = EXCLUDED.volume, turnover = EXCLUDED.turnover, trades = EXCLUDED.trades,
        prev_close = coalesce(EXCLUDED.prev_close, b.prev_close)
    WHERE (b.open, b.high, b.low, b.close, b.volume, b.turnover, b.trades)
          IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                            EXCLUDED.volume, EXCLUDED.turnover, EXCLUDED.trades)
       OR (EXCLUDED.prev_close IS NOT NULL AND b.prev_close IS DISTINCT FROM EXCLUDED.prev_close)
    RETURNING b.instrument_id, b.day AS key
    """
)

UPSERT_MINUTE = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(
            CAST(:ids AS integer[]), CAST(:ts AS timestamptz[]), CAST(:o AS numeric[]),
            CAST(:h AS numeric[]), CAST(:l AS numeric[]), CAST(:c AS numeric[]),
            CAST(:v AS bigint[]), CAST(:t AS numeric[]), CAST(:n AS integer[])
        ) AS r(instrument_id, ts, open, high, low, close, volume, turnover, trades)
    )
    INSERT INTO minute_bars AS b (instrument_id, ts, open, high, low, close, volume, turnover,
                                  trades)
    SELECT * FROM incoming
    ON CONFLICT (instrument_id, ts) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
        volume = EXCLUDED.volume, turnover = EXCLUDED.turnover, trades = EXCLUDED.trades
    WHERE (b.open, b.high, b.low, b.close, b.volume, b.turnover, b.trades)
          IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                            EXCLUDED.volume, EXCLUDED.turnover, EXCLUDED.trades)
    RETURNING b.instrument_id, b.ts AS key
    """
)

_UPSERT_INDEX = """
    INSERT INTO {table} AS b (index_id, {key}, open, high, low, close)
    SELECT * FROM unnest(
        CAST(:ids AS integer[]), CAST(:keys AS {key_type}[]), CAST(:o AS numeric[]),
        CAST(:h AS numeric[]), CAST(:l AS numeric[]), CAST(:c AS numeric[])
    )
    ON CONFLICT (index_id, {key}) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close
"""
UPSERT_INDEX_MINUTE = text(
    _UPSERT_INDEX.format(table="index_minute_bars", key="ts", key_type="timestamptz")
)
UPSERT_INDEX_DAILY = text(
    _UPSERT_INDEX.format(table="index_daily_bars", key="day", key_type="date")
)


async def ensure_partitions(conn: AsyncConnection, table: str, days: Sequence[date]) -> None:
    """Create the monthly partitions that rows on `days` need (no-op on TimescaleDB)."""
    if days:
        await conn.execute(
            text("SELECT psx_ensure_partitions(CAST(:t AS regclass), :lo, :hi)"),
            {"t": table, "lo": min(days), "hi": max(days)},
        )


def _columns(bars: Sequence[Candle]) -> dict[str, object]:
    return {
        "o": [b.open for b in bars],
        "h": [b.high for b in bars],
        "l": [b.low for b in bars],
        "c": [b.close for b in bars],
        "v": [b.volume for b in bars],
        "t": [b.turnover for b in bars],
        "n": [b.trades for b in bars],
    }


@dataclass(frozen=True, slots=True)
class DailyBar:
    """A day's bar of an instrument as the live pipeline knows it."""

    instrument_id: int
    day: date
    bar: Candle
    prev_close: Decimal


@dataclass(slots=True)
class LiveBars:
    """What one flush of the ingest pipeline writes."""

    minute: list[tuple[int, Candle]]
    daily: list[DailyBar]
    index_minute: list[tuple[int, Candle]]
    index_daily: list[tuple[int, date, Candle]]

    def __len__(self) -> int:
        return len(self.minute) + len(self.daily) + len(self.index_minute) + len(self.index_daily)


async def write_live_bars(conn: AsyncConnection, bars: LiveBars) -> None:
    """Upsert a flush's bars (the caller holds the transaction)."""
    if bars.minute:
        days = [b.ts.astimezone(PKT).date() for _, b in bars.minute]
        await ensure_partitions(conn, "minute_bars", days)
        params = _columns([b for _, b in bars.minute])
        params.update(ids=[i for i, _ in bars.minute], ts=[b.ts for _, b in bars.minute])
        await conn.execute(UPSERT_MINUTE, params)
        await refresh_hourly(conn, [i for i, _ in bars.minute], days)
    if bars.daily:
        await ensure_partitions(conn, "daily_bars", [d.day for d in bars.daily])
        params = _columns([d.bar for d in bars.daily])
        params.update(
            ids=[d.instrument_id for d in bars.daily],
            days=[d.day for d in bars.daily],
            p=[d.prev_close for d in bars.daily],
        )
        await conn.execute(UPSERT_DAILY, params)
    if bars.index_minute:
        await ensure_partitions(
            conn, "index_minute_bars", [b.ts.astimezone(PKT).date() for _, b in bars.index_minute]
        )
        params = _columns([b for _, b in bars.index_minute])
        params.update(
            ids=[i for i, _ in bars.index_minute], keys=[b.ts for _, b in bars.index_minute]
        )
        await conn.execute(UPSERT_INDEX_MINUTE, params)
    if bars.index_daily:
        await ensure_partitions(conn, "index_daily_bars", [d for _, d, _ in bars.index_daily])
        params = _columns([b for _, _, b in bars.index_daily])
        params.update(
            ids=[i for i, _, _ in bars.index_daily], keys=[d for _, d, _ in bars.index_daily]
        )
        await conn.execute(UPSERT_INDEX_DAILY, params)


async def refresh_hourly(
    conn: AsyncConnection, instrument_ids: Sequence[int], days: Sequence[date]
) -> None:
    """Rebuild the hourly rollup of those instruments over those days (caller's transaction)."""
    if instrument_ids and days:
        await conn.execute(
            text("SELECT psx_refresh_hourly(CAST(:ids AS integer[]), :lo, :hi)"),
            {"ids": sorted(set(instrument_ids)), "lo": min(days), "hi": max(days)},
        )
