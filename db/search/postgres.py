"""The PostgreSQL full-text backend (SEARCH_URL unset): tsvector + GIN, pg_trgm for companies.

A search ranks and facets at most the newest CANDIDATE_LIMIT matches (domain/news/search.py):
ranking every match grew with the matches (31.8 ms at p50 for 4,351 of 100,000 articles, a
second for 64,000), finding the newest candidates does not by much (bench/README.md).

The recency factor is float8 arithmetic: `extract(epoch ...)` is numeric, and numeric `power`
made a broad query (64,000 matches) five times slower.

User text reaches SQL only as bound parameters: `websearch_to_tsquery` parses it (it never
raises on any input) and the filters are fixed SQL fragments with bound values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos.news_rows import articles_by_ids, filter_sql
from domain.news.articles import NewsFilter
from domain.news.search import (
    CANDIDATE_LIMIT,
    COMPANY_LIMIT,
    FACET_SIZE,
    RECENCY_HALF_LIFE_DAYS,
    SENTINEL_END,
    SENTINEL_START,
    SNIPPET_WORDS,
    CompanyHit,
    FacetCount,
    Facets,
    SearchHit,
    SearchPage,
    clean_query,
    render_highlight,
)
from domain.pagination import decode_cursor, encode_cursor, page_size

_TITLE_OPTIONS = f'StartSel="{SENTINEL_START}", StopSel="{SENTINEL_END}", HighlightAll=TRUE'
_SNIPPET_OPTIONS = (
    f'StartSel="{SENTINEL_START}", StopSel="{SENTINEL_END}",'
    f" MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, ShortWord=2"
)

# `c`: the newest `:cap` + 1 matches with their scores. The tsquery is written inline (not
# through `q`) so that the planner sees a constant and estimates its selectivity: a broad query
# walks `ix_news_articles_published` backwards and stops after `:cap` + 1 matches (ranking
# only those), a narrow one takes the GIN bitmap and sorts its few matches. `m`, the newest
# `:cap`, is paged and faceted; the row past it says that more matched (`exact` false).
_SEARCH = """
WITH q AS (SELECT websearch_to_tsquery('english', :q) AS tsq),
c AS MATERIALIZED (
  SELECT a.id, a.category, a.symbols, a.published_at,
    ts_rank_cd(a.search, websearch_to_tsquery('english', :q)) * (0.5 + 0.5 * power(2.0::float8,
      -greatest(extract(epoch FROM (:now - a.published_at))::float8 / 86400.0, 0) / :half))
      AS score
  FROM news_articles a
  WHERE a.search @@ websearch_to_tsquery('english', :q) {filters}
  ORDER BY a.published_at DESC, a.id DESC
  LIMIT :cap + 1
),
m AS MATERIALIZED (SELECT * FROM c ORDER BY published_at DESC, id DESC LIMIT :cap),
page AS (
  SELECT id, score FROM m ORDER BY score DESC, published_at DESC, id DESC OFFSET :off LIMIT :n
)
SELECT
  (SELECT count(*) FROM c) AS matched,
  (SELECT json_agg(json_build_array(v, c)) FROM (
     SELECT category AS v, count(*) AS c FROM m GROUP BY 1 ORDER BY c DESC, v LIMIT :facets
  ) f) AS categories,
  (SELECT json_agg(json_build_array(v, c)) FROM (
     SELECT s AS v, count(*) AS c FROM m, unnest(m.symbols) s GROUP BY 1 ORDER BY c DESC, v
     LIMIT :facets
  ) f) AS symbols,
  (SELECT json_agg(json_build_array(v, c)) FROM (
     SELECT to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM') AS v, count(*) AS c FROM m
     GROUP BY 1 ORDER BY c DESC, v LIMIT :facets
  ) f) AS months,
  (SELECT json_agg(json_build_array(p.id, p.score,
      ts_headline('english', a.title, q.tsq, :title_options),
      ts_headline('english', CASE WHEN a.summary <> '' THEN a.summary ELSE a.body END, q.tsq,
                  :snippet_options))
    ORDER BY p.score DESC, a.published_at DESC, a.id DESC)
   FROM page p JOIN news_articles a ON a.id = p.id, q) AS hits
"""
# A cached generic plan cannot see the tsquery and takes the bitmap for every query: after five
# runs of a word in 91% of articles its p50 went from 7 ms to 98 ms.
_CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")

_COMPANIES = text("""
WITH named AS (
  SELECT c.symbol, c.alias,
    greatest(similarity(c.alias, :q), word_similarity(:q, c.alias)) AS score
  FROM company_aliases c
  WHERE c.alias % :q OR :q <% c.alias OR lower(c.alias) LIKE :prefix
),
coded AS (
  SELECT i.symbol, i.symbol AS alias,
    CASE WHEN i.symbol = upper(:q) THEN 1.0
         WHEN i.symbol LIKE upper(:prefix) THEN 0.9
         ELSE 0.75 - 0.15 * levenshtein_less_equal(i.symbol, upper(:q), 2) END AS score
  FROM instruments i
  WHERE char_length(:q) <= 16
    AND (i.symbol LIKE upper(:prefix) OR levenshtein_less_equal(i.symbol, upper(:q), 2) <= 2)
),
best AS (
  SELECT DISTINCT ON (symbol) symbol, alias, score
  FROM (SELECT * FROM named UNION ALL SELECT * FROM coded) h
  ORDER BY symbol, score DESC, alias
)
SELECT b.symbol, i.name, i.sector_code, b.alias AS matched, b.score,
  ARRAY(SELECT a.alias FROM company_aliases a WHERE a.symbol = b.symbol AND a.kind <> 'NAME'
        ORDER BY a.alias) AS aliases
FROM best b JOIN instruments i ON i.symbol = b.symbol
WHERE i.listing_status = 'LISTED'
ORDER BY b.score DESC, b.symbol
LIMIT :n
""")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _facet(rows: Any) -> tuple[FacetCount, ...]:
    return tuple(FacetCount(str(v), int(c)) for v, c in (rows or ()))


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PostgresSearch:
    """Search in PostgreSQL: the SearchBackend of an unset SEARCH_URL."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Callable[[], datetime] = _utc_now,
        candidates: int = CANDIDATE_LIMIT,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._candidates = candidates

    async def search_news(
        self, query: str, filters: NewsFilter, *, first: int | None, after: str | None
    ) -> SearchPage:
        """Articles matching websearch `query` and `filters`, best first, with facets.

        Only the newest `candidates` matches (CANDIDATE_LIMIT) are ranked, paged and faceted;
        when more match, `total` is `candidates` and `exact` is False.

        Raises:
            DomainError: for a bad cursor (`after`) or a page size outside 1..MAX_PAGE.
        """
        size = page_size(first)
        offset = 0 if after is None else decode_cursor(after) + 1
        q = clean_query(query)
        if not any(ch.isalnum() for ch in q):
            return SearchPage((), (), 0, False, offset > 0, Facets())
        where, params = filter_sql(filters, "a")
        params |= {
            "q": q,
            "now": self._clock(),
            "half": RECENCY_HALF_LIFE_DAYS,
            "cap": self._candidates,
            "off": offset,
            "n": size,
            "facets": FACET_SIZE,
            "title_options": _TITLE_OPTIONS,
            "snippet_options": _SNIPPET_OPTIONS,
        }
        sql = text(_SEARCH.format(filters="".join(f" AND {w}" for w in where)))
        async with self._engine.connect() as conn:
            await conn.execute(_CUSTOM_PLAN)
            row = (await conn.execute(sql, params)).one()
            raw_hits = row.hits if isinstance(row.hits, list) else json.loads(row.hits or "[]")
            articles = await articles_by_ids(conn, [int(h[0]) for h in raw_hits])
        hits = tuple(
            SearchHit(
                article=articles[int(h[0])],
                score=float(h[1]),
                title=render_highlight(h[2]),
                snippet=render_highlight(h[3]),
            )
            for h in raw_hits
            if int(h[0]) in articles
        )
        exact = int(row.matched) <= self._candidates
        total = min(int(row.matched), self._candidates)
        return SearchPage(
            hits=hits,
            cursors=tuple(encode_cursor(offset + i) for i in range(len(hits))),
            total=total,
            has_next=offset + len(hits) < total,
            has_previous=offset > 0,
            facets=Facets(
                categories=_facet(row.categories),
                symbols=_facet(row.symbols),
                months=_facet(row.months),
            ),
            exact=exact,
        )

    async def search_companies(
        self, query: str, *, limit: int = COMPANY_LIMIT
    ) -> tuple[CompanyHit, ...]:
        """Companies by symbol, name or alias (trigram similarity, symbol edit distance)."""
        q = clean_query(query)[:200]
        if not any(ch.isalnum() for ch in q):
            return ()
        params = {
            "q": q,
            "prefix": _escape_like(q.lower()) + "%",
            "n": min(max(limit, 1), COMPANY_LIMIT),
        }
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_COMPANIES, params)).all()
        return tuple(
            CompanyHit(
                symbol=r.symbol,
                name=r.name,
                sector_code=r.sector_code,
                aliases=tuple(r.aliases),
                matched=r.matched,
                score=round(float(r.score), 4),
            )
            for r in rows
        )

    async def start(self) -> None:
        """Nothing runs in the background: the database maintains the index."""

    def wake(self) -> None:
        """Nothing to do: the tsvector is a generated column."""

    async def close(self) -> None:
        """Nothing to release: the engine belongs to the caller."""
