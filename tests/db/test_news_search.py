"""The search contract against the PostgreSQL backend (SEARCH_URL unset)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import news as repo
from db.repos.company_aliases import sync_company_names
from db.search import SearchBackend, make_search_backend
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
