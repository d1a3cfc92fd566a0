"""The per-request context handed to every use case."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from db.cache import QuoteStore
from db.engine import Database
from db.reference import RangeCache, ReferenceCache
from resolvers.loaders import Loaders, make_loaders
from subscriptions.hub import Hub


def utc_now() -> datetime:
    """The current instant; replaced in tests that pin the clock."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived things shared by all requests of a process."""

    database: Database
    quotes: QuoteStore
    reference: ReferenceCache
    ranges: RangeCache
    max_candles: int = 10_000
    clock: Callable[[], datetime] = utc_now
    halted: Callable[[], bool] = lambda: False
    hub: Hub | None = None


@dataclass(slots=True)
class CacheScope:
    """What an answer was built from, so a response cache can tell when it goes stale.

    `quote_versions` records the version of every quote read; a use case whose answer
    depends on anything else that changes (bars, the clock) marks the scope `unsafe`.
    """

    quote_versions: dict[str, int] = field(default_factory=dict)
    unsafe: bool = False


@dataclass(slots=True)
class Context:
    """What a request carries: the services, its own loaders, and the HTTP request."""

    services: Services
    loaders: Loaders
    request: Any = None
    response: Any = None
    user: Any = None
    cache: CacheScope = field(default_factory=CacheScope)


def make_context(services: Services, request: Any = None, response: Any = None) -> Context:
    """A fresh context with loaders of its own (loaders never outlive a request)."""
    scope = CacheScope()
    return Context(
        services=services,
        loaders=make_loaders(services, scope.quote_versions),
        request=request,
        response=response,
        cache=scope,
    )
