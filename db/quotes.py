"""Filling the quote store from PostgreSQL, so quotes exist before the feed's first tick."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncEngine

from db.cache import QuoteStore
from db.repos import markets as repo
from domain.markets.quotes import QuoteState
from domain.markets.sessions import PKT


async def prime_quotes(engine: AsyncEngine, store: QuoteStore, *, force: bool = False) -> int:
    """Load each instrument's last daily bar into the store as its quote.

    Skipped when the store already holds quotes (a feed or another process filled it),
    unless `force`. Returns how many quotes were written.
    """
    if not force and await store.count() > 0:
        return 0
    reference = await repo.load_reference(engine)
    latest = await repo.latest_daily_bars(engine)
    quotes = []
    for instrument_id, day, bar, prev_close in latest:
        instrument = reference.instrument_by_id[instrument_id]
        quotes.append(
            QuoteState(
                symbol=instrument.symbol,
                last=bar.close,
                open=bar.open,
                high=bar.high,
                low=bar.low,
                prev_close=prev_close if prev_close is not None else bar.open,
                volume=bar.volume,
                turnover=bar.turnover,
                trades=bar.trades,
                updated_at=datetime.combine(day, time(15, 30), tzinfo=PKT),
            )
        )
    await store.put_many(quotes)
    return len(quotes)
