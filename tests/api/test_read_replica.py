"""A read replica (DATABASE_READ_URL): queries read it; mutations and a writer's next reads don't.

The "replica" is a second migrated database with no data, so where a read went shows in the
answer: the demo news and a user's own watchlists exist on the primary only.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Environment, Settings
from db.engine import Database, RecentWriters, make_engine
from db.migrate import migrate
from resolvers.context import Services, ephemeral_security
from tests.api.conftest import PASSWORD, REGISTER, unique_email
from tests.conftest import fresh_database

WINDOW = 0.5  # seconds a writer's queries read the primary
NEWS = "{ news(first: 3) { edges { node { title } } } }"
WATCHLISTS = "{ watchlists { name } }"
CREATE = """
mutation C($name: String!) {
  createWatchlist(input: {name: $name}) { watchlist { name } errors { code } }
}
"""


@pytest.fixture(scope="module")
async def replica() -> AsyncIterator[AsyncEngine]:
    engine = make_engine(await fresh_database(f"psx_test_replica_{os.getpid()}"))
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def http(services: Services, replica: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    database = Database(
        primary=services.database.primary, read=replica, writers=RecentWriters(WINDOW)
    )
    own = replace(services, database=database, security=ephemeral_security())
    app = create_app(Settings(environment=Environment.TEST), services=own)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _post(
    http: httpx.AsyncClient,
    query: str,
    token: str | None = None,
    variables: dict[str, Any] | None = None,
) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    return response.json()


async def test_queries_read_the_replica(http: httpx.AsyncClient, services: Services) -> None:
    body = await _post(http, NEWS)
    assert body["data"]["news"]["edges"] == []  # the replica holds no news
    primary = create_app(Settings(environment=Environment.TEST), services=services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=primary), base_url="http://test"
    ) as direct:
        assert len((await _post(direct, NEWS))["data"]["news"]["edges"]) == 3


async def test_a_writer_reads_the_primary_until_the_replica_has_caught_up(
    http: httpx.AsyncClient,
) -> None:
    registered = await _post(
        http,
        REGISTER,
        variables={"input": {"email": unique_email(), "password": PASSWORD, "displayName": "R"}},
    )
    token = registered["data"]["register"]["tokens"]["accessToken"]
    created = await _post(http, CREATE, token, {"name": "Banks"})
    assert created["data"]["createWatchlist"] == {"watchlist": {"name": "Banks"}, "errors": []}
    # Read-your-writes: the user's next queries read the primary, which has the watchlist.
    assert (await _post(http, WATCHLISTS, token))["data"]["watchlists"] == [{"name": "Banks"}]
    await asyncio.sleep(WINDOW + 0.1)
    # After the window, queries read the replica (empty here: a real one would have caught up).
    assert (await _post(http, WATCHLISTS, token))["data"]["watchlists"] == []


def test_recent_writers_are_forgotten_after_the_window() -> None:
    now = [100.0]
    writers = RecentWriters(5.0, clock=lambda: now[0])
    assert not writers.recent("u1")
    writers.wrote("u1")
    now[0] += 4.9
    assert writers.recent("u1") and not writers.recent("u2")
    now[0] += 0.2
    assert not writers.recent("u1")
