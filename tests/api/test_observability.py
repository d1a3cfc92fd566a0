"""Request ids, error extensions, the access log and /metrics, through the whole app."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest

from api.app import create_app
from api.logs import make_handler
from api.settings import Environment, Settings
from resolvers.context import Services

QUOTE = 'query OneQuote { quote(symbol: "OGDC") { symbol last instrument { name } } }'
UNKNOWN = 'query Unknown { quote(symbol: "NOPE") { symbol } }'


@pytest.fixture
async def http(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An app of the test's own, so its metrics start at zero."""
    app = create_app(Settings(environment=Environment.TEST), services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
def access_lines() -> Iterator[io.StringIO]:
    """The access log, as JSON lines through the production handler."""
    stream = io.StringIO()
    handler = make_handler("json", stream)
    logger = logging.getLogger("psx.access")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


async def test_a_sane_request_id_is_returned_as_sent(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": QUOTE}, headers={"x-request-id": "edge-1234abcd"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "edge-1234abcd"


async def test_an_insane_or_missing_request_id_is_replaced_by_a_fresh_one(
    http: httpx.AsyncClient,
) -> None:
    bad = await http.post(
        "/graphql", json={"query": QUOTE}, headers={"x-request-id": "x y<script>"}
    )
    none = await http.get("/healthz")
    ids = [bad.headers["x-request-id"], none.headers["x-request-id"]]
    assert all(len(i) == 32 and i.isalnum() for i in ids)
    assert ids[0] != ids[1]


async def test_errors_carry_the_request_id_in_their_extensions(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": UNKNOWN}, headers={"x-request-id": "req-unknown-01"}
    )
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNKNOWN_SYMBOL"
    assert error["extensions"]["requestId"] == "req-unknown-01"
    invalid = await http.post("/graphql", json={"query": "{ nope }"})
    [error] = invalid.json()["errors"]
    assert error["extensions"]["requestId"] == invalid.headers["x-request-id"]


async def test_each_operation_writes_one_access_line(
    http: httpx.AsyncClient, access_lines: io.StringIO
) -> None:
    await http.post(
        "/graphql",
        json={"query": UNKNOWN},
        headers={"x-request-id": "req-access-01", "apollographql-client-name": "psx-web"},
    )
    [line] = [orjson.loads(x) for x in access_lines.getvalue().splitlines()]
    assert line["logger"] == "psx.access"
    assert line["requestId"] == "req-access-01"
    assert (line["operation"], line["operation_type"], line["status"], line["client"]) == (
        "Unknown",
        "query",
        "error",
        "psx-web",
    )
    assert line["error_codes"] == ["UNKNOWN_SYMBOL"]
    assert isinstance(line["duration_ms"], float)
    assert "cost" in line


def _samples(text: str) -> dict[str, float]:
    out = {}
    for row in text.splitlines():
        if row and not row.startswith("#"):
            name, _, value = row.rpartition(" ")
            out[name] = float(value)
    return out


async def test_metrics_expose_every_family_after_traffic(http: httpx.AsyncClient) -> None:
    headers = {"apollographql-client-name": "psx-mobile"}
    for _ in range(2):
        await http.post("/graphql", json={"query": QUOTE}, headers=headers)
    await http.post("/graphql", json={"query": UNKNOWN}, headers=headers)
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for family in (
        "psx_http_requests_total",
        "psx_http_request_duration_seconds",
        "psx_graphql_operations_total",
        "psx_graphql_errors_total",
        "psx_graphql_operation_duration_seconds",
        "psx_graphql_resolver_duration_seconds",
        "psx_dataloader_batch_size",
        "psx_websocket_connections",
        "psx_subscriptions_started_total",
        "psx_response_cache_hit_ratio",
        "psx_db_pool_connections",
        "psx_redis_fail_open_total",
        "psx_active_users",
    ):
        assert f"# TYPE {family.removesuffix('_total')}" in text, family
    samples = _samples(text)
    ok = 'psx_graphql_operations_total{client="psx-mobile",operation="OneQuote",outcome="ok",type="query"}'
    # The second OneQuote was answered by the response cache, without executing.
    assert samples[ok] == 1
    assert samples["psx_response_cache_hits_total"] == 1
    assert samples["psx_response_cache_hit_ratio"] == pytest.approx(1 / 3)
    err = 'psx_graphql_errors_total{code="UNKNOWN_SYMBOL",operation="Unknown",type="query"}'
    assert samples[err] == 1
    assert samples['psx_http_requests_total{route="/graphql",status="200"}'] == 3
    # OGDC's quote and its instrument: one batch of one key each.
    assert samples['psx_dataloader_batch_size_count{loader="quotes_by_symbol"}'] >= 1
    assert samples['psx_dataloader_batch_size_sum{loader="quotes_by_symbol"}'] >= 1


async def test_hub_and_ingest_counters_keep_their_names(services: Services) -> None:
    # Given an app whose services have no hub (the tests' own), the hub family is absent;
    # with one, its existing names are exposed unchanged.
    from dataclasses import replace

    from subscriptions.backends import MemoryBackend
    from subscriptions.hub import Hub

    hub = Hub(MemoryBackend())
    hub.stats.conflated = 3
    app = create_app(Settings(environment=Environment.TEST), services=replace(services, hub=hub))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        samples = _samples((await http.get("/metrics")).text)
    assert samples["psx_hub_messages_conflated_total"] == 3
    assert samples["psx_hub_subscribers"] == 0


async def test_resolver_timings_name_the_slowest_fields(services: Services) -> None:
    settings = Settings(environment=Environment.TEST, resolver_sample_rate=1.0)
    app = create_app(settings, services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        await http.post("/graphql", json={"query": QUOTE})
        samples = _samples((await http.get("/metrics")).text)
    timed = {k for k in samples if k.startswith("psx_graphql_resolver_duration_seconds_count")}
    assert 'psx_graphql_resolver_duration_seconds_count{field="Query.quote"}' in timed
    assert len(timed) <= 5


def test_tracing_is_off_and_the_sdk_never_imported_without_an_endpoint() -> None:
    # redis-py imports the OpenTelemetry API where installed; the SDK's tracer is ours alone.
    code = (
        "import sys; from api.app import create_app; from api.settings import Settings;"
        "app = create_app(Settings());"
        "print(app.state.tracing, any(m.startswith('opentelemetry.sdk.trace') for m in sys.modules))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["None", "False"]


async def test_with_an_endpoint_requests_and_operations_are_spans(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporters = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")
    InMemorySpanExporter = exporters.InMemorySpanExporter  # noqa: N806 - a class

    memory = InMemorySpanExporter()
    monkeypatch.setattr("api.tracing.otlp_exporter", lambda _endpoint: memory)
    settings = Settings(environment=Environment.TEST, otel_endpoint="http://collector:4318")
    app = create_app(settings, services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        await http.post(
            "/graphql", json={"query": UNKNOWN}, headers={"x-request-id": "req-trace-0001"}
        )
    app.state.tracing.provider.force_flush()
    spans = {s.name: s for s in memory.get_finished_spans()}
    assert set(spans) == {"POST /graphql", "graphql Unknown"}
    server, operation = spans["POST /graphql"], spans["graphql Unknown"]
    assert operation.parent is not None
    assert operation.parent.span_id == server.context.span_id
    assert server.attributes["psx.request_id"] == "req-trace-0001"
    assert server.attributes["http.response.status_code"] == 200
    assert operation.attributes["graphql.errors"] == 1
    app.state.tracing.provider.shutdown()


async def test_open_websockets_are_counted_while_they_last() -> None:
    import asyncio

    from api.metrics import Metrics
    from api.observability import ObservabilityMiddleware

    metrics = Metrics()
    opened, close = asyncio.Event(), asyncio.Event()

    async def socket_app(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"  # as ASGI servers send first
        await send({"type": "websocket.accept"})
        opened.set()
        await close.wait()

    app = ObservabilityMiddleware(socket_app, metrics)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send(message: dict[str, Any]) -> None:
        pass

    inbox.put_nowait({"type": "websocket.connect"})
    task = asyncio.create_task(app({"type": "websocket", "headers": []}, inbox.get, send))
    await opened.wait()
    during = _samples(metrics.render().decode())["psx_websocket_connections"]
    close.set()
    await task
    after = _samples(metrics.render().decode())["psx_websocket_connections"]
    assert (during, after) == (1, 0)


async def test_throttled_operations_are_counted_and_the_access_log_carries_the_cost(
    services: Services, access_lines: io.StringIO
) -> None:
    settings = Settings(
        environment=Environment.TEST, rate_limit=True, rate_limit_tiers="USER=25:0.01"
    )
    app = create_app(settings, services=services)
    transport = httpx.ASGITransport(app=app, client=("10.9.9.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        five = "query Five { instruments(first: 5) { edges { node { symbol } } } n1: __typename }"
        ten = "query Ten { instruments(first: 10) { edges { node { symbol } } } n2: __typename }"
        assert (await http.post("/graphql", json={"query": five})).status_code == 200
        assert (await http.post("/graphql", json={"query": ten})).status_code == 429
        samples = _samples((await http.get("/metrics")).text)
    assert samples['psx_rate_limit_rejections_total{tier="USER"}'] == 1
    lines = [orjson.loads(x) for x in access_lines.getvalue().splitlines()]
    assert [(x["operation"], x["status"], x["cost"]) for x in lines] == [
        ("Five", "ok", 11),
        ("Ten", "error", 21),
    ]
    assert lines[1]["error_codes"] == ["THROTTLED"]
