"""News and search at 100,000 articles: p50/p95 of searchNews, companyNews and news.

Its own database (psx_bench_news): 2 years of demo data (its news included), topped up to
ARTICLES with generated stories over the same two years and symbols, their words drawn from
a Zipf-like vocabulary (the domain words of the queries each in a few percent of articles).
Times are of the use cases' database work (the PostgreSQL backend and the news repository),
per call:
`python -m bench.news [--runs 50]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text

from bench.databases import database_url, prepare
from db.engine import make_engine
from db.repos import news as repo
from db.search.postgres import PostgresSearch
from domain.news.articles import NewArticle, NewsCategory, NewsFilter

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
)


async def _top_up(engine: Any, symbols: list[str]) -> None:
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


async def main(runs: int) -> None:
    """Print p50/p95 of each measured call."""
    engine = make_engine(await database_url(DATABASE))
    await prepare(engine, years=2)
    async with engine.connect() as conn:
        symbols = list((await conn.execute(text("SELECT symbol FROM instruments"))).scalars())
    await _top_up(engine, symbols)
    async with engine.connect() as conn:
        total = int((await conn.execute(text("SELECT count(*) FROM news_articles"))).scalar_one())
    print(f"{total:,} articles")
    search = PostgresSearch(engine, clock=lambda: NOW)
    try:
        for q in QUERIES:
            page = await search.search_news(q, NewsFilter(), first=20, after=None)
            await _time(
                f"searchNews({q!r}, {page.total:,} matches)",
                runs,
                lambda _n, q=q: search.search_news(q, NewsFilter(), first=20, after=None),
            )
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
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="measured calls per line")
    asyncio.run(main(parser.parse_args().runs))
