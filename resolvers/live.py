"""Live-data use cases: the streams behind the GraphQL subscriptions.

Each stream validates its arguments up front (a bad request fails before anything is
subscribed), then follows its channels through the hub. What a stream derives from a message
(the domain quote, the index view) is memoised on the shared event, so it is computed once per
message and process however many clients follow it. A WebSocket's context lives as long as
the connection, so derived values read the stores through a fresh context each time, never
through the connection's cached loaders.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any, Generic, TypeVar

from db.repos import markets as repo
from domain.accounts.roles import ANONYMOUS, ENTITLEMENTS, Entitlements
from domain.errors import DomainError, ErrorCode
from domain.markets.bars import Candle, Interval, bucket_start, merge
from domain.markets.charts import trading_day_of
from domain.markets.instruments import Instrument
from domain.markets.quotes import QuoteState
from domain.markets.sessions import PKT, MarketStatus, TradingSession, default_sessions
from domain.markets.snapshots import IndexView, Quote, quote_of
from resolvers import markets
from resolvers.context import Context, make_context
from subscriptions import channels
from subscriptions.hub import Hub, Mailbox, SharedEvent
from subscriptions.ingest import candle_from_json

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Live(Generic[T]):
    """A value derived from a shared event; `event.view` memoises further derivations."""

    event: SharedEvent
    value: T

    async def view(self, name: str, build: Callable[[T], Any]) -> Any:
        """`build(value)`, computed once per event and process."""

        async def run() -> Any:
            return build(self.value)

        return await self.event.view(name, run)

    async def view_of_event(self, name: str, build: Callable[[T, SharedEvent], Any]) -> Any:
        """`build(value, event)`, computed once per event and process."""

        async def run() -> Any:
            return build(self.value, self.event)

        return await self.event.view(name, run)


@dataclass(frozen=True, slots=True)
class CandleUpdate:
    """The candle of a live chart: still forming, or just closed."""

    symbol: str
    interval: Interval
    candle: Candle
    closed: bool


def _plan(ctx: Context) -> Entitlements:
    return ENTITLEMENTS[ctx.user.role] if ctx.user is not None else ANONYMOUS


def _hub(ctx: Context) -> Hub:
    """The hub, once the connection may open one more stream under its plan."""
    hub = ctx.services.hub
    if hub is None:
        raise DomainError(ErrorCode.UNSUPPORTED, "Live data is not enabled on this server.")
    cap = _plan(ctx).max_subscriptions
    if ctx.streams >= cap:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"Your plan allows {cap} live subscriptions per connection."
        )
    return hub


@contextlib.asynccontextmanager
async def _following(ctx: Context, hub: Hub, names: Iterable[str]) -> AsyncIterator[Mailbox]:
    """Subscribe to channels for the stream's life, counting it against the connection."""
    ctx.streams += 1
    try:
        async with hub.subscribe(names) as box:
            _watch_stuck(ctx, box)
            yield box
    finally:
        ctx.streams -= 1


def _watch_stuck(ctx: Context, box: Mailbox) -> None:
    """Close the client's WebSocket when it stops taking messages (a stuck consumer)."""
    socket = ctx.request
    close: Callable[..., Awaitable[None]] | None = getattr(socket, "close", None)
    if close is None:
        return

    async def on_stuck() -> None:
        with contextlib.suppress(Exception):  # the socket may already be going away
            await close(code=1013, reason="Too slow: reconnect to resume")

    box.on_stuck = on_stuck


async def _symbols(ctx: Context, symbols: Sequence[str], field: str) -> list[str]:
    wanted = list(dict.fromkeys(s.strip().upper() for s in symbols))
    if not wanted:
        raise DomainError(ErrorCode.INVALID, "Give at least one symbol.", field)
    cap = _plan(ctx).max_subscription_symbols
    if len(wanted) > cap:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"Your plan allows {cap} symbols per subscription.", field
        )
    ref = await ctx.services.reference.get()
    unknown = [s for s in wanted if s not in ref.instrument_by_symbol]
    if unknown:
        raise DomainError(
            ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol(s): {', '.join(unknown)}.", field
        )
    return wanted


async def _quote(ctx: Context, data: dict[str, Any]) -> Quote:
    state = QuoteState.from_json(data)
    ref = await ctx.services.reference.get()
    inst = ref.instrument_by_symbol[state.symbol]
    window = (await ctx.services.ranges.get_many([inst.id]))[0]
    return quote_of(inst, state, window)


async def quote_stream(ctx: Context, symbols: Sequence[str]) -> AsyncIterator[Live[Quote]]:
    """Each trade of the symbols, as the symbol's new quote.

    Raises:
        DomainError: for no symbols, too many, or unknown ones (naming them).
    """
    wanted = await _symbols(ctx, symbols, "symbols")
    return _quotes(ctx, _hub(ctx), wanted)


async def _quotes(ctx: Context, hub: Hub, wanted: list[str]) -> AsyncIterator[Live[Quote]]:
    async with _following(ctx, hub, [channels.quotes(s) for s in wanted]) as box:
        async for event in box:
            quote: Quote = await event.view("quote", partial(_quote, ctx, event.data))
            yield Live(event, quote)


async def index_stream(ctx: Context, codes: Sequence[str] | None) -> AsyncIterator[Live[IndexView]]:
    """Level updates of the indices (every index when `codes` is None).

    Raises:
        DomainError: for an unknown index code.
    """
    ref = await ctx.services.reference.get()
    if codes is None:
        wanted = [x.code for x in ref.indices]
    else:
        wanted = list(dict.fromkeys(c.strip().upper() for c in codes))
        unknown = [c for c in wanted if c not in ref.index_by_code]
        if unknown:
            raise DomainError(
                ErrorCode.UNKNOWN_INDEX, f"Unknown index(es): {', '.join(unknown)}.", "codes"
            )
    return _indices(ctx, _hub(ctx), wanted)


async def _indices(ctx: Context, hub: Hub, wanted: list[str]) -> AsyncIterator[Live[IndexView]]:
    async def build(event: SharedEvent) -> IndexView:
        view = await markets.index(make_context(ctx.services), event.data["code"])
        assert view is not None  # noqa: S101 - codes were checked before subscribing
        return view

    async with _following(ctx, hub, [channels.indices(c) for c in wanted]) as box:
        async for event in box:
            view: IndexView = await event.view("index", partial(build, event))
            yield Live(event, view)


async def status_stream(ctx: Context) -> AsyncIterator[MarketStatus]:
    """The market's state now, then each time it changes (opens, breaks, halts, closes)."""
    return _statuses(ctx, _hub(ctx))


async def _statuses(ctx: Context, hub: Hub) -> AsyncIterator[MarketStatus]:
    async with _following(ctx, hub, [channels.MARKET_STATUS]) as box:
        last = await markets.market_status(make_context(ctx.services))
        yield last
        async for _event in box:
            status = await markets.market_status(make_context(ctx.services))
            if status.state != last.state:
                last = status
                yield status


class _Bucket:
    """A live intraday candle built from the 1-minute bars of its bucket (latest wins)."""

    def __init__(self, start: datetime, minutes: dict[datetime, Candle]) -> None:
        self.start = start
        self.minutes = minutes

    def candle(self) -> Candle:
        bars = [self.minutes[t] for t in sorted(self.minutes)]
        out = bars[0]
        for bar in bars[1:]:
            out = merge(out, bar)
        return Candle(
            self.start, out.open, out.high, out.low, out.close, out.volume, out.turnover, out.trades
        )


def _session_open(ts: datetime, sessions: Sequence[TradingSession]) -> datetime | None:
    found = next((s for s in sessions if s.open_at <= ts < s.close_at), None)
    return None if found is None else found.open_at


async def candle_stream(
    ctx: Context, symbol: str, interval: Interval
) -> AsyncIterator[CandleUpdate]:
    """The forming candle of a symbol at an interval after each trade, and each closed one.

    Intraday intervals are built from the 1-minute bars of the current bucket (those already
    stored, then live ones); D1 is the day's quote.

    Raises:
        DomainError: for an unknown symbol, or a weekly or monthly interval.
    """
    (sym,) = await _symbols(ctx, [symbol], "symbol")
    if not (interval.intraday or interval is Interval.D1):
        raise DomainError(
            ErrorCode.UNSUPPORTED,
            "Live candles come in M1 to H1 and D1; use `chart` for weekly or monthly candles.",
            "interval",
        )
    hub = _hub(ctx)
    if interval is Interval.D1:
        return _daily(ctx, hub, sym)
    ref = await ctx.services.reference.get()
    return _intraday(ctx, hub, ref.instrument_by_symbol[sym], interval)


async def _daily(ctx: Context, hub: Hub, sym: str) -> AsyncIterator[CandleUpdate]:
    async with _following(ctx, hub, [channels.quotes(sym)]) as box:
        async for event in box:
            yield _daily_update(QuoteState.from_json(event.data), Interval.D1)


async def _intraday(
    ctx: Context, hub: Hub, inst: Instrument, interval: Interval
) -> AsyncIterator[CandleUpdate]:
    sym = inst.symbol
    engine = ctx.services.database.read

    async def sessions_around(instant: datetime) -> list[TradingSession]:
        day = trading_day_of(instant)
        return await repo.sessions_between(
            engine, first_day=day - timedelta(days=1), last_day=day + timedelta(days=7)
        )

    sessions = await sessions_around(ctx.services.clock())
    bucket: _Bucket | None = None
    async with _following(ctx, hub, [channels.candles(sym)]) as box:
        async for event in box:
            bars = [candle_from_json(b) for b in event.data["closed"]]
            bars.append(candle_from_json(event.data["bar"]))
            for bar in bars:
                opened = _session_open(bar.ts, sessions)
                if opened is None and sessions and bar.ts >= sessions[-1].close_at:
                    sessions = await sessions_around(bar.ts)  # the feed moved past them
                    opened = _session_open(bar.ts, sessions)
                if opened is None:
                    continue
                start = bucket_start(bar.ts, interval.minutes, opened)
                if bucket is not None and start > bucket.start:
                    yield CandleUpdate(sym, interval, bucket.candle(), closed=True)
                    bucket = None
                if bucket is None:
                    stored = await repo.intraday_candles(
                        engine, kind="instrument", key=inst.id, start=start, end=bar.ts, minutes=1
                    )
                    bucket = _Bucket(start, {c.ts: c for c in stored})
                if start == bucket.start:
                    bucket.minutes[bar.ts] = bar
            if bucket is not None:
                yield CandleUpdate(sym, interval, bucket.candle(), closed=False)


def _daily_update(state: QuoteState, interval: Interval) -> CandleUpdate:
    # Daily candles open at the day's first session, as `chart` stamps them.
    day = state.updated_at.astimezone(PKT).date()
    held = default_sessions(day)
    day_open = held[0].open_at if held else datetime.combine(day, time(9, 32), tzinfo=PKT)
    candle = Candle(
        day_open,
        state.open,
        state.high,
        state.low,
        state.last,
        state.volume,
        state.turnover,
        state.trades,
    )
    return CandleUpdate(state.symbol, interval, candle, closed=False)
