"""Root query fields of news, the economic calendar and search."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.errors import DomainError, ErrorCode
from domain.news.articles import NewsCategory, NewsFilter
from domain.news.calendar import CalendarFilter, EventCategory, Importance
from domain.news.search import COMPANY_LIMIT
from resolvers import news
from schema.context import Info, asks_for, ctx
from schema.news.types import (
    CompanySearchHit,
    EconomicCalendarEvent,
    NewsArticle,
    NewsArticleConnection,
    NewsSearchConnection,
)

FirstArg = Annotated[
    int | None, strawberry.argument(description="Page size, 1 to 100 (default 20).")
]
AfterArg = Annotated[
    str | None, strawberry.argument(description="The `endCursor` of the previous page.")
]
FromArg = Annotated[
    datetime | None,
    strawberry.argument(name="from", description="Published at or after this instant."),
]
ToArg = Annotated[datetime | None, strawberry.argument(description="Published before this.")]


@strawberry.input(description="Filters of a news search; every one given must hold.")
class NewsSearchFilters:
    categories: list[NewsCategory] | None = strawberry.field(
        default=None, description="Any of these categories."
    )
    symbols: list[str] | None = strawberry.field(
        default=None, description="Mentioning any of these symbols."
    )
    sectors: list[str] | None = strawberry.field(
        default=None, description="Concerning any of these PSX sector codes."
    )
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Published at or after this instant."
    )
    to: datetime | None = strawberry.field(default=None, description="Published before this.")

    def to_domain(self) -> NewsFilter:
        """The domain filter."""
        return NewsFilter(
            categories=tuple(self.categories or ()),
            symbols=tuple(s.upper() for s in self.symbols or ()),
            sectors=tuple(self.sectors or ()),
            published_from=self.from_,
            published_to=self.to,
        )


def _article_id(value: strawberry.ID) -> int | None:
    try:
        parsed = int(str(value))
    except ValueError:
        return None
    return parsed if 0 < parsed < 2**63 else None


_TOTAL = frozenset({"totalCount"})


def _counts(info: Info) -> bool:
    """Whether the operation asks for `totalCount` (counting is most of an unfiltered page)."""
    return asks_for(info.selected_fields, _TOTAL)


@strawberry.type
class NewsQueries:
    @strawberry.field(description="News and announcements, newest first, filtered.")
    async def news(
        self,
        info: Info,
        category: Annotated[
            NewsCategory | None, strawberry.argument(description="Only this category.")
        ] = None,
        symbol: Annotated[
            str | None, strawberry.argument(description="Only articles about this company.")
        ] = None,
        sector: Annotated[
            str | None, strawberry.argument(description="Only articles about this sector code.")
        ] = None,
        from_: FromArg = None,
        to: ToArg = None,
        first: FirstArg = None,
        after: AfterArg = None,
    ) -> NewsArticleConnection:
        filters = NewsFilter(
            categories=(category,) if category else (),
            symbols=(symbol.upper(),) if symbol else (),
            sectors=(sector,) if sector else (),
            published_from=from_,
            published_to=to,
        )
        page = await news.news(ctx(info), filters, first=first, after=after, count=_counts(info))
        return NewsArticleConnection.from_page(page)

    @strawberry.field(description="One article by id; null when there is none.")
    async def article(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Its id.")]
    ) -> NewsArticle | None:
        key = _article_id(id)
        found = None if key is None else await news.article(ctx(info), key)
        return None if found is None else NewsArticle.from_domain(found)

    @strawberry.field(
        description="A company's news and PSX announcements, newest first (UNKNOWN_SYMBOL)."
    )
    async def company_news(
        self,
        info: Info,
        symbol: Annotated[str, strawberry.argument(description="Ticker symbol, any case.")],
        first: FirstArg = None,
        after: AfterArg = None,
    ) -> NewsArticleConnection:
        page = await news.company_news(
            ctx(info), symbol, first=first, after=after, count=_counts(info)
        )
        return NewsArticleConnection.from_page(page)

    @strawberry.field(
        description=(
            "Economic calendar events (SBP meetings, CPI, auctions, results dates, book "
            "closures), soonest first, at most 500."
        )
    )
    async def economic_calendar(
        self,
        info: Info,
        from_: Annotated[
            datetime | None,
            strawberry.argument(name="from", description="Scheduled at or after this instant."),
        ] = None,
        to: Annotated[
            datetime | None, strawberry.argument(description="Scheduled before this instant.")
        ] = None,
        country: Annotated[
            str | None, strawberry.argument(description="Country, any case, e.g. `Pakistan`.")
        ] = None,
        importance: Annotated[
            list[Importance] | None, strawberry.argument(description="Any of these levels.")
        ] = None,
        category: Annotated[
            list[EventCategory] | None, strawberry.argument(description="Any of these kinds.")
        ] = None,
    ) -> list[EconomicCalendarEvent]:
        filters = CalendarFilter(
            scheduled_from=from_,
            scheduled_to=to,
            countries=(country,) if country else (),
            importance=tuple(importance or ()),
            categories=tuple(category or ()),
        )
        events = await news.economic_calendar(ctx(info), filters)
        return [EconomicCalendarEvent.from_domain(e) for e in events]

    @strawberry.field(
        description=(
            "Full-text news search. `query` is websearch syntax: words (all must match), "
            '`"a phrase"`, `oil or gas`, `-excluded`. Hits are best first (relevance with a '
            "recency boost), with highlighted title and snippet, and facets over all matches "
            "(over the newest 1,000 when more match: see `totalCountExact`)."
        )
    )
    async def search_news(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="What to look for.")],
        filters: Annotated[
            NewsSearchFilters | None, strawberry.argument(description="Narrow the matches.")
        ] = None,
        first: FirstArg = None,
        after: AfterArg = None,
    ) -> NewsSearchConnection:
        domain_filters = filters.to_domain() if filters else NewsFilter()
        page = await news.search_news(ctx(info), query, domain_filters, first=first, after=after)
        return NewsSearchConnection.from_domain(page)

    @strawberry.field(
        description="Companies by symbol, name or alias, forgiving typos, best first."
    )
    async def search_companies(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="A symbol or name, e.g. `lucky`.")],
        first: Annotated[
            int | None, strawberry.argument(description="How many, 1 to 20 (default 10).")
        ] = None,
    ) -> list[CompanySearchHit]:
        limit = 10 if first is None else first
        if not 1 <= limit <= COMPANY_LIMIT:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE, f"`first` must be between 1 and {COMPANY_LIMIT}.", "first"
            )
        hits = await news.search_companies(ctx(info), query, limit=limit)
        return [CompanySearchHit.from_domain(h) for h in hits]
