"""News and search at 100,000 articles: p50/p95 of searchNews, companyNews and news.

Its own database (psx_bench_news): 2 years of demo data (its news included), topped up to
ARTICLES with generated stories over the same two years and symbols, their words drawn from
a Zipf-like vocabulary (the domain words of the queries each in a few percent of articles,
`w1x` in nine articles of ten). Two sets of times, per call:
- backend: the use cases' database work (the PostgreSQL backend and the news repository);
- GraphQL: the same first pages as POSTs to /graphql of the app (create_app over httpx's
  ASGI transport, no sockets), so parsing, validation, resolvers and serialisation count.
`python -m bench.news [--runs 50]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Environment, Settings
from bench.databases import END, bench_services
from db.repos import news as repo
from db.search.postgres import PostgresSearch
from domain.news.articles import NewArticle, NewsCategory, NewsFilter
from resolvers.context import Services

DATABASE = "psx_bench_news"
ARTICLES = 100_000
NOW = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
_WORDS = [
    "oil",
    "gas",
    "cement",
    "fertilizer",
    "bank",
    "profit",
    "loss",
    "margin",
    "dividend",
    "rupee",
    "dollar",
    "inflation",
    "exports",
    "imports",
    "budget",
    "tax",
    "circular",
    "debt",
    "power",
    "tariff",
    "investors",
    "rally",
    "slump",
    "earnings",
    "outlook",
    "expansion",
    "plant",
    "capacity",
    "demand",
    "supply",
    "textile",
    "auto",
    "sales",
    "refinery",
    "exploration",
]
QUERIES = (
    "oil",
    "cement prices",
    '"policy rate"',
    "bank or fertilizer",
    "profit -loss",
    "rupee dollar exports",
    "w1x",
)
SEARCH_QUERY = """
query SearchNews($q: String!, $filters: NewsSearchFilters) {
  searchNews(query: $q, filters: $filters, first: 20) {
    totalCount totalCountExact pageInfo { hasNextPage endCursor }
    edges { cursor node { score title snippet
      article { id url source publishedAt category kind symbols } } }
    facets { categories { value count } symbols { value count } months { value count } }
  }
}
"""
_ARTICLE_FIELDS = "id url source title summary publishedAt category kind symbols sectors"
COMPANY_QUERY = f"""
query CompanyNews($s: String!) {{
  companyNews(symbol: $s, first: 20) {{
    totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {_ARTICLE_FIELDS} }}
  }}
}}
"""
NEWS_QUERY = f"""
query News($category: NewsCategory) {{
  news(category: $category, first: 20) {{
    totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ {_ARTICLE_FIELDS} }}
  }}
}}
"""
# A news feed as apps page it: no total, so nothing is counted.
FEED_QUERY = NEWS_QUERY.replace("totalCount ", "")


async def _top_up(engine: AsyncEngine, symbols: list[str]) -> None:
    async with engine.connect() as conn:
        have = int((await conn.execute(text("SELECT count(*) FROM news_articles"))).scalar_one())
    if have >= ARTICLES:
        return
    print(f"adding {ARTICLES - have:,} generated articles (a minute or two)")
    rng = np.random.default_rng(5)
    cats = list(NewsCategory)
    # A Zipf-like vocabulary as news text has: a few hundred common words (made up), then the
    # domain words (each in a few percent of articles), then a long tail.
    vocab = [f"w{i}x" for i in range(300)] + _WORDS + [f"t{i}q" for i in range(8000)]
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    weights /= weights.sum()
    batch: list[NewArticle] = []
    for i in range(ARTICLES - have):
        words = [vocab[j] for j in rng.choice(len(vocab), 60, p=weights)]
        syms = tuple(
            sorted({symbols[j] for j in rng.integers(0, len(symbols), rng.integers(0, 3))})
        )
        batch.append(
            NewArticle(
                source="bench",
                url=f"https://bench.example/{i}",
                title=" ".join(words[:8]).capitalize(),
                summary=" ".join(words[8:30]) + ".",
                body=" ".join(words) + ".",
                published_at=NOW - timedelta(minutes=int(rng.integers(0, 730 * 1440))),
                category=cats[int(rng.integers(len(cats)))],
                symbols=syms,
            )
        )
        if len(batch) == 5_000:
            async with engine.begin() as conn:
                await repo.add_articles(conn, batch, outbox=False)
            batch = []
    if batch:
        async with engine.begin() as conn:
            await repo.add_articles(conn, batch, outbox=False)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE news_articles"))
        await conn.execute(text("VACUUM ANALYZE news_article_symbols"))


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    rank = max(1, round(p / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


async def _time(name: str, runs: int, call: Callable[[int], Awaitable[object]]) -> None:
    wall: list[float] = []
    for n in range(runs + 3):
        started = time.perf_counter()
        await call(n)
        if n >= 3:
            wall.append(time.perf_counter() - started)
    print(
        f"{name}: p50 {_percentile(wall, 50) * 1000:.1f} ms,"
        f" p95 {_percentile(wall, 95) * 1000:.1f} ms over {len(wall)} runs"
    )


async def _backend(engine: AsyncEngine, symbols: list[str], runs: int) -> None:
    search = PostgresSearch(engine, clock=lambda: NOW)

    def searcher(q: str) -> Callable[[int], Awaitable[object]]:
        return lambda _n: search.search_news(q, NewsFilter(), first=20, after=None)

    for q in QUERIES:
        page = await search.search_news(q, NewsFilter(), first=20, after=None)
        shown = f"{page.total:,}{'' if page.exact else '+'}"
        await _time(f"searchNews({q!r}, {shown} matches)", runs, searcher(q))
    await _time(
        "searchNews(all queries, category filter)",
        runs,
        lambda n: search.search_news(
            QUERIES[n % len(QUERIES)],
            NewsFilter(categories=(NewsCategory.COMPANY,)),
            first=20,
            after=None,
        ),
    )
    await _time(
        "searchCompanies('lucky cemnt')",
        runs,
        lambda _n: search.search_companies("lucky cemnt"),
    )

    async def company(n: int) -> object:
        async with engine.connect() as conn:
            return await repo.list_news(
                conn, NewsFilter(symbols=(symbols[n % len(symbols)],)), first=20, after=None
            )

    async def listing(n: int) -> object:
        f = NewsFilter() if n % 2 else NewsFilter(categories=(NewsCategory.MARKET,))
        async with engine.connect() as conn:
            return await repo.list_news(conn, f, first=20, after=None)

    await _time("companyNews(first: 20), symbols in turn", runs, company)
    await _time("news(first: 20), all and MARKET in turn", runs, listing)


async def _graphql(services: Services, symbols: list[str], runs: int) -> None:
    app = create_app(Settings(environment=Environment.TEST), services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

        async def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            response = await http.post("/graphql", json={"query": query, "variables": variables})
            body: dict[str, Any] = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"GraphQL failed ({response.status_code}): {response.text[:300]}")
            return body

        def searcher(q: str) -> Callable[[int], Awaitable[object]]:
            return lambda _n: post(SEARCH_QUERY, {"q": q})

        for q in QUERIES:
            data = (await post(SEARCH_QUERY, {"q": q}))["data"]["searchNews"]
            shown = f"{data['totalCount']:,}{'' if data['totalCountExact'] else '+'}"
            await _time(f"searchNews({q!r}, {shown} matches)", runs, searcher(q))
        await _time(
            "searchNews(all queries, category filter)",
            runs,
            lambda n: post(
                SEARCH_QUERY,
                {"q": QUERIES[n % len(QUERIES)], "filters": {"categories": ["COMPANY"]}},
            ),
        )
        await _time(
            "companyNews(first: 20), symbols in turn",
            runs,
            lambda n: post(COMPANY_QUERY, {"s": symbols[n % len(symbols)]}),
        )
        await _time(
            "news(first: 20), all and MARKET in turn",
            runs,
            lambda n: post(NEWS_QUERY, {"category": None if n % 2 else "MARKET"}),
        )
        await _time(
            "news(first: 20) without totalCount",
            runs,
            lambda n: post(FEED_QUERY, {"category": None if n % 2 else "MARKET"}),
        )


async def main(runs: int) -> None:
    """Print p50/p95 of each measured call, of the backend and then through GraphQL."""
    services = await bench_services(DATABASE, years=2, end=END, now=NOW)
    engine = services.database.primary
    async with engine.connect() as conn:
        symbols = list((await conn.execute(text("SELECT symbol FROM instruments"))).scalars())
    await _top_up(engine, symbols)
    async with engine.connect() as conn:
        total = int((await conn.execute(text("SELECT count(*) FROM news_articles"))).scalar_one())
    print(f"{total:,} articles")
    try:
        print("-- backend (PostgreSQL search, news repository)")
        await _backend(engine, symbols, runs)
        print("-- GraphQL (POST /graphql through the app)")
        await _graphql(services, symbols, runs)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="measured calls per line")
    asyncio.run(main(parser.parse_args().runs))
