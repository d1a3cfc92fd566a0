"""The latest-quote store: a Redis hash shared by every process, or a dict in-process.

Both keep one JSON document per symbol under the hash `quotes:latest` (field = symbol), so
a batch of symbols is one HMGET: one round trip whatever the batch size.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.markets.quotes import QuoteState

log = logging.getLogger(__name__)

QUOTES_KEY = "quotes:latest"
VERSION_KEY = "quotes:version"
VERSIONS_KEY = "quotes:versions"

# What answers quote reads while Redis does not (db/quotes.py: the last daily bars).
QuoteFallback = Callable[[Sequence[str]], Awaitable[list[QuoteState | None]]]


class QuoteStore(Protocol):
    """Where the latest quote of each symbol lives."""

    async def get_many(self, symbols: Sequence[str]) -> list[QuoteState | None]:
        """Quotes aligned to `symbols`; None where a symbol has none."""
        ...

    async def put_many(self, quotes: Sequence[QuoteState]) -> list[QuoteState]:
        """Store quotes under fresh version numbers and return them as stored."""
        ...

    async def versions(self, symbols: Sequence[str]) -> list[int | None]:
        """The current version of each symbol's quote (None when it has none)."""
        ...

    async def count(self) -> int:
        """How many symbols have a quote."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryQuoteStore:
    """Quotes in a dict: the default when REDIS_URL is unset (one process only)."""

    def __init__(self) -> None:
        self._quotes: dict[str, QuoteState] = {}
        self._version = 0

    async def get_many(self, symbols: Sequence[str]) -> list[QuoteState | None]:
        """Quotes aligned to `symbols`."""
        return [self._quotes.get(s) for s in symbols]

    async def put_many(self, quotes: Sequence[QuoteState]) -> list[QuoteState]:
        """Store quotes, each under the next version number."""
        stored = []
        for q in quotes:
            self._version += 1
            s = q.bumped(self._version)
            self._quotes[q.symbol] = s
            stored.append(s)
        return stored

    async def versions(self, symbols: Sequence[str]) -> list[int | None]:
        """Current versions, aligned to `symbols`."""
        quotes = self._quotes
        return [q.version if (q := quotes.get(s)) is not None else None for s in symbols]

    async def count(self) -> int:
        """How many symbols have a quote."""
        return len(self._quotes)

    async def close(self) -> None:
        """Nothing to release."""


class RedisQuoteStore:
    """Quotes in a Redis hash, shared across processes.

    Reads fail open: a Redis error or a read slower than `timeout` seconds (150 ms, Apollo
    Router's cache fetch bound) is logged, counted in `fail_opens` and answered by `fallback`
    (PostgreSQL's last daily bars; "no quote" without one), so the API keeps serving market
    data. After a failure Redis is skipped for `retry_after` seconds, so a Redis that is down
    costs one timeout per interval rather than one per request.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        timeout: float = 0.15,
        fallback: QuoteFallback | None = None,
        retry_after: float = 1.0,
    ) -> None:
        self._redis = redis
        self._timeout = timeout
        self._fallback = fallback
        self._retry_after = retry_after
        self._skip_until = 0.0
        self.fail_opens = 0

    def _failed(self, exc: BaseException) -> None:
        self.fail_opens += 1
        self._skip_until = time.monotonic() + self._retry_after
        log.warning("quote store read failed: %s", type(exc).__name__)

    def _skipping(self) -> bool:
        if self._skip_until and time.monotonic() < self._skip_until:
            self.fail_opens += 1
            return True
        return False

    async def _answer_without_redis(self, symbols: Sequence[str]) -> list[QuoteState | None]:
        if self._fallback is None:
            return [None] * len(symbols)
        return await self._fallback(symbols)

    async def get_many(self, symbols: Sequence[str]) -> list[QuoteState | None]:
        """Quotes aligned to `symbols`, in one HMGET."""
        if not symbols:
            return []
        if self._skipping():
            return await self._answer_without_redis(symbols)
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._redis.hmget(QUOTES_KEY, list(symbols))
        except (RedisError, TimeoutError, OSError) as exc:
            self._failed(exc)
            return await self._answer_without_redis(symbols)
        self._skip_until = 0.0
        return [None if r is None else QuoteState.from_json(orjson.loads(r)) for r in raw]

    async def put_many(self, quotes: Sequence[QuoteState]) -> list[QuoteState]:
        """Store quotes in one pipelined transaction with versions from a shared counter."""
        if not quotes:
            return []
        top = int(await self._redis.incrby(VERSION_KEY, len(quotes)))
        stored = [q.bumped(top - len(quotes) + i + 1) for i, q in enumerate(quotes)]
        mapping = {q.symbol: orjson.dumps(q.to_json()) for q in stored}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(QUOTES_KEY, mapping=mapping)  # type: ignore[arg-type]
            pipe.hset(VERSIONS_KEY, mapping={q.symbol: q.version for q in stored})
            await pipe.execute()
        return stored

    async def versions(self, symbols: Sequence[str]) -> list[int | None]:
        """Current versions in one HMGET; fails open like `get_many` (all None)."""
        if not symbols:
            return []
        if self._skipping():
            return [None] * len(symbols)
        try:
            async with asyncio.timeout(self._timeout):
                raw = await self._redis.hmget(VERSIONS_KEY, list(symbols))
        except (RedisError, TimeoutError, OSError) as exc:
            self._failed(exc)
            return [None] * len(symbols)
        return [None if r is None else int(r) for r in raw]

    async def count(self) -> int:
        """How many symbols have a quote (raises when Redis does not answer: readiness)."""
        return int(await self._redis.hlen(QUOTES_KEY))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def make_quote_store(redis_url: str | None, *, fallback: QuoteFallback | None = None) -> QuoteStore:
    """Redis when a URL is given (reads answered by `fallback` when it fails), else in-process."""
    if redis_url:
        redis = Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=0.15)
        return RedisQuoteStore(redis, fallback=fallback)
    return MemoryQuoteStore()
