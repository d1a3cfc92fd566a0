"""A process without a feed learns the market's state from the ingester's channel."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson

from subscriptions import channels
from subscriptions.backends import MemoryBackend
from subscriptions.hub import Hub
from subscriptions.live import LiveMarket


async def wait_for(predicate: object, within: float = 2.0) -> None:
    for _ in range(int(within / 0.01)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def test_halts_published_by_the_ingester_reach_a_process_without_a_feed() -> None:
    live = LiveMarket(Hub(MemoryBackend()))
    await live.start()
    try:
        await live.follow_market_status()
        await wait_for(lambda: live.hub.subscribers == 1)
        assert not live.halted()
        await live.hub.publish(channels.MARKET_STATUS, b'{"state": "HALTED", "reason": "KSE30"}')
        await wait_for(live.halted)
        await live.hub.publish(channels.MARKET_STATUS, b'{"state": "OPEN"}')
        await wait_for(lambda: not live.halted())
    finally:
        await live.stop()


async def test_a_process_without_a_feed_tells_time_by_the_feeds_clock() -> None:
    live = LiveMarket(Hub(MemoryBackend()))
    await live.start()
    try:
        await live.follow_market_status()
        await wait_for(lambda: live.hub.subscribers == 1)
        ahead = datetime.now(UTC) + timedelta(days=2, hours=3)
        payload = orjson.dumps({"now": ahead.isoformat()})
        await live.hub.publish(channels.MARKET_CLOCK, payload)
        await wait_for(lambda: live.clock() > datetime.now(UTC) + timedelta(days=2))
        assert abs((live.clock() - ahead).total_seconds()) < 1
    finally:
        await live.stop()
