"""Async engines and session factories for the primary and, when set, a read replica.

With a replica (DATABASE_READ_URL), queries read from it; writes, and every read of a mutation
and of a user who wrote in the last few seconds (PSX_READ_YOUR_WRITES_SECONDS), go to the
primary (schema/routing.py picks per operation).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the asyncpg driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 10, statement_timeout: int = 15_000) -> AsyncEngine:
    """An engine with a bounded pool and server-side timeouts for stray statements.

    `statement_timeout` is PostgreSQL's, in milliseconds (0: none; PSX_STATEMENT_TIMEOUT).
    """
    return create_async_engine(
        normalise_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        connect_args={
            "server_settings": {
                "application_name": "psx-analytics",
                "statement_timeout": str(statement_timeout),
                "TimeZone": "UTC",
            }
        },
    )


class RecentWriters:
    """Who wrote lately, in this process: their reads go to the primary for `window` seconds,
    so that a replica's lag never hides a user's own write from them."""

    def __init__(self, window: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._last: dict[Hashable, float] = {}

    def wrote(self, who: Hashable) -> None:
        """`who` has just written."""
        now = self._clock()
        self._last[who] = now
        if len(self._last) > 10_000:  # forget those whose window is over
            self._last = {k: t for k, t in self._last.items() if now - t < self.window}

    def recent(self, who: Hashable) -> bool:
        """Whether `who` wrote less than `window` seconds ago."""
        at = self._last.get(who)
        return at is not None and self._clock() - at < self.window


@dataclass(frozen=True, slots=True)
class Database:
    """The engines the service talks to: `read` is the replica, or the primary when unset."""

    primary: AsyncEngine
    read: AsyncEngine
    writers: RecentWriters = field(default_factory=RecentWriters, compare=False)

    @property
    def replicated(self) -> bool:
        """Whether reads have a replica of their own."""
        return self.read is not self.primary

    def on_primary(self) -> Database:
        """The same database with reads on the primary (mutations, read-your-writes)."""
        return Database(primary=self.primary, read=self.primary, writers=self.writers)

    @property
    def sessions(self) -> async_sessionmaker:  # type: ignore[type-arg]
        """Sessions on the primary, for writes and read-your-writes."""
        return async_sessionmaker(self.primary, expire_on_commit=False)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.primary.dispose()
        if self.read is not self.primary:
            await self.read.dispose()


def make_database(
    url: str,
    read_url: str | None = None,
    *,
    pool_size: int = 10,
    statement_timeout: int = 15_000,
    read_your_writes: float = 5.0,
) -> Database:
    """Engines for the primary and the optional read replica; a user's reads go to the primary
    for `read_your_writes` seconds after their last write."""
    primary = make_engine(url, pool_size=pool_size, statement_timeout=statement_timeout)
    read = (
        make_engine(read_url, pool_size=pool_size, statement_timeout=statement_timeout)
        if read_url
        else primary
    )
    return Database(primary=primary, read=read, writers=RecentWriters(read_your_writes))
