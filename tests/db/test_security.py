"""The denylist and attempt counters, in Redis (shared by processes) and in-process."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from db.security import (
    AttemptLimiter,
    Denylist,
    MemoryDenylist,
    MemoryLimiter,
    RedisDenylist,
    RedisLimiter,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def stores(request: pytest.FixtureRequest, redis: Redis) -> tuple[Denylist, AttemptLimiter]:
    if request.param == "redis":
        return RedisDenylist(redis), RedisLimiter(redis)
    return MemoryDenylist(), MemoryLimiter()


async def test_a_denied_token_stays_denied_until_it_would_have_expired(
    stores: tuple[Denylist, AttemptLimiter],
) -> None:
    denylist, _ = stores
    jti = uuid.uuid4().hex
    assert not await denylist.contains(jti)
    await denylist.add(jti, 1)
    assert await denylist.contains(jti)
    await asyncio.sleep(1.1)
    assert not await denylist.contains(jti)


async def test_attempts_over_the_limit_are_refused_until_the_window_ends(
    stores: tuple[Denylist, AttemptLimiter],
) -> None:
    _, limiter = stores
    key = f"test:{uuid.uuid4().hex}"
    results = [await limiter.hit(key, limit=3, window_seconds=1) for _ in range(5)]
    assert results == [True, True, True, False, False]
    await asyncio.sleep(1.1)
    assert await limiter.hit(key, limit=3, window_seconds=1)


async def test_two_processes_share_redis_counters(redis: Redis) -> None:
    key = f"test:{uuid.uuid4().hex}"
    other = Redis.from_url(REDIS_URL)
    try:
        one, two = RedisLimiter(redis), RedisLimiter(other)
        assert await one.hit(key, limit=2, window_seconds=5)
        assert await two.hit(key, limit=2, window_seconds=5)
        assert not await one.hit(key, limit=2, window_seconds=5)
    finally:
        await other.aclose()
