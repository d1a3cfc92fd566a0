"""The OpenSearch indices: templates, the first index, and reindexing behind an alias swap.

Searches and writes go to the aliases `psx-news` and `psx-companies`; each points at one
concrete index `psx-news-<stamp>`. A reindex builds new concrete indices from PostgreSQL
(templates put again first, with ticker synonyms from the current aliases), then moves both
aliases in one `_aliases` call and drops the old indices: searches never see a half-built
index. The outbox drain pauses meanwhile (db/search/outbox.py, REINDEX_LOCK).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.search.opensearch_client import SearchUnavailableError, bulk_apply
from db.search.opensearch_queries import (
    COMPANIES_ALIAS,
    NEWS_ALIAS,
    companies_template,
    news_template,
    synonym_rules,
)
from db.search.outbox import REINDEX_LOCK

log = logging.getLogger(__name__)


class IndexSource(Protocol):
    """What the indices are built from (the rows of PostgreSQL)."""

    async def aliases(self, conn: AsyncConnection) -> Mapping[str, Sequence[str]]:
        """Every listed symbol's aliases (company names, old symbols)."""
        ...

    def articles(
        self, conn: AsyncConnection, *, batch: int
    ) -> AsyncIterator[Mapping[int, dict[str, Any]]]:
        """Every article's index document, `batch` at a time, by article id."""
        ...

    async def companies(self, conn: AsyncConnection) -> Mapping[str, dict[str, Any]]:
        """Every company's look-up document, by symbol."""
        ...


@dataclass(frozen=True, slots=True)
class ReindexResult:
    """What a reindex wrote."""

    news_index: str
    companies_index: str
    articles: int
    companies: int
    rejected: int
    dropped: tuple[str, ...]


def index_stamp(now: datetime) -> str:
    """The suffix of a concrete index made at `now` (UTC, to the microsecond)."""
    return now.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")


async def put_templates(
    client: AsyncOpenSearch, aliases: Mapping[str, Sequence[str]], *, replicas: int
) -> None:
    """Put both index templates, ticker synonyms built from `aliases`."""
    rules = synonym_rules(aliases)
    await client.indices.put_index_template(
        name=NEWS_ALIAS, body=news_template(rules, replicas=replicas)
    )
    await client.indices.put_index_template(
        name=COMPANIES_ALIAS, body=companies_template(rules, replicas=replicas)
    )


async def alias_targets(client: AsyncOpenSearch, alias: str) -> list[str]:
    """The concrete indices an alias points at; empty when there is no such alias."""
    try:
        found = await client.indices.get_alias(name=alias)
    except NotFoundError:
        return []
    return sorted(found)


def _index_actions(index: str, docs: Mapping[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"_op_type": "index", "_index": index, "_id": str(key), "_source": doc}
        for key, doc in docs.items()
    ]


async def reindex(
    engine: AsyncEngine,
    client: AsyncOpenSearch,
    source: IndexSource,
    *,
    replicas: int = 1,
    batch: int = 500,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    only_if_missing: bool = False,
) -> ReindexResult | None:
    """Build fresh indices from PostgreSQL and swap the aliases onto them.

    With `only_if_missing`, nothing is done (None) when both aliases exist once the lock is
    held: of several servers starting on a new cluster, one builds.

    Raises:
        SearchUnavailableError: when OpenSearch fails; the aliases then still point at the old
            indices, and the half-built ones are dropped.
    """
    async with engine.connect() as lock:
        # Waits for drains in flight; drains started later skip their turn until the unlock.
        await lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": REINDEX_LOCK})
        await lock.commit()
        try:
            if only_if_missing and await _both_aliases(client):
                return None
            return await _reindex(engine, client, source, replicas, batch, clock())
        finally:
            await lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": REINDEX_LOCK})
            await lock.commit()


async def _reindex(
    engine: AsyncEngine,
    client: AsyncOpenSearch,
    source: IndexSource,
    replicas: int,
    batch: int,
    now: datetime,
) -> ReindexResult:
    stamp = index_stamp(now)
    news_index, companies_index = f"{NEWS_ALIAS}-{stamp}", f"{COMPANIES_ALIAS}-{stamp}"
    try:
        old_news, old_companies, built = await _build(
            engine, client, source, replicas, batch, news_index, companies_index
        )
    except OpenSearchConnectionError as exc:
        raise SearchUnavailableError(f"unreachable: {type(exc).__name__}") from exc
    except (TransportError, SearchUnavailableError) as exc:
        # Whatever failed, the aliases still point at the old indices: drop the half-built.
        with contextlib.suppress(TransportError):
            await client.indices.delete(index=f"{news_index},{companies_index}", ignore=[404])
        if isinstance(exc, SearchUnavailableError):
            raise
        raise SearchUnavailableError(f"status {exc.status_code}: {exc.error}") from exc
    actions: list[dict[str, Any]] = [
        {"remove": {"index": old, "alias": NEWS_ALIAS}} for old in old_news
    ]
    actions += [{"remove": {"index": old, "alias": COMPANIES_ALIAS}} for old in old_companies]
    actions += [
        {"add": {"index": news_index, "alias": NEWS_ALIAS, "is_write_index": True}},
        {"add": {"index": companies_index, "alias": COMPANIES_ALIAS, "is_write_index": True}},
    ]
    await client.indices.update_aliases(body={"actions": actions})
    dropped = tuple(old_news + old_companies)
    if dropped:
        await client.indices.delete(index=",".join(dropped), ignore=[404])
    articles, companies, rejected = built
    log.info(
        "reindexed %d articles and %d companies into %s (%d rejected)",
        articles,
        companies,
        stamp,
        rejected,
    )
    return ReindexResult(
        news_index=news_index,
        companies_index=companies_index,
        articles=articles,
        companies=companies,
        rejected=rejected,
        dropped=dropped,
    )


async def _build(
    engine: AsyncEngine,
    client: AsyncOpenSearch,
    source: IndexSource,
    replicas: int,
    batch: int,
    news_index: str,
    companies_index: str,
) -> tuple[list[str], list[str], tuple[int, int, int]]:
    """Templates, the new indices and their documents; the old indices and the counts."""
    articles = companies = rejected = 0
    async with engine.connect() as conn:
        await put_templates(client, await source.aliases(conn), replicas=replicas)
        old_news = await alias_targets(client, NEWS_ALIAS)
        old_companies = await alias_targets(client, COMPANIES_ALIAS)
        await client.indices.create(index=news_index)
        await client.indices.create(index=companies_index)
        async for docs in source.articles(conn, batch=batch):
            outcome = await bulk_apply(client, _index_actions(news_index, docs))
            articles += len(outcome) - _count_rejected(outcome)
            rejected += _count_rejected(outcome)
        outcome = await bulk_apply(
            client, _index_actions(companies_index, await source.companies(conn))
        )
        companies = len(outcome) - _count_rejected(outcome)
        rejected += _count_rejected(outcome)
    await client.indices.refresh(index=f"{news_index},{companies_index}")
    return old_news, old_companies, (articles, companies, rejected)


def _count_rejected(outcome: Mapping[str, str | None]) -> int:
    return sum(1 for why in outcome.values() if why is not None)


async def ensure_indices(
    engine: AsyncEngine,
    client: AsyncOpenSearch,
    source: IndexSource,
    *,
    replicas: int = 1,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> ReindexResult | None:
    """Build the indices when an alias is missing (a new cluster); None when both exist.

    The articles already in PostgreSQL go in with the build, so switching an existing
    installation to OpenSearch needs no separate reindex.
    """
    if await _both_aliases(client):
        return None
    log.info("no %s alias yet: building the search indices", NEWS_ALIAS)
    return await reindex(
        engine, client, source, replicas=replicas, clock=clock, only_if_missing=True
    )


async def _both_aliases(client: AsyncOpenSearch) -> bool:
    return bool(await alias_targets(client, NEWS_ALIAS)) and bool(
        await alias_targets(client, COMPANIES_ALIAS)
    )
