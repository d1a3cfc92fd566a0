"""Trades from a feed: validation against the market's rules and the quote they produce.

The ingest pipeline calls `check_tick` before anything is stored, then `apply_tick` to get
the symbol's next quote. Both are pure, so the rules are tested without a feed or a store.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from domain.markets.prices import circuit_limits, is_on_tick
from domain.markets.quotes import QuoteState
from domain.markets.sessions import PKT, TradingSession


class TickRejection(enum.StrEnum):
    """Why a tick was refused: it is counted under this reason and never stored."""

    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    BAD_VOLUME = "BAD_VOLUME"
    OFF_TICK = "OFF_TICK"
    OUTSIDE_LIMITS = "OUTSIDE_LIMITS"
    OUTSIDE_SESSION = "OUTSIDE_SESSION"
    HALTED = "HALTED"
    OUT_OF_ORDER = "OUT_OF_ORDER"
    DUPLICATE = "DUPLICATE"


@dataclass(frozen=True, slots=True)
class Tick:
    """One trade: `seq` is the feed's sequence number for the symbol, rising with time."""

    symbol: str
    price: Decimal
    volume: int
    at: datetime
    seq: int


def session_of(at: datetime, sessions: Sequence[TradingSession]) -> TradingSession | None:
    """The continuous session that holds the instant, if any."""
    return next((s for s in sessions if s.contains(at)), None)


def prev_close_for(state: QuoteState, at: datetime) -> Decimal:
    """The LDCP a trade at `at` is limited by: today's LDCP, or the last price on a new day."""
    if state.updated_at.astimezone(PKT).date() == at.astimezone(PKT).date():
        return state.prev_close
    return state.last


def check_tick(
    tick: Tick,
    state: QuoteState | None,
    sessions: Sequence[TradingSession],
    *,
    halted: bool = False,
) -> TickRejection | None:
    """The first rule the tick breaks, or None when it may be applied.

    `state` is the symbol's current quote (None for an unknown symbol: every listed symbol
    has a quote before the feed starts).
    """
    if state is None:
        return TickRejection.UNKNOWN_SYMBOL
    if tick.volume <= 0:
        return TickRejection.BAD_VOLUME
    if not is_on_tick(tick.price) or tick.price <= 0:
        return TickRejection.OFF_TICK
    if session_of(tick.at, sessions) is None:
        return TickRejection.OUTSIDE_SESSION
    if halted:
        return TickRejection.HALTED
    if (tick.at, tick.seq) == (state.updated_at, state.seq):
        return TickRejection.DUPLICATE
    if tick.at < state.updated_at or (tick.at == state.updated_at and tick.seq < state.seq):
        return TickRejection.OUT_OF_ORDER
    lower, upper = circuit_limits(prev_close_for(state, tick.at))
    if not lower <= tick.price <= upper:
        return TickRejection.OUTSIDE_LIMITS
    return None


def apply_tick(state: QuoteState, tick: Tick) -> QuoteState:
    """The quote after the trade; the first trade of a new day opens a fresh session."""
    value = tick.price * tick.volume
    if state.updated_at.astimezone(PKT).date() != tick.at.astimezone(PKT).date():
        return replace(
            state,
            last=tick.price,
            open=tick.price,
            high=tick.price,
            low=tick.price,
            prev_close=state.last,
            volume=tick.volume,
            turnover=value,
            trades=1,
            updated_at=tick.at,
            seq=tick.seq,
            bid=None,
            ask=None,
            bid_size=None,
            ask_size=None,
        )
    return replace(
        state,
        last=tick.price,
        high=max(state.high, tick.price),
        low=min(state.low, tick.price),
        volume=state.volume + tick.volume,
        turnover=state.turnover + value,
        trades=state.trades + 1,
        updated_at=tick.at,
        seq=tick.seq,
    )
