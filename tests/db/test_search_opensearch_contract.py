"""The search contract (tests/db/search_contract.py) against the OpenSearch backend.

No OpenSearch server runs here: the backend talks HTTP to a local server replaying
`tests/fixtures/opensearch/contract.json`, and any request not recorded fails the test. So
each case proves the exact request the backend sends for it, and that the backend reads a
response of that shape into the page the contract expects.

How the recording was authored: `PSX_RECORD_OPENSEARCH=1 pytest <this file>` runs the suite
with the server answering each request by the OpenSearch 2.x response that holds the hits,
scores, highlights (sentinel-marked, as the request asks) and aggregations that the PostgreSQL
backend gives for the same call, and writes the file. The ranking in the file is therefore
PostgreSQL's, not a real cluster's; the request bodies are the backend's own.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.search import SearchBackend, make_search_backend
from db.search.opensearch import OpenSearchBackend
from db.search.opensearch_documents import company_document, document_of
from domain.news.articles import NewsFilter
from domain.news.search import (
    COMPANY_LIMIT,
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    SENTINEL_END,
    SENTINEL_START,
    CompanyEntry,
    CompanyHit,
    SearchPage,
)
from tests.db.search_contract import CONTRACT_ARTICLES, CONTRACT_NOW, SearchContract
from tests.fixtures.opensearch import HERE, ReplayServer, load

RECORD = os.environ.get("PSX_RECORD_OPENSEARCH") == "1"
SHARDS = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
INDEX = "psx-news-20261101080000000000"


def _marked(rendered: str) -> str:
    """A rendered highlight back to what OpenSearch returns: raw text, sentinel marks."""
    raw = rendered.replace(HIGHLIGHT_START, SENTINEL_START).replace(HIGHLIGHT_END, SENTINEL_END)
    return html.unescape(raw)


def news_response(page: SearchPage) -> dict[str, Any]:
    hits = [
        {
            "_index": INDEX,
            "_id": str(h.article.id),
            "_score": h.score,
            "_source": document_of(h.article),
            "highlight": {"title": [_marked(h.title)], "summary": [_marked(h.snippet)]},
            "sort": [h.score, int(h.article.published_at.timestamp() * 1000), h.article.id],
        }
        for h in page.hits
    ]

    def terms(counts: Any) -> dict[str, Any]:
        buckets = [{"key": c.value, "doc_count": c.count} for c in counts]
        return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": buckets}

    months = [
        {"key_as_string": c.value, "key": _month_millis(c.value), "doc_count": c.count}
        for c in sorted(page.facets.months, key=lambda c: c.value)
    ]
    return {
        "took": 4,
        "timed_out": False,
        "_shards": SHARDS,
        "hits": {"total": {"value": page.total, "relation": "eq"}, "max_score": None, "hits": hits},
        "aggregations": {
            "category": terms(page.facets.categories),
            "symbol": terms(page.facets.symbols),
            "month": {"buckets": months},
        },
    }


def _month_millis(month: str) -> int:
    year, number = (int(p) for p in month.split("-"))
    return int(datetime(year, number, 1, tzinfo=UTC).timestamp() * 1000)


def companies_response(found: tuple[CompanyHit, ...]) -> dict[str, Any]:
    hits = []
    for h in found:
        hit: dict[str, Any] = {
            "_index": "psx-companies-20261101080000000000",
            "_id": h.symbol,
            "_score": round(h.score * 10, 4),
            "_source": company_document(CompanyEntry(h.symbol, h.name, h.sector_code, h.aliases)),
            "sort": [round(h.score * 10, 4), h.symbol],
        }
        if h.score == 1.0:
            hit["matched_queries"] = ["symbol"]
        elif h.matched in h.aliases:
            hit["highlight"] = {"aliases": [h.matched]}
        hits.append(hit)
    return {
        "took": 2,
        "timed_out": False,
        "_shards": SHARDS,
        "hits": {"total": {"value": len(hits), "relation": "eq"}, "max_score": None, "hits": hits},
    }


class Recording(OpenSearchBackend):
    """The OpenSearch backend, remembering each call so that the responder can answer it."""

    call: tuple[Any, ...] = ()

    async def search_news(
        self, query: str, filters: NewsFilter, *, first: int | None, after: str | None
    ) -> SearchPage:
        self.call = ("news", query, filters, first, after)
        return await super().search_news(query, filters, first=first, after=after)

    async def search_companies(
        self, query: str, *, limit: int = COMPANY_LIMIT
    ) -> tuple[CompanyHit, ...]:
        self.call = ("companies", query, limit)
        return await super().search_companies(query, limit=limit)


@pytest.fixture(scope="module")
async def search_backend(engine: AsyncEngine) -> AsyncIterator[SearchBackend]:
    """The backend against the replay server; recording, PostgreSQL answers (see above)."""
    server = ReplayServer(ordered=False)
    await server.start()
    backend = Recording.from_url(server.url, _no_database(), clock=lambda: CONTRACT_NOW)
    if RECORD:
        pg = await _postgres(engine)

        async def respond(_m: str, _p: str, _q: dict[str, str], _b: Any) -> tuple[int, Any]:
            if backend.call[0] == "news":
                _, query, filters, first, after = backend.call
                page = await pg.search_news(query, filters, first=first, after=after)
                return 200, news_response(page)
            return 200, companies_response(await pg.search_companies(backend.call[1]))

        server.responder = respond
    else:
        server.expect(load("contract"))
    yield backend
    await backend.client.close()
    await server.stop()
    if RECORD:
        for ex in server.recorded:
            if not ex["request"]["query"]:
                del ex["request"]["query"]
        text = json.dumps(server.recorded, indent=1, ensure_ascii=False) + "\n"
        (HERE / "contract.json").write_text(text)
    assert server.unexpected == []


def _no_database() -> AsyncEngine:
    # Searches never read PostgreSQL (documents hold the articles); an engine never connected.
    from sqlalchemy.ext.asyncio import create_async_engine

    return create_async_engine("postgresql+asyncpg://unused@127.0.0.1:9/unused")


async def _postgres(engine: AsyncEngine) -> SearchBackend:
    from db.repos import news as repo
    from db.repos.company_aliases import sync_company_names

    async with engine.begin() as conn:
        await sync_company_names(conn)
        await repo.add_articles(conn, CONTRACT_ARTICLES, outbox=False)
    return make_search_backend(None, engine, clock=lambda: CONTRACT_NOW)


class TestOpenSearchSearch(SearchContract):
    """OpenSearch keeps the search contract (against recorded exchanges)."""
