"""Writing and listing news articles (PostgreSQL is the system of record)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.repos.news_rows import COLUMNS, article_of, articles_by_ids, filter_sql
from domain.news.articles import Article, NewArticle, NewsFilter
from domain.news.titles import NEAR_DUPLICATE, title_key
from domain.pagination import Page, decode_cursor, encode_cursor, page_size

_COLS = (
    *("source", "url", "title", "summary", "body", "author", "published_at", "language"),
    *("category", "kind", "announcement_type", "symbols", "sectors", "tags", "sentiment"),
    *("title_key", "data_source"),
)
_ARRAYS = frozenset({"symbols", "sectors", "tags"})
_TYPES = {"published_at": "timestamptz[]", "sentiment": "float8[]"}
_SELECTED = ", ".join(f"t.{c}::text[]" if c in _ARRAYS else f"t.{c}" for c in _COLS)
_UNNESTED = ", ".join(f"CAST(:{c} AS {_TYPES.get(c, 'text[]')})" for c in _COLS)
# One statement for a whole batch: a column per parameter, unnested side by side. Per-row
# arrays travel as array literals (unnest would flatten a 2-D array) and are cast back.
_INSERT = text(
    f"INSERT INTO news_articles ({', '.join(_COLS)}) SELECT {_SELECTED}"  # noqa: S608 - fixed names
    f" FROM unnest({_UNNESTED}) AS t({', '.join(_COLS)})"
    " ON CONFLICT (url) DO NOTHING RETURNING id"
)
_NEAR = text("""
SELECT title_key FROM news_articles
WHERE published_at BETWEEN :lo AND :hi AND title_key % :k AND similarity(title_key, :k) >= :t
LIMIT 1
""")
_SYMBOLS = text("""
INSERT INTO news_article_symbols (article_id, symbol, published_at)
SELECT a.id, s, a.published_at FROM news_articles a, unnest(a.symbols) s
JOIN instruments i ON i.symbol = s
WHERE a.id = ANY(:ids)
ON CONFLICT DO NOTHING
""")
_OUTBOX = text(
    "INSERT INTO search_outbox (article_id, op)"
    " SELECT id, :op FROM unnest(CAST(:ids AS bigint[])) id"
)
_WINDOW = timedelta(days=3)
_SYMBOL_COUNT = "SELECT count(*) FROM news_article_symbols s WHERE s.symbol = :sym"
# Totals from `news_counts` (kept by triggers on news_articles, migrations 0016 and 0017).
_ALL_COUNT = "SELECT coalesce(sum(articles), 0) FROM news_counts"
_CATEGORY_COUNT = (
    "SELECT coalesce(sum(articles), 0) FROM news_counts WHERE category = ANY(:f_categories)"
)


def _array_literal(values: Sequence[str]) -> str:
    # unnest of a 2-D array flattens it, so per-row arrays travel as array literals.
    escaped = ('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(escaped) + "}"


async def is_near_duplicate(conn: AsyncConnection, article: NewArticle) -> bool:
    """Whether a stored article published within 3 days has a near-identical title."""
    key = title_key(article.title)
    row = await conn.execute(
        _NEAR,
        {
            "lo": article.published_at - _WINDOW,
            "hi": article.published_at + _WINDOW,
            "k": key,
            "t": NEAR_DUPLICATE,
        },
    )
    return row.first() is not None


async def add_articles(
    conn: AsyncConnection, articles: Sequence[NewArticle], *, outbox: bool
) -> list[int]:
    """Insert `articles` (those whose url is already stored are skipped); the new ids.

    Tags each symbol in `news_article_symbols` and, with `outbox`, enqueues an index
    operation per new article in `search_outbox`, in the caller's transaction.
    """
    if not articles:
        return []
    cols: dict[str, list[object]] = {
        "source": [a.source for a in articles],
        "url": [a.url for a in articles],
        "title": [a.title for a in articles],
        "summary": [a.summary for a in articles],
        "body": [a.body for a in articles],
        "author": [a.author for a in articles],
        "published_at": [a.published_at for a in articles],
        "language": [a.language for a in articles],
        "category": [a.category.value for a in articles],
        "kind": [a.kind.value for a in articles],
        "announcement_type": [
            None if a.announcement_type is None else a.announcement_type.value for a in articles
        ],
        "symbols": [_array_literal(a.symbols) for a in articles],
        "sectors": [_array_literal(a.sectors) for a in articles],
        "tags": [_array_literal(a.tags) for a in articles],
        "sentiment": [a.sentiment for a in articles],
        "title_key": [title_key(a.title) for a in articles],
        "data_source": [a.data_source.value for a in articles],
    }
    rows = (await conn.execute(_INSERT, cols)).all()
    ids = [int(r.id) for r in rows]
    if ids:
        await conn.execute(_SYMBOLS, {"ids": ids})
        if outbox:
            await conn.execute(_OUTBOX, {"op": "index", "ids": ids})
    return ids


async def article(conn: AsyncConnection, article_id: int) -> Article | None:
    """One article, or None."""
    return (await articles_by_ids(conn, [article_id])).get(article_id)


async def list_news(
    conn: AsyncConnection,
    filters: NewsFilter,
    *,
    first: int | None,
    after: str | None,
    count: bool = True,
) -> Page[Article]:
    """Articles matching `filters`, newest first, a page at a time.

    A single-symbol filter reads `news_article_symbols` (one index range). Without `count`,
    the total (a count over every match) is -1 unless the page is the last.

    Raises:
        DomainError: for a bad cursor or page size.
    """
    size = page_size(first)
    offset = 0 if after is None else decode_cursor(after) + 1
    if len(filters.symbols) == 1:
        # The symbol is the index range; the other filters are conditions on the article.
        where, params = filter_sql(replace(filters, symbols=()), "a")
        params |= {"off": offset, "n": size + 1, "sym": filters.symbols[0].upper()}
        cond = "".join(f" AND {w}" for w in where)
        sql = (
            f"SELECT {COLUMNS} FROM news_article_symbols s"  # noqa: S608
            f" JOIN news_articles a ON a.id = s.article_id WHERE s.symbol = :sym{cond}"
            " ORDER BY s.published_at DESC, s.article_id DESC OFFSET :off LIMIT :n"
        )
        # With no other filter the tags alone count (their foreign key keeps them to stored
        # articles): an index-only count, without the join.
        counter = None if where else _SYMBOL_COUNT
    else:
        where, params = filter_sql(filters, "a")
        params |= {"off": offset, "n": size + 1}
        cond = " WHERE " + " AND ".join(where) if where else ""
        sql = (
            f"SELECT {COLUMNS} FROM news_articles a{cond}"  # noqa: S608
            " ORDER BY a.published_at DESC, a.id DESC OFFSET :off LIMIT :n"
        )
        # Filtered by categories alone (or not at all), the counts the database keeps answer.
        by_category = replace(filters, categories=()) == NewsFilter()
        counter = None if not by_category else _CATEGORY_COUNT if filters.categories else _ALL_COUNT
    rows = (await conn.execute(text(sql), params)).mappings().all()
    items = tuple(article_of(r) for r in rows[:size])
    has_next = len(rows) > size
    # A last page, when it is not empty, knows the total without counting.
    last = not has_next and (bool(items) or offset == 0)
    return Page(
        items=items,
        cursors=tuple(encode_cursor(offset + i) for i in range(len(items))),
        total=(
            offset + len(items)
            if last
            else await _count(conn, sql, params, counter)
            if count
            else -1
        ),
        has_next=has_next,
        has_previous=offset > 0,
    )


async def _count(
    conn: AsyncConnection, sql: str, params: dict[str, object], count: str | None
) -> int:
    if count is None:
        inner = sql.split(" FROM ", 1)[1].split(" ORDER BY ")[0]
        count = f"SELECT count(*) FROM {inner}"  # noqa: S608
    row = await conn.execute(text(count), params)
    return int(row.scalar_one())
