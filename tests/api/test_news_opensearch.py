"""The running app answers searchNews through OpenSearch when SEARCH_URL names a cluster.

The app is built as the server builds it (create_app without services, then its lifespan)
on a database of this module's own, with SEARCH_URL pointing at the local server that
replays recorded OpenSearch 2.x answers (tests/fixtures/opensearch).
"""

from __future__ import annotations

import copy
import gc
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import StartOptions, create_app
from api.settings import Environment, Settings
from tests.conftest import fresh_database
from tests.fixtures.opensearch import ReplayServer, load

SEARCH = """
query S($q: String!, $filters: NewsSearchFilters, $first: Int) {
  searchNews(query: $q, filters: $filters, first: $first) {
    totalCount totalCountExact pageInfo { hasNextPage }
    nodes { score title article { id symbols } }
    facets { categories { value count } symbols { value count } }
  }
}
"""


class Cluster:
    """A cluster whose indices exist, answering the recorded `oil -dividend` search."""

    def __init__(self) -> None:
        (self.recorded,) = load("search_news_oil")
        self.searches: list[Any] = []
        self.other: list[str] = []
        self.url = ""

    def answer(self, method: str, path: str, _query: dict[str, str], body: Any) -> Any:
        """The answer to one request; what the test does not expect is kept in `other`."""
        if method == "GET" and path in ("/_alias/psx-news", "/_alias/psx-companies"):
            alias = path.rsplit("/", 1)[1]
            return 200, {f"{alias}-20261101080000000000": {"aliases": {alias: {}}}}
        if method == "POST" and path == "/psx-news/_search":
            self.searches.append(body)
            return self.recorded.status, self.recorded.response
        self.other.append(f"{method} {path}")
        return 400, {"error": "not expected", "status": 400}


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    cluster = Cluster()
    server = ReplayServer(responder=cluster.answer)
    await server.start()
    cluster.url = server.url
    yield cluster
    await server.stop()


@pytest.fixture
async def http(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    """The app over SEARCH_URL=opensearch://…, its lifespan running (no feed, no seeding)."""
    url = await fresh_database(f"psx_test_os_app_{os.getpid()}")
    settings = Settings(
        environment=Environment.TEST,
        database_url=url,
        search_url=cluster.url,
    )
    app = create_app(settings, options=StartOptions(seed_if_empty=False, feed="none"))
    threshold = gc.get_threshold()
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client
    finally:
        # The lifespan tunes the collector for a server process; give pytest its own back.
        gc.unfreeze()
        gc.set_threshold(*threshold)


def _without_origin(body: Any) -> Any:
    # The recency origin is the app's clock (now); the recorded body has the recording's.
    body = copy.deepcopy(body)
    body["query"]["function_score"]["functions"][1]["exp"]["published_at"]["origin"] = None
    return body


async def test_search_news_is_answered_by_opensearch(
    http: httpx.AsyncClient, cluster: Cluster
) -> None:
    # Given the app started with SEARCH_URL naming a cluster (its database holds no article)
    # When a client searches company news for `oil -dividend`, two a page
    response = await http.post(
        "/graphql",
        json={
            "query": SEARCH,
            "variables": {"q": "oil -dividend", "filters": {"categories": ["COMPANY"]}, "first": 2},
        },
    )
    # Then the answer is the cluster's: its hits, highlights, total and facets
    body = response.json()
    assert "errors" not in body
    s = body["data"]["searchNews"]
    assert [(n["article"]["id"], n["score"]) for n in s["nodes"]] == [
        ("1", 2.7172532),
        ("4", 1.9034119),
    ]
    assert s["nodes"][0]["title"] == "OGDC profit rises on higher <mark>oil</mark> output"
    assert (s["totalCount"], s["totalCountExact"], s["pageInfo"]["hasNextPage"]) == (3, True, True)
    assert s["facets"]["categories"] == [{"value": "COMPANY", "count": 3}]
    assert s["facets"]["symbols"][0] == {"value": "OGDC", "count": 3}
    # And the app sent the recorded request (the recency origin aside), and nothing unexpected
    assert len(cluster.searches) == 1
    assert _without_origin(cluster.searches[0]) == _without_origin(cluster.recorded.body)
    assert cluster.other == []
