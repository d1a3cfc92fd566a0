"""`psx-analytics reindex`: the command end to end, against a local server answering as
OpenSearch 2.x does (the exact bodies are proven by test_search_opensearch_outbox.py)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import main
from db.engine import make_engine
from db.migrate import migrate
from db.search.opensearch import OpenSearchBackend
from tests.conftest import fresh_database
from tests.db.test_search_opensearch_outbox import ARTICLES, COMPANIES, add_articles
from tests.fixtures.opensearch import ReplayServer


@pytest.fixture(scope="module")
async def os_engine() -> AsyncIterator[AsyncEngine]:
    """A database of this module's own (its tests truncate the news tables), two companies."""
    eng = make_engine(await fresh_database(f"psx_test_os_cli_{os.getpid()}"))
    await migrate(eng)
    async with eng.begin() as conn:
        for statement in COMPANIES:
            await conn.execute(text(statement))
    yield eng
    await eng.dispose()


SHARDS = {"total": 2, "successful": 1, "failed": 0}


def answer(method: str, path: str, _query: dict[str, str], body: Any) -> tuple[int, Any]:
    """What a cluster with no aliases yet answers."""
    if method == "GET" and path.startswith("/_alias/"):
        alias = path.rsplit("/", 1)[1]
        return 404, {"error": f"alias [{alias}] missing", "status": 404}
    if path == "/_bulk":
        items = [
            {
                "index": {
                    **line["index"],
                    "_version": 1,
                    "result": "created",
                    "_shards": SHARDS,
                    "_seq_no": n,
                    "_primary_term": 1,
                    "status": 201,
                }
            }
            for n, line in enumerate(body[::2])
        ]
        return 200, {"took": 5, "errors": False, "items": items}
    if path.endswith("/_refresh"):
        return 200, {"_shards": {"total": 4, "successful": 2, "failed": 0}}
    if method == "PUT" and re.fullmatch(r"/psx-(news|companies)-\d{20}", path):
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": path[1:]}
    return 200, {"acknowledged": True}


@pytest.fixture
async def cluster() -> AsyncIterator[ReplayServer]:
    server = ReplayServer(responder=answer)
    await server.start()
    yield server
    await server.stop()


async def test_reindex_builds_the_indices_from_the_database(
    os_engine: AsyncEngine, cluster: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two stored articles and SEARCH_URL naming the cluster
    await add_articles(os_engine, ARTICLES[:2])
    monkeypatch.setenv("DATABASE_URL", os_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SEARCH_URL", cluster.url)
    # When the command runs (in a thread: it runs its own event loop)
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(main, ["reindex"])
    # Then it succeeded, writing both articles and both companies, then moving the aliases
    assert done.value.code == 0
    calls = [(m, re.sub(r"\d{20}", "<stamp>", p)) for m, p, _ in cluster.seen]
    assert calls == [
        ("PUT", "/_index_template/psx-news"),
        ("PUT", "/_index_template/psx-companies"),
        ("GET", "/_alias/psx-news"),
        ("GET", "/_alias/psx-companies"),
        ("PUT", "/psx-news-<stamp>"),
        ("PUT", "/psx-companies-<stamp>"),
        ("POST", "/_bulk"),
        ("POST", "/_bulk"),
        ("POST", "/psx-news-<stamp>,psx-companies-<stamp>/_refresh"),
        ("POST", "/_aliases"),
    ]
    bulks = [body for m, p, body in cluster.seen if p == "/_bulk"]
    assert [line["index"]["_id"] for line in bulks[0][::2]] == ["1", "2"]
    assert [line["index"]["_id"] for line in bulks[1][::2]] == ["LUCK", "OGDC"]
    async with os_engine.begin() as conn:
        await conn.execute(text("TRUNCATE news_articles, search_outbox RESTART IDENTITY CASCADE"))


def test_reindex_without_an_opensearch_url_says_there_is_nothing_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SEARCH_URL", raising=False)
    with pytest.raises(SystemExit) as done:
        main(["reindex"])
    assert done.value.code == 2


async def test_start_builds_the_indices_then_drains_in_the_background(
    os_engine: AsyncEngine, cluster: ReplayServer
) -> None:
    # Given an article waiting in the outbox and a cluster with no indices yet
    await add_articles(os_engine, ARTICLES[:1])
    backend = OpenSearchBackend.from_url(cluster.url, os_engine)
    # When the backend starts (as the app's lifespan starts it)
    await backend.start()
    try:
        for _ in range(500):
            async with os_engine.connect() as conn:
                if not await conn.scalar(text("SELECT count(*) FROM search_outbox")):
                    break
            await asyncio.sleep(0.01)
    finally:
        await backend.close()
    # Then the indices were built (the article with them) and the outbox drained to the alias
    paths = [p for _, p, _ in cluster.seen]
    assert "/_aliases" in paths
    assert paths[-1] == "/_bulk"
    assert cluster.seen[-1][2][0]["index"]["_index"] == "psx-news"
    async with os_engine.begin() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM search_outbox")) == 0
        await conn.execute(text("TRUNCATE news_articles, search_outbox RESTART IDENTITY CASCADE"))
