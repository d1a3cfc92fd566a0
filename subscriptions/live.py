"""The live side of a process: the hub, and (where this process runs the feed) the ingester.

`LiveMarket.start` connects the hub; `run_feed` starts a feed in the background. Shutdown
stops the feed first, flushes the ingester's bars, then ends every subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import orjson
from broadcaster import BroadcastBackend

from db.cache import QuoteStore
from subscriptions import channels
from subscriptions.backends import MemoryBackend, ResilientRedisBackend
from subscriptions.feeds import Feed
from subscriptions.hub import Hub, Resync
from subscriptions.ingest import Ingester

log = logging.getLogger(__name__)


def make_backend(redis_url: str | None) -> BroadcastBackend:
    """Redis pub/sub when a URL is given (every process shares it), else in-process."""
    return ResilientRedisBackend(redis_url) if redis_url else MemoryBackend()


def quote_resync(store: QuoteStore) -> Resync:
    """After an outage, each followed symbol's latest quote from the store."""

    async def resync(followed: Sequence[str]) -> list[tuple[str, bytes]]:
        symbols = [channels.symbol_of(c) for c in followed if c.startswith(channels.QUOTES)]
        quotes = await store.get_many(symbols)
        return [
            (channels.quotes(q.symbol), orjson.dumps(q.to_json())) for q in quotes if q is not None
        ]

    return resync


class LiveMarket:
    """The hub of a process, plus the feed and ingester when it runs one."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.ingester: Ingester | None = None
        self.feed: Feed | None = None
        self._task: asyncio.Task[None] | None = None
        self._status_task: asyncio.Task[None] | None = None
        self.reported_state: str | None = None  # the last state the ingester published
        self._offset = timedelta(0)  # feed clock minus wall clock

    async def start(self) -> None:
        """Connect the hub."""
        await self.hub.start()

    async def follow_market_status(self) -> None:
        """Track the ingester's market state from its channel (processes without a feed)."""
        self._status_task = asyncio.create_task(self._follow_status(), name="market-status")

    async def _follow_status(self) -> None:
        async with self.hub.subscribe([channels.MARKET_STATUS, channels.MARKET_CLOCK]) as box:
            async for event in box:
                if event.channel == channels.MARKET_CLOCK:
                    feed_now = datetime.fromisoformat(event.data["now"])
                    self._offset = feed_now - datetime.fromtimestamp(event.received_at, UTC)
                else:
                    self.reported_state = str(event.data.get("state", ""))

    def clock(self) -> datetime:
        """The feed's time as last reported (the wall clock until it reports)."""
        return datetime.now(UTC) + self._offset

    def halted(self) -> bool:
        """True while the ingester reports a market halt."""
        return self.reported_state == "HALTED"

    async def run_feed(self, feed: Feed, ingester: Ingester) -> None:
        """Start the ingester and run the feed in the background."""
        await ingester.start()
        self.ingester, self.feed = ingester, feed
        self._task = asyncio.create_task(self._run(feed, ingester), name=f"feed-{feed.name}")

    async def _run(self, feed: Feed, ingester: Ingester) -> None:
        try:
            await feed.run(ingester)
            log.info("feed %s finished", feed.name)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("feed %s failed", feed.name)

    async def wait_feed(self) -> None:
        """Wait for the feed to finish (a replay ends; the simulator does not)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Stop the feed, flush bars, end subscriptions, disconnect."""
        if self._status_task is not None:
            self._status_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._status_task
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.ingester is not None:
            try:
                await self.ingester.stop()
            except Exception:
                log.exception("final bar flush failed")
        await self.hub.stop()
