"""Quotes from PostgreSQL: filling the quote store before the feed's first tick, and answering
quote reads while Redis does not (the store's fail-open fallback)."""

from __future__ import annotations

import time as clock
from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncEngine

from db.cache import QuoteStore
from db.repos import markets as repo
from domain.markets.quotes import QuoteState
from domain.markets.sessions import PKT


async def quotes_from_daily_bars(engine: AsyncEngine) -> list[QuoteState]:
    """Each instrument's last daily bar as its quote (at the session's 15:30 close)."""
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
    return quotes


async def prime_quotes(engine: AsyncEngine, store: QuoteStore, *, force: bool = False) -> int:
    """Load each instrument's last daily bar into the store as its quote.

    Skipped when the store already holds quotes (a feed or another process filled it),
    unless `force`. Returns how many quotes were written.
    """
    if not force and await store.count() > 0:
        return 0
    quotes = await quotes_from_daily_bars(engine)
    await store.put_many(quotes)
    return len(quotes)


class DailyBarQuotes:
    """The quote store's fallback while Redis is down: last daily bars, read at most every
    `ttl` seconds (one query for every instrument, shared by the requests of that interval).

    These quotes carry version 0, which no stored quote has, so the response cache never
    keeps an answer built from them past Redis's return.
    """

    def __init__(self, engine: AsyncEngine, *, ttl: float = 5.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._by_symbol: dict[str, QuoteState] = {}
        self._read_at = float("-inf")
        self.reads = 0

    async def __call__(self, symbols: Sequence[str]) -> list[QuoteState | None]:
        """Quotes aligned to `symbols`."""
        if clock.monotonic() - self._read_at > self._ttl:
            quotes = await quotes_from_daily_bars(self._engine)
            self._by_symbol = {q.symbol: q for q in quotes}
            self._read_at = clock.monotonic()
            self.reads += 1
        return [self._by_symbol.get(s) for s in symbols]
