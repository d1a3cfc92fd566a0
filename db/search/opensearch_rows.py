"""What the OpenSearch indices are built from: articles and companies read from PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.repos.news_rows import COLUMNS, article_of
from db.repos.news_rows import articles_by_ids as _articles_by_ids
from domain.news.articles import Article
from domain.news.search import CompanyEntry

_PAGE = text(f"SELECT {COLUMNS} FROM news_articles a WHERE a.id > :after ORDER BY a.id LIMIT :n")  # noqa: S608
# A company's other names: its aliases and former symbols (its own name is `name`).
_COMPANIES = text(
    "SELECT i.symbol, i.name, i.sector_code,"
    " ARRAY(SELECT c.alias FROM company_aliases c WHERE c.symbol = i.symbol"
    " AND c.alias <> i.name ORDER BY c.alias) AS aliases"
    " FROM instruments i WHERE i.listing_status = 'LISTED' ORDER BY i.symbol"
)


async def articles_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[Article]:
    """The articles of `ids` that exist, by id."""
    found = await _articles_by_ids(conn, ids)
    return [found[i] for i in sorted(found)]


async def article_page(conn: AsyncConnection, *, after: int, limit: int) -> list[Article]:
    """Up to `limit` articles of ids above `after`, by id (keyset pages for a reindex)."""
    rows = (await conn.execute(_PAGE, {"after": after, "n": limit})).mappings().all()
    return [article_of(r) for r in rows]


async def company_entries(conn: AsyncConnection) -> list[CompanyEntry]:
    """Every listed company with its other names, by symbol."""
    rows = (await conn.execute(_COMPANIES)).all()
    return [CompanyEntry(r.symbol, r.name, r.sector_code, tuple(r.aliases)) for r in rows]
