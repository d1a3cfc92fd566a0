"""The OpenSearch search backend (`SEARCH_URL=opensearch://...`).

Articles live in PostgreSQL; OpenSearch holds a copy for search, fed by the outbox
(db/search/outbox.py) and rebuilt by `psx-analytics reindex` (db/search/opensearch_index.py).
A document holds the whole article, so a search is one `_search` request: the page of hits
with scores and highlights, the total and the facets. Results follow the contract of
domain/news/search.py, as the PostgreSQL backend's do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.search.opensearch_client import (
    OpenSearchConfig,
    SearchUnavailableError,
    bulk_apply,
    make_client,
    parse_search_url,
)
from db.search.opensearch_documents import (
    company_document,
    company_hits,
    document_of,
    empty_page,
    search_page,
)
from db.search.opensearch_index import ReindexResult, ensure_indices, reindex
from db.search.opensearch_queries import (
    COMPANIES_ALIAS,
    MAX_WINDOW,
    NEWS_ALIAS,
    company_search_body,
    news_filters,
    news_search_body,
)
from db.search.opensearch_rows import article_page, articles_by_id, company_entries
from db.search.outbox import OutboxWorker
from db.search.websearch import parse_websearch
from domain.news.articles import NewsFilter
from domain.news.search import COMPANY_LIMIT, CompanyHit, SearchPage, clean_query
from domain.pagination import decode_cursor, page_size

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OpenSearchBackend:
    """Search over OpenSearch: the SearchBackend of `SEARCH_URL=opensearch://...`."""

    def __init__(
        self,
        engine: AsyncEngine,
        config: OpenSearchConfig,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.config = config
        self.client: AsyncOpenSearch = make_client(config)
        self._worker: OutboxWorker | None = None
        self._boot: asyncio.Task[None] | None = None

    @classmethod
    def from_url(
        cls, url: str, engine: AsyncEngine, *, clock: Callable[[], datetime] = _utc_now
    ) -> OpenSearchBackend:
        """The backend of a SEARCH_URL (see db/search/opensearch_client.py)."""
        return cls(engine, parse_search_url(url), clock=clock)

    # -- the outbox sink -------------------------------------------------------------------

    async def documents(
        self, conn: AsyncConnection, article_ids: Sequence[int]
    ) -> Mapping[int, dict[str, Any]]:
        """The index documents of the articles that still exist."""
        return {a.id: document_of(a) for a in await articles_by_id(conn, article_ids)}

    async def write(
        self,
        documents: Mapping[int, dict[str, Any]],
        deleted: Sequence[int],
        versions: Mapping[int, int],
    ) -> Mapping[int, str | None]:
        """Index and delete articles in one bulk request (ids are article ids, versions the
        outbox's: see db/search/outbox.py)."""
        actions: list[dict[str, Any]] = [
            {
                "_op_type": "index",
                "_index": NEWS_ALIAS,
                "_id": str(i),
                "version": versions[i],
                "version_type": "external_gte",
                "_source": doc,
            }
            for i, doc in documents.items()
        ]
        actions += [
            {
                "_op_type": "delete",
                "_index": NEWS_ALIAS,
                "_id": str(i),
                "version": versions[i],
                "version_type": "external_gte",
            }
            for i in deleted
        ]
        outcome = await bulk_apply(self.client, actions)
        return {int(k): why for k, why in outcome.items()}

    # -- the index source ------------------------------------------------------------------

    async def aliases(self, conn: AsyncConnection) -> Mapping[str, Sequence[str]]:
        """Each listed symbol's other names (company name and aliases): ticker synonyms."""
        return {e.symbol: (e.name, *e.aliases) for e in await company_entries(conn)}

    async def articles(
        self, conn: AsyncConnection, *, batch: int
    ) -> AsyncIterator[Mapping[int, dict[str, Any]]]:
        """Every article, by id, `batch` at a time (keyset pages, no long-held cursor)."""
        after = 0
        while page := await article_page(conn, after=after, limit=batch):
            yield {a.id: document_of(a) for a in page}
            after = page[-1].id

    async def companies(self, conn: AsyncConnection) -> Mapping[str, dict[str, Any]]:
        """Every listed company's look-up document, by symbol."""
        return {e.symbol: company_document(e) for e in await company_entries(conn)}

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """In the background: build the indices on a new cluster, then drain the outbox.

        Start-up does not wait for OpenSearch: while it is unreachable the worker keeps
        trying, backing off, and searches fail with SearchUnavailableError.
        """
        self._worker = OutboxWorker(self._engine, self)
        self._boot = asyncio.create_task(self._ensure_then_drain(), name="search-boot")

    async def _ensure_then_drain(self) -> None:
        try:
            await ensure_indices(self._engine, self.client, self, replicas=self.config.replicas)
        except (SearchUnavailableError, TransportError) as exc:
            log.warning("OpenSearch %s unavailable at start: %s", self.config.describe(), exc)
        except Exception:  # the outbox must drain whatever went wrong building the indices
            log.exception("search indices not built at start; `psx-analytics reindex` builds them")
        if self._worker is not None:
            self._worker.start()

    def wake(self) -> None:
        """Drain now: a writer committed outbox rows."""
        if self._worker is not None:
            self._worker.wake()

    async def close(self) -> None:
        """Stop the worker and close the client's connections."""
        if self._boot is not None:
            self._boot.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._boot
            self._boot = None
        if self._worker is not None:
            await self._worker.stop()
            self._worker = None
        await self.client.close()

    async def reindex(self) -> ReindexResult:
        """Rebuild both indices from PostgreSQL behind an alias swap."""
        result = await reindex(self._engine, self.client, self, replicas=self.config.replicas)
        assert result is not None  # noqa: S101 - only `only_if_missing` gives None
        return result

    # -- searching ---------------------------------------------------------------------------

    async def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = await self.client.search(index=index, body=body)
        except OpenSearchConnectionError as exc:
            raise SearchUnavailableError(f"unreachable: {type(exc).__name__}") from exc
        except TransportError as exc:
            raise SearchUnavailableError(f"status {exc.status_code}: {exc.error}") from exc
        return result

    async def search_news(
        self, query: str, filters: NewsFilter, *, first: int | None, after: str | None
    ) -> SearchPage:
        """Articles matching websearch `query` and `filters`, a page at a time, with facets.

        Raises:
            DomainError: for a bad cursor, or a page size outside 1..MAX_PAGE (`first`).
            SearchUnavailableError: when OpenSearch does not answer.
        """
        size = page_size(first)
        offset = 0 if after is None else decode_cursor(after) + 1
        parsed = parse_websearch(clean_query(query))
        if not parsed or offset >= MAX_WINDOW:
            return empty_page(offset=offset)
        body = news_search_body(
            parsed,
            news_filters(filters),
            offset=offset,
            size=min(size, MAX_WINDOW - offset),
            now=self._clock(),
        )
        return search_page(await self._search(NEWS_ALIAS, body), offset=offset)

    async def search_companies(
        self, query: str, *, limit: int = COMPANY_LIMIT
    ) -> tuple[CompanyHit, ...]:
        """Companies by symbol, name or alias, typos forgiven; best first.

        Raises:
            SearchUnavailableError: when OpenSearch does not answer.
        """
        text_ = clean_query(query)
        if not any(ch.isalnum() for ch in text_):
            return ()
        body = company_search_body(text_, size=min(max(limit, 1), COMPANY_LIMIT))
        return company_hits(await self._search(COMPANIES_ALIAS, body))
