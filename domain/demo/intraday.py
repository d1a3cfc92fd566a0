"""One-minute bars of a demo day, bridged from the daily open to the daily close.

The day's open, close, volume and trades are fixed first; the minute path is a Brownian bridge
between open and close inside the circuit band, trades and volume are spread over the minutes
with a U-shaped profile, and the daily high, low and turnover are then read off the minutes, so
the minute bars of a day aggregate exactly to its daily bar.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from domain.demo.actions import IntArray
from domain.demo.paths import FloatArray, circuit_band
from domain.markets.sessions import default_sessions

BoolArray = npt.NDArray[np.bool_]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE_US = 60_000_000


@dataclass(frozen=True, slots=True)
class MinuteDay:
    """A day's minute bars as [instrument, minute] arrays over every minute of its sessions.

    `traded` marks the minutes with at least one trade; the others are not bars (no row).
    """

    ts: IntArray
    open: IntArray
    high: IntArray
    low: IntArray
    close: IntArray
    volume: IntArray
    turnover: IntArray
    trades: IntArray
    traded: BoolArray

    @property
    def day_high(self) -> IntArray:
        """Highest minute high of each instrument."""
        out: IntArray = np.where(self.traded, self.high, 0).max(axis=1)
        return out

    @property
    def day_low(self) -> IntArray:
        """Lowest minute low of each instrument."""
        big = np.iinfo(np.int64).max
        out: IntArray = np.where(self.traded, self.low, big).min(axis=1)
        return out

    def carried(self, values: IntArray) -> IntArray:
        """`values` where a bar exists, else the close of the instrument's last bar."""
        minutes = np.arange(values.shape[1])
        last = np.maximum.accumulate(np.where(self.traded, minutes, 0), axis=1)
        prior_close = np.take_along_axis(self.close, last, axis=1)
        out: IntArray = np.where(self.traded, values, prior_close)
        return out


def minute_starts(day: date) -> tuple[IntArray, list[int]]:
    """Start instants (UTC epoch microseconds) of every minute of a day's sessions.

    Returns:
        The instants, and how many minutes each session has.
    """
    starts: list[int] = []
    lengths: list[int] = []
    for session in default_sessions(day):
        first = (session.open_at - _EPOCH) // timedelta(microseconds=1)
        count = (session.close_at - session.open_at) // timedelta(minutes=1)
        starts.extend(first + k * _MINUTE_US for k in range(count))
        lengths.append(count)
    return np.array(starts, dtype=np.int64), lengths


def _profile(lengths: list[int]) -> FloatArray:
    # Trading clusters after each session opens and before it closes.
    parts = []
    for count in lengths:
        k = np.arange(count, dtype=np.float64)
        parts.append(1.0 + 2.5 * np.exp(-k / 15.0) + 1.8 * np.exp(-(count - 1 - k) / 20.0))
    return np.concatenate(parts)


def generate_minutes(
    rng: np.random.Generator,
    day: date,
    *,
    open_: IntArray,
    close: IntArray,
    ref: IntArray,
    sigma: FloatArray,
    volume: IntArray,
    trades: IntArray,
) -> MinuteDay:
    """Minute bars of one day for every instrument.

    Args:
        rng: The generator's random source.
        day: The trading day.
        open_: Daily opens in paisa, one per instrument.
        close: Daily closes in paisa.
        ref: Adjusted previous closes: the circuit band's reference.
        sigma: Daily volatility of each instrument.
        volume: Daily volume to spread over the minutes (at least `trades`).
        trades: Daily number of trades (at least 2).

    Returns:
        The day's minutes; the first and the last minute always trade.
    """
    ts, lengths = minute_starts(day)
    n_sym, n_min = len(open_), len(ts)
    lo, hi = circuit_band(ref)
    lo_col, hi_col = lo[:, None], hi[:, None]

    step = (0.9 * sigma / math.sqrt(n_min))[:, None]
    walk = np.concatenate(
        [np.zeros((n_sym, 1)), np.cumsum(rng.standard_normal((n_sym, n_min)) * step, axis=1)],
        axis=1,
    )
    share = np.linspace(0.0, 1.0, n_min + 1)
    log_open, log_close = np.log(open_)[:, None], np.log(close)[:, None]
    bridge = log_open + share * (log_close - log_open) + walk - share * walk[:, -1:]
    points = np.clip(np.rint(np.exp(bridge)).astype(np.int64), lo_col, hi_col)
    points[:, 0], points[:, -1] = open_, close

    bar_open, bar_close = points[:, :-1], points[:, 1:]
    top, bottom = np.maximum(bar_open, bar_close), np.minimum(bar_open, bar_close)
    wick = np.abs(rng.standard_normal((2, n_sym, n_min))) * 0.5 * step
    high = np.clip(np.ceil(top * np.exp(wick[0])).astype(np.int64), top, hi_col)
    low = np.clip(np.floor(bottom * np.exp(-wick[1])).astype(np.int64), lo_col, bottom)

    weights = _profile(lengths) * np.exp(rng.normal(0.0, 0.6, (n_sym, n_min)))
    weights /= weights.sum(axis=1, keepdims=True)
    # The first minute carries the open and the last the close, so both must trade.
    counts = rng.multinomial(trades - 2, weights).astype(np.int64)
    counts[:, 0] += 1
    counts[:, -1] += 1
    size = counts * np.exp(rng.normal(0.0, 0.5, (n_sym, n_min)))
    size = size / size.sum(axis=1, keepdims=True)
    shares = counts + rng.multinomial(volume - trades, size).astype(np.int64)

    vwap = np.clip((bar_open + high + low + bar_close) / 4.0, low, high)
    turnover = np.clip(np.rint(shares * vwap).astype(np.int64), shares * low, shares * high)
    return MinuteDay(
        ts=ts,
        open=bar_open,
        high=high,
        low=low,
        close=bar_close,
        volume=shares,
        turnover=turnover,
        trades=counts,
        traded=counts > 0,
    )
