"""The Starlette application: start-up and shutdown of pools, routes, GraphQL."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from api.edge import Edge
from api.graphiql import ASSETS_PATH, assets_app
from api.graphql import GraphQLApp
from api.health import healthz, readyz
from api.keys import keyset_from_settings, reports_key_from_settings, totp_key_from_settings
from api.live import start_live
from api.metrics import Metrics
from api.observability import ObservabilityMiddleware, OperationLog
from api.persisted import documents_from_settings
from api.ratelimit import make_rate_limiter, parse_tiers
from api.reports import download_report, report_store_from_settings
from api.response_cache import ResponseCache
from api.retention import RetentionSchedule
from api.settings import Settings
from api.tracing import tracing_from_settings
from db.cache import make_quote_store
from db.engine import make_database
from db.mail import OutboxMailer
from db.migrate import migrate
from db.quotes import DailyBarQuotes, prime_quotes
from db.reference import RangeCache, ReferenceCache
from db.search import uses_outbox
from db.security import make_security_stores
from db.seed import has_market_data, seed_demo
from domain.markets.charts import trading_day_of
from domain.markets.sessions import PKT
from resolvers import backtests
from resolvers.context import Reports, Services, ephemeral_security, utc_now
from schema import build_schema
from subscriptions.hub import Hub
from subscriptions.live import make_backend, quote_resync

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StartOptions:
    """What the server does at start-up besides opening pools."""

    migrate: bool = True
    seed_if_empty: bool = True
    feed: str = "none"


def database_url(settings: Settings) -> str:
    """The configured URL, or an embedded server's when none is configured."""
    if settings.database_url:
        return settings.database_url
    from db.embedded import start_embedded

    return start_embedded(settings.data_dir)


def last_closed_day(now: datetime) -> date:
    """The last calendar day whose session is over: the demo never holds a bar from the future."""
    local = now.astimezone(PKT)
    return local.date() if local.time() >= time(17, 0) else local.date() - timedelta(days=1)


async def build_services(settings: Settings, options: StartOptions) -> Services:
    """Open pools, migrate, seed when empty, and fill the quote store."""
    url = database_url(settings)
    database = make_database(
        url,
        settings.database_read_url,
        pool_size=settings.db_pool_size,
        statement_timeout=settings.statement_timeout,
        read_your_writes=settings.read_your_writes_seconds,
    )
    if options.migrate:
        await migrate(database.primary)
    if options.seed_if_empty and not await has_market_data(database.primary):
        log.info("no market data: seeding the demo data set (seed %d)", settings.demo_seed)
        await seed_demo(database.primary, seed=settings.demo_seed, end=last_closed_day(utc_now()))
    # While Redis does not answer, quote reads come from PostgreSQL's last daily bars.
    quotes = make_quote_store(settings.redis_url, fallback=DailyBarQuotes(database.read))
    await prime_quotes(database.primary, quotes)
    hub = Hub(
        make_backend(settings.redis_url),
        resync=quote_resync(quotes),
        stuck_after=settings.ws_stuck_after,
    )
    clock: Callable[[], datetime] = utc_now
    keys = keyset_from_settings(settings)
    if keys is None and settings.production:
        raise RuntimeError("production needs PSX_JWT_KEYS or PSX_JWT_SECRET")
    if keys is None:
        log.warning("no JWT key configured: using a random one; tokens end with this process")
    denylist, limiter = make_security_stores(settings.redis_url)
    security = replace(
        ephemeral_security(),
        denylist=denylist,
        limiter=limiter,
        totp_key=await asyncio.to_thread(totp_key_from_settings, settings),
    )
    if keys is not None:
        security = replace(security, keys=keys)
    return Services(
        database=database,
        quotes=quotes,
        reference=ReferenceCache(database.read),
        ranges=RangeCache(database.read, today=lambda: trading_day_of(clock())),
        max_candles=settings.max_candles,
        hub=hub,
        security=security,
        mailer=OutboxMailer(database.primary, settings.smtp_url),
        risk_free_rate=settings.sbp_policy_rate / 100,
        reports=Reports(
            report_store_from_settings(settings),
            reports_key_from_settings(settings, security.totp_key),
            timedelta(seconds=settings.reports_ttl),
        ),
    )


async def metrics(request: Request) -> Response:
    """Prometheus text: every family of this app (api/metrics.py)."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)


async def root(_request: Request) -> RedirectResponse:
    """The API lives at /graphql."""
    return RedirectResponse("/graphql")


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    options: StartOptions | None = None,
) -> Starlette:
    """The ASGI application. Pass `services` to reuse pools opened elsewhere (tests)."""
    settings = settings or Settings.from_env()
    options = options or StartOptions(seed_if_empty=settings.auto_seed, feed=settings.feed)
    limiter = (
        make_rate_limiter(
            settings.redis_url,
            parse_tiers(settings.rate_limit_tiers),
            lease=settings.rate_limit_lease,
        )
        if settings.rate_limited
        else None
    )
    observed = Metrics()
    tracing = tracing_from_settings(settings)  # None unless OTEL_EXPORTER_OTLP_ENDPOINT is set
    schema = build_schema(
        production=settings.production,
        introspection=settings.introspection,
        max_cost=settings.max_query_cost,
        budget=limiter,
        timeout=settings.execution_timeout,
        observer=OperationLog(observed, tracing),
        resolver_sample_rate=settings.resolver_sample_rate,
    )
    if settings.batch_max > 0:
        schema.config.batching_config = {"max_operations": settings.batch_max}
    graphql = GraphQLApp(schema, graphiql=settings.graphiql, settings=settings)
    documents = documents_from_settings(settings)
    response_cache = ResponseCache(graphql)
    edge = Edge(
        response_cache,
        documents=documents,
        max_body_bytes=settings.max_body_bytes,
        batch_max=settings.batch_max,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = services is None
        app.state.draining = False
        if owned:
            built = await build_services(settings, options)
            app.state.services, app.state.live = await start_live(
                settings, built, options.feed, replay_file=settings.replay_file
            )
            # What start-up made lives as long as the process: keep it out of the collector's
            # sweeps, and collect less often, so a busy fan-out is not paused by full GCs.
            gc.collect()
            gc.freeze()
            gc.set_threshold(20_000, 20, 50)
        retention = None
        if owned and settings.retention_every_hours > 0:
            retention = RetentionSchedule(
                app.state.services.database.primary,
                settings.retention,
                every_hours=settings.retention_every_hours,
                clock=app.state.services.clock,
                search_outbox=uses_outbox(settings.search_url),
            )
            retention.start()
        search_outbox = None
        if owned and settings.search_url and settings.search_url.startswith("opensearch"):
            from db.search.opensearch import OpenSearchBackend  # opensearch-py only when used

            # Builds the indices on a new cluster, drains the search outbox until stopped, and
            # answers the searches (searchNews, searchCompanies).
            search_outbox = OpenSearchBackend.from_url(
                settings.search_url,
                app.state.services.database.primary,
                clock=app.state.services.clock,
            )
            await search_outbox.start()
            app.state.services = replace(app.state.services, search=search_outbox)
        try:
            yield
        finally:
            app.state.draining = True  # readiness fails first
            if retention is not None:
                await retention.stop()
            if search_outbox is not None:
                await search_outbox.close()
            if owned:
                await app.state.live.stop()
                await app.state.services.quotes.close()
                await app.state.services.database.dispose()
                # The backtest worker process ends with the app, not only at interpreter exit.
                await asyncio.to_thread(backtests.shutdown_pool)
            await documents.store.close()
            if limiter is not None:
                await limiter.close()

    app = Starlette(
        routes=[
            Route("/", root),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/graphql", edge, methods=["GET", "POST"]),
            Route("/reports/{key:path}", download_report, methods=["GET"]),
            WebSocketRoute("/graphql", graphql),
            *([Mount(ASSETS_PATH, assets_app())] if settings.graphiql else []),
        ],
        lifespan=lifespan,
        middleware=[Middleware(ObservabilityMiddleware, metrics=observed, tracing=tracing)],
    )
    app.state.persisted = documents
    app.state.metrics = observed
    app.state.tracing = tracing
    app.state.response_cache = response_cache  # its hits and misses for /metrics
    observed.watch(app.state)
    app.state.rate_limiter = limiter  # its `stats` (throttled operations by tier) for /metrics
    if services is not None:
        app.state.services = services
    return app
