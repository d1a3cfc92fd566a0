"""The ingest pipeline: validate each tick, store the quote, publish, roll bars, flush them.

Order per batch (ARCHITECTURE.md, "Live data"): validate every tick against the market's
rules (rejects are counted by reason and never stored) → one write of the batch's new quotes
to the quote store → publish each on `quotes:{SYMBOL}` (after the store, so a subscriber
that re-reads the store never sees an older quote than it was sent) → roll trades into
1-minute bars and publish the forming bar on `candles:{SYMBOL}` → recompute the indices
touched and watch the market-halt rule. Closed bars are written to PostgreSQL every
`flush_every` seconds in one transaction; an upsert keyed by minute makes a restart harmless
(a crash loses at most the unflushed minutes, and rewriting a minute replaces it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from db.cache import QuoteStore
from db.repos import markets as repo
from db.repos.bars import DailyBar, LiveBars, write_live_bars
from db.screener import refresh_screener
from domain.markets.bars import Candle, MinuteBars, minute_of
from domain.markets.halts import HALT_INDEX, HaltMonitor
from domain.markets.instruments import Index
from domain.markets.quotes import QuoteState
from domain.markets.reference import ReferenceData
from domain.markets.sessions import PKT, MarketState, MarketStatus, TradingSession, market_status
from domain.markets.snapshots import index_view
from domain.markets.ticks import Tick, TickRejection, apply_tick, check_tick
from subscriptions import channels
from subscriptions.hub import Hub

log = logging.getLogger(__name__)

TradesHook = Callable[[Sequence[tuple[QuoteState | None, QuoteState]]], Awaitable[object]]
CloseHook = Callable[[date], Awaitable[object]]

LEVEL = Decimal("0.01")


@dataclass(slots=True)
class IngestStats:
    """Counters for /metrics and the ingest command's summary."""

    accepted: int = 0
    rejected: Counter[TickRejection] = field(default_factory=Counter)
    batches: int = 0
    flushed_bars: int = 0
    flush_errors: int = 0
    halts: int = 0


def candle_json(bar: Candle) -> dict[str, Any]:
    """A bar as published on a candles channel (decimals as strings)."""
    return {
        "ts": bar.ts.isoformat(),
        "open": str(bar.open),
        "high": str(bar.high),
        "low": str(bar.low),
        "close": str(bar.close),
        "volume": bar.volume,
        "turnover": str(bar.turnover),
        "trades": bar.trades,
    }


def candle_from_json(data: dict[str, Any]) -> Candle:
    """Inverse of `candle_json`."""
    return Candle(
        ts=datetime.fromisoformat(data["ts"]),
        open=Decimal(data["open"]),
        high=Decimal(data["high"]),
        low=Decimal(data["low"]),
        close=Decimal(data["close"]),
        volume=int(data["volume"]),
        turnover=Decimal(data["turnover"]),
        trades=int(data["trades"]),
    )


def status_json(status: MarketStatus, reason: str | None) -> bytes:
    """The market status message: the state, its instant and why (for a halt)."""
    return orjson.dumps(
        {"state": status.state.value, "as_of": status.as_of.isoformat(), "reason": reason}
    )


class Ingester:
    """One per feed: the only writer of live quotes and bars."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        store: QuoteStore,
        hub: Hub,
        clock: Callable[[], datetime],
        flush_every: float = 2.0,
        on_trades: TradesHook | None = None,
        on_close: CloseHook | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._hub = hub
        self._clock = clock
        self._flush_every = flush_every
        self._on_trades = on_trades
        self._on_close = on_close
        self.reference: ReferenceData | None = None
        self.states: dict[str, QuoteState] = {}
        self.sessions: list[TradingSession] = []
        self.halts = HaltMonitor()
        self.stats = IngestStats()
        self._bars = MinuteBars()
        self._index_bars = MinuteBars()
        self._closed: list[tuple[str, Candle]] = []
        self._index_closed: list[tuple[str, Candle]] = []
        self._dirty_days: set[str] = set()
        self._index_days: dict[str, tuple[date, Candle]] = {}
        self._sessions_day: date | None = None
        self._status: MarketStatus | None = None
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self._clock_sent = 0.0
        self._session_closed = False
        self._upkeep: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Load the reference data, the current quotes and the calendar; start flushing."""
        self.reference = await repo.load_reference(self._engine)
        symbols = [i.symbol for i in self.reference.instruments]
        found = await self._store.get_many(symbols)
        self.states = {s: q for s, q in zip(symbols, found, strict=True) if q is not None}
        await self._load_sessions(self._clock())
        self._flusher = asyncio.create_task(self._flush_forever(), name="ingest-flusher")

    async def stop(self) -> None:
        """Stop flushing, then write whatever bars are pending (the forming ones included)."""
        if self._upkeep is not None:
            with contextlib.suppress(Exception):
                await self._upkeep
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush(include_forming=True)

    def halted(self) -> bool:
        """True while a market halt is in force (by the feed's clock)."""
        return self.halts.halted(self._clock())

    async def _load_sessions(self, now: datetime) -> None:
        day = now.astimezone(PKT).date()
        self.sessions = await repo.sessions_between(
            self._engine, first_day=day - timedelta(days=7), last_day=day + timedelta(days=14)
        )
        self._sessions_day = day

    async def ingest(self, ticks: Sequence[Tick]) -> list[QuoteState]:
        """Apply a batch of ticks; returns each traded symbol's latest quote.

        Every accepted trade is published (a quote message each); the store keeps the last.
        """
        async with self._lock:
            return await self._ingest(ticks)

    async def _ingest(self, ticks: Sequence[Tick]) -> list[QuoteState]:
        if not ticks:
            return []
        latest_day = max(t.at for t in ticks).astimezone(PKT).date()
        if latest_day != self._sessions_day:
            await self._load_sessions(max(t.at for t in ticks))
            self.halts.new_day()
        changed: dict[str, QuoteState] = {}
        trades: list[QuoteState] = []  # every accepted trade's quote, in order
        pairs: list[tuple[QuoteState | None, QuoteState]] = []  # (before, after) per trade
        closed_now: dict[str, list[Candle]] = {}
        for tick in ticks:
            state = changed.get(tick.symbol) or self.states.get(tick.symbol)
            reason = check_tick(tick, state, self.sessions, halted=self.halts.halted(tick.at))
            if reason is not None:
                self.stats.rejected[reason] += 1
                continue
            assert state is not None  # noqa: S101 - check_tick refuses unknown symbols
            changed[tick.symbol] = apply_tick(state, tick)
            trades.append(changed[tick.symbol])
            pairs.append((state, changed[tick.symbol]))
            _, closed = self._bars.add(tick.symbol, tick.at, tick.price, tick.volume)
            if closed is not None:
                self._closed.append((tick.symbol, closed))
                closed_now.setdefault(tick.symbol, []).append(closed)
            self.stats.accepted += 1
        self.stats.batches += 1
        if not changed:
            return []
        published = datetime.now(UTC)
        # One store write for the batch: each trade gets a version, the last one per symbol stays.
        stored = await self._store.put_many([replace(q, published_at=published) for q in trades])
        self.states.update((q.symbol, q) for q in stored)
        self._dirty_days.update(changed)
        messages = [(channels.quotes(q.symbol), orjson.dumps(q.to_json())) for q in stored]
        forming = dict(self._bars.forming())
        latest = list({q.symbol: q for q in stored}.values())
        for q in latest:
            candle = {
                "symbol": q.symbol,
                "bar": candle_json(forming[q.symbol]),
                "closed": [candle_json(b) for b in closed_now.get(q.symbol, ())],
            }
            messages.append((channels.candles(q.symbol), orjson.dumps(candle)))
        now = max(q.updated_at for q in latest)
        messages.extend(self._index_messages(set(changed), now, published))
        messages.extend(self._status_messages(now))
        await self._publish(messages)
        if self._on_trades is not None:
            try:
                await self._on_trades(pairs)
            except Exception:  # an alert failure must not stop the market data
                log.exception("alert evaluation failed")
        return latest

    def _index_messages(
        self, symbols: set[str], now: datetime, published: datetime
    ) -> list[tuple[str, bytes]]:
        ref = self.reference
        if ref is None:
            return []
        touched: dict[int, Index] = {}
        for symbol in symbols:
            inst = ref.instrument_by_symbol.get(symbol)
            if inst is not None:
                touched.update((x.id, x) for x in ref.indices_by_instrument.get(inst.id, ()))
        out = []
        for index in touched.values():
            view = index_view(
                index, ref.members_by_index.get(index.id, ()), ref.instrument_by_id, self.states
            )
            level = view.level.quantize(LEVEL)
            if level <= 0:
                continue
            self._index_bars.add(index.code, now, level, 0)
            self._index_days[index.code] = self._day_bar(index.code, now, level)
            if index.code == HALT_INDEX:
                self._watch_halt(now, view.change_percent)
            message = {
                "code": index.code,
                "level": str(level),
                "prev_level": str(view.prev_level.quantize(LEVEL)),
                "updated_at": now.isoformat(),
                "published_at": published.isoformat(),
            }
            out.append((channels.indices(index.code), orjson.dumps(message)))
        return out

    def _day_bar(self, code: str, now: datetime, level: Decimal) -> tuple[date, Candle]:
        day = now.astimezone(PKT).date()
        known = self._index_days.get(code)
        if known is None or known[0] != day:
            return day, Candle(now, level, level, level, level, 0, Decimal(0), 0)
        bar = known[1]
        return day, replace(bar, high=max(bar.high, level), low=min(bar.low, level), close=level)

    def _watch_halt(self, now: datetime, change_pct: Decimal) -> None:
        session = next((s for s in self.sessions if s.contains(now)), None)
        if session is None:
            return
        halt = self.halts.observe(now, change_pct, session.close_at)
        if halt is not None:
            self.stats.halts += 1
            log.warning("market halt: %s; trading resumes at %s", halt.reason, halt.resumes_at)

    def _status_messages(self, now: datetime) -> list[tuple[str, bytes]]:
        status = market_status(now, self.sessions, halted=self.halts.halted(now))
        if self._status is not None and self._status.state == status.state:
            return []
        if self._status is not None and status.state is MarketState.CLOSED:
            self._session_closed = True  # the day's last session ended: end-of-day upkeep
        self._status = status
        reason = self.halts.halt.reason if self.halts.halted(now) and self.halts.halt else None
        return [(channels.MARKET_STATUS, status_json(status, reason))]

    async def tick_clock(self) -> None:
        """Publish a market-state change that happens without trades (open, close, halt end),
        and the feed's clock once a second for processes that tell time by it."""
        async with self._lock:
            now = self._clock()
            if now.astimezone(PKT).date() != self._sessions_day:
                await self._load_sessions(now)
                self.halts.new_day()
            messages = self._status_messages(now)
            wall = time.monotonic()
            if wall - self._clock_sent >= 1.0:
                self._clock_sent = wall
                messages.append((channels.MARKET_CLOCK, orjson.dumps({"now": now.isoformat()})))
            await self._publish(messages)
            closed, self._session_closed = self._session_closed, False
        if closed and (self._upkeep is None or self._upkeep.done()):
            day = max(
                (s.day for s in self.sessions if s.close_at <= now),
                default=now.astimezone(PKT).date(),
            )
            self._upkeep = asyncio.create_task(self.end_of_day(day), name="ingest-end-of-day")

    async def end_of_day(self, day: date) -> None:
        """After `day`'s close: write the day's bars, then run the close hook (pattern alerts)
        and rebuild the screener snapshot from them."""
        try:
            await self.flush(include_forming=True)
        except Exception:
            self.stats.flush_errors += 1
            log.exception("end-of-day flush failed; the screener keeps the previous snapshot")
            return
        if self._on_close is not None:
            try:
                await self._on_close(day)
            except Exception:  # an alert failure must not stop the upkeep
                log.exception("end-of-day alert evaluation failed")
        try:
            await refresh_screener(self._engine)
        except Exception:
            self.stats.flush_errors += 1
            log.exception("end-of-day upkeep failed; the screener keeps the previous snapshot")

    async def _publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        try:
            await self._hub.publish_many(messages)
        except Exception as exc:  # the quote is stored; subscribers resync after an outage
            log.warning(
                "publish failed (%s): %d messages dropped", type(exc).__name__, len(messages)
            )

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._flush_every)
            try:
                await self.flush()
            except Exception:
                self.stats.flush_errors += 1
                log.exception("bar flush failed; will retry")

    async def flush(self, *, include_forming: bool = False) -> int:
        """Write closed 1-minute bars and today's daily bars; returns how many rows."""
        async with self._lock:
            minute = minute_of(self._clock())
            self._closed.extend(self._bars.close_before(minute))
            self._index_closed.extend(self._index_bars.close_before(minute))
            closed, index_closed = self._closed, self._index_closed
            if include_forming:
                closed = closed + self._bars.forming()
                index_closed = index_closed + self._index_bars.forming()
            bars = self._live_bars(closed, index_closed)
            if not len(bars):
                return 0
            async with self._engine.begin() as conn:
                await write_live_bars(conn, bars)
            self._closed, self._index_closed = [], []
            self._dirty_days.clear()
            self.stats.flushed_bars += len(bars)
            return len(bars)

    def _live_bars(
        self, closed: list[tuple[str, Candle]], index_closed: list[tuple[str, Candle]]
    ) -> LiveBars:
        ref = self.reference
        assert ref is not None  # noqa: S101 - set by start()
        by_symbol = ref.instrument_by_symbol
        daily = []
        for symbol in self._dirty_days:
            q = self.states[symbol]
            bar = Candle(
                q.updated_at, q.open, q.high, q.low, q.last, q.volume, q.turnover, q.trades
            )
            day = q.updated_at.astimezone(PKT).date()
            daily.append(DailyBar(by_symbol[symbol].id, day, bar, q.prev_close))
        return LiveBars(
            minute=[(by_symbol[s].id, b) for s, b in closed if s in by_symbol],
            daily=daily,
            index_minute=[(ref.index_by_code[c].id, b) for c, b in index_closed],
            index_daily=[(ref.index_by_code[c].id, d, b) for c, (d, b) in self._index_days.items()],
        )
