"""The OpenSearch backend's searches against recorded exchanges: the exact request sent, and
real-shaped responses read into the search contract (domain/news/search.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import make_engine
from db.search.opensearch import OpenSearchBackend
from db.search.opensearch_client import SearchUnavailableError
from domain.errors import DomainError
from domain.news.articles import NewsCategory, NewsFilter
from domain.news.search import CompanyHit, FacetCount
from domain.pagination import encode_cursor
from tests.conftest import ADMIN_URL
from tests.fixtures.opensearch import ReplayServer, load

NOW = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def unused_engine() -> AsyncIterator[AsyncEngine]:
    """Searches never read PostgreSQL: the documents hold the articles."""
    eng = make_engine(ADMIN_URL.replace("postgresql://", "postgresql+asyncpg://"))
    yield eng
    await eng.dispose()


@pytest.fixture
async def replay() -> AsyncIterator[ReplayServer]:
    server = ReplayServer()
    await server.start()
    yield server
    await server.stop()
    assert server.unexpected == []


@pytest.fixture
async def backend(
    unused_engine: AsyncEngine, replay: ReplayServer
) -> AsyncIterator[OpenSearchBackend]:
    b = OpenSearchBackend.from_url(replay.url, unused_engine, clock=lambda: NOW)
    yield b
    await b.client.close()


async def test_a_search_reads_hits_highlights_and_facets(
    backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    # Given the recorded search of `oil -dividend` among company news, two a page
    replay.expect(load("search_news_oil"))
    # When searching
    page = await backend.search_news(
        "oil -dividend", NewsFilter(categories=(NewsCategory.COMPANY,)), first=2, after=None
    )
    # Then the request was exactly the recorded one
    assert replay.exchanges == []
    # And the hits come in OpenSearch's order, titles and snippets HTML-safe with marks
    assert [(h.article.id, h.score) for h in page.hits] == [(1, 2.7172532), (4, 1.9034119)]
    assert [h.title for h in page.hits] == [
        "OGDC profit rises on higher <mark>oil</mark> output",
        "PPL &amp; OGDC: &lt;<mark>oil</mark>&gt; finds in Sindh",
    ]
    assert page.hits[0].snippet == (
        "<mark>Oil</mark> and Gas Development Company posted a higher profit as"
        " <mark>oil</mark> output rose 4% in the quarter."
    )
    assert page.hits[1].article.symbols == ("OGDC", "PPL")
    assert page.hits[1].article.published_at == datetime(2026, 9, 12, 4, 15, tzinfo=UTC)
    # And the page knows where it stands among all three matches
    assert (page.total, page.has_next, page.has_previous) == (3, True, False)
    assert page.cursors == (encode_cursor(0), encode_cursor(1))
    # And the facets count all matches: by count, then value
    assert page.facets.categories == (FacetCount("COMPANY", 3),)
    assert page.facets.symbols == (
        FacetCount("OGDC", 3),
        FacetCount("POL", 1),
        FacetCount("PPL", 1),
    )
    assert [f.value for f in page.facets.months] == ["2026-08", "2026-09", "2026-10"]


@pytest.mark.parametrize("text", ["", "   ", "the", '"" -', "* : ( )", "\x00\x02"])
async def test_text_without_a_searchable_term_matches_nothing_without_asking(
    backend: OpenSearchBackend, text: str
) -> None:
    # Nothing is recorded: any request would be refused and fail the test (fixture teardown).
    page = await backend.search_news(text, NewsFilter(), first=10, after=None)
    assert (page.hits, page.total, page.has_next) == ((), 0, False)


async def test_bad_paging_names_the_argument(backend: OpenSearchBackend) -> None:
    with pytest.raises(DomainError) as bad_cursor:
        await backend.search_news("oil", NewsFilter(), first=10, after="not-a-cursor")
    assert bad_cursor.value.field == "after"
    with pytest.raises(DomainError) as bad_size:
        await backend.search_news("oil", NewsFilter(), first=0, after=None)
    assert bad_size.value.field == "first"


async def test_a_search_while_opensearch_is_down_says_so(
    backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    replay.outage_status = 503
    with pytest.raises(SearchUnavailableError, match="status 503"):
        await backend.search_news("oil", NewsFilter(), first=10, after=None)
    assert replay.outage_hits == 3  # the first try and the transport's two retries


async def test_company_lookup_forgives_typos_and_ranks_an_exact_symbol_first(
    backend: OpenSearchBackend, replay: ReplayServer
) -> None:
    replay.expect(load("search_companies"))
    # A misspelt name finds the company, saying which of its names matched
    assert await backend.search_companies("lucky cemnt") == (
        CompanyHit(
            symbol="LUCK",
            name="Lucky Cement Limited",
            sector_code="0804",
            aliases=("Lucky",),
            matched="Lucky Cement Limited",
            score=0.99,
        ),
    )
    # An exact symbol scores 1.0, ahead of looser matches
    hits = await backend.search_companies("ogdc")
    assert [(h.symbol, h.score, h.matched) for h in hits] == [
        ("OGDC", 1.0, "OGDC"),
        ("OGTI", 0.99, "Oil & Gas Tech Investments"),
    ]
    assert replay.exchanges == []


async def test_company_lookup_of_no_word_asks_nothing(backend: OpenSearchBackend) -> None:
    assert await backend.search_companies(" -*- ") == ()
