"""OHLCV bars and candle intervals."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal


class Interval(enum.StrEnum):
    """Candle widths offered by `chart`."""

    M1 = "M1"
    M5 = "M5"
    M15 = "M15"
    M30 = "M30"
    H1 = "H1"
    D1 = "D1"
    W1 = "W1"
    MN1 = "MN1"

    @property
    def intraday(self) -> bool:
        """True when candles are built from 1-minute bars."""
        return self in INTRADAY_MINUTES

    @property
    def minutes(self) -> int:
        """Width of an intraday candle in minutes."""
        return INTRADAY_MINUTES[self]


INTRADAY_MINUTES = {
    Interval.M1: 1,
    Interval.M5: 5,
    Interval.M15: 15,
    Interval.M30: 30,
    Interval.H1: 60,
}

# The widest range one request may cover, per interval: about 10,000 candles at most.
MAX_RANGE = {
    Interval.M1: timedelta(days=31),
    Interval.M5: timedelta(days=130),
    Interval.M15: timedelta(days=366),
    Interval.M30: timedelta(days=732),
    Interval.H1: timedelta(days=1464),
    Interval.D1: timedelta(days=366 * 40),
    Interval.W1: timedelta(days=366 * 60),
    Interval.MN1: timedelta(days=366 * 100),
}


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle; `ts` is the instant the candle opens."""

    ts: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int
    turnover: Decimal
    trades: int

    @property
    def vwap(self) -> Decimal | None:
        """Volume-weighted average price, when anything traded."""
        if self.volume <= 0:
            return None
        return self.turnover / self.volume


def minute_of(instant: datetime) -> datetime:
    """The start of the minute holding the instant (PKT is a whole-hour offset from UTC)."""
    return instant.replace(second=0, microsecond=0)


def trade_bar(ts: datetime, price: Decimal, volume: int) -> Candle:
    """A bar holding one trade."""
    return Candle(ts, price, price, price, price, volume, price * volume, 1)


def merge(bar: Candle, later: Candle) -> Candle:
    """Two consecutive bars as one, stamped with the earlier bar's open."""
    return Candle(
        ts=bar.ts,
        open=bar.open,
        high=max(bar.high, later.high),
        low=min(bar.low, later.low),
        close=later.close,
        volume=bar.volume + later.volume,
        turnover=bar.turnover + later.turnover,
        trades=bar.trades + later.trades,
    )


def bucket_start(ts: datetime, minutes: int, session_open: datetime) -> datetime:
    """The open of the intraday candle holding `ts`, aligned to the session's open."""
    width = timedelta(minutes=minutes)
    return session_open + ((ts - session_open) // width) * width


class MinuteBars:
    """Rolls trades into 1-minute bars per symbol: one forming bar each, closed on the minute."""

    def __init__(self) -> None:
        self._forming: dict[str, Candle] = {}

    def add(
        self, symbol: str, at: datetime, price: Decimal, volume: int
    ) -> tuple[Candle, Candle | None]:
        """Apply a trade; returns the symbol's forming bar and the bar it closed, if any."""
        minute = minute_of(at)
        trade = trade_bar(minute, price, volume)
        current = self._forming.get(symbol)
        if current is None or current.ts != minute:
            self._forming[symbol] = trade
            return trade, current
        merged = merge(current, trade)
        self._forming[symbol] = merged
        return merged, None

    def close_before(self, minute: datetime) -> list[tuple[str, Candle]]:
        """Close every forming bar that opened before `minute` (no trade came to close it)."""
        done = [(s, b) for s, b in self._forming.items() if b.ts < minute]
        for symbol, _ in done:
            del self._forming[symbol]
        return done

    def forming(self) -> list[tuple[str, Candle]]:
        """The bars still open."""
        return list(self._forming.items())


SESSIONS_PER_YEAR = 248  # PSX sessions in a year (≈245-250 after holidays), for annualising
SESSION_MINUTES = 358  # 09:32 to 15:30, Monday to Thursday


def candles_per_year(interval: Interval) -> float:
    """How many candles of an interval a year holds, for annualising volatility."""
    if interval.intraday:
        return SESSIONS_PER_YEAR * SESSION_MINUTES / interval.minutes
    return {Interval.D1: SESSIONS_PER_YEAR, Interval.W1: 52, Interval.MN1: 12}[interval]
