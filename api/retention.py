"""Retention on a schedule, inside the server, and the `psx-analytics retention` command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from db.retention import RetentionReport, apply_retention, plan_retention
from domain.retention import parse_policy

log = logging.getLogger(__name__)


async def run_retention(
    engine: AsyncEngine,
    policy_text: str,
    *,
    now: datetime,
    dry_run: bool,
    search_outbox: bool = False,
) -> RetentionReport:
    """One run of the policy `policy_text` (PSX_RETENTION); a dry run changes nothing.

    `search_outbox` (an OpenSearch SEARCH_URL): queue the removed articles' index deletes.

    Raises:
        domain.retention.PolicyError: for a setting that cannot be read.
    """
    policy = parse_policy(policy_text)
    if dry_run:
        return RetentionReport(dry_run, await plan_retention(engine, policy, now=now))
    results = await apply_retention(engine, policy, now=now, search_outbox=search_outbox)
    return RetentionReport(dry_run, results)


class RetentionSchedule:
    """Runs retention every `every_hours` hours, the first run one interval after start.

    Replicas may each run it: the work is idempotent (a second run finds nothing to do).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        policy_text: str,
        *,
        every_hours: float,
        clock: Callable[[], datetime],
        search_outbox: bool = False,
    ) -> None:
        parse_policy(policy_text)  # a bad setting fails at start-up, not a day later
        self._engine = engine
        self._search_outbox = search_outbox
        self._policy = policy_text
        self._every = every_hours * 3600
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop."""
        self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        """Stop the loop (a run in progress is rolled back by its transaction)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                report = await run_retention(
                    self._engine,
                    self._policy,
                    now=self._clock(),
                    dry_run=False,
                    search_outbox=self._search_outbox,
                )
            except Exception:
                log.exception("retention run failed; the next one is in %.0f s", self._every)
                continue
            for line in report.lines():
                log.info("retention: %s", line)
