"""Search over news and companies: one interface, two backends (ARCHITECTURE.md, "Storage").

Contract for backends (the results contract itself is in domain/news/search.py):
- `SearchBackend` below is what resolvers call. `make_search_backend(url, engine)` picks the
  backend from `SEARCH_URL`: unset (or `postgres://`, `postgresql://`) is PostgreSQL full text
  (db/search/postgres.py); `opensearch://` / `opensearchs://` is OpenSearch
  (db/search/opensearch.py, imported lazily, `OpenSearchBackend.from_url(url, engine, clock=)`).
- Articles are written only to PostgreSQL (db/repos/news.py). When `uses_outbox(url)` the
  repository also inserts one `search_outbox` row per written or deleted article (op `index`
  or `delete`) in the same transaction (`import news` does, from `uses_outbox(SEARCH_URL)`);
  a writer inside the server calls `backend.wake()` after the commit.
  The OpenSearch backend's worker drains the outbox (db/search/outbox.py). The PostgreSQL
  backend needs no outbox: its `tsvector` is a generated column of `news_articles`.
- Tables: `news_articles` (the columns of domain.news.articles.Article; `symbols` text[] of
  instrument symbols, `sectors` text[] of sector codes, `tags` text[]), `news_article_symbols`
  (article_id, symbol, published_at), `company_aliases` (symbol, alias, kind),
  `economic_events`, `search_outbox` (id, article_id, op, enqueued_at, attempts, last_error).
- Errors: a bad cursor or page size raises DomainError (field `after` / `first`); a backend
  that cannot answer raises its own exception, which the API masks as unexpected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.news.articles import NewsFilter
from domain.news.search import COMPANY_LIMIT, CompanyHit, SearchPage

_POSTGRES = frozenset({"", "postgres", "postgresql", "postgresql+asyncpg"})
_OPENSEARCH = frozenset({"opensearch", "opensearchs"})


class SearchBackend(Protocol):
    """Full-text search of news and typo-tolerant look-up of companies."""

    async def search_news(
        self, query: str, filters: NewsFilter, *, first: int | None, after: str | None
    ) -> SearchPage:
        """Articles matching websearch `query` and `filters`, a page at a time, with facets.

        Raises:
            DomainError: for a bad cursor (`after`) or a page size outside 1..MAX_PAGE.
        """
        ...

    async def search_companies(
        self, query: str, *, limit: int = COMPANY_LIMIT
    ) -> tuple[CompanyHit, ...]:
        """Companies by symbol, name or alias, typos forgiven; best first."""
        ...

    async def start(self) -> None:
        """Start background work (the OpenSearch outbox drain); called once at app start."""
        ...

    def wake(self) -> None:
        """A writer committed articles: index them soon (no-op where indexing is in-database)."""
        ...

    async def close(self) -> None:
        """Stop background work and release connections."""
        ...


def _scheme(url: str | None) -> str:
    return "" if not url else urlsplit(url).scheme.lower()


def uses_outbox(url: str | None) -> bool:
    """Whether article writes must fill `search_outbox` (an external search index)."""
    return _scheme(url) in _OPENSEARCH


def _utc_now() -> datetime:
    return datetime.now(UTC)


def make_search_backend(
    url: str | None, engine: AsyncEngine, *, clock: Callable[[], datetime] = _utc_now
) -> SearchBackend:
    """The backend `SEARCH_URL` names (unset: PostgreSQL full text on `engine`).

    Raises:
        ValueError: for a URL scheme no backend serves.
    """
    scheme = _scheme(url)
    if scheme in _POSTGRES:
        from db.search.postgres import PostgresSearch

        return PostgresSearch(engine, clock=clock)
    if scheme in _OPENSEARCH and url is not None:
        # Lazily: opensearch-py is only needed when a cluster is configured.
        from db.search.opensearch import OpenSearchBackend

        return OpenSearchBackend.from_url(url, engine, clock=clock)
    raise ValueError(f"SEARCH_URL scheme {scheme!r} is not one of postgresql, opensearch")
