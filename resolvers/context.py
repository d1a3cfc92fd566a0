"""The per-request context handed to every use case."""

from __future__ import annotations

import asyncio
import secrets
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from db.cache import QuoteStore
from db.engine import Database
from db.mail import Mailer
from db.reference import RangeCache, ReferenceCache
from db.repos.api_keys import KeyCache
from db.search import SearchBackend
from db.security import AttemptLimiter, Denylist, MemoryDenylist, MemoryLimiter
from db.storage import LocalReportStore, ReportStore
from domain.accounts.api_keys import KeyIdentity
from domain.accounts.roles import Role
from domain.accounts.tokens import KeySet, SigningKey
from domain.accounts.users import Client
from domain.errors import DomainError
from resolvers.loaders import Loaders, make_loaders
from subscriptions.hub import Hub


def utc_now() -> datetime:
    """The current instant; replaced in tests that pin the clock."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Security:
    """Keys and shared state of authentication.

    `hashing` bounds concurrent password hashes (each takes ~19 MiB and tens of ms of CPU);
    `api_keys` caches API key lookups for a few seconds (db/repos/api_keys.py).
    """

    keys: KeySet
    denylist: Denylist
    limiter: AttemptLimiter
    totp_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    hashing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))
    # Tokens live in real time, never in a simulator's market time.
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    api_keys: KeyCache = field(default_factory=KeyCache)


def ephemeral_security() -> Security:
    """A random signing key and in-process stores: tokens die with the process (development)."""
    key = SigningKey("dev-" + secrets.token_hex(4), "HS256", secret=secrets.token_bytes(32))
    return Security(KeySet({key.kid: key}, key.kid), MemoryDenylist(), MemoryLimiter())


@dataclass(frozen=True, slots=True)
class Reports:
    """Where statements go and how their download links are signed (PSX_REPORTS_URL,
    PSX_REPORTS_KEY, PSX_REPORTS_TTL)."""

    store: ReportStore
    secret: bytes = field(repr=False)
    ttl: timedelta = timedelta(hours=1)


def ephemeral_reports() -> Reports:
    """A temporary directory and a random key: links die with the process (development)."""
    root = Path(tempfile.gettempdir()) / "psx-reports"
    return Reports(LocalReportStore(root), secrets.token_bytes(32))


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of a request, from a verified access token or an API key.

    With a key, `api_key` names it, `jti` is `apikey:<id>` (nothing denylists it: revoking the
    key is how it ends) and `expires_at` is at most an access token's lifetime away.
    """

    user_id: uuid.UUID
    role: Role
    jti: str
    expires_at: datetime
    api_key: KeyIdentity | None = None


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
    security: Security = field(default_factory=ephemeral_security)
    mailer: Mailer | None = None  # None: the outbox table of `database`
    # The SBP policy rate (PSX_SBP_POLICY_RATE) as an annual fraction: risk's default rate.
    risk_free_rate: float = 0.105
    reports: Reports = field(default_factory=ephemeral_reports)
    # SEARCH_URL's backend (db.search.make_search_backend); None: PostgreSQL on database.read.
    search: SearchBackend | None = None


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
    user: Principal | None = None
    auth_error: DomainError | None = None
    client: Client = field(default_factory=Client)
    cache: CacheScope = field(default_factory=CacheScope)
    connection_params: Any = None  # a WebSocket's connection_init payload
    streams: int = 0  # live subscriptions open on this (WebSocket) context
    # The operation's cost (schema/budget.py OperationCost): set before execution, its actual
    # cost after; read by the access log.
    cost: Any = None


def make_context(
    services: Services,
    request: Any = None,
    response: Any = None,
    *,
    user: Principal | None = None,
    auth_error: DomainError | None = None,
    client: Client | None = None,
) -> Context:
    """A fresh context with loaders of its own (loaders never outlive a request)."""
    scope = CacheScope()
    return Context(
        services=services,
        loaders=make_loaders(services, scope.quote_versions),
        request=request,
        response=response,
        user=user,
        auth_error=auth_error,
        client=client or Client(),
        cache=scope,
    )
