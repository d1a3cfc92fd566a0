"""The search contract against the PostgreSQL backend (SEARCH_URL unset)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import news as repo
from db.repos.company_aliases import sync_company_names
from db.search import SearchBackend, make_search_backend
from db.search.postgres import PostgresSearch
from domain.news.articles import NewsCategory, NewsFilter
from domain.news.search import FacetCount
from tests.db.search_contract import (
    CONTRACT_ARTICLES,
    CONTRACT_NOW,
    CONTRACT_TAG,
    SearchContract,
)


@pytest.fixture(scope="module")
async def search_backend(engine: AsyncEngine) -> AsyncIterator[SearchBackend]:
    """PostgreSQL search over the contract's articles (committed, removed afterwards)."""
    async with engine.begin() as conn:
        await sync_company_names(conn)
        await repo.add_articles(conn, CONTRACT_ARTICLES, outbox=False)
    backend = make_search_backend(None, engine, clock=lambda: CONTRACT_NOW)
    yield backend
    async with engine.begin() as conn:
        await conn.execute(
            text("DELETE FROM news_articles WHERE :t = ANY(tags)"), {"t": CONTRACT_TAG}
        )


class TestPostgresSearch(SearchContract):
    """PostgreSQL full text and pg_trgm keep the search contract."""


async def test_a_broad_query_ranks_only_the_newest_candidates(
    search_backend: SearchBackend, engine: AsyncEngine
) -> None:
    # Given a backend that ranks at most 3 matches, and a query that 5 contract articles match
    capped = PostgresSearch(engine, clock=lambda: CONTRACT_NOW, candidates=3)
    tagged = NewsFilter(tags=(CONTRACT_TAG,))

    # When paging through its hits
    first = await capped.search_news("oil or crude or cement", tagged, first=2, after=None)
    rest = await capped.search_news(
        "oil or crude or cement", tagged, first=2, after=first.cursors[-1]
    )

    # Then the total is the cap and says so, and hits and facets are of the 3 newest matches
    assert (first.total, first.exact, first.has_next) == (3, False, True)
    assert (rest.total, rest.exact, rest.has_next) == (3, False, False)
    urls = {h.article.url.rsplit("/", 1)[1] for h in first.hits + rest.hits}
    assert urls == {"oil-explorers", "rally-new", "cement-despatches"}
    assert first.facets.categories == (
        FacetCount(NewsCategory.MARKET.value, 2),
        FacetCount(NewsCategory.SECTOR.value, 1),
    )
    assert first.facets.months == (FacetCount("2026-11", 3),)


async def test_a_query_within_the_cap_is_exact(
    search_backend: SearchBackend, engine: AsyncEngine
) -> None:
    capped = PostgresSearch(engine, clock=lambda: CONTRACT_NOW, candidates=5)
    page = await capped.search_news(
        "oil or crude or cement", NewsFilter(tags=(CONTRACT_TAG,)), first=20, after=None
    )
    assert (page.total, page.exact, len(page.hits)) == (5, True, 5)
