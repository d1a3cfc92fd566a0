"""News use cases: listings, one article, company news, the economic calendar, search."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import economic_calendar as calendar_repo
from db.repos import news as repo
from db.repos.news_rows import articles_by_ids
from db.search import SearchBackend
from db.search.postgres import PostgresSearch
from domain.errors import DomainError, ErrorCode
from domain.news.articles import Article, NewsFilter
from domain.news.calendar import CalendarFilter, EconomicEvent
from domain.news.search import CompanyHit, SearchPage
from domain.pagination import Page
from resolvers.context import Context
from resolvers.markets import instrument as instrument_of
from subscriptions import channels
from subscriptions.hub import Hub

MAX_EVENTS = 500
MAX_SYMBOLS = 20


def search_backend(ctx: Context) -> SearchBackend:
    """The process's search backend (`Services.search`), else PostgreSQL on the read engine."""
    if ctx.services.search is not None:
        return ctx.services.search
    return PostgresSearch(ctx.services.database.read, clock=ctx.services.clock)


def _check_range(lo: datetime | None, hi: datetime | None) -> None:
    if lo is not None and hi is not None and hi <= lo:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "`to` must be after `from`.", "to")


async def news(
    ctx: Context,
    filters: NewsFilter,
    *,
    first: int | None,
    after: str | None,
    count: bool = True,
) -> Page[Article]:
    """Articles matching `filters`, newest first (`count`: the page's `total` is counted;
    without, it is -1 unless the page is the last).

    Raises:
        DomainError: for a bad cursor, page size or range.
    """
    _check_range(filters.published_from, filters.published_to)
    ctx.cache.unsafe = True  # articles arrive by import, not with quote versions
    async with ctx.services.database.read.connect() as conn:
        return await repo.list_news(conn, filters, first=first, after=after, count=count)


async def article(ctx: Context, article_id: int) -> Article | None:
    """One article by id, or None."""
    ctx.cache.unsafe = True
    async with ctx.services.database.read.connect() as conn:
        return await repo.article(conn, article_id)


async def company_news(
    ctx: Context,
    symbol: str,
    *,
    first: int | None,
    after: str | None,
    count: bool = True,
) -> Page[Article]:
    """A company's news and announcements, newest first.

    Raises:
        DomainError: UNKNOWN_SYMBOL naming `symbol`; a bad cursor or page size.
    """
    found = await instrument_of(ctx, symbol)
    if found is None:
        raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{symbol}'.", "symbol")
    return await news(
        ctx, NewsFilter(symbols=(found.symbol,)), first=first, after=after, count=count
    )


async def economic_calendar(ctx: Context, filters: CalendarFilter) -> list[EconomicEvent]:
    """Calendar events in the filter, soonest first (at most MAX_EVENTS).

    Raises:
        DomainError: OUT_OF_RANGE naming `to` when it is not after `from`.
    """
    _check_range(filters.scheduled_from, filters.scheduled_to)
    ctx.cache.unsafe = True
    async with ctx.services.database.read.connect() as conn:
        return await calendar_repo.list_events(conn, filters, limit=MAX_EVENTS)


async def search_news(
    ctx: Context, query: str, filters: NewsFilter, *, first: int | None, after: str | None
) -> SearchPage:
    """Full-text search of news (websearch syntax) with highlights, scores and facets.

    Raises:
        DomainError: for a bad cursor, page size or range.
    """
    _check_range(filters.published_from, filters.published_to)
    ctx.cache.unsafe = True
    return await search_backend(ctx).search_news(query, filters, first=first, after=after)


async def search_companies(ctx: Context, query: str, *, limit: int) -> tuple[CompanyHit, ...]:
    """Companies by symbol, name or alias, typo-tolerant, best first."""
    ctx.cache.unsafe = True
    return await search_backend(ctx).search_companies(query, limit=limit)


def news_messages(articles: Sequence[Article]) -> list[tuple[str, bytes]]:
    """What to publish after articles commit: one message on `news:*` and one per symbol.

    A message lists article ids (a burst of articles is one message per channel, so the
    hub's per-channel conflation never drops an article).
    """
    if not articles:
        return []
    by_symbol: dict[str, list[int]] = {}
    for a in articles:
        for s in a.symbols:
            by_symbol.setdefault(s, []).append(a.id)
    messages = [(channels.ALL_NEWS, orjson.dumps({"ids": [a.id for a in articles]}))]
    messages += [(channels.news(s), orjson.dumps({"ids": ids})) for s, ids in by_symbol.items()]
    return messages


async def news_stream(ctx: Context, symbols: Sequence[str] | None) -> AsyncIterator[Article]:
    """New articles as they are published: about any of `symbols`, or all when None.

    Raises:
        DomainError: UNKNOWN_SYMBOL naming `symbols`; UNSUPPORTED when live data is off.
    """
    hub = ctx.services.hub
    if hub is None:
        raise DomainError(ErrorCode.UNSUPPORTED, "Live data is not enabled on this server.")
    if symbols is None:
        names = [channels.ALL_NEWS]
    else:
        if not 1 <= len(symbols) <= MAX_SYMBOLS:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE, f"Give 1 to {MAX_SYMBOLS} symbols.", "symbols"
            )
        names = []
        for symbol in symbols:
            found = await instrument_of(ctx, symbol)
            if found is None:
                raise DomainError(
                    ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{symbol}'.", "symbols"
                )
            names.append(channels.news(found.symbol))
    return _follow(ctx, hub, names)


async def _follow(ctx: Context, hub: Hub, names: Sequence[str]) -> AsyncIterator[Article]:
    seen: set[int] = set()  # an article tagged with two followed symbols comes once
    async with hub.subscribe(names) as box:
        async for event in box:
            ids = [int(i) for i in event.data.get("ids", ()) if int(i) not in seen]
            seen.update(ids)
            async with ctx.services.database.read.connect() as conn:
                found = await articles_by_ids(conn, ids)
            for i in ids:
                if i in found:
                    yield found[i]


async def publish_articles(
    engine: AsyncEngine,
    publish: Callable[[str, bytes], Awaitable[object]],
    ids: Sequence[int],
) -> int:
    """Publish committed articles to their followers (after the commit); the messages sent."""
    async with engine.connect() as conn:
        found = await articles_by_ids(conn, ids)
    messages = news_messages([found[i] for i in ids if i in found])
    for channel, message in messages:
        await publish(channel, message)
    return len(messages)
