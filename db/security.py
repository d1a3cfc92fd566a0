"""Shared security state: the access-token denylist and attempt counters.

Both live in Redis when it is configured (every process sees them) and in-process otherwise.
Keys never hold a secret: the denylist keys on a token's `jti`, the counters on an account id
or an IP address.
"""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


class Denylist(Protocol):
    """Access tokens revoked before they expire, by `jti`."""

    async def add(self, jti: str, ttl_seconds: int) -> None:
        """Deny `jti` for `ttl_seconds` (its remaining lifetime)."""
        ...

    async def contains(self, jti: str) -> bool:
        """True when `jti` is denied."""
        ...


class AttemptLimiter(Protocol):
    """Fixed-window counters of attempts (logins, codes, resets)."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        """Count one attempt; False when the key is over `limit` in this window."""
        ...


class MemoryDenylist:
    """In-process denylist (one process only)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    async def add(self, jti: str, ttl_seconds: int) -> None:
        """Deny until the token would have expired."""
        now = time.monotonic()
        self._until = {k: v for k, v in self._until.items() if v > now}
        self._until[jti] = now + max(ttl_seconds, 1)

    async def contains(self, jti: str) -> bool:
        """True while denied."""
        until = self._until.get(jti)
        return until is not None and until > time.monotonic()


class MemoryLimiter:
    """In-process attempt counters (one process only)."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        """Count an attempt in the current window."""
        now = time.monotonic()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= window_seconds:
            start, count = now, 0
        self._windows[key] = (start, count + 1)
        return count + 1 <= limit


class RedisDenylist:
    """Denylist in Redis: one key per `jti`, expiring with the token."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def add(self, jti: str, ttl_seconds: int) -> None:
        """Deny until the token would have expired."""
        await self._redis.set(f"deny:{jti}", 1, ex=max(ttl_seconds, 1))

    async def contains(self, jti: str) -> bool:
        """True while denied."""
        return bool(await self._redis.exists(f"deny:{jti}"))


class RedisLimiter:
    """Attempt counters in Redis: INCR and EXPIRE in one round trip."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        """Count an attempt in the current window."""
        name = f"attempts:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds, nx=True)
            count, _ = await pipe.execute()
        return int(count) <= limit


def make_security_stores(redis_url: str | None) -> tuple[Denylist, AttemptLimiter]:
    """Redis-backed stores when a URL is given, else in-process ones."""
    if redis_url:
        redis = Redis.from_url(redis_url, socket_timeout=1.0)
        return RedisDenylist(redis), RedisLimiter(redis)
    return MemoryDenylist(), MemoryLimiter()
