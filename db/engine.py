"""Async engines and session factories for the primary and, when set, a read replica."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Database:
    """The engines the service talks to: `read` is the replica, or the primary when unset."""

    primary: AsyncEngine
    read: AsyncEngine

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
    url: str, read_url: str | None = None, *, pool_size: int = 10, statement_timeout: int = 15_000
) -> Database:
    """Engines for the primary and the optional read replica."""
    primary = make_engine(url, pool_size=pool_size, statement_timeout=statement_timeout)
    read = (
        make_engine(read_url, pool_size=pool_size, statement_timeout=statement_timeout)
        if read_url
        else primary
    )
    return Database(primary=primary, read=read)
