"""Rebuilding the screener snapshot from the stored market data.

Called by the seed, by `psx-analytics refresh-screener`, by the ingester when a session
closes and by administrators (`refreshScreener`). It reads the last ~14 months of daily bars
of every instrument in one statement, computes every field off the event loop and replaces
the snapshot in one transaction, so a screen always sees one whole snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import fundamentals as fundamentals_repo
from db.repos import markets as market_repo
from db.repos import screening as repo
from domain.screening.snapshots import snapshots

log = logging.getLogger(__name__)

HISTORY = timedelta(days=430)  # a year of sessions plus the warm-up of SMA200 and RSI14
BENCHMARK = "KSE100"


async def refresh_screener(engine: AsyncEngine) -> int:
    """Recompute and replace every instrument's snapshot row; the number of rows."""
    started = time.perf_counter()
    async with engine.connect() as conn:
        last = await conn.scalar(text("SELECT max(day) FROM daily_bars"))
    ref = await market_repo.load_reference(engine)
    if last is None:
        async with engine.begin() as conn:
            await repo.replace_snapshots(conn, [])
        return 0
    since = last - HISTORY
    bars = await repo.daily_history(engine, since=since)
    index = ref.index_by_code.get(BENCHMARK)
    benchmark = (
        await repo.index_history(engine, index_id=index.id, since=since)
        if index is not None
        else None
    )
    actions = await market_repo.corporate_actions(
        engine, instrument_ids=[i.id for i in ref.instruments]
    )
    memberships = {
        i.id: tuple(x.code for x in ref.indices_by_instrument.get(i.id, ()))
        for i in ref.instruments
    }
    statements = await fundamentals_repo.latest_statements(
        engine, instrument_ids=[i.id for i in ref.instruments]
    )
    rows = await asyncio.to_thread(
        snapshots,
        bars,
        instruments=ref.instruments,
        memberships=memberships,
        actions=actions,
        benchmark=benchmark,
        statements=statements,
    )
    async with engine.begin() as conn:
        count = await repo.replace_snapshots(conn, rows)
    log.info("screener refreshed: %d rows in %.2f s", count, time.perf_counter() - started)
    return count
