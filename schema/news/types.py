"""GraphQL types of news articles, the economic calendar and search results."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

import schema.news.enums  # noqa: F401 - registers the enums
from domain.news.articles import AnnouncementType, Article, ArticleKind, DataSource, NewsCategory
from domain.news.calendar import EconomicEvent, EventCategory, Importance
from domain.news.search import CANDIDATE_LIMIT, CompanyHit, FacetCount, SearchHit, SearchPage
from domain.pagination import Page
from schema.pagination import PageInfo


@strawberry.type(name="NewsArticle", description="A news story or a company announcement.")
class NewsArticle:
    id: strawberry.ID = strawberry.field(description="The article's id (for `article(id)`).")
    source: str = strawberry.field(description="Publisher or feed, e.g. `Business Recorder`.")
    url: str = strawberry.field(description="Where the article was published (unique).")
    title: str = strawberry.field(description="Headline, plain text.")
    summary: str = strawberry.field(description="Standfirst or feed summary, plain text.")
    body: str = strawberry.field(description="Full text where known, plain text; may be empty.")
    author: str | None = strawberry.field(description="Byline, where given.")
    published_at: datetime = strawberry.field(description="When it was published (UTC).")
    language: str = strawberry.field(description="ISO 639-1 language code, e.g. `en`.")
    category: NewsCategory = strawberry.field(description="What the article is about.")
    kind: ArticleKind = strawberry.field(description="A story or a company's PSX notice.")
    announcement_type: AnnouncementType | None = strawberry.field(
        description="The notice's type for an announcement; null for a story."
    )
    symbols: list[str] = strawberry.field(description="Listed companies it mentions.")
    sectors: list[str] = strawberry.field(description="PSX sector codes it concerns.")
    tags: list[str] = strawberry.field(description="Free-form tags.")
    sentiment: float | None = strawberry.field(
        description="Tone from -1 (negative) to 1 (positive), where computed."
    )
    simulated: bool = strawberry.field(description="Generated demo data rather than real news.")

    @classmethod
    def from_domain(cls, a: Article) -> NewsArticle:
        """Map a domain article."""
        return cls(
            id=strawberry.ID(str(a.id)),
            source=a.source,
            url=a.url,
            title=a.title,
            summary=a.summary,
            body=a.body,
            author=a.author,
            published_at=a.published_at,
            language=a.language,
            category=a.category,
            kind=a.kind,
            announcement_type=a.announcement_type,
            symbols=list(a.symbols),
            sectors=list(a.sectors),
            tags=list(a.tags),
            sentiment=a.sentiment,
            simulated=a.data_source is DataSource.SIMULATED,
        )


@strawberry.type(description="An article with its cursor.")
class NewsArticleEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the next page.")
    node: NewsArticle = strawberry.field(description="The article.")


@strawberry.type(description="A page of articles, newest first.")
class NewsArticleConnection:
    edges: list[NewsArticleEdge] = strawberry.field(description="Articles with cursors.")
    nodes: list[NewsArticle] = strawberry.field(description="The articles of the page.")
    page_info: PageInfo = strawberry.field(description="Where the page sits.")
    total_count: int = strawberry.field(description="Articles matching the filter.")

    @classmethod
    def from_page(cls, page: Page[Article]) -> NewsArticleConnection:
        """Map a domain page of articles."""
        nodes = [NewsArticle.from_domain(a) for a in page.items]
        return cls(
            edges=[
                NewsArticleEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=PageInfo.from_page(page),
            total_count=page.total,
        )


@strawberry.type(description="A search hit: the article, its score and highlights.")
class NewsSearchHit:
    article: NewsArticle = strawberry.field(description="The matching article.")
    score: float = strawberry.field(
        description="Relevance with a recency boost; comparable only within one search."
    )
    title: str = strawberry.field(
        description="The title as HTML: text escaped, matched terms in `<mark>` tags."
    )
    snippet: str = strawberry.field(
        description="The best passage of the summary (else body) as HTML, matches in `<mark>`."
    )

    @classmethod
    def from_domain(cls, h: SearchHit) -> NewsSearchHit:
        """Map a domain hit."""
        return cls(
            article=NewsArticle.from_domain(h.article),
            score=h.score,
            title=h.title,
            snippet=h.snippet,
        )


@strawberry.type(description="A search hit with its cursor.")
class NewsSearchEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the next page.")
    node: NewsSearchHit = strawberry.field(description="The hit.")


@strawberry.type(description="How many matching articles have a value.")
class NewsFacetCount:
    value: str = strawberry.field(description="The category, symbol or month (`YYYY-MM`).")
    count: int = strawberry.field(description="Matching articles with it.")


def _counts(counts: tuple[FacetCount, ...]) -> list[NewsFacetCount]:
    return [NewsFacetCount(value=c.value, count=c.count) for c in counts]


@strawberry.type(description="Counts over all matching articles (top 20 values each).")
class NewsFacets:
    categories: list[NewsFacetCount] = strawberry.field(description="By category.")
    symbols: list[NewsFacetCount] = strawberry.field(description="By company symbol.")
    months: list[NewsFacetCount] = strawberry.field(description="By month published (UTC).")


@strawberry.type(description="A page of search hits, best first, with facets.")
class NewsSearchConnection:
    edges: list[NewsSearchEdge] = strawberry.field(description="Hits with cursors.")
    nodes: list[NewsSearchHit] = strawberry.field(description="The hits of the page.")
    page_info: PageInfo = strawberry.field(description="Where the page sits.")
    total_count: int = strawberry.field(
        description=(
            f"Articles matching query and filters ({CANDIDATE_LIMIT:,}, a lower bound, when "
            "`totalCountExact` is false)."
        )
    )
    total_count_exact: bool = strawberry.field(
        description=(
            f"False when more than {CANDIDATE_LIMIT:,} articles matched and the search ranked "
            f"only the newest {CANDIDATE_LIMIT:,} of them: `totalCount` is then a lower bound, "
            "and the hits, pages and facets come from those newest matches. True: every match "
            "was ranked, counted and faceted."
        )
    )
    facets: NewsFacets = strawberry.field(
        description="Counts over every matching article (see `totalCountExact`)."
    )

    @classmethod
    def from_domain(cls, page: SearchPage) -> NewsSearchConnection:
        """Map a domain search page."""
        nodes = [NewsSearchHit.from_domain(h) for h in page.hits]
        return cls(
            edges=[
                NewsSearchEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            total_count=page.total,
            total_count_exact=page.exact,
            facets=NewsFacets(
                categories=_counts(page.facets.categories),
                symbols=_counts(page.facets.symbols),
                months=_counts(page.facets.months),
            ),
        )


@strawberry.type(description="A company found by symbol, name or alias.")
class CompanySearchHit:
    symbol: str = strawberry.field(description="Ticker symbol.")
    name: str = strawberry.field(description="Company name.")
    sector_code: str = strawberry.field(description="PSX sector code.")
    aliases: list[str] = strawberry.field(description="Other names the company is known by.")
    matched: str = strawberry.field(description="The symbol, name or alias that matched.")
    score: float = strawberry.field(description="Similarity from 0 to 1 (1: exact symbol).")

    @classmethod
    def from_domain(cls, h: CompanyHit) -> CompanySearchHit:
        """Map a domain company hit."""
        return cls(
            symbol=h.symbol,
            name=h.name,
            sector_code=h.sector_code,
            aliases=list(h.aliases),
            matched=h.matched,
            score=h.score,
        )


@strawberry.type(description="A scheduled economic release, policy meeting or company date.")
class EconomicCalendarEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    title: str = strawberry.field(description="What happens, e.g. `SBP monetary policy`.")
    country: str = strawberry.field(description="Country, `Pakistan` by default.")
    category: EventCategory = strawberry.field(description="The kind of event.")
    scheduled_at: datetime = strawberry.field(description="When it is scheduled (UTC).")
    importance: Importance = strawberry.field(description="Expected market impact.")
    previous: Decimal | None = strawberry.field(description="The previous value, in `unit`.")
    forecast: Decimal | None = strawberry.field(description="The consensus forecast.")
    actual: Decimal | None = strawberry.field(description="The released value, once known.")
    unit: str | None = strawberry.field(description="Unit of the values, e.g. `%`, `PKR bn`.")
    symbol: str | None = strawberry.field(description="The company, for earnings or closures.")
    simulated: bool = strawberry.field(description="Generated demo data.")

    @classmethod
    def from_domain(cls, e: EconomicEvent) -> EconomicCalendarEvent:
        """Map a domain event."""
        return cls(
            id=strawberry.ID(str(e.id)),
            title=e.title,
            country=e.country,
            category=e.category,
            scheduled_at=e.scheduled_at,
            importance=e.importance,
            previous=e.previous,
            forecast=e.forecast,
            actual=e.actual,
            unit=e.unit,
            symbol=e.symbol,
            simulated=e.data_source is DataSource.SIMULATED,
        )
