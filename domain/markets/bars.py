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
