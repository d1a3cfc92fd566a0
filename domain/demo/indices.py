"""Index levels of the demo from member prices, free floats, cap factors and a divisor.

``level = Σ(close × shares × free_float × cap_factor) / divisor``. Shares on a day are the
count in force THEN: the universe holds today's count, so before a bonus, split or right the
count is today's divided by the action's share factor. On every ex-date the divisor is rebased
so that the level computed from the adjusted previous closes and the new share counts equals
the previous level: the index is continuous, and, because dividends are adjusted too, it is a
total-return index like the KSE-100.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from domain.demo.actions import IntArray
from domain.demo.intraday import MinuteDay
from domain.demo.paths import DailyPaths, FloatArray

# Members' highs and lows do not fall in the same minute: the index range is about half the
# sum of the members' ranges beyond their open and close.
_RANGE_SHARE = 0.5


def cap_factors(free_float_cap: FloatArray, cap: Decimal) -> list[Decimal]:
    """Factors that keep every member's weight at or under `cap`.

    Uncapped members keep factor 1; capped ones are scaled so each weighs `cap`, repeating
    until no member is over. Factors are rounded to six places, so the capping aims a hair under
    `cap` to leave room for the rounding.

    Args:
        free_float_cap: Free-float market capitalisation of each member.
        cap: Largest weight allowed, as a fraction.

    Returns:
        One factor per member, in the given order.
    """
    limit = float(cap) - 1e-5
    capped = np.zeros(len(free_float_cap), dtype=bool)
    while True:
        free = free_float_cap[~capped].sum()
        target = limit * free / (1.0 - limit * capped.sum())
        effective = np.where(capped, target, free_float_cap)
        over = (effective / effective.sum() > limit + 1e-12) & ~capped
        if not over.any():
            break
        capped |= over
    return [
        Decimal(1)
        if not capped[n]
        else Decimal(effective[n] / free_float_cap[n]).quantize(Decimal("1e-6"), ROUND_HALF_UP)
        for n in range(len(free_float_cap))
    ]


@dataclass(frozen=True, slots=True)
class IndexDaily:
    """One index's daily levels (hundredths of a point) and its divisor per day (paisa units).

    `minutes` holds, per minute day, the index minute bars as (open, high, low, close, volume,
    turnover) arrays over every minute of the day.
    """

    open: IntArray
    high: IntArray
    low: IntArray
    close: IntArray
    volume: IntArray
    turnover: IntArray
    divisor: FloatArray
    minutes: dict[int, tuple[IntArray, ...]]


def _hundredths(level: FloatArray) -> IntArray:
    out: IntArray = np.rint(level * 100).astype(np.int64)
    return out


def compute_index(
    weights: FloatArray,
    daily: DailyPaths,
    target: float,
    minute_days: dict[int, MinuteDay],
) -> IndexDaily:
    """Daily and minute levels of one index, scaled to end at `target`.

    Args:
        weights: End shares × free float × cap factor per instrument; zero for non-members.
        daily: The daily paths.
        target: The level on the last day.
        minute_days: Minute bars by day position, for the days that have them.

    Returns:
        The index's bars and divisors.
    """
    held = daily.share_factor * weights  # [day, instrument] shares counted on each day
    value = (held * daily.close).sum(axis=1)
    # The value of today's holdings at the adjusted previous closes: the rebased base.
    base = (held * daily.ref).sum(axis=1)
    growth = np.log(value / base)
    growth[0] = 0.0
    cumulative = np.cumsum(growth)
    level = target * np.exp(cumulative - cumulative[-1])
    divisor = value / level

    scale = held / divisor[:, None]
    top = np.maximum(daily.open, daily.close)
    bottom = np.minimum(daily.open, daily.close)
    open_level = (scale * daily.open).sum(axis=1)
    up = (scale * (daily.high - top)).sum(axis=1)
    down = (scale * (bottom - daily.low)).sum(axis=1)
    open_ = _hundredths(open_level)
    close = _hundredths(level)
    high = np.maximum(
        np.maximum(open_, close), _hundredths(np.maximum(open_level, level) + _RANGE_SHARE * up)
    )
    low = np.minimum(
        np.minimum(open_, close), _hundredths(np.minimum(open_level, level) - _RANGE_SHARE * down)
    )
    members = weights > 0
    volume = daily.volume[:, members].sum(axis=1)
    turnover = daily.turnover[:, members].sum(axis=1)

    minutes: dict[int, tuple[IntArray, ...]] = {}
    for t, day in minute_days.items():
        w = scale[t][members]
        bar_open = day.carried(day.open)[members]
        bar_close = day.carried(day.close)[members]
        bar_high = day.carried(day.high)[members]
        bar_low = day.carried(day.low)[members]
        m_open = w @ bar_open
        m_close = w @ bar_close
        m_up = w @ (bar_high - np.maximum(bar_open, bar_close))
        m_down = w @ (np.minimum(bar_open, bar_close) - bar_low)
        o, c = _hundredths(m_open), _hundredths(m_close)
        h = np.maximum(
            np.maximum(o, c), _hundredths(np.maximum(m_open, m_close) + _RANGE_SHARE * m_up)
        )
        lw = np.minimum(
            np.minimum(o, c), _hundredths(np.minimum(m_open, m_close) - _RANGE_SHARE * m_down)
        )
        vol = day.volume[members].sum(axis=0)
        turn = day.turnover[members].sum(axis=0)
        minutes[t] = (o, h, lw, c, vol, turn)
        # The day's bar is the aggregate of its minutes.
        open_[t], close[t] = o[0], c[-1]
        high[t], low[t] = h.max(), lw.min()
    return IndexDaily(
        open=open_,
        high=high,
        low=low,
        close=close,
        volume=volume,
        turnover=turnover,
        divisor=divisor,
        minutes=minutes,
    )
