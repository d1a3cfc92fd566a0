"""Shared fixtures: a real PostgreSQL database seeded once per run, the app over ASGI."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Environment, Settings
from db.cache import MemoryQuoteStore, QuoteStore
from db.engine import Database, make_engine
from db.migrate import migrate
from db.quotes import prime_quotes
from db.reference import RangeCache, ReferenceCache
from db.seed import seed_demo
from domain.markets.sessions import PKT
from resolvers.context import Services

ADMIN_URL = os.environ.get("TEST_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
# The demo universe ends on Thursday 19 Nov 2026; the tests' clock stands in that session.
DEMO_END = date(2026, 11, 19)
NOW = datetime(2026, 11, 19, 12, 0, tzinfo=PKT)


async def fresh_database(name: str) -> str:
    """Drop and create a database; return its asyncpg URL."""
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    """A migrated database holding a small demo data set (2 years, 5 minute sessions)."""
    url = await fresh_database(f"psx_test_{os.getpid()}")
    eng = make_engine(url)
    await migrate(eng)
    await seed_demo(eng, seed=7, end=DEMO_END, years=2, minute_sessions=5)
    yield eng
    await eng.dispose()


class CountingQuoteStore(MemoryQuoteStore):
    """The in-process store, counting batched reads (one per loader batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get_many(self, symbols: Any) -> Any:
        self.reads += 1
        return await super().get_many(symbols)


def make_services(engine: AsyncEngine, quotes: QuoteStore) -> Services:
    """Services over the test database with the clock pinned to NOW."""
    return Services(
        database=Database(primary=engine, read=engine),
        quotes=quotes,
        reference=ReferenceCache(engine),
        ranges=RangeCache(engine, today=lambda: NOW.date()),
        max_candles=10_000,
        clock=lambda: NOW,
    )


@pytest.fixture(scope="session")
async def quote_store(engine: AsyncEngine) -> CountingQuoteStore:
    """Quotes primed from the last demo session."""
    store = CountingQuoteStore()
    await prime_quotes(engine, store)
    return store


@pytest.fixture(scope="session")
async def services(engine: AsyncEngine, quote_store: CountingQuoteStore) -> Services:
    """Services shared by the API tests."""
    return make_services(engine, quote_store)


@pytest.fixture(scope="session")
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in-process."""
    app = create_app(Settings(environment=Environment.TEST), services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


class GraphQLClient:
    """Posts GraphQL documents and returns the decoded response."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="session")
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    """Run a GraphQL document against the app."""
    return GraphQLClient(client)


pytest_plugins = ["tests.fixtures.redis_server"]
