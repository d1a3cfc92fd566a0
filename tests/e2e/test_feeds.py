"""Feeds end to end: a replay file goes through the ingest pipeline into PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.live import start_live
from api.settings import Environment, Settings
from db.cache import MemoryQuoteStore
from db.engine import Database
from db.quotes import prime_quotes
from db.reference import RangeCache, ReferenceCache
from domain.markets.sessions import PKT
from resolvers.context import Services
from subscriptions.backends import MemoryBackend
from subscriptions.hub import Hub
from tests.e2e.conftest import forget_live_bars

BARS = """symbol,date,time,open,high,low,close,volume
LUCK,2025-06-02,10:00,{a},{b},{c},{d},1000
LUCK,2025-06-02,10:01,{d},{d},{c},{c},400
LUCK,2025-06-02,10:02,{c},{b},{c},{b},7
"""


async def test_a_replayed_bar_file_is_stored_as_the_same_bars_on_the_next_trading_day(
    live_engine: AsyncEngine, tmp_path: Path
) -> None:
    await forget_live_bars(live_engine)
    store = MemoryQuoteStore()
    await prime_quotes(live_engine, store, force=True)
    last = (await store.get_many(["LUCK"]))[0]
    assert last is not None
    p = last.last
    prices = {k: p + Decimal("0.01") * n for k, n in zip("abcd", (1, 5, -3, 2), strict=True)}
    path = tmp_path / "luck.csv"
    path.write_text(BARS.format(**prices))
    services = Services(
        database=Database(primary=live_engine, read=live_engine),
        quotes=store,
        reference=ReferenceCache(live_engine),
        ranges=RangeCache(live_engine, today=lambda: date(2026, 11, 19)),
        hub=Hub(MemoryBackend()),
    )
    settings = Settings(environment=Environment.TEST, feed_speed=300)
    clocked, live = await start_live(settings, services, "replay", replay_file=path)
    try:
        await live.wait_feed()
    finally:
        await live.stop()  # flushes the bars, the forming minute included
    assert live.ingester is not None
    assert live.ingester.stats.accepted == 12
    async with live_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM minute_bars b"
                    " JOIN instruments i ON i.id = b.instrument_id"
                    " WHERE i.symbol = 'LUCK' AND b.ts > '2026-11-19 12:00Z' ORDER BY b.ts"
                )
            )
        ).all()
    a, b, c, d = (prices[k] for k in "abcd")
    assert [
        (r.ts.astimezone(PKT).strftime("%Y-%m-%d %H:%M"), r.open, r.high, r.low, r.close, r.volume)
        for r in rows
    ] == [
        ("2026-11-20 10:00", a, b, c, d, 1000),
        ("2026-11-20 10:01", d, d, c, c, 400),
        ("2026-11-20 10:02", c, b, c, b, 7),
    ]
    assert clocked.clock().astimezone(PKT).date() == date(2026, 11, 20)
    quote = (await store.get_many(["LUCK"]))[0]
    assert quote is not None and quote.last == b and quote.volume == 1407
