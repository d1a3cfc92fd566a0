"""The search outbox against recorded OpenSearch exchanges: each article indexed once, outages
included, and `reindex` behind an alias swap."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine
from db.migrate import migrate
from db.repos import news as news_repo
from db.search.opensearch import OpenSearchBackend
from db.search.opensearch_client import SearchUnavailableError
from db.search.opensearch_index import ensure_indices, reindex
from db.search.outbox import DrainResult, OutboxWorker, drain_once
from domain.news.articles import NewArticle, NewsCategory
from tests.conftest import fresh_database
from tests.fixtures.opensearch import ReplayServer, load

ARTICLES = [
    (
        "OGDC profit rises on higher oil output",
        "Exploration results lift earnings.",
        "Oil and Gas Development Company posted a higher profit.",
        "COMPANY",
        ["OGDC"],
        ["0820"],
        "2026-10-05T09:00:00+00:00",
    ),
    (
        "Cement despatches fall in October",
        "Local demand weak.",
        "Lucky Cement and DG Khan.",
        "SECTOR",
        ["LUCK", "DGKC"],
        ["0810"],
        "2026-11-02T06:30:00+00:00",
    ),
    (
        "SBP holds the policy rate",
        "Monetary policy unchanged.",
        "The State Bank kept rates.",
        "ECONOMIC",
        [],
        [],
        "2026-11-10T12:00:00+00:00",
    ),
]

COMPANIES = [
    "INSERT INTO sectors VALUES ('0820', 'Oil & Gas Exploration Companies'), ('0804', 'Cement')",
    "INSERT INTO instruments (id, symbol, name, sector_code, shares_outstanding, free_float_pct)"
    " VALUES (1, 'OGDC', 'Oil & Gas Development Company Limited', '0820', 4300928400, 0.15),"
    " (2, 'LUCK', 'Lucky Cement Limited', '0804', 293000000, 0.4)",
    "INSERT INTO company_aliases (symbol, alias, kind) VALUES ('OGDC', 'OGDCL', 'ALIAS'),"
    " ('LUCK', 'Lucky', 'ALIAS'),"
    " ('LUCK', 'Lucky Cement Limited', 'NAME')",
]


@pytest.fixture(scope="module")
async def os_engine() -> AsyncIterator[AsyncEngine]:
    """A database of this module's own: no other test's outbox rows reach the replay server."""
    eng = make_engine(await fresh_database(f"psx_test_os_{os.getpid()}"))
    await migrate(eng)
    async with eng.begin() as conn:
        for statement in COMPANIES:
            await conn.execute(text(statement))
    yield eng
    await eng.dispose()


@pytest.fixture
async def replay() -> AsyncIterator[ReplayServer]:
    server = ReplayServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def backend(os_engine: AsyncEngine, replay: ReplayServer) -> AsyncIterator[OpenSearchBackend]:
    b = OpenSearchBackend.from_url(replay.url, os_engine)
    yield b
    await b.client.close()
    async with os_engine.begin() as conn:
        await conn.execute(text("TRUNCATE news_articles, search_outbox RESTART IDENTITY CASCADE"))


async def add_articles(engine: AsyncEngine, rows: list[tuple[Any, ...]]) -> list[int]:
    """Articles and their outbox rows committed together, as the news repository writes them."""
    ids = []
    async with engine.begin() as conn:
        for title, summary, body, category, symbols, sectors, published in rows:
            article_id = await conn.scalar(
                text(
                    "INSERT INTO news_articles (title, title_key, summary, body, category, symbols,"
                    " sectors, source, url, published_at, created_at)"
                    " VALUES (:t, lower(:t), :s, :b, :c, :sy, :se,"
                    " 'Business Recorder', 'https://example.pk/' || md5(:t),"
                    " :p, :p) RETURNING id"
                ),
                {
                    "t": title,
                    "s": summary,
                    "b": body,
                    "c": category,
                    "sy": symbols,
                    "se": sectors,
                    "p": datetime.fromisoformat(published),
                },
            )
            await conn.execute(
                text("INSERT INTO search_outbox (article_id, op) VALUES (:a, 'index')"),
                {"a": article_id},
            )
            ids.append(int(article_id))
    return ids


async def outbox(engine: AsyncEngine) -> list[tuple[int, int, str | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT article_id, attempts, last_error FROM search_outbox ORDER BY id")
        )
        return [(r.article_id, r.attempts, r.last_error) for r in rows]


def ids_of(ids: list[int]) -> dict[str, int]:
    return {f"a{i + 1}": a for i, a in enumerate(ids)}


async def test_each_article_is_indexed_once_even_across_an_outage(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given three committed articles while OpenSearch answers 503
    ids = await add_articles(os_engine, ARTICLES)
    replay.outage_status = 503
    # When the worker drains twice, then every row waits with its attempts counted
    assert await drain_once(os_engine, backend) == DrainResult(failed=3, unavailable=True)
    assert await drain_once(os_engine, backend) == DrainResult(failed=3, unavailable=True)
    assert [(a, n) for a, n, _ in await outbox(os_engine)] == [(i, 2) for i in ids]
    assert all(e.startswith("status 503") for _, _, e in await outbox(os_engine))
    # And while the connection is refused, the same
    await replay.stop()
    assert await drain_once(os_engine, backend) == DrainResult(failed=3, unavailable=True)
    assert {(n, e) for _, n, e in await outbox(os_engine)} == {(3, "unreachable: ConnectionError")}
    # When OpenSearch is back, one bulk request indexes the three under their ids
    replay.outage_status = None
    await replay.start()
    replay.expect(load("bulk_three_articles", ids_of(ids)))
    assert await drain_once(os_engine, backend) == DrainResult(settled=3)
    assert await outbox(os_engine) == []
    # And nothing more is sent: the server refuses any request it has not recorded
    assert await drain_once(os_engine, backend) == DrainResult()
    assert replay.unexpected == []
    assert replay.exchanges == []


async def test_an_update_and_a_delete_are_written_once_each(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given two indexed articles
    ids = await add_articles(os_engine, ARTICLES[:2])
    async with os_engine.begin() as conn:
        await conn.execute(text("DELETE FROM search_outbox"))
        # When the first is edited twice (two outbox rows) and the second deleted
        for title in ("OGDC profit up 12%", "OGDC profit up 12% on output"):
            await conn.execute(
                text("UPDATE news_articles SET title = :t WHERE id = :i"), {"t": title, "i": ids[0]}
            )
            await conn.execute(
                text("INSERT INTO search_outbox (article_id, op) VALUES (:a, 'index')"),
                {"a": ids[0]},
            )
        await conn.execute(text("DELETE FROM news_articles WHERE id = :i"), {"i": ids[1]})
        await conn.execute(
            text("INSERT INTO search_outbox (article_id, op) VALUES (:a, 'delete')"),
            {"a": ids[1]},
        )
    replay.expect(load("bulk_update_and_delete", ids_of(ids)))
    # Then one bulk request carries the edited article once, as it is now, and the delete
    assert await drain_once(os_engine, backend) == DrainResult(settled=3)
    assert await outbox(os_engine) == []
    assert replay.unexpected == []
    assert replay.exchanges == []


async def test_a_rejected_document_keeps_its_row_and_the_rest_settle(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given three articles, the second of which OpenSearch rejects
    ids = await add_articles(os_engine, ARTICLES)
    replay.expect(load("bulk_one_rejected", ids_of(ids)))
    # When drained, then only its row stays, with the reason OpenSearch gave
    assert await drain_once(os_engine, backend) == DrainResult(settled=2, failed=1)
    assert await outbox(os_engine) == [
        (
            ids[1],
            1,
            "mapper_parsing_exception: failed to parse field [published_at] of type [date] in"
            " document with id '2'. Preview of field's value: '2026-11-02T06:30:00+00:00'",
        )
    ]
    assert replay.unexpected == []


async def test_documents_refused_for_a_full_queue_are_sent_again(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given a cluster whose write queue is full for one document (429), then takes it
    ids = await add_articles(os_engine, ARTICLES[:2])
    replay.expect(load("bulk_429_then_ok", ids_of(ids)))
    # When drained, then the document is retried in a second request and both rows settle
    assert await drain_once(os_engine, backend) == DrainResult(settled=2)
    assert await outbox(os_engine) == []
    assert replay.unexpected == []
    assert replay.exchanges == []


async def test_a_drain_waits_for_a_reindex_in_progress(
    os_engine: AsyncEngine, backend: OpenSearchBackend
) -> None:
    # Given a reindex holding its lock
    await add_articles(os_engine, ARTICLES[:1])
    async with os_engine.connect() as lock:
        await lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": 0x7073_7820_7365_6172})
        # When the worker's turn comes, then it skips it and the row waits untouched
        assert await drain_once(os_engine, backend) == DrainResult(paused=True)
        await lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": 0x7073_7820_7365_6172})
    assert [n for _, n, _ in await outbox(os_engine)] == [0]


async def test_reindex_builds_new_indices_and_swaps_the_aliases(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given three articles and indices built before (the aliases point at 20261101 ones)
    ids = await add_articles(os_engine, ARTICLES)
    replay.expect(load("reindex", ids_of(ids)))
    # When reindexing
    result = await reindex(
        os_engine,
        backend.client,
        backend,
        replicas=1,
        clock=lambda: datetime(2026, 12, 1, 21, 0, tzinfo=UTC),
    )
    # Then the requests were exactly those recorded, and the result says what was written
    assert replay.unexpected == []
    assert replay.exchanges == []
    assert (result.news_index, result.articles, result.rejected) == (
        "psx-news-20261201210000000000",
        3,
        0,
    )
    assert result.dropped == (
        "psx-news-20261101080000000000",
        "psx-companies-20261101080000000000",
    )


async def test_a_new_cluster_gets_its_indices_with_the_articles_already_stored(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given an article stored before OpenSearch was configured, and a cluster with no aliases
    await add_articles(os_engine, ARTICLES[:1])
    replay.expect(load("first_start"))
    # When the backend makes sure of its indices
    result = await ensure_indices(
        os_engine,
        backend.client,
        backend,
        replicas=0,
        clock=lambda: datetime(2026, 12, 1, 21, 30, tzinfo=UTC),
    )
    # Then templates, indices, both documents sets and the aliases were made, in that order
    assert replay.unexpected == []
    assert replay.exchanges == []
    assert result is not None
    assert (result.articles, result.companies, result.dropped) == (1, 2, ())


async def test_the_worker_backs_off_while_down_then_drains(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given three articles committed while OpenSearch answers 503
    ids = await add_articles(os_engine, ARTICLES)
    replay.outage_status = 503
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 4:  # OpenSearch comes back during the fourth wait
            replay.outage_status = None
            replay.expect(load("bulk_three_articles", ids_of(ids)))
        await asyncio.sleep(0)

    worker = OutboxWorker(os_engine, backend, initial_backoff=1, max_backoff=4, sleep=sleep)
    # When the worker runs until the outbox is empty
    worker.start()
    try:
        for _ in range(500):
            if not await outbox(os_engine):
                break
            await asyncio.sleep(0.01)
    finally:
        await worker.stop()
    # Then it waited longer each time, up to the cap, and indexed each article once
    assert waits == [1, 2, 4, 4]
    assert await outbox(os_engine) == []
    assert replay.unexpected == []
    assert replay.exchanges == []


async def test_a_write_older_than_the_indexed_version_settles(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given an article whose index copy came from a later outbox row (another worker's)
    await add_articles(os_engine, ARTICLES[:1])
    replay.expect(load("bulk_stale_version"))
    # When this worker's older write is refused with 409, then its row is done all the same
    assert await drain_once(os_engine, backend) == DrainResult(settled=1)
    assert await outbox(os_engine) == []
    assert replay.unexpected == []


async def test_a_failed_reindex_drops_what_it_built_and_keeps_the_aliases(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given a cluster that refuses the bulk load (its circuit breaker trips)
    await add_articles(os_engine, ARTICLES)
    replay.expect(load("reindex_fails"))
    # When reindexing, then it fails saying why, the new indices are deleted, and no alias
    # request was made (searches go on over the old indices)
    with pytest.raises(SearchUnavailableError, match="status 500"):
        await reindex(
            os_engine,
            backend.client,
            backend,
            clock=lambda: datetime(2026, 12, 1, 21, 0, tzinfo=UTC),
        )
    assert replay.unexpected == []
    assert replay.exchanges == []
    # And the drains may run again: the lock was let go
    replay.expect(load("bulk_three_articles"))
    assert await drain_once(os_engine, backend) == DrainResult(settled=3)


async def test_articles_the_news_repository_writes_are_drained_once(
    os_engine: AsyncEngine, backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given two articles written by the news repository with the outbox on (SEARCH_URL set)
    new = [
        NewArticle(
            source="Business Recorder",
            url=f"https://example.pk/repo-{n}",
            title=title,
            published_at=datetime(2026, 11, 18, 9, n, tzinfo=UTC),
            category=NewsCategory.COMPANY,
            summary="Quarterly results.",
            symbols=(symbol,),
        )
        for n, (title, symbol) in enumerate([("OGDC results", "OGDC"), ("LUCK results", "LUCK")])
    ]
    async with os_engine.begin() as conn:
        ids = await news_repo.add_articles(conn, new, outbox=True)

    def created(_m: str, _p: str, _q: dict[str, str], body: Any) -> tuple[int, Any]:
        items = [
            {"index": {"_index": "psx-news-x", "_id": line["index"]["_id"], "status": 201}}
            for line in body[::2]
        ]
        return 200, {"took": 3, "errors": False, "items": items}

    replay.responder = created
    # When the worker drains, then one bulk request indexes each, under its id, as stored
    assert await drain_once(os_engine, backend) == DrainResult(settled=2)
    assert await drain_once(os_engine, backend) == DrainResult()
    ((method, path, body),) = replay.seen
    assert (method, path) == ("POST", "/_bulk")
    assert [line["index"]["_id"] for line in body[::2]] == [str(i) for i in ids]
    assert [doc["title"] for doc in body[1::2]] == ["OGDC results", "LUCK results"]
    assert [doc["symbols"] for doc in body[1::2]] == [["OGDC"], ["LUCK"]]
    assert await outbox(os_engine) == []
