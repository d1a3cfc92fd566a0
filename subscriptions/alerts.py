"""The alert engine: evaluates users' alerts on each trade, in the ingest pipeline.

Alerts are indexed by symbol, so a trade costs only the alerts on its symbol. The set is
reloaded when a mutation bumps its version (checked at most every `check_every` seconds).
Fired alerts are stored, and published on their owner's channel after the commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from db.repos import alerts as repo
from domain.alerts.rules import (
    DEFAULT_PERIOD,
    Alert,
    AlertCondition,
    AlertEvent,
    AlertRepeat,
    Firing,
    SymbolHistory,
    evaluate,
)
from domain.markets.quotes import QuoteState
from domain.markets.sessions import PKT
from subscriptions import channels
from subscriptions.hub import Hub

log = logging.getLogger(__name__)

HISTORY_DAYS = 250  # enough for a 200-day average and a well-seeded RSI


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
    """Holds the active alerts by symbol and evaluates them on trades."""

    def __init__(self, engine: AsyncEngine, hub: Hub, *, check_every: float = 2.0) -> None:
        self._engine = engine
        self._hub = hub
        self._check_every = check_every
        self._version: int | None = None
        self._checked = 0.0
        self._by_symbol: dict[str, list[Alert]] = {}
        self._history: dict[str, SymbolHistory] = {}
        self._history_day: date | None = None
        self.fired = 0

    async def _refresh(self, day: date) -> None:
        if time.monotonic() - self._checked >= self._check_every:
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
                alerts[i] = replace(
                    alert,
                    last_fired_at=firing.at,
                    active=alert.active and alert.repeat is not AlertRepeat.ONCE,
                )
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
