"""The search outbox drain: articles committed in PostgreSQL reach OpenSearch exactly once.

The news repository writes a `search_outbox` row in the transaction that writes (or deletes) an
article. This worker takes a batch of rows `FOR UPDATE SKIP LOCKED` (several workers never take
the same row), reads the articles as they are now, and bulk-writes them under their article id:
an article still in the table is indexed, one that is gone is deleted. Rows whose write settled
are deleted in the same transaction; the others keep their place with `attempts` + 1 and
`last_error`. A crash between the bulk write and the commit only repeats a write of the same
document under the same id, so the index ends as if each article were written once. Writes
carry the row id as an external version (`external_gte`): a row is inserted by the transaction
that changed the article, so whoever holds the higher id read the later state, and a slower
worker holding an older row cannot overwrite it (OpenSearch answers 409, which settles).

While OpenSearch is down the batch fails whole: every row of it counts an attempt and the worker
waits before the next try, doubling the wait up to `max_backoff`. Rows are taken fewest
attempts first, so a document OpenSearch keeps rejecting does not hold up the rest.

`psx-analytics reindex` holds the exclusive side of an advisory lock (`REINDEX_LOCK`); each
drain takes the shared side for its transaction or skips its turn, so no drain writes into the
index being replaced; the rows left meanwhile drain into the new index afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.search.opensearch_client import SearchUnavailableError

log = logging.getLogger(__name__)

# pg_advisory_lock key of reindexing: "psx search" in ASCII, 8 bytes.
REINDEX_LOCK = 0x7073_7820_7365_6172


class OutboxSink(Protocol):
    """Where drained articles go (the OpenSearch backend)."""

    async def documents(
        self, conn: AsyncConnection, article_ids: Sequence[int]
    ) -> Mapping[int, dict[str, Any]]:
        """The index documents of the articles that still exist, by article id."""
        ...

    async def write(
        self,
        documents: Mapping[int, dict[str, Any]],
        deleted: Sequence[int],
        versions: Mapping[int, int],
    ) -> Mapping[int, str | None]:
        """Index `documents` and delete `deleted`; per article, None when settled, else why not.

        `versions` (the article's latest outbox row id) go as external versions: of two
        workers writing one article, the one that read it later wins whatever the order.

        Raises:
            SearchUnavailableError: when the cluster could not take the request at all.
        """
        ...


@dataclass(frozen=True, slots=True)
class DrainResult:
    """One batch: rows settled and deleted, rows kept for another try, whether it was paused."""

    settled: int = 0
    failed: int = 0
    unavailable: bool = False
    paused: bool = False

    @property
    def taken(self) -> int:
        """Rows the batch took."""
        return self.settled + self.failed


async def drain_once(engine: AsyncEngine, sink: OutboxSink, *, batch: int = 200) -> DrainResult:
    """Take one batch of outbox rows, write it to the index, settle the rows; one transaction."""
    async with engine.begin() as conn:
        if not await conn.scalar(
            text("SELECT pg_try_advisory_xact_lock_shared(:k)"), {"k": REINDEX_LOCK}
        ):
            return DrainResult(paused=True)
        rows = (
            await conn.execute(
                text(
                    "SELECT id, article_id FROM search_outbox"
                    " ORDER BY attempts, enqueued_at, id LIMIT :n FOR UPDATE SKIP LOCKED"
                ),
                {"n": batch},
            )
        ).all()
        if not rows:
            return DrainResult()
        versions: dict[int, int] = {}
        for r in rows:
            versions[int(r.article_id)] = max(int(r.id), versions.get(int(r.article_id), 0))
        article_ids = sorted(versions)
        documents = await sink.documents(conn, article_ids)
        deleted = [a for a in article_ids if a not in documents]
        try:
            outcome = await sink.write(documents, deleted, versions)
        except SearchUnavailableError as exc:
            await _failed(conn, [int(r.id) for r in rows], str(exc))
            log.warning("search outbox: %d rows wait, OpenSearch unavailable (%s)", len(rows), exc)
            return DrainResult(failed=len(rows), unavailable=True)
        settled = [int(r.id) for r in rows if outcome.get(int(r.article_id), "no answer") is None]
        failures: dict[str, list[int]] = {}
        for r in rows:
            reason = outcome.get(int(r.article_id), "no answer")
            if reason is not None:
                failures.setdefault(reason, []).append(int(r.id))
        if settled:
            await conn.execute(
                text("DELETE FROM search_outbox WHERE id = ANY(:ids)"), {"ids": settled}
            )
        for reason, ids in failures.items():
            await _failed(conn, ids, reason)
            log.error("search outbox: OpenSearch rejected %d rows: %s", len(ids), reason)
        return DrainResult(settled=len(settled), failed=len(rows) - len(settled))


async def _failed(conn: AsyncConnection, ids: list[int], reason: str) -> None:
    await conn.execute(
        text(
            "UPDATE search_outbox SET attempts = attempts + 1, last_error = :e WHERE id = ANY(:ids)"
        ),
        {"ids": ids, "e": reason[:500]},
    )


class OutboxWorker:
    """Drains the outbox in the background: as fast as rows come, backing off while down."""

    def __init__(
        self,
        engine: AsyncEngine,
        sink: OutboxSink,
        *,
        batch: int = 200,
        interval: float = 1.0,
        initial_backoff: float = 1.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._engine, self._sink = engine, sink
        self._batch, self._interval = batch, interval
        self._initial_backoff, self._max_backoff = initial_backoff, max_backoff
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Run in the background until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="search-outbox")

    def wake(self) -> None:
        """Drain now rather than after the poll interval (a writer committed rows)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop after the batch in flight (its transaction commits or rolls back whole)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        backoff = self._initial_backoff
        while True:
            try:
                result = await drain_once(self._engine, self._sink, batch=self._batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken batch must not end the worker
                log.exception("search outbox: the batch failed")
                result = DrainResult(unavailable=True)
            if result.unavailable:
                await self._sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = self._initial_backoff
            if result.paused or result.settled == 0 or result.taken < self._batch:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
