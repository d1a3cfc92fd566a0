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


@dataclass(slots=True)
class Context:
    """What a request carries: the services, its own loaders, and the HTTP request."""

    services: Services
    loaders: Loaders
    request: Any = None
    response: Any = None
    user: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


def make_context(services: Services, request: Any = None, response: Any = None) -> Context:
    """A fresh context with loaders of its own (loaders never outlive a request)."""
    return Context(
        services=services,
        loaders=make_loaders(services),
        request=request,
        response=response,
    )
