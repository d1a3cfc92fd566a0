"""TA-Lib's candlestick pattern recognition (the CDL functions), reproduced bar for bar.

Every rule reads "long", "short", "doji", "near" and so on through TA-Lib's candle settings:
a setting is a range type (real body, high-low or the two shadows), an averaging period and a
factor, and it stands for `factor * (average range over the period) / (2 for shadows)`. The
average covers the `period` candles *before* the candle it is referenced to, so each rule keeps
one running total per (setting, referenced candle), exactly as the C code does. A period of 0
means the referenced candle's own range (ShadowLong: "longer than the real body").

To match TA-Lib bit for bit the running totals are built the way the C loops build them: the
first total is a left-to-right sum of the first `period` ranges, then each step adds
`range(new) - range(trailing)`. `np.add.accumulate` adds strictly left to right, so the
floating-point roundings are the same (a cumulative-sum difference would not be). The first
output of a function is its TA-Lib lookback; earlier outputs are 0, as the Python wrapper
returns them, and a run of leading NaN inputs shifts the start the way the wrapper does.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


class RangeType(enum.Enum):
    """Which part of a candle a setting measures."""

    REAL_BODY = "REAL_BODY"
    HIGH_LOW = "HIGH_LOW"
    SHADOWS = "SHADOWS"


@dataclass(frozen=True, slots=True)
class CandleSetting:
    """One of TA-Lib's candle settings (`TA_CandleSetting`), with its default values."""

    range_type: RangeType
    avg_period: int
    factor: float


# TA-Lib's defaults (ta_global.c).
BODY_LONG = CandleSetting(RangeType.REAL_BODY, 10, 1.0)
BODY_VERY_LONG = CandleSetting(RangeType.REAL_BODY, 10, 3.0)
BODY_SHORT = CandleSetting(RangeType.REAL_BODY, 10, 1.0)
BODY_DOJI = CandleSetting(RangeType.HIGH_LOW, 10, 0.1)
SHADOW_LONG = CandleSetting(RangeType.REAL_BODY, 0, 1.0)
SHADOW_VERY_LONG = CandleSetting(RangeType.REAL_BODY, 0, 2.0)
SHADOW_SHORT = CandleSetting(RangeType.SHADOWS, 10, 1.0)
SHADOW_VERY_SHORT = CandleSetting(RangeType.HIGH_LOW, 10, 0.1)
NEAR = CandleSetting(RangeType.HIGH_LOW, 5, 0.2)
FAR = CandleSetting(RangeType.HIGH_LOW, 5, 0.6)
EQUAL = CandleSetting(RangeType.HIGH_LOW, 5, 0.05)

STAR_PENETRATION = 0.3  # MORNINGSTAR, EVENINGSTAR and their doji variants
DARK_CLOUD_PENETRATION = 0.5
PIERCING_PENETRATION = 0.5  # fixed in TA-Lib (no parameter)


class _Bars:
    """Per-candle quantities of one OHLC series, in TA-Lib's own formulas."""

    def __init__(self, o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray) -> None:
        self.open, self.high, self.low, self.close = o, h, lo, c
        white = c >= o
        self.color: IntArray = np.where(white, 1, -1).astype(np.int32)
        self.body: FloatArray = np.abs(c - o)
        # TA_UPPERSHADOW / TA_LOWERSHADOW pick the body ends with a comparison...
        self.upper: FloatArray = h - np.where(white, c, o)
        self.lower: FloatArray = np.where(white, o, c) - lo
        # ...while the real-body gap and containment tests use fmax/fmin.
        self.body_top: FloatArray = np.fmax(o, c)
        self.body_bottom: FloatArray = np.fmin(o, c)
        self._ranges = {
            RangeType.REAL_BODY: self.body,
            RangeType.HIGH_LOW: h - lo,
            RangeType.SHADOWS: self.upper + self.lower,
        }

    def range_of(self, range_type: RangeType) -> FloatArray:
        return self._ranges[range_type]


class _Window:
    """The output indices `start..n-1` of one function, and the averages its rules read."""

    def __init__(self, bars: _Bars, start: int) -> None:
        self.bars = bars
        self.start = start
        self.n = len(bars.close)
        self._averages: dict[tuple[CandleSetting, int], FloatArray] = {}

    def f(self, values: FloatArray, back: int = 0) -> FloatArray:
        """`values[i - back]` for every output index i."""
        return values[self.start - back : self.n - back]

    def color(self, back: int = 0) -> IntArray:
        return self.bars.color[self.start - back : self.n - back]

    def avg(self, setting: CandleSetting, back: int = 0) -> FloatArray:
        """TA_CANDLEAVERAGE(setting, total, i - back) for every output index i."""
        key = (setting, back)
        if key not in self._averages:
            ranges = self.bars.range_of(setting.range_type)
            period = setting.avg_period
            if period == 0:
                base = self.f(ranges, back)
            else:
                lo, hi = self.start - back, self.n - back
                steps = np.concatenate(
                    (
                        ranges[lo - period : lo],
                        ranges[lo : hi - 1] - ranges[lo - period : hi - 1 - period],
                    )
                )
                base = np.add.accumulate(steps)[period - 1 :] / period
            average = setting.factor * base
            if setting.range_type is RangeType.SHADOWS:
                average = average / 2.0
            self._averages[key] = average
        return self._averages[key]


@dataclass(frozen=True, slots=True)
class CandlePattern:
    """A TA-Lib CDL function: its lookback, the candles that form it, and its rules."""

    function: str
    candles: int
    lookback: int
    rules: Callable[[_Window], IntArray]


PATTERNS: dict[str, CandlePattern] = {}
"""The implemented CDL functions by TA-Lib name."""


def _periods(*settings: CandleSetting) -> int:
    return max(s.avg_period for s in settings)


def _cdl(
    function: str, candles: int, lookback: int
) -> Callable[[Callable[[_Window], IntArray]], Callable[[_Window], IntArray]]:
    """Register the rules of `function`; `candles` counts the bars that form the pattern
    (context bars TA-Lib also reads, like the one before a hammer, are not counted)."""

    def register(rules: Callable[[_Window], IntArray]) -> Callable[[_Window], IntArray]:
        PATTERNS[function] = CandlePattern(function, candles, lookback, rules)
        return rules

    return register


def _fire(condition: BoolArray, value: int | IntArray) -> IntArray:
    return np.where(condition, value, 0).astype(np.int32)


def _gap_up(w: _Window, second: int, first: int) -> BoolArray:
    """TA_REALBODYGAPUP(i - second, i - first)."""
    b = w.bars
    return w.f(b.body_bottom, second) > w.f(b.body_top, first)


def _gap_down(w: _Window, second: int, first: int) -> BoolArray:
    b = w.bars
    return w.f(b.body_top, second) < w.f(b.body_bottom, first)


# Single candles -------------------------------------------------------------------------------


@_cdl("CDLDOJI", 1, _periods(BODY_DOJI))
def _doji(w: _Window) -> IntArray:
    return _fire(w.f(w.bars.body) <= w.avg(BODY_DOJI), 100)


@_cdl("CDLDRAGONFLYDOJI", 1, _periods(BODY_DOJI, SHADOW_VERY_SHORT))
def _dragonfly_doji(w: _Window) -> IntArray:
    b, vs = w.bars, w.avg(SHADOW_VERY_SHORT)
    is_doji = w.f(b.body) <= w.avg(BODY_DOJI)
    return _fire(is_doji & (w.f(b.upper) < vs) & (w.f(b.lower) > vs), 100)


@_cdl("CDLGRAVESTONEDOJI", 1, _periods(BODY_DOJI, SHADOW_VERY_SHORT))
def _gravestone_doji(w: _Window) -> IntArray:
    b, vs = w.bars, w.avg(SHADOW_VERY_SHORT)
    is_doji = w.f(b.body) <= w.avg(BODY_DOJI)
    return _fire(is_doji & (w.f(b.lower) < vs) & (w.f(b.upper) > vs), 100)


@_cdl("CDLLONGLEGGEDDOJI", 1, _periods(BODY_DOJI, SHADOW_LONG))
def _long_legged_doji(w: _Window) -> IntArray:
    b, long = w.bars, w.avg(SHADOW_LONG)
    is_doji = w.f(b.body) <= w.avg(BODY_DOJI)
    return _fire(is_doji & ((w.f(b.lower) > long) | (w.f(b.upper) > long)), 100)


@_cdl("CDLTAKURI", 1, _periods(BODY_DOJI, SHADOW_VERY_SHORT, SHADOW_VERY_LONG))
def _takuri(w: _Window) -> IntArray:
    b = w.bars
    is_doji = w.f(b.body) <= w.avg(BODY_DOJI)
    shadows = (w.f(b.upper) < w.avg(SHADOW_VERY_SHORT)) & (w.f(b.lower) > w.avg(SHADOW_VERY_LONG))
    return _fire(is_doji & shadows, 100)


def _hammer_shape(w: _Window) -> BoolArray:
    b = w.bars
    small = w.f(b.body) < w.avg(BODY_SHORT)
    return small & (w.f(b.lower) > w.avg(SHADOW_LONG)) & (w.f(b.upper) < w.avg(SHADOW_VERY_SHORT))


@_cdl("CDLHAMMER", 1, _periods(BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT, NEAR) + 1)
def _hammer(w: _Window) -> IntArray:
    b = w.bars
    near_low = w.f(b.body_bottom) <= w.f(b.low, 1) + w.avg(NEAR, 1)
    return _fire(_hammer_shape(w) & near_low, 100)


@_cdl("CDLHANGINGMAN", 1, _periods(BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT, NEAR) + 1)
def _hanging_man(w: _Window) -> IntArray:
    b = w.bars
    near_high = w.f(b.body_bottom) >= w.f(b.high, 1) - w.avg(NEAR, 1)
    return _fire(_hammer_shape(w) & near_high, -100)


def _inverted_shape(w: _Window) -> BoolArray:
    b = w.bars
    small = w.f(b.body) < w.avg(BODY_SHORT)
    return small & (w.f(b.upper) > w.avg(SHADOW_LONG)) & (w.f(b.lower) < w.avg(SHADOW_VERY_SHORT))


@_cdl("CDLINVERTEDHAMMER", 1, _periods(BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT) + 1)
def _inverted_hammer(w: _Window) -> IntArray:
    return _fire(_gap_down(w, 0, 1) & _inverted_shape(w), 100)


@_cdl("CDLSHOOTINGSTAR", 1, _periods(BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT) + 1)
def _shooting_star(w: _Window) -> IntArray:
    return _fire(_gap_up(w, 0, 1) & _inverted_shape(w), -100)


@_cdl("CDLMARUBOZU", 1, _periods(BODY_LONG, SHADOW_VERY_SHORT))
def _marubozu(w: _Window) -> IntArray:
    b, vs = w.bars, w.avg(SHADOW_VERY_SHORT)
    long = w.f(b.body) > w.avg(BODY_LONG)
    return _fire(long & (w.f(b.upper) < vs) & (w.f(b.lower) < vs), w.color() * 100)


@_cdl("CDLCLOSINGMARUBOZU", 1, _periods(BODY_LONG, SHADOW_VERY_SHORT))
def _closing_marubozu(w: _Window) -> IntArray:
    b, vs, color = w.bars, w.avg(SHADOW_VERY_SHORT), w.color()
    long = w.f(b.body) > w.avg(BODY_LONG)
    shaven = ((color == 1) & (w.f(b.upper) < vs)) | ((color == -1) & (w.f(b.lower) < vs))
    return _fire(long & shaven, color * 100)


@_cdl("CDLBELTHOLD", 1, _periods(BODY_LONG, SHADOW_VERY_SHORT))
def _belt_hold(w: _Window) -> IntArray:
    b, vs, color = w.bars, w.avg(SHADOW_VERY_SHORT), w.color()
    long = w.f(b.body) > w.avg(BODY_LONG)
    shaven = ((color == 1) & (w.f(b.lower) < vs)) | ((color == -1) & (w.f(b.upper) < vs))
    return _fire(long & shaven, color * 100)


@_cdl("CDLSPINNINGTOP", 1, _periods(BODY_SHORT))
def _spinning_top(w: _Window) -> IntArray:
    b = w.bars
    body = w.f(b.body)
    shape = (w.f(b.upper) > body) & (w.f(b.lower) > body) & (body < w.avg(BODY_SHORT))
    return _fire(shape, w.color() * 100)


@_cdl("CDLHIGHWAVE", 1, _periods(BODY_SHORT, SHADOW_VERY_LONG))
def _high_wave(w: _Window) -> IntArray:
    b, very_long = w.bars, w.avg(SHADOW_VERY_LONG)
    small = w.f(b.body) < w.avg(BODY_SHORT)
    return _fire(small & (w.f(b.upper) > very_long) & (w.f(b.lower) > very_long), w.color() * 100)


@_cdl("CDLLONGLINE", 1, _periods(BODY_LONG, SHADOW_SHORT))
def _long_line(w: _Window) -> IntArray:
    b, short = w.bars, w.avg(SHADOW_SHORT)
    long = w.f(b.body) > w.avg(BODY_LONG)
    return _fire(long & (w.f(b.upper) < short) & (w.f(b.lower) < short), w.color() * 100)


@_cdl("CDLSHORTLINE", 1, _periods(BODY_SHORT, SHADOW_SHORT))
def _short_line(w: _Window) -> IntArray:
    b, short = w.bars, w.avg(SHADOW_SHORT)
    small = w.f(b.body) < w.avg(BODY_SHORT)
    return _fire(small & (w.f(b.upper) < short) & (w.f(b.lower) < short), w.color() * 100)


# Two candles ----------------------------------------------------------------------------------


@_cdl("CDLDOJISTAR", 2, _periods(BODY_DOJI, BODY_LONG) + 1)
def _doji_star(w: _Window) -> IntArray:
    b, first = w.bars, w.color(1)
    long_then_doji = (w.f(b.body, 1) > w.avg(BODY_LONG, 1)) & (w.f(b.body) <= w.avg(BODY_DOJI))
    gap = ((first == 1) & _gap_up(w, 0, 1)) | ((first == -1) & _gap_down(w, 0, 1))
    return _fire(long_then_doji & gap, -first * 100)


@_cdl("CDLENGULFING", 2, 2)
def _engulfing(w: _Window) -> IntArray:
    o, c = w.bars.open, w.bars.close
    o0, c0, o1, c1 = w.f(o), w.f(c), w.f(o, 1), w.f(c, 1)
    color0, color1 = w.color(), w.color(1)
    white = (color0 == 1) & (color1 == -1) & (((c0 >= o1) & (o0 < c1)) | ((c0 > o1) & (o0 <= c1)))
    black = (color0 == -1) & (color1 == 1) & (((o0 >= c1) & (c0 < o1)) | ((o0 > c1) & (c0 <= o1)))
    strength = np.where((o0 != c1) & (c0 != o1), 100, 80)
    return _fire(white | black, color0 * strength)


def _harami_with(w: _Window, second: CandleSetting) -> IntArray:
    b = w.bars
    qualifies = (w.f(b.body, 1) > w.avg(BODY_LONG, 1)) & (w.f(b.body) <= w.avg(second))
    top0, bottom0, top1, bottom1 = (
        w.f(b.body_top),
        w.f(b.body_bottom),
        w.f(b.body_top, 1),
        w.f(b.body_bottom, 1),
    )
    inside = (top0 < top1) & (bottom0 > bottom1)
    touching = (top0 <= top1) & (bottom0 >= bottom1)
    strength = np.where(inside, 100, np.where(touching, 80, 0))
    return _fire(qualifies, -w.color(1) * strength)


@_cdl("CDLHARAMI", 2, _periods(BODY_SHORT, BODY_LONG) + 1)
def _harami(w: _Window) -> IntArray:
    return _harami_with(w, BODY_SHORT)


@_cdl("CDLHARAMICROSS", 2, _periods(BODY_DOJI, BODY_LONG) + 1)
def _harami_cross(w: _Window) -> IntArray:
    return _harami_with(w, BODY_DOJI)


@_cdl("CDLPIERCING", 2, _periods(BODY_LONG) + 1)
def _piercing(w: _Window) -> IntArray:
    b = w.bars
    body1 = w.f(b.body, 1)
    first = (w.color(1) == -1) & (body1 > w.avg(BODY_LONG, 1))
    second = (w.color() == 1) & (w.f(b.body) > w.avg(BODY_LONG))
    c0 = w.f(b.close)
    inside = (
        (w.f(b.open) < w.f(b.low, 1))
        & (c0 < w.f(b.open, 1))
        & (c0 > w.f(b.close, 1) + body1 * PIERCING_PENETRATION)
    )
    return _fire(first & second & inside, 100)


@_cdl("CDLDARKCLOUDCOVER", 2, _periods(BODY_LONG) + 1)
def _dark_cloud_cover(w: _Window) -> IntArray:
    b = w.bars
    body1 = w.f(b.body, 1)
    first = (w.color(1) == 1) & (body1 > w.avg(BODY_LONG, 1))
    c0 = w.f(b.close)
    second = (
        (w.color() == -1)
        & (w.f(b.open) > w.f(b.high, 1))
        & (c0 > w.f(b.open, 1))
        & (c0 < w.f(b.close, 1) - body1 * DARK_CLOUD_PENETRATION)
    )
    return _fire(first & second, -100)


@_cdl("CDLKICKING", 2, _periods(SHADOW_VERY_SHORT, BODY_LONG) + 1)
def _kicking(w: _Window) -> IntArray:
    b = w.bars
    color0, color1 = w.color(), w.color(1)

    def marubozu(back: int) -> BoolArray:
        vs = w.avg(SHADOW_VERY_SHORT, back)
        long = w.f(b.body, back) > w.avg(BODY_LONG, back)
        return long & (w.f(b.upper, back) < vs) & (w.f(b.lower, back) < vs)

    gap = ((color1 == -1) & (w.f(b.low) > w.f(b.high, 1))) | (
        (color1 == 1) & (w.f(b.high) < w.f(b.low, 1))
    )
    return _fire((color1 == -color0) & marubozu(1) & marubozu(0) & gap, color0 * 100)


# Three candles --------------------------------------------------------------------------------


def _star_with(w: _Window, middle: CandleSetting, sign: int) -> IntArray:
    """Morning (sign +1) or evening (sign -1) star; `middle` is BodyShort or BodyDoji."""
    b = w.bars
    body2, c0, c2 = w.f(b.body, 2), w.f(b.close), w.f(b.close, 2)
    if sign > 0:
        shape = (w.color(2) == -1) & (w.color() == 1) & _gap_down(w, 1, 2)
        shape &= c0 > c2 + body2 * STAR_PENETRATION
    else:
        shape = (w.color(2) == 1) & (w.color() == -1) & _gap_up(w, 1, 2)
        shape &= c0 < c2 - body2 * STAR_PENETRATION
    sizes = (
        (body2 > w.avg(BODY_LONG, 2))
        & (w.f(b.body, 1) <= w.avg(middle, 1))
        & (w.f(b.body) > w.avg(BODY_SHORT))
    )
    return _fire(shape & sizes, sign * 100)


@_cdl("CDLMORNINGSTAR", 3, _periods(BODY_SHORT, BODY_LONG) + 2)
def _morning_star(w: _Window) -> IntArray:
    return _star_with(w, BODY_SHORT, 1)


@_cdl("CDLEVENINGSTAR", 3, _periods(BODY_SHORT, BODY_LONG) + 2)
def _evening_star(w: _Window) -> IntArray:
    return _star_with(w, BODY_SHORT, -1)


@_cdl("CDLMORNINGDOJISTAR", 3, _periods(BODY_DOJI, BODY_LONG, BODY_SHORT) + 2)
def _morning_doji_star(w: _Window) -> IntArray:
    return _star_with(w, BODY_DOJI, 1)


@_cdl("CDLEVENINGDOJISTAR", 3, _periods(BODY_DOJI, BODY_LONG, BODY_SHORT) + 2)
def _evening_doji_star(w: _Window) -> IntArray:
    return _star_with(w, BODY_DOJI, -1)


@_cdl("CDL3WHITESOLDIERS", 3, _periods(SHADOW_VERY_SHORT, BODY_SHORT, FAR, NEAR) + 2)
def _three_white_soldiers(w: _Window) -> IntArray:
    b = w.bars
    o, c, body = b.open, b.close, b.body
    white = (w.color(2) == 1) & (w.color(1) == 1) & (w.color() == 1)
    shaven = (
        (w.f(b.upper, 2) < w.avg(SHADOW_VERY_SHORT, 2))
        & (w.f(b.upper, 1) < w.avg(SHADOW_VERY_SHORT, 1))
        & (w.f(b.upper) < w.avg(SHADOW_VERY_SHORT))
    )
    rising = (w.f(c) > w.f(c, 1)) & (w.f(c, 1) > w.f(c, 2))
    opens = (
        (w.f(o, 1) > w.f(o, 2))
        & (w.f(o, 1) <= w.f(c, 2) + w.avg(NEAR, 2))
        & (w.f(o) > w.f(o, 1))
        & (w.f(o) <= w.f(c, 1) + w.avg(NEAR, 1))
    )
    not_shrinking = (
        (w.f(body, 1) > w.f(body, 2) - w.avg(FAR, 2))
        & (w.f(body) > w.f(body, 1) - w.avg(FAR, 1))
        & (w.f(body) > w.avg(BODY_SHORT))
    )
    return _fire(white & shaven & rising & opens & not_shrinking, 100)


# The white candle before the crows is context: the pattern is the three crows.
@_cdl("CDL3BLACKCROWS", 3, _periods(SHADOW_VERY_SHORT) + 3)
def _three_black_crows(w: _Window) -> IntArray:
    b = w.bars
    o, c = b.open, b.close
    colors = (w.color(3) == 1) & (w.color(2) == -1) & (w.color(1) == -1) & (w.color() == -1)
    opens = (
        (w.f(o, 1) < w.f(o, 2))
        & (w.f(o, 1) > w.f(c, 2))
        & (w.f(o) < w.f(o, 1))
        & (w.f(o) > w.f(c, 1))
    )
    falling = (w.f(b.high, 3) > w.f(c, 2)) & (w.f(c, 2) > w.f(c, 1)) & (w.f(c, 1) > w.f(c))
    shaven = (
        (w.f(b.lower, 2) < w.avg(SHADOW_VERY_SHORT, 2))
        & (w.f(b.lower, 1) < w.avg(SHADOW_VERY_SHORT, 1))
        & (w.f(b.lower) < w.avg(SHADOW_VERY_SHORT))
    )
    return _fire(colors & opens & falling & shaven, -100)


@_cdl("CDL3INSIDE", 3, _periods(BODY_SHORT, BODY_LONG) + 2)
def _three_inside(w: _Window) -> IntArray:
    b = w.bars
    first, third, c0, o2 = w.color(2), w.color(), w.f(b.close), w.f(b.open, 2)
    inside = (w.f(b.body_top, 1) < w.f(b.body_top, 2)) & (
        w.f(b.body_bottom, 1) > w.f(b.body_bottom, 2)
    )
    closes_out = ((first == 1) & (third == -1) & (c0 < o2)) | (
        (first == -1) & (third == 1) & (c0 > o2)
    )
    sizes = (w.f(b.body, 2) > w.avg(BODY_LONG, 2)) & (w.f(b.body, 1) <= w.avg(BODY_SHORT, 1))
    return _fire(inside & closes_out & sizes, -first * 100)


@_cdl("CDL3OUTSIDE", 3, 3)
def _three_outside(w: _Window) -> IntArray:
    o, c = w.bars.open, w.bars.close
    second, first = w.color(1), w.color(2)
    up = (
        (second == 1)
        & (first == -1)
        & (w.f(c, 1) > w.f(o, 2))
        & (w.f(o, 1) < w.f(c, 2))
        & (w.f(c) > w.f(c, 1))
    )
    down = (
        (second == -1)
        & (first == 1)
        & (w.f(o, 1) > w.f(c, 2))
        & (w.f(c, 1) < w.f(o, 2))
        & (w.f(c) < w.f(c, 1))
    )
    return _fire(up | down, second * 100)


def _as_prices(values: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


def cdl_signals(
    functions: Iterable[str],
    open_: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
) -> dict[str, IntArray]:
    """Several CDL functions over one series, each equal to `talib.<function>(o, h, l, c)`.

    Args:
        functions: TA-Lib function names (keys of `PATTERNS`, e.g. "CDLDOJI").
        open_: Opens, oldest first; high, low and close likewise, all the same length.
        high: Highs.
        low: Lows.
        close: Closes.

    Returns:
        The int32 output of each function, one value per bar (0 during its lookback).

    Raises:
        KeyError: A function that is not implemented here.
        ValueError: Inputs of different lengths.
    """
    o, h, lo, c = (_as_prices(x) for x in (open_, high, low, close))
    n = len(c)
    if not len(o) == len(h) == len(lo) == n:
        raise ValueError("open, high, low and close must have the same length")
    wanted = [PATTERNS[name] for name in functions]
    # The wrapper starts at the first bar where no input is NaN (talib's check_begidx4).
    valid = ~(np.isnan(o) | np.isnan(h) | np.isnan(lo) | np.isnan(c))
    begin = int(np.argmax(valid)) if valid.any() else n
    bars = _Bars(o[begin:], h[begin:], lo[begin:], c[begin:])
    windows: dict[int, _Window] = {}
    out: dict[str, IntArray] = {}
    for pattern in wanted:
        signals = np.zeros(n, dtype=np.int32)
        if n - begin > pattern.lookback:
            # Functions with the same lookback start their running totals alike, so they can
            # share the averages; a different start would change the roundings.
            window = windows.setdefault(pattern.lookback, _Window(bars, pattern.lookback))
            signals[begin + pattern.lookback :] = pattern.rules(window)
        out[pattern.function] = signals
    return out
