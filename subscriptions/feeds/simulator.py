"""The `simulator` feed: PSX-like trades for the demo universe, in simulated time.

The simulator keeps its own clock. Inside a real PSX session (and with data up to yesterday)
it runs at the wall clock; otherwise it starts at the next session after the last stored
trading day, so a demo always shows a market moving. `speed` makes simulated time run faster
than the wall clock; time when no session is held (nights, weekends, Friday's break) and the
bulk of a market halt are skipped. The server answers every clock-dependent question (market
status, charts up to "now") by this clock while the simulator runs, so what a client sees is
consistent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from domain.markets.sessions import TradingSession
from domain.markets.simulation import SimulatedMarket, SimulationSettings, liquidity_weights
from domain.markets.ticks import session_of
from subscriptions.ingest import Ingester

log = logging.getLogger(__name__)

PRE_OPEN_LEAD = timedelta(seconds=30)
HALT_SHOWN_FOR = 30.0  # wall seconds a halt is shown before the simulator skips to resumption


class SimulatedClock:
    """Simulated time: `start` at creation, advancing `speed` times the wall clock."""

    def __init__(
        self,
        start: datetime,
        *,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._origin = start
        self._real_origin = monotonic()
        self.speed = speed

    def now(self) -> datetime:
        """The simulated instant."""
        return self._origin + timedelta(
            seconds=(self._monotonic() - self._real_origin) * self.speed
        )

    def jump_to(self, instant: datetime) -> None:
        """Continue from `instant` (forward only)."""
        if instant > self.now():
            self._origin = instant
            self._real_origin = self._monotonic()


def simulation_start(
    real_now: datetime,
    last_day_with_data: datetime,
    sessions: Sequence[TradingSession],
    *,
    lead: timedelta = PRE_OPEN_LEAD,
) -> datetime:
    """Where simulated time starts: now inside a live session after the data, else the next
    session after the data (a little before its open, to show the pre-open)."""
    last = last_day_with_data.date()
    ahead = [s for s in sessions if s.day > last and s.close_at > real_now]
    if not ahead:
        return real_now
    first = ahead[0]
    if first.pre_open_at <= real_now:
        return real_now
    return max(real_now, first.open_at - lead)


class SimulatorFeed:
    """Generates trades every `step` wall seconds and hands them to the ingester."""

    name = "simulator"

    def __init__(
        self,
        clock: SimulatedClock,
        *,
        seed: int | None = None,
        step: float = 0.02,
        settings: SimulationSettings | None = None,
    ) -> None:
        self.clock = clock
        self._step = step
        self._market = SimulatedMarket(random.Random(seed), settings or SimulationSettings())  # noqa: S311

    async def run(self, ingester: Ingester) -> None:
        """Trade until cancelled."""
        weights = liquidity_weights(ingester.states)
        last = self.clock.now()
        halt_seen: float | None = None
        while True:
            await asyncio.sleep(self._step)
            now = self.clock.now()
            session = session_of(now, ingester.sessions)
            if session is None:
                self._skip_to_next_session(now, ingester.sessions)
                await ingester.tick_clock()
                last = self.clock.now()
                continue
            if ingester.halted():
                await ingester.tick_clock()
                halt_seen = halt_seen or time.monotonic()
                halt = ingester.halts.halt
                if halt is not None and time.monotonic() - halt_seen > HALT_SHOWN_FOR:
                    self.clock.jump_to(halt.resumes_at)
                    halt_seen = None
                last = self.clock.now()
                continue
            start = max(last, session.open_at)
            ticks = self._market.step(now, now - start, session, ingester.states, weights)
            await ingester.ingest(ticks)
            await ingester.tick_clock()
            last = now

    def _skip_to_next_session(self, now: datetime, sessions: Sequence[TradingSession]) -> None:
        upcoming = [s for s in sessions if s.open_at > now]
        if upcoming:
            target = upcoming[0].open_at - PRE_OPEN_LEAD
            if target > now:
                log.info("simulator: no session until %s; skipping ahead", upcoming[0].open_at)
                self.clock.jump_to(target)
