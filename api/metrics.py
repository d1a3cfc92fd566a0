"""/metrics in the Prometheus text format, on prometheus-client with a registry per app.

Two kinds of families: those recorded as things happen (HTTP requests, GraphQL operations,
errors, resolver timings, DataLoader batch sizes, WebSocket connections, users seen) and those
read at scrape time from the counters the parts keep anyway (the hub's `psx_hub_*`, the
ingester's `psx_ingest_*`, the response cache, the quote store's fail-opens, the rate limiter,
the database pools, the feed's lag). A registry per app keeps tests' apps apart.

Label values that come from clients (operation and client names) are bounded: past
`MAX_LABEL_VALUES` distinct values a family records `other`, so a stranger cannot grow the
series without limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from schema.observability import OperationReport

MAX_LABEL_VALUES = 200
DAY = 86_400.0
WEEK = 7 * DAY
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500)


class _Bounded:
    """Client-chosen label values, at most `limit` distinct ones (then `other`)."""

    def __init__(self, limit: int = MAX_LABEL_VALUES) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def __call__(self, value: str | None, default: str = "unknown") -> str:
        value = (value or default)[:64]
        if value in self._seen:
            return value
        if len(self._seen) >= self.limit:
            return "other"
        self._seen.add(value)
        return value


@dataclass(slots=True)
class ActiveUsers:
    """When each user was last seen in this process, for daily and weekly active users."""

    last_seen: dict[str, float] = field(default_factory=dict)

    def seen(self, user_id: str, now: float) -> None:
        """Mark a user active now."""
        self.last_seen[user_id] = now

    def counts(self, now: float) -> tuple[int, int]:
        """(daily, weekly) active users; forgets users not seen for a week."""
        stale = [u for u, t in self.last_seen.items() if now - t > WEEK]
        for u in stale:
            del self.last_seen[u]
        daily = sum(1 for t in self.last_seen.values() if now - t <= DAY)
        return daily, len(self.last_seen)


class Metrics:
    """The families of one app and the hooks that feed them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._operation_names = _Bounded()
        self._clients = _Bounded()
        self._fields = _Bounded()
        self.active_users = ActiveUsers()
        self._children: dict[tuple[str, str, str, str], tuple[Any, Any]] = {}
        self.http_requests = Counter(
            "psx_http_requests", "HTTP requests by route and status.", ["route", "status"],
            registry=r,
        )  # fmt: skip
        self.http_duration = Histogram(
            "psx_http_request_duration_seconds", "HTTP request latency by route.", ["route"],
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.operations = Counter(
            "psx_graphql_operations",
            "GraphQL operations by name, type, client and outcome (ok or error).",
            ["operation", "type", "client", "outcome"],
            registry=r,
        )
        self.errors = Counter(
            "psx_graphql_errors", "GraphQL errors by operation, type and code.",
            ["operation", "type", "code"], registry=r,
        )  # fmt: skip
        self.operation_duration = Histogram(
            "psx_graphql_operation_duration_seconds", "GraphQL operation latency.",
            ["operation", "type"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.resolver_duration = Histogram(
            "psx_graphql_resolver_duration_seconds",
            "The slowest fields' resolver time, in sampled operations.",
            ["field"], buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.batch_size = Histogram(
            "psx_dataloader_batch_size", "Keys per DataLoader batch.", ["loader"],
            buckets=BATCH_BUCKETS, registry=r,
        )  # fmt: skip
        self.websockets = Gauge(
            "psx_websocket_connections", "Open WebSocket connections.", registry=r
        )
        self.subscriptions_started = Counter(
            "psx_subscriptions_started", "Subscriptions started, by root field (channel kind).",
            ["field"], registry=r,
        )  # fmt: skip

    def operation(self, report: OperationReport) -> None:
        """Record one GraphQL operation (schema/observability.py calls this)."""
        name = self._operation_names(report.name)
        client = self._clients(report.client, "none")
        outcome = "error" if report.error_codes else "ok"
        key = (name, report.type, client, outcome)
        children = self._children.get(key)
        if children is None:
            # `labels()` costs more than the update: keep the children of each combination.
            children = (
                self.operations.labels(*key),
                self.operation_duration.labels(name, report.type),
            )
            if len(self._children) < 4096:
                self._children[key] = children
        children[0].inc()
        children[1].observe(report.duration)
        for code in report.error_codes:
            self.errors.labels(name, report.type, code[:32]).inc()
        for field_name, seconds in report.resolver_timings:
            self.resolver_duration.labels(self._fields(field_name)).observe(seconds)
        for root in report.root_fields:
            self.subscriptions_started.labels(self._fields(root)).inc()
        if report.user_id is not None:
            self.active_users.seen(report.user_id, time.monotonic())

    def batch(self, loader: str, size: int) -> None:
        """Record one DataLoader batch (resolvers/loaders.py calls this)."""
        self.batch_size.labels(loader).observe(size)

    def watch(self, app_state: Any) -> None:
        """Read the parts' own counters from the app's state at each scrape."""
        self.registry.register(_StateCollector(app_state, self))

    def render(self) -> bytes:
        """The text exposition of every family."""
        return generate_latest(self.registry)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class _StateCollector(Collector):
    """Families read from the app's services at scrape time."""

    def __init__(self, state: Any, metrics: Metrics) -> None:
        self.state = state
        self.metrics = metrics

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: the families depend on what the app runs."""
        return []

    def collect(self) -> Iterator[Metric]:
        """Every family the app's parts can tell."""
        services = getattr(self.state, "services", None)
        live = getattr(self.state, "live", None)
        hub = getattr(services, "hub", None) or getattr(live, "hub", None)
        if hub is not None:
            yield from _hub(hub)
        ingester = getattr(live, "ingester", None)
        if ingester is not None:
            yield from _ingest(ingester, live)
        cache = getattr(self.state, "response_cache", None)
        if cache is not None:
            yield from _response_cache(cache)
        limiter = getattr(self.state, "rate_limiter", None)
        stats = getattr(limiter, "stats", None)
        if stats is not None:
            rejections = CounterMetricFamily(
                "psx_rate_limit_rejections", "Operations throttled, by tier.", labels=["tier"]
            )
            for tier, n in sorted(getattr(stats, "rejections", {}).items()):
                rejections.add_metric([str(tier)], n)
            yield rejections
            yield _counter(
                "psx_rate_limit_store_errors",
                "Rate-limit store failures (the request went through).",
                getattr(stats, "errors", 0),
            )
        database = getattr(services, "database", None)
        if database is not None:
            yield from _pools(database)
        fail_open = CounterMetricFamily(
            "psx_redis_fail_open",
            "Redis reads abandoned (error or over the timeout) and answered without Redis.",
            labels=["store"],
        )
        persisted = getattr(self.state, "persisted", None)
        for store, source in (
            ("quotes", getattr(services, "quotes", None)),
            ("apq", getattr(persisted, "store", None)),
        ):
            n = getattr(source, "fail_opens", None)
            if isinstance(n, int):
                fail_open.add_metric([store], n)
        yield fail_open
        daily, weekly = self.metrics.active_users.counts(time.monotonic())
        users = GaugeMetricFamily(
            "psx_active_users", "Signed-in users seen by this process.", labels=["window"]
        )
        users.add_metric(["day"], daily)
        users.add_metric(["week"], weekly)
        yield users


def _hub(hub: Any) -> Iterator[Metric]:
    stats = hub.stats
    yield _gauge("psx_hub_subscribers", "Live subscriptions (mailboxes).", hub.subscribers)
    yield _counter("psx_hub_messages_received", "Messages from upstream.", stats.received)
    yield _counter("psx_hub_messages_delivered", "Messages handed over.", stats.delivered)
    yield _counter("psx_hub_messages_conflated", "Messages dropped, latest wins.", stats.conflated)
    yield _counter("psx_hub_resyncs", "Resyncs after reconnecting upstream.", stats.resyncs)
    yield _counter("psx_hub_stuck_disconnects", "Subscribers told to go.", stats.stuck_disconnects)
    yield _counter("psx_hub_publish_errors", "Failed publishes.", stats.publish_errors)
    # The hub keeps no per-channel counter of its own; its mailboxes tell the channels.
    boxes: dict[str, Any] = getattr(hub, "_mailboxes", {})
    by_kind: dict[str, int] = {}
    for channel, subscribers in list(boxes.items()):
        kind = channel.split(":", 1)[0]
        by_kind[kind] = by_kind.get(kind, 0) + len(subscribers)
    channels = GaugeMetricFamily(
        "psx_subscriptions", "Local subscriptions by channel kind.", labels=["channel"]
    )
    for kind, n in sorted(by_kind.items()):
        channels.add_metric([kind], n)
    yield channels


def _ingest(ingester: Any, live: Any) -> Iterator[Metric]:
    s = ingester.stats
    ticks = CounterMetricFamily("psx_ingest_ticks", "Ticks by result.", labels=["result", "reason"])
    ticks.add_metric(["accepted", ""], s.accepted)
    for reason, n in sorted(s.rejected.items()):
        ticks.add_metric(["rejected", str(getattr(reason, "value", reason))], n)
    yield ticks
    yield _counter("psx_ingest_batches", "Tick batches.", s.batches)
    yield _counter("psx_ingest_bars_flushed", "1-minute bars written.", s.flushed_bars)
    yield _counter("psx_ingest_flush_errors", "Failed bar flushes.", s.flush_errors)
    yield _counter("psx_ingest_halts", "Market halts.", s.halts)
    states = getattr(ingester, "states", {})
    if states:
        newest = max(q.updated_at for q in states.values())
        lag = (live.clock() - newest).total_seconds()
        yield _gauge(
            "psx_feed_lag_seconds",
            "The feed's clock minus its newest accepted trade (by the feed's own time).",
            max(lag, 0.0),
        )
    engine = getattr(getattr(ingester, "_on_trades", None), "__self__", None)
    fired = getattr(engine, "fired", None)
    if isinstance(fired, int):
        yield _counter("psx_alerts_fired", "Price alerts fired.", fired)


def _response_cache(cache: Any) -> Iterator[Metric]:
    hits, misses = int(cache.hits), int(cache.misses)
    yield _counter("psx_response_cache_hits", "Answers served from the cache.", hits)
    yield _counter("psx_response_cache_misses", "Cacheable requests executed.", misses)
    yield _gauge(
        "psx_response_cache_hit_ratio",
        "Hits over lookups since start (0 before any).",
        hits / (hits + misses) if hits + misses else 0.0,
    )


def _pools(database: Any) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "psx_db_pool_connections", "Database pool connections by role and state.",
        labels=["role", "state"],
    )  # fmt: skip
    engines = {"primary": database.primary, "read": database.read}
    if engines["read"] is engines["primary"]:
        del engines["read"]
    for role, engine in engines.items():
        pool = engine.pool
        for state in ("size", "checkedout", "overflow", "checkedin"):
            method = getattr(pool, state, None)
            if callable(method):
                family.add_metric([role, state], float(method()))
    yield family
