"""The `news` subscription: articles published after their commit reach their followers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import news as repo
from domain.news.articles import NewArticle, NewsCategory
from resolvers.context import Services, make_context
from resolvers.news import publish_articles
from schema import schema
from subscriptions.backends import MemoryBackend
from subscriptions.hub import Hub

QUERY = "subscription($s: [String!]) { news(symbols: $s) { title symbols simulated } }"


def _article(key: str, symbols: tuple[str, ...]) -> NewArticle:
    return NewArticle(
        source="sub-test",
        url=f"https://sub-test.example/{key}",
        title=f"Subscription test {key}",
        published_at=datetime(2027, 2, 1, tzinfo=UTC),
        category=NewsCategory.COMPANY,
        symbols=symbols,
    )


async def test_followers_of_a_symbol_get_its_new_articles_only(
    services: Services, engine: AsyncEngine
) -> None:
    hub = Hub(MemoryBackend())
    await hub.start()
    try:
        context = make_context(replace(services, hub=hub))
        stream = await schema.subscribe(
            QUERY, variable_values={"s": ["hubc"]}, context_value=context
        )
        assert not isinstance(stream, dict) and hasattr(stream, "__anext__")
        first = asyncio.ensure_future(stream.__anext__())
        while hub.subscribers == 0:  # noqa: ASYNC110 - the hub signals no new subscriber
            await asyncio.sleep(0.01)
        async with engine.begin() as conn:
            ids = await repo.add_articles(
                conn, [_article("ppl", ("PPL",)), _article("hubc", ("HUBC", "PPL"))], outbox=False
            )
        # What `import news` does after its commit (through Redis there).
        assert await publish_articles(engine, hub.publish, ids) == 3  # news:*, PPL, HUBC
        result = await asyncio.wait_for(first, timeout=30)  # a guard, not a timing
        assert result.errors is None
        assert result.data == {
            "news": {
                "title": "Subscription test hubc",
                "symbols": ["HUBC", "PPL"],
                "simulated": False,
            }
        }
        await stream.aclose()
    finally:
        await hub.stop()
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM news_articles WHERE source = 'sub-test'"))


async def test_an_unknown_symbol_is_refused(services: Services) -> None:
    hub = Hub(MemoryBackend())
    context = make_context(replace(services, hub=hub))
    stream = await schema.subscribe(QUERY, variable_values={"s": ["NOPE"]}, context_value=context)
    result = await stream.__anext__()  # type: ignore[union-attr]
    assert result.errors is not None
    assert (
        result.errors[0].extensions == {"code": "UNKNOWN_SYMBOL", "field": "symbols"}
        or (result.errors[0].extensions or {}).get("code") == "UNKNOWN_SYMBOL"
    )
