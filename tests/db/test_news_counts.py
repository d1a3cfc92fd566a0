"""The article counts the database keeps per category equal counting the articles, through
inserts, category changes, deletes and a truncation, in the writing transaction itself; the
listing's total is read from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.repos import news as repo
from domain.news.articles import NewArticle, NewsCategory, NewsFilter

KEPT = "SELECT category, articles FROM news_counts WHERE articles > 0 ORDER BY category"
COUNTED = "SELECT category, count(*) FROM news_articles GROUP BY category ORDER BY category"


async def _agree(conn: AsyncConnection) -> dict[str, int]:
    kept = {r[0]: int(r[1]) for r in await conn.execute(text(KEPT))}
    assert kept == {r[0]: int(r[1]) for r in await conn.execute(text(COUNTED))}
    return kept


def _article(i: int, category: NewsCategory) -> NewArticle:
    return NewArticle(
        source="test",
        url=f"https://example.pk/counts/{i}",
        title=f"Counted story number {i} about the market",
        published_at=datetime(2026, 11, 18, tzinfo=UTC) + timedelta(minutes=i),
        category=category,
    )


async def test_the_kept_counts_follow_every_write(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        outer = await conn.begin()
        try:
            before = await _agree(conn)
            added = [_article(i, NewsCategory.ECONOMIC) for i in range(5)]
            added += [_article(i, NewsCategory.REGULATORY) for i in range(5, 8)]
            ids = await repo.add_articles(conn, added, outbox=False)
            assert len(ids) == 8
            after = await _agree(conn)
            assert after.get("ECONOMIC", 0) == before.get("ECONOMIC", 0) + 5
            await conn.execute(
                text("UPDATE news_articles SET category = 'SECTOR' WHERE id = ANY(:ids)"),
                {"ids": ids[:2]},
            )
            moved = await _agree(conn)
            assert moved.get("SECTOR", 0) == after.get("SECTOR", 0) + 2
            await conn.execute(text("DELETE FROM news_articles WHERE id = ANY(:ids)"), {"ids": ids})
            assert await _agree(conn) == before
            # The listing's totals: all categories, and one, without counting the articles.
            everything = await repo.list_news(conn, NewsFilter(), first=1, after=None)
            assert everything.total == sum(before.values())
            one = await repo.list_news(
                conn, NewsFilter(categories=(NewsCategory.MARKET,)), first=1, after=None
            )
            assert one.total == before.get("MARKET", 0)
            await conn.execute(text("TRUNCATE news_articles CASCADE"))
            assert await _agree(conn) == {}
        finally:
            await outer.rollback()
    async with engine.connect() as conn:
        assert await _agree(conn) == before


async def test_an_update_that_moves_no_category_writes_no_count(engine: AsyncEngine) -> None:
    versions = "SELECT category, xmin::text FROM news_counts ORDER BY category"
    async with engine.connect() as conn:
        outer = await conn.begin()
        try:
            ids = await repo.add_articles(
                conn, [_article(i, NewsCategory.ECONOMIC) for i in range(20, 23)], outbox=False
            )
            await outer.commit()
        except BaseException:
            await outer.rollback()
            raise
    try:
        async with engine.begin() as conn:
            before = {r[0]: r[1] for r in await conn.execute(text(versions))}
            await conn.execute(
                text("UPDATE news_articles SET title = title || ' (updated)' WHERE id = ANY(:ids)"),
                {"ids": ids},
            )
        async with engine.begin() as conn:
            # No count row was rewritten (a rewritten row has a new xmin).
            assert {r[0]: r[1] for r in await conn.execute(text(versions))} == before
            await conn.execute(
                text("UPDATE news_articles SET category = 'SECTOR' WHERE id = :i"), {"i": ids[0]}
            )
            moved = {r[0]: r[1] for r in await conn.execute(text(versions))}
            assert moved["ECONOMIC"] != before["ECONOMIC"]
            await _agree(conn)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM news_articles WHERE id = ANY(:ids)"), {"ids": ids})
            await _agree(conn)
