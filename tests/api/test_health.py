"""Probes and Redis outages: readiness says degraded, market data keeps coming from PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Environment, Settings
from db.cache import RedisQuoteStore
from db.persisted import RedisApqStore
from db.quotes import DailyBarQuotes, prime_quotes
from resolvers.context import Services
from tests.fixtures.redis_server import RedisProcess

QUOTE = '{ quote(symbol: "OGDC") { symbol last prevClose instrument { name } } }'


def _client(services: Services) -> httpx.AsyncClient:
    app = create_app(Settings(environment=Environment.TEST), services=services)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def black_hole() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers (a hung Redis)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield port
    for w in held:
        w.close()
    server.close()
    await server.wait_closed()


async def test_healthz_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_reports_each_check(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["postgres"]["status"] == "ok"
    assert body["checks"]["quotes"]["status"] == "ok"
    assert body["checks"]["feed"] == {"status": "off"}


async def test_readiness_fails_first_while_draining(services: Services) -> None:
    app = create_app(Settings(environment=Environment.TEST), services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        app.state.draining = True  # what the lifespan's shutdown and GracefulServer set first
        response = await http.get("/readyz")
        live = await http.get("/healthz")
    assert (response.status_code, response.json()["status"]) == (503, "draining")
    assert live.status_code == 200


async def test_with_redis_stopped_readiness_is_degraded_and_quotes_come_from_postgres(
    engine: AsyncEngine, services: Services, redis_process: RedisProcess
) -> None:
    # Given quotes in Redis, then Redis stopped
    await redis_process.wait_ready()
    fallback = DailyBarQuotes(engine)
    store = RedisQuoteStore(Redis(port=redis_process.port), fallback=fallback)
    await prime_quotes(engine, store, force=True)
    async with _client(replace(services, quotes=store)) as http:
        up = (await http.post("/graphql", json={"query": QUOTE})).json()["data"]["quote"]
        assert (await http.get("/readyz")).json()["status"] == "ok"
        redis_process.stop()
        # When market data is asked for
        started = time.monotonic()
        answer = (await http.post("/graphql", json={"query": QUOTE})).json()
        elapsed = time.monotonic() - started
        ready = await http.get("/readyz")
        metrics = (await http.get("/metrics")).text
    await store.close()
    # Then it is served from PostgreSQL's last daily bar, and readiness says degraded
    assert "errors" not in answer
    assert answer["data"]["quote"] == up  # primed from the same daily bars
    assert store.fail_opens >= 1 and fallback.reads == 1
    assert elapsed < 5  # a sanity bound, not a timing test
    body = ready.json()
    assert (ready.status_code, body["status"]) == (200, "degraded")
    assert body["checks"]["postgres"]["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "error"
    assert 'psx_redis_fail_open_total{store="quotes"}' in metrics


async def test_a_hung_redis_read_is_abandoned_and_answered_from_postgres(
    engine: AsyncEngine, services: Services, black_hole: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a Redis that accepts connections and never answers
    fallback = DailyBarQuotes(engine)
    store = RedisQuoteStore(Redis(port=black_hole), fallback=fallback)
    async with _client(replace(services, quotes=store)) as http:
        answer = (await http.post("/graphql", json={"query": QUOTE})).json()
        again = (await http.post("/graphql", json={"query": QUOTE})).json()
        ready = await http.get("/readyz")
    # Then the read was abandoned (counted) and the quote came from the daily bars;
    # the second request skipped Redis altogether (the store waits a second before retrying).
    assert answer["data"]["quote"]["symbol"] == "OGDC"
    assert answer["data"]["quote"]["last"] > 0
    assert again == answer
    # One read timed out; the later ones (the response cache's version check included) skipped it.
    timeouts = [r for r in caplog.records if "quote store read failed: TimeoutError" in r.message]
    assert len(timeouts) == 1
    assert store.fail_opens >= 3
    assert ready.json()["checks"]["redis"]["status"] == "error"
    assert ready.json()["status"] == "degraded"


async def test_the_apq_store_fails_open_on_a_hung_redis(black_hole: int) -> None:
    store = RedisApqStore(Redis(port=black_hole))
    assert await store.get("0" * 64) is None
    await store.put("0" * 64, "{ a }")  # skipped while Redis is held to be down
    assert await store.get("0" * 64) is None
    assert store.fail_opens == 2
    await store.close()
