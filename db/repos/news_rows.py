"""Reading articles: rows to domain objects, and the filters of listings and searches as SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.news.articles import (
    AnnouncementType,
    Article,
    ArticleKind,
    DataSource,
    NewsCategory,
    NewsFilter,
)

COLUMNS = (
    "a.id, a.source, a.url, a.title, a.summary, a.body, a.author, a.published_at, a.language,"
    " a.category, a.kind, a.announcement_type, a.symbols, a.sectors, a.tags, a.sentiment,"
    " a.data_source, a.created_at"
)
_BY_IDS = text(f"SELECT {COLUMNS} FROM news_articles a WHERE a.id = ANY(:ids)")  # noqa: S608


def article_of(r: RowMapping) -> Article:
    """The domain article of a row selected with COLUMNS."""
    kind = r["announcement_type"]
    return Article(
        id=int(r["id"]),
        source=r["source"],
        url=r["url"],
        title=r["title"],
        summary=r["summary"],
        body=r["body"],
        author=r["author"],
        published_at=r["published_at"],
        language=r["language"],
        category=NewsCategory(r["category"]),
        kind=ArticleKind(r["kind"]),
        announcement_type=None if kind is None else AnnouncementType(kind),
        symbols=tuple(r["symbols"]),
        sectors=tuple(r["sectors"]),
        tags=tuple(r["tags"]),
        sentiment=r["sentiment"],
        data_source=DataSource(r["data_source"]),
        created_at=r["created_at"],
    )


async def articles_by_ids(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Article]:
    """The articles of `ids` that exist, by id."""
    if not ids:
        return {}
    rows = (await conn.execute(_BY_IDS, {"ids": list(ids)})).mappings()
    return {int(r["id"]): article_of(r) for r in rows}


def filter_sql(f: NewsFilter, alias: str) -> tuple[list[str], dict[str, Any]]:
    """Fixed SQL conditions on table `alias` with their bound values (no user text in SQL)."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if f.categories:
        where.append(f"{alias}.category = ANY(:f_categories)")
        params["f_categories"] = [c.value for c in f.categories]
    if f.kinds:
        where.append(f"{alias}.kind = ANY(:f_kinds)")
        params["f_kinds"] = [k.value for k in f.kinds]
    if f.symbols:
        where.append(f"{alias}.symbols && CAST(:f_symbols AS text[])")
        params["f_symbols"] = [s.upper() for s in f.symbols]
    if f.sectors:
        where.append(f"{alias}.sectors && CAST(:f_sectors AS text[])")
        params["f_sectors"] = list(f.sectors)
    if f.tags:
        where.append(f"{alias}.tags && CAST(:f_tags AS text[])")
        params["f_tags"] = list(f.tags)
    if f.published_from is not None:
        where.append(f"{alias}.published_at >= :f_from")
        params["f_from"] = f.published_from
    if f.published_to is not None:
        where.append(f"{alias}.published_at < :f_to")
        params["f_to"] = f.published_to
    return where, params
