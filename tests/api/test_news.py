"""News, company news, the economic calendar and search through the GraphQL API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import economic_calendar as calendar_repo
from db.repos import news as repo
from db.repos.company_aliases import sync_company_names
from domain.news.articles import AnnouncementType, ArticleKind, NewArticle, NewsCategory
from domain.news.calendar import EventCategory, Importance, NewEconomicEvent
from tests.conftest import GraphQLClient

TAG = "api-news-test"
T0 = datetime(2027, 1, 10, 5, 0, tzinfo=UTC)  # after the demo news
EVENT_DAY = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)


def _article(i: int, **kw: object) -> NewArticle:
    defaults: dict[str, object] = {
        "source": "Test Wire",
        "url": f"https://api-news.example/{i}",
        "title": f"Hub Power zephyrine update {i}",
        "summary": f"Hub Power said zephyrine output rose in quarter {i}.",
        "published_at": T0 + timedelta(hours=i),
        "category": NewsCategory.COMPANY,
        "symbols": ("HUBC",),
        "tags": (TAG,),
    }
    return NewArticle(**(defaults | kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
async def news_rows(engine: AsyncEngine) -> AsyncIterator[list[int]]:
    """Five HUBC stories, one announcement, and two calendar events (removed afterwards)."""
    articles = [_article(i) for i in range(5)]
    articles.append(
        _article(
            9,
            title="HUBC board meeting for half-year results",
            summary="The board meets to consider results.",
            kind=ArticleKind.ANNOUNCEMENT,
            announcement_type=AnnouncementType.BOARD_MEETING,
            source="PSX",
        )
    )
    events = [
        NewEconomicEvent(
            title="SBP monetary policy (test)",
            category=EventCategory.MONETARY_POLICY,
            scheduled_at=EVENT_DAY,
            importance=Importance.HIGH,
            previous=Decimal("11.0"),
            forecast=Decimal("10.5"),
            unit="%",
        ),
        NewEconomicEvent(
            title="T-bill auction (test)",
            category=EventCategory.TBILL_AUCTION,
            scheduled_at=EVENT_DAY + timedelta(days=1),
            importance=Importance.LOW,
        ),
    ]
    async with engine.begin() as conn:
        await sync_company_names(conn)
        ids = await repo.add_articles(conn, articles, outbox=False)
        await calendar_repo.add_events(conn, events)
    yield ids
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM news_articles WHERE :t = ANY(tags)"), {"t": TAG})
        await conn.execute(text("DELETE FROM economic_events WHERE title LIKE '%(test)'"))


COMPANY = """
query C($symbol: String!, $first: Int, $after: String) {
  companyNews(symbol: $symbol, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id title kind announcementType symbols category simulated source }
  }
}
"""


async def test_company_news_is_newest_first_in_pages(
    gql: GraphQLClient, news_rows: list[int]
) -> None:
    first = await gql(COMPANY, {"symbol": "hubc", "first": 4})
    page = first["data"]["companyNews"]
    assert page["totalCount"] >= 6  # with the demo's own HUBC news, all older
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["nodes"][0]["title"] == "HUBC board meeting for half-year results"
    assert page["nodes"][0]["kind"] == "ANNOUNCEMENT"
    assert page["nodes"][0]["announcementType"] == "BOARD_MEETING"
    assert [n["title"] for n in page["nodes"][1:]] == [
        f"Hub Power zephyrine update {i}" for i in (4, 3, 2)
    ]
    rest = await gql(
        COMPANY, {"symbol": "HUBC", "first": 3, "after": page["pageInfo"]["endCursor"]}
    )
    nodes = rest["data"]["companyNews"]["nodes"]
    assert [n["title"] for n in nodes[:2]] == [f"Hub Power zephyrine update {i}" for i in (1, 0)]
    assert nodes[2]["simulated"] is True
    assert "HUBC" in nodes[2]["symbols"]


async def test_every_page_of_company_news_has_the_same_total(
    gql: GraphQLClient, news_rows: list[int]
) -> None:
    totals, seen, after = set(), 0, None
    while True:
        page = (await gql(COMPANY, {"symbol": "HUBC", "first": 100, "after": after}))["data"][
            "companyNews"
        ]
        totals.add(page["totalCount"])
        seen += len(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert totals == {seen}


async def test_news_of_a_symbol_with_other_filters_counts_only_the_matches(
    gql: GraphQLClient, news_rows: list[int]
) -> None:
    query = """
    query N($from: DateTime, $after: String) {
      news(symbol: "HUBC", category: COMPANY, from: $from, first: 4, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { title }
      }
    }
    """
    first = (await gql(query, {"from": T0.isoformat()}))["data"]["news"]
    last = (await gql(query, {"from": T0.isoformat(), "after": first["pageInfo"]["endCursor"]}))[
        "data"
    ]["news"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (6, True)
    assert (last["totalCount"], last["pageInfo"]["hasNextPage"], len(last["nodes"])) == (
        6,
        False,
        2,
    )


async def test_a_total_asked_for_in_a_fragment_is_counted(
    gql: GraphQLClient, news_rows: list[int]
) -> None:
    # Pages that do not ask for totalCount skip the count; one asking through a fragment
    # gets the same total as one asking directly.
    query = """
    query N($direct: Boolean!) {
      news(symbol: "HUBC", category: COMPANY, first: 2) {
        pageInfo { hasNextPage } nodes { title }
        ...Total @skip(if: $direct)
        totalCount @include(if: $direct)
      }
    }
    fragment Total on NewsArticleConnection { totalCount }
    """
    direct = (await gql(query, {"direct": True}))["data"]["news"]
    spread = (await gql(query, {"direct": False}))["data"]["news"]
    assert direct["totalCount"] == spread["totalCount"] >= 6
    bare = await gql(
        '{ news(symbol: "HUBC", first: 2) { pageInfo { hasNextPage } nodes { title } } }'
    )
    assert bare["data"]["news"]["pageInfo"]["hasNextPage"] is True
    assert len(bare["data"]["news"]["nodes"]) == 2


async def test_company_news_of_an_unknown_symbol_is_an_error(gql: GraphQLClient) -> None:
    result = await gql(COMPANY, {"symbol": "NOPE"})
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "UNKNOWN_SYMBOL"


async def test_news_filters_by_category_and_range(gql: GraphQLClient, news_rows: list[int]) -> None:
    result = await gql(
        """query($from: DateTime, $to: DateTime) {
          news(category: COMPANY, symbol: "HUBC", from: $from, to: $to) {
            totalCount nodes { title publishedAt }
          }
        }""",
        {
            "from": (T0 + timedelta(hours=1)).isoformat(),
            "to": (T0 + timedelta(hours=3)).isoformat(),
        },
    )
    assert result["data"]["news"]["totalCount"] == 2
    assert [n["title"] for n in result["data"]["news"]["nodes"]] == [
        "Hub Power zephyrine update 2",
        "Hub Power zephyrine update 1",
    ]


async def test_article_by_id_and_a_missing_one_is_null(
    gql: GraphQLClient, news_rows: list[int]
) -> None:
    query = "query($id: ID!) { article(id: $id) { id url symbols } }"
    found = await gql(query, {"id": str(news_rows[0])})
    assert found["data"]["article"] == {
        "id": str(news_rows[0]),
        "url": "https://api-news.example/0",
        "symbols": ["HUBC"],
    }
    for missing in ("999999999", "x", "-1"):
        assert (await gql(query, {"id": missing}))["data"]["article"] is None


SEARCH = """
query S($q: String!, $filters: NewsSearchFilters, $first: Int) {
  searchNews(query: $q, filters: $filters, first: $first) {
    totalCount totalCountExact pageInfo { hasNextPage }
    nodes { score title snippet article { url } }
    facets { categories { value count } symbols { value count } months { value count } }
  }
}
"""


async def test_search_news_highlights_and_counts(gql: GraphQLClient, news_rows: list[int]) -> None:
    result = await gql(SEARCH, {"q": 'zephyrine -"update 4"', "first": 2})
    s = result["data"]["searchNews"]
    assert s["totalCount"] == 4
    assert s["totalCountExact"] is True
    assert s["pageInfo"]["hasNextPage"] is True
    assert "<mark>zephyrine</mark>" in s["nodes"][0]["title"]
    assert "<mark>zephyrine</mark>" in s["nodes"][0]["snippet"]
    assert s["facets"]["categories"] == [{"value": "COMPANY", "count": 4}]
    assert s["facets"]["symbols"] == [{"value": "HUBC", "count": 4}]
    assert s["facets"]["months"] == [{"value": "2027-01", "count": 4}]


async def test_search_news_survives_hostile_text(gql: GraphQLClient, news_rows: list[int]) -> None:
    for q in ("'); DROP TABLE news_articles; --", ":*&|!", "", "x" * 10_000):
        result = await gql(SEARCH, {"q": q})
        assert "errors" not in result
    again = await gql(SEARCH, {"q": "zephyrine", "filters": {"categories": ["MARKET"]}})
    assert again["data"]["searchNews"]["totalCount"] == 0


async def test_search_companies_forgives_typos(gql: GraphQLClient) -> None:
    result = await gql(
        'query { searchCompanies(query: "hub powr", first: 3) { symbol name matched score } }'
    )
    hits = result["data"]["searchCompanies"]
    assert hits[0]["symbol"] == "HUBC"
    bad = await gql('query { searchCompanies(query: "x", first: 50) { symbol } }')
    assert bad["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"


async def test_economic_calendar_filters(gql: GraphQLClient, news_rows: list[int]) -> None:
    query = """query($from: DateTime, $to: DateTime) {
      economicCalendar(from: $from, to: $to, country: "pakistan", importance: [HIGH]) {
        title category importance previous forecast actual unit country simulated
      }
    }"""
    result = await gql(
        query,
        {"from": EVENT_DAY.isoformat(), "to": (EVENT_DAY + timedelta(days=7)).isoformat()},
    )
    assert result["data"]["economicCalendar"] == [
        {
            "title": "SBP monetary policy (test)",
            "category": "MONETARY_POLICY",
            "importance": "HIGH",
            "previous": "11.0000",
            "forecast": "10.5000",
            "actual": None,
            "unit": "%",
            "country": "Pakistan",
            "simulated": False,
        }
    ]
