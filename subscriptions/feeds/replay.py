"""The `replay` feed: trades from a file, on the trading days after the stored data.

The file's days are mapped onto the next trading sessions (see `domain/markets/replay.py`), and
the trades are handed to the ingester as a simulated clock reaches them, `speed` times faster
than the wall clock; time between sessions is skipped. The feed ends after the last trade.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

from domain.markets.ticks import Tick
from subscriptions.feeds.simulator import SimulatedClock
from subscriptions.ingest import Ingester

log = logging.getLogger(__name__)

BATCH = timedelta(milliseconds=20)  # trades this close together go in one batch


class ReplayFeed:
    """Replays ticks (already placed on replay days) by a simulated clock."""

    name = "replay"

    def __init__(self, ticks: Sequence[Tick], clock: SimulatedClock) -> None:
        self._ticks = sorted(ticks, key=lambda t: (t.at, t.seq))
        self.clock = clock

    async def run(self, ingester: Ingester) -> None:
        """Hand each trade over when the clock reaches it; return after the last."""
        i = 0
        ticks = self._ticks
        while i < len(ticks):
            now = self.clock.now()
            due = ticks[i].at
            if due > now:
                wait = (due - now).total_seconds() / self.clock.speed
                if wait > 5:  # nothing for a while (a night, a break): jump
                    self.clock.jump_to(due - timedelta(seconds=1))
                    await ingester.tick_clock()
                    continue
                await asyncio.sleep(wait)
                continue
            batch_end = max(now, due) + BATCH
            j = i
            while j < len(ticks) and ticks[j].at <= batch_end:
                j += 1
            await ingester.ingest(ticks[i:j])
            await ingester.tick_clock()
            i = j
        log.info("replay finished: %d trades", len(ticks))
