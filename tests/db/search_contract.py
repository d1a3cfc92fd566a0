"""The search results contract (domain/news/search.py), runnable against any SearchBackend.

A test module subclasses `SearchContract` and provides the fixtures `search_backend` (a
SearchBackend whose clock stands at CONTRACT_NOW and that sees CONTRACT_ARTICLES, and no
other article tagged CONTRACT_TAG) and nothing else: every query filters on that tag.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.search import SearchBackend
from domain.errors import DomainError
from domain.news.articles import NewArticle, NewsCategory, NewsFilter
from domain.news.search import FacetCount, SearchPage

CONTRACT_NOW = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)
CONTRACT_TAG = "search-contract"
_D = timedelta(days=1)


def _a(key: str, title: str, summary: str, age: timedelta, **kw: object) -> NewArticle:
    return NewArticle(
        source="contract",
        url=f"https://contract.example/{key}",
        title=title,
        summary=summary,
        body=kw.pop("body", "") or "",  # type: ignore[arg-type]
        published_at=CONTRACT_NOW - age,
        category=kw.pop("category", NewsCategory.MARKET),  # type: ignore[arg-type]
        tags=(CONTRACT_TAG,),
        **kw,  # type: ignore[arg-type]
    )


CONTRACT_ARTICLES = (
    _a(
        "oil-explorers",
        "Oil prices lift OGDC and PPL",
        "Oil and gas explorers rallied as crude rose.",
        1 * _D,
        symbols=("OGDC", "PPL"),
    ),
    _a(
        "cement-despatches",
        "Cement despatches fall in October",
        "Lucky Cement and DG Khan Cement reported lower despatches.",
        2 * _D,
        symbols=("LUCK", "DGKC"),
        category=NewsCategory.SECTOR,
    ),
    _a(
        "policy-hold",
        "State Bank holds policy rate",
        "The monetary policy committee kept the rate unchanged as inflation eased.",
        3 * _D,
        category=NewsCategory.ECONOMIC,
    ),
    _a(
        "omc-margins",
        "Oil marketing margins raised",
        "The regulator raised oil marketing margins; PSO gains.",
        40 * _D,
        symbols=("PSO",),
        category=NewsCategory.REGULATORY,
    ),
    _a("rally-new", "Crude rally continues", "Crude rally continues on supply cuts.", 2 * _D),
    _a("rally-old", "Crude rally continues", "Crude rally continues on supply cuts.", 300 * _D),
    _a(
        "markup",
        "Engro <script>alert(1)</script> results & more",
        "Engro posted results <b>ahead</b> of estimates.",
        5 * _D,
        category=NewsCategory.COMPANY,
    ),
)
_TAGGED = NewsFilter(tags=(CONTRACT_TAG,))
HOSTILE = (
    "'); DROP TABLE news_articles; --",
    ":*&|!",
    "",
    "   ",
    "a" * 10_000,
    "تیل 石油 ñandú 🚀",
    '"unclosed phrase',
    "oil\x00null",
    "-",
    "or",
    "!!!((( )))",
    "\\' OR 1=1 --",
    "<script>alert(1)</script>",
)


def _urls(page: SearchPage) -> list[str]:
    return [h.article.url.rsplit("/", 1)[1] for h in page.hits]


class SearchContract:
    """The behaviour every backend owes `searchNews` and `searchCompanies`."""

    async def _search(
        self, backend: SearchBackend, query: str, f: NewsFilter = _TAGGED, **kw: object
    ) -> SearchPage:
        return await backend.search_news(query, f, first=kw.get("first", 20), after=kw.get("after"))  # type: ignore[arg-type]

    async def test_words_are_anded(self, search_backend: SearchBackend) -> None:
        page = await self._search(search_backend, "oil margins")
        assert _urls(page) == ["omc-margins"]

    async def test_a_phrase_matches_its_words_in_order(self, search_backend: SearchBackend) -> None:
        assert _urls(await self._search(search_backend, '"cement despatches"')) == [
            "cement-despatches"
        ]
        assert _urls(await self._search(search_backend, '"despatches cement"')) == []

    async def test_or_matches_either(self, search_backend: SearchBackend) -> None:
        page = await self._search(search_backend, "despatches or policy")
        assert sorted(_urls(page)) == ["cement-despatches", "policy-hold"]
        assert page.total == 2

    async def test_minus_excludes(self, search_backend: SearchBackend) -> None:
        page = await self._search(search_backend, "oil -marketing")
        assert _urls(page) == ["oil-explorers"]

    @pytest.mark.parametrize("query", HOSTILE)
    async def test_any_input_is_answered_safely(
        self, search_backend: SearchBackend, query: str
    ) -> None:
        page = await self._search(search_backend, query)
        assert page.total == len(page.hits) <= len(CONTRACT_ARTICLES)
        assert _urls(await self._search(search_backend, "cement")) == ["cement-despatches"]

    async def test_matches_are_marked_in_title_and_snippet(
        self, search_backend: SearchBackend
    ) -> None:
        (hit,) = (await self._search(search_backend, "despatches")).hits
        assert hit.title == "Cement <mark>despatches</mark> fall in October"
        assert "<mark>despatches</mark>" in hit.snippet
        assert hit.score > 0

    async def test_highlights_escape_the_article_text(self, search_backend: SearchBackend) -> None:
        (hit,) = (await self._search(search_backend, "engro")).hits
        assert "<script>" not in hit.title
        assert "&lt;script&gt;" in hit.title
        assert "<b>" not in hit.snippet
        assert hit.title.startswith("<mark>Engro</mark>")

    async def test_facets_count_every_match(self, search_backend: SearchBackend) -> None:
        page = await self._search(search_backend, "oil", first=1)
        assert page.total == 2
        assert page.exact
        assert len(page.hits) == 1
        assert page.facets.categories == (
            FacetCount("MARKET", 1),
            FacetCount("REGULATORY", 1),
        )
        assert page.facets.symbols == (
            FacetCount("OGDC", 1),
            FacetCount("PPL", 1),
            FacetCount("PSO", 1),
        )
        assert page.facets.months == (FacetCount("2026-10", 1), FacetCount("2026-11", 1))

    async def test_cursors_page_through_all_hits(self, search_backend: SearchBackend) -> None:
        seen: list[str] = []
        after: str | None = None
        while True:
            page = await self._search(
                search_backend, "oil or crude or cement", first=2, after=after
            )
            assert page.total == 5
            seen += _urls(page)
            if not page.has_next:
                break
            after = page.cursors[-1]
        assert len(seen) == len(set(seen)) == 5

    async def test_a_bad_cursor_names_after(self, search_backend: SearchBackend) -> None:
        with pytest.raises(DomainError) as err:
            await self._search(search_backend, "oil", after="not-a-cursor")
        assert err.value.field == "after"

    async def test_newer_of_equal_text_ranks_first(self, search_backend: SearchBackend) -> None:
        page = await self._search(search_backend, '"crude rally continues"')
        assert _urls(page) == ["rally-new", "rally-old"]
        assert page.hits[0].score > page.hits[1].score

    async def test_filters_narrow_the_matches(self, search_backend: SearchBackend) -> None:
        def f(**kw: object) -> NewsFilter:
            return NewsFilter(tags=(CONTRACT_TAG,), **kw)  # type: ignore[arg-type]

        regulatory = f(categories=(NewsCategory.REGULATORY,))
        assert _urls(await self._search(search_backend, "oil", regulatory)) == ["omc-margins"]
        assert _urls(await self._search(search_backend, "oil", f(symbols=("PSO",)))) == [
            "omc-margins"
        ]
        recent = f(published_from=CONTRACT_NOW - 10 * _D)
        assert _urls(await self._search(search_backend, "oil", recent)) == ["oil-explorers"]
        older = f(published_to=CONTRACT_NOW - 10 * _D)
        assert _urls(await self._search(search_backend, "oil", older)) == ["omc-margins"]

    async def test_company_by_exact_symbol(self, search_backend: SearchBackend) -> None:
        hits = await search_backend.search_companies("ogdc")
        assert hits[0].symbol == "OGDC"
        assert hits[0].score == 1.0

    @pytest.mark.parametrize(
        ("query", "symbol"),
        [("Lucky Cemnt", "LUCK"), ("pakistan state oil", "PSO"), ("OGCD", "OGDC")],
    )
    async def test_company_look_up_forgives_typos(
        self, search_backend: SearchBackend, query: str, symbol: str
    ) -> None:
        hits = await search_backend.search_companies(query)
        assert symbol in [h.symbol for h in hits[:3]]

    @pytest.mark.parametrize("query", HOSTILE)
    async def test_company_look_up_takes_any_input(
        self, search_backend: SearchBackend, query: str
    ) -> None:
        hits = await search_backend.search_companies(query)
        assert len(hits) <= 20
