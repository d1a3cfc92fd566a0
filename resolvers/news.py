"""News use cases: listings, one article, company news, the economic calendar, search."""

from __future__ import annotations

from datetime import datetime

from db.repos import economic_calendar as calendar_repo
from db.repos import news as repo
from db.search import SearchBackend
from db.search.postgres import PostgresSearch
from domain.errors import DomainError, ErrorCode
from domain.news.articles import Article, NewsFilter
from domain.news.calendar import CalendarFilter, EconomicEvent
from domain.news.search import CompanyHit, SearchPage
from domain.pagination import Page
from resolvers.context import Context
from resolvers.markets import instrument as instrument_of

MAX_EVENTS = 500


def search_backend(ctx: Context) -> SearchBackend:
    """The search backend of the process (PostgreSQL full text on the read engine)."""
    return PostgresSearch(ctx.services.database.read, clock=ctx.services.clock)


def _check_range(lo: datetime | None, hi: datetime | None) -> None:
    if lo is not None and hi is not None and hi <= lo:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "`to` must be after `from`.", "to")


async def news(
    ctx: Context, filters: NewsFilter, *, first: int | None, after: str | None
) -> Page[Article]:
    """Articles matching `filters`, newest first.

    Raises:
        DomainError: for a bad cursor, page size or range.
    """
    _check_range(filters.published_from, filters.published_to)
    ctx.cache.unsafe = True  # articles arrive by import, not with quote versions
    async with ctx.services.database.read.connect() as conn:
        return await repo.list_news(conn, filters, first=first, after=after)


async def article(ctx: Context, article_id: int) -> Article | None:
    """One article by id, or None."""
    ctx.cache.unsafe = True
    async with ctx.services.database.read.connect() as conn:
        return await repo.article(conn, article_id)


async def company_news(
    ctx: Context, symbol: str, *, first: int | None, after: str | None
) -> Page[Article]:
    """A company's news and announcements, newest first.

    Raises:
        DomainError: UNKNOWN_SYMBOL naming `symbol`; a bad cursor or page size.
    """
    found = await instrument_of(ctx, symbol)
    if found is None:
        raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{symbol}'.", "symbol")
    return await news(ctx, NewsFilter(symbols=(found.symbol,)), first=first, after=after)


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
