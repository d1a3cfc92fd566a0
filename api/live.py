"""Starting the live side of a process: the hub, and the feed when this process runs one.

While a feed runs, the process tells time by the feed's clock (the simulator's or the
replay's), so market status, charts and 52-week ranges agree with the trades it publishes.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from api.settings import Settings
from db.reference import RangeCache
from db.repos import markets as repo
from domain.markets.charts import trading_day_of
from domain.markets.replay import onto_days, parse_replay
from domain.markets.sessions import PKT, TradingSession
from domain.markets.simulation import SimulationSettings
from resolvers.context import Services, utc_now
from subscriptions.alerts import AlertEngine
from subscriptions.feeds import Feed
from subscriptions.feeds.psx_dps import DpsFeed
from subscriptions.feeds.replay import ReplayFeed
from subscriptions.feeds.simulator import (
    PRE_OPEN_LEAD,
    SimulatedClock,
    SimulatorFeed,
    simulation_start,
)
from subscriptions.ingest import Ingester
from subscriptions.live import LiveMarket

log = logging.getLogger(__name__)

FEEDS = ("simulator", "replay", "psx-dps", "none")


async def _last_stored(services: Services) -> datetime:
    """The newest quote's time: the live path continues after it."""
    ref = await services.reference.get()
    stored = await services.quotes.get_many([i.symbol for i in ref.instruments])
    return max((q.updated_at for q in stored if q is not None), default=utc_now())


async def _sessions_from(services: Services, instant: datetime, days: int) -> list[TradingSession]:
    first = trading_day_of(instant)
    return await repo.sessions_between(
        services.database.read,
        first_day=first - timedelta(days=1),
        last_day=first + timedelta(days=days),
    )


async def simulator_clock(
    services: Services, speed: float, *, lead: timedelta = PRE_OPEN_LEAD
) -> SimulatedClock:
    """A simulated clock starting now in a live session, else at the next session."""
    last = await _last_stored(services)
    real_now = utc_now()
    sessions = await _sessions_from(services, max(real_now, last), 14)
    start = simulation_start(real_now, last.astimezone(PKT), sessions, lead=lead)
    return SimulatedClock(start, speed=speed)


async def replay_feed(services: Services, path: Path, speed: float) -> ReplayFeed:
    """A replay of `path` on the trading days after the stored data."""
    trades, rejections = parse_replay(await asyncio.to_thread(path.read_text))
    for r in rejections[:20]:
        log.warning("replay %s line %d refused: %s", path.name, r.line_no, r.reason)
    if not trades:
        raise ValueError(f"{path}: no trades to replay")
    last = await _last_stored(services)
    sessions = await _sessions_from(services, last, 120)
    days = sorted({s.day for s in sessions if s.day > last.astimezone(PKT).date()})
    ticks = onto_days(trades, days)
    clock = SimulatedClock(ticks[0].at - timedelta(seconds=1), speed=speed)
    log.info("replaying %d trades of %s from %s", len(ticks), path.name, ticks[0].at)
    return ReplayFeed(ticks, clock)


async def start_live(
    settings: Settings,
    services: Services,
    feed_name: str,
    *,
    flat: bool = False,
    replay_file: Path | None = None,
) -> tuple[Services, LiveMarket]:
    """Connect the hub and, when asked, run a feed in-process.

    Raises:
        ValueError: for an unknown feed, or a replay without a readable file.
    """
    assert services.hub is not None  # noqa: S101 - build_services made one
    if feed_name not in FEEDS:
        raise ValueError(f"unknown feed {feed_name!r}: expected one of {', '.join(FEEDS)}")
    live = LiveMarket(services.hub)
    await live.start()
    if feed_name == "none":
        # Another process ingests: its clock and halts reach this one through two channels.
        await live.follow_market_status()
        followed = replace(
            services,
            clock=live.clock,
            halted=live.halted,
            ranges=RangeCache(services.database.read, today=lambda: trading_day_of(live.clock())),
        )
        return followed, live
    feed: Feed
    if feed_name == "psx-dps":
        # Real trades in real time: the process's clock is the wall clock.
        clock = SimulatedClock(utc_now(), speed=1.0)
        feed = DpsFeed(settings.dps_url)
    elif feed_name == "replay":
        if replay_file is None:
            raise ValueError("the replay feed needs a file (--file or PSX_REPLAY_FILE)")
        replay = await replay_feed(services, replay_file, settings.feed_speed)
        clock, feed = replay.clock, replay
    else:
        # A load test wants trades at once, not a pre-open first.
        clock = await simulator_clock(
            services, settings.feed_speed, lead=timedelta(0) if flat else PRE_OPEN_LEAD
        )
        simulation = SimulationSettings(trades_per_second=settings.feed_rate)
        if flat:
            simulation = replace(simulation, seasonality=False, shocks_per_session=0.0)
        feed = SimulatorFeed(clock, settings=simulation)
    alert_engine = AlertEngine(services.database.primary, services.hub)
    ingester = Ingester(
        engine=services.database.primary,
        store=services.quotes,
        hub=services.hub,
        clock=clock.now,
        on_trades=alert_engine.on_trades,
        on_close=alert_engine.on_close,
    )
    await live.run_feed(feed, ingester)
    log.info("%s feed running from %s (speed %.1fx)", feed.name, clock.now(), settings.feed_speed)
    clocked = replace(
        services,
        clock=clock.now,
        halted=ingester.halted,
        ranges=RangeCache(services.database.read, today=lambda: trading_day_of(clock.now())),
    )
    return clocked, live
