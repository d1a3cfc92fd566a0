"""The alert engine: evaluates users' alerts on each trade and at the close, in the ingest
pipeline.

Alerts are indexed by symbol, so a trade costs only the alerts on its symbol. The set is
reloaded when a mutation bumps its version (checked at most every `check_every` seconds).
PATTERN alerts watch the daily candle: when the day's last session closes (and its bars are
flushed), `on_close` reads the recent daily bars of every symbol they watch in one statement
and fires those whose pattern completes on the session's candle.
Fired alerts are stored, and published on their owner's channel after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

import orjson
import polars as pl
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import alerts as repo
from db.repos import markets as market_repo
from domain.alerts.rules import (
    DEFAULT_PERIOD,
    PATTERN_BARS,
    Alert,
    AlertCondition,
    AlertEvent,
    AlertRepeat,
    Firing,
    SymbolHistory,
    evaluate,
    pattern_firings,
)
from domain.markets.instruments import CorporateAction
from domain.markets.quotes import QuoteState
from domain.markets.sessions import PKT
from subscriptions import channels
from subscriptions.hub import Hub

log = logging.getLogger(__name__)

HISTORY_DAYS = 250  # enough for a 200-day average and a well-seeded RSI


def _fired(alert: Alert, at: datetime) -> Alert:
    """The alert as it stands after firing: rearming later, or off for a ONCE alert."""
    return replace(
        alert, last_fired_at=at, active=alert.active and alert.repeat is not AlertRepeat.ONCE
    )


def _all_pattern_firings(
    alerts: Mapping[str, Sequence[Alert]],
    frames: Mapping[str, pl.DataFrame],
    actions: Mapping[int, Sequence[CorporateAction]],
    *,
    day: date,
    at: datetime,
) -> list[Firing]:
    out: list[Firing] = []
    for symbol, frame in frames.items():
        instrument_id = int(frame.get_column("instrument_id")[0])
        out.extend(
            pattern_firings(
                alerts[symbol], frame, day=day, at=at, actions=actions.get(instrument_id, ())
            )
        )
    return out


def alert_event_json(event: AlertEvent) -> bytes:
    """An event as published on its owner's channel."""
    return orjson.dumps(
        {
            "id": event.id,
            "alert_id": str(event.alert_id),
            "user_id": str(event.user_id),
            "symbol": event.symbol,
            "condition": event.condition.value,
            "value": str(event.value),
            "price": str(event.price),
            "message": event.message,
            "fired_at": event.fired_at.isoformat(),
        }
    )


class AlertEngine:
    """Holds the active alerts by symbol and evaluates them on trades and at the close."""

    def __init__(self, engine: AsyncEngine, hub: Hub, *, check_every: float = 2.0) -> None:
        self._engine = engine
        self._hub = hub
        self._check_every = check_every
        self._version: int | None = None
        self._checked = 0.0
        self._by_symbol: dict[str, list[Alert]] = {}
        self._history: dict[str, SymbolHistory] = {}
        self._history_day: date | None = None
        # on_close runs beside the feed's batches: one evaluation at a time keeps the
        # in-memory rearming of fired alerts consistent.
        self._lock = asyncio.Lock()
        self.fired = 0

    async def _refresh(self, day: date, *, force: bool = False) -> None:
        if force or time.monotonic() - self._checked >= self._check_every:
            self._checked = time.monotonic()
            version = await repo.alerts_version(self._engine)
            if version != self._version:
                alerts = await repo.active_alerts(self._engine)
                by_symbol: dict[str, list[Alert]] = {}
                for a in alerts:
                    by_symbol.setdefault(a.symbol, []).append(a)
                self._by_symbol, self._version = by_symbol, version
                self._history_day = None  # new alerts may need history
        if self._history_day != day:
            needing = sorted(
                s
                for s, alerts in self._by_symbol.items()
                if any(
                    a.condition in DEFAULT_PERIOD
                    or a.condition is AlertCondition.VOLUME_ABOVE_AVERAGE
                    for a in alerts
                )
            )
            self._history = (
                await repo.symbol_histories(
                    self._engine, symbols=needing, before=day, days=HISTORY_DAYS
                )
                if needing
                else {}
            )
            self._history_day = day

    async def on_trades(
        self, trades: Sequence[tuple[QuoteState | None, QuoteState]]
    ) -> list[AlertEvent]:
        """Evaluate the alerts of the traded symbols; store and publish what fired."""
        if not trades:
            return []
        async with self._lock:
            await self._refresh(trades[-1][1].updated_at.astimezone(PKT).date())
            firings: list[Firing] = []
            for before, after in trades:
                alerts = self._by_symbol.get(after.symbol)
                if not alerts:
                    continue
                history = self._history.get(after.symbol)
                for i, alert in enumerate(alerts):
                    firing = evaluate(alert, before, after, history)
                    if firing is None:
                        continue
                    firings.append(firing)
                    # Fired alerts rearm (or stay off) in memory at once, within this batch too.
                    alerts[i] = _fired(alert, firing.at)
            return await self._record(firings)

    async def on_close(self, day: date) -> list[AlertEvent]:
        """After `day`'s last session closed and its bars were written: fire the PATTERN
        alerts whose pattern completes on that day's daily candle; store and publish them.

        Firings are stamped with the session's close, so evaluating the same day twice (a
        restart after the close) fires nothing new.
        """
        async with self._lock:
            await self._refresh(day, force=True)  # alerts created during the day count
            watching: dict[str, list[Alert]] = {}
            for symbol, alerts in self._by_symbol.items():
                for a in alerts:
                    if a.active and a.condition is AlertCondition.PATTERN:
                        watching.setdefault(symbol, []).append(a)
            if not watching:
                return []
            sessions = await market_repo.sessions_between(self._engine, first_day=day, last_day=day)
            if not sessions:
                log.warning("no trading session on %s: pattern alerts not evaluated", day)
                return []
            at = max(s.close_at for s in sessions)
            frames = await repo.recent_daily_frames(
                self._engine, symbols=sorted(watching), last_day=day, bars=PATTERN_BARS
            )
            actions = await market_repo.corporate_actions(
                self._engine,
                instrument_ids=[int(f.get_column("instrument_id")[0]) for f in frames.values()],
            )
            # Pattern detection is CPU work: off the event loop, so the market data flows.
            firings = await asyncio.to_thread(
                _all_pattern_firings, watching, frames, actions, day=day, at=at
            )
            fired = {f.alert.id for f in firings}
            for alerts in self._by_symbol.values():
                for i, alert in enumerate(alerts):
                    if alert.id in fired:
                        alerts[i] = _fired(alert, at)
            return await self._record(firings)

    async def _record(self, firings: Sequence[Firing]) -> list[AlertEvent]:
        """Store the firings in one transaction, then publish them on their owners' channels."""
        if not firings:
            return []
        async with self._engine.begin() as conn:
            events = await repo.record_firings(conn, firings)
        self.fired += len(events)
        try:
            await self._hub.publish_many(
                [(channels.alerts(str(e.user_id)), alert_event_json(e)) for e in events]
            )
        except Exception as exc:  # stored: the owner sees them in alertEvents
            log.warning("alert publish failed (%s)", type(exc).__name__)
        return events
