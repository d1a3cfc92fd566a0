"""The Redis quote store against a real Redis: one round trip per batch, versions, fail-open."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from redis.asyncio import Redis

from db.cache import QUOTES_KEY, VERSION_KEY, RedisQuoteStore
from domain.markets.quotes import QuoteState

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def quote(symbol: str, last: str) -> QuoteState:
    return QuoteState(
        symbol=symbol,
        last=Decimal(last),
        open=Decimal("100.00"),
        high=Decimal("105.50"),
        low=Decimal("99.01"),
        prev_close=Decimal("100.00"),
        volume=12_345,
        turnover=Decimal("1250000.55"),
        trades=42,
        updated_at=datetime(2026, 11, 19, 7, 0, tzinfo=UTC),
    )


class CountingRedis(Redis):
    """A Redis client counting commands sent (pipelines count once)."""

    commands = 0

    async def execute_command(self, *args: object, **options: object) -> object:
        CountingRedis.commands += 1
        return await super().execute_command(*args, **options)


@pytest.fixture
async def redis() -> AsyncIterator[CountingRedis]:
    client = CountingRedis.from_url(REDIS_URL)
    await client.delete(QUOTES_KEY, VERSION_KEY)
    yield client
    await client.delete(QUOTES_KEY, VERSION_KEY)
    await client.aclose()


async def test_quotes_round_trip_exactly_with_growing_versions(redis: CountingRedis) -> None:
    store = RedisQuoteStore(redis)
    stored = await store.put_many([quote("OGDC", "101.25"), quote("HUBC", "222.31")])
    assert [q.version for q in stored] == [1, 2]
    got = await store.get_many(["HUBC", "NOPE", "OGDC"])
    assert got == [stored[1], None, stored[0]]
    assert got[0] is not None and got[0].turnover == Decimal("1250000.55")
    again = await store.put_many([quote("OGDC", "101.30")])
    assert again[0].version == 3
    assert await store.count() == 2


async def test_a_batch_of_fifty_is_one_round_trip(redis: CountingRedis) -> None:
    store = RedisQuoteStore(redis)
    symbols = [f"S{i:03d}" for i in range(50)]
    await store.put_many([quote(s, "10.00") for s in symbols])
    CountingRedis.commands = 0
    got = await store.get_many(symbols)
    assert CountingRedis.commands == 1
    assert [q.symbol for q in got if q] == symbols


async def test_reads_fail_open_when_redis_is_unreachable() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.05)
    store = RedisQuoteStore(dead, timeout=0.15)
    assert await store.get_many(["OGDC", "HUBC"]) == [None, None]
    await dead.aclose()
