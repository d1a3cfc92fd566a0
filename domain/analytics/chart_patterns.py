"""Chart patterns: fixed, documented rules over highs, lows and closes, with no look-ahead.

Each pattern is reported on the bar where the bars up to and including it first establish it,
so evaluating the same rules on a prefix of the series never reports something a longer
series would place later, and the last bar's matches are what a live alert may act on.

Shared definitions:
- Swing high (pivot): bar i whose high is above every high of the `PIVOT_WINDOW` bars before it
  and at least every high of the `PIVOT_WINDOW` bars after it (the first bar of a flat top
  wins). Swing lows mirror this on lows. A pivot is known only `PIVOT_WINDOW` bars later, on
  its confirmation bar i + PIVOT_WINDOW; nothing uses a pivot before that bar.
- Tolerances are relative: two prices x, y are "equal" when |x - y| / max(x, y) is within the
  tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.intp]

PIVOT_WINDOW = 5
LEVEL_TOLERANCE = 0.015  # support/resistance touches, double-top peaks
SHOULDER_TOLERANCE = 0.03  # head-and-shoulders shoulders
MIN_DEPTH = 0.03  # trough (peak) depth of double tops and head and shoulders
MIN_TOUCHES = 2
FAST_SMA = 50
SLOW_SMA = 200


@dataclass(frozen=True, slots=True)
class ChartSignal:
    """One occurrence: bars start..end, +100/-100/0, a 0..1 confidence and a price level."""

    start: int
    end: int
    signal: int
    confidence: float | None
    level: float | None


def swing_highs(high: FloatArray, window: int = PIVOT_WINDOW) -> IndexArray:
    """Indices of the swing highs (see the module docstring), oldest first."""
    return _pivots(high, window, highs=True)


def swing_lows(low: FloatArray, window: int = PIVOT_WINDOW) -> IndexArray:
    """Indices of the swing lows, oldest first."""
    return _pivots(low, window, highs=False)


def _pivots(values: FloatArray, window: int, *, highs: bool) -> IndexArray:
    n = len(values)
    if n < 2 * window + 1:
        return np.empty(0, dtype=np.intp)
    windows = sliding_window_view(values, window)
    extremes = windows.max(axis=1) if highs else windows.min(axis=1)
    idx: IndexArray = np.arange(window, n - window, dtype=np.intp)
    before, after, x = extremes[idx - window], extremes[idx + 1], values[idx]
    mask: npt.NDArray[np.bool_] = (
        (x > before) & (x >= after) if highs else (x < before) & (x <= after)
    )
    return idx[mask]


@dataclass(slots=True)
class _Level:
    touches: list[int] = field(default_factory=list)
    total: float = 0.0

    @property
    def price(self) -> float:
        return self.total / len(self.touches)


def support_levels(
    low: FloatArray, close: FloatArray, bars_per_year: int, window: int = PIVOT_WINDOW
) -> list[ChartSignal]:
    """Horizontal supports that still hold at the last bar.

    Swing lows are taken in the order they are confirmed. Each joins the standing level whose
    price (the mean of its touches) is nearest, if within `LEVEL_TOLERANCE`, or starts a new
    level. A level breaks, and is dropped, on the first close more than `LEVEL_TOLERANCE`
    below it after it formed. A level with at least `MIN_TOUCHES` touches is reported from
    its first touch to the confirmation bar of its last touch, with signal 0, its price as
    the level, and confidence = min(1, (touches - 1) / 3) * (0.5 + 0.5 * recency), where
    recency = 0.5 ** (bars since that confirmation / (bars_per_year / 2)).
    """
    return _levels(low, close, bars_per_year, window, support=True)


def resistance_levels(
    high: FloatArray, close: FloatArray, bars_per_year: int, window: int = PIVOT_WINDOW
) -> list[ChartSignal]:
    """Horizontal resistances that still hold: `support_levels` mirrored on swing highs."""
    return _levels(high, close, bars_per_year, window, support=False)


def _levels(
    prices: FloatArray, close: FloatArray, bars_per_year: int, window: int, *, support: bool
) -> list[ChartSignal]:
    n = len(close)
    pivots = _pivots(prices, window, highs=not support)
    standing: list[_Level] = []
    checked = 0  # closes before this index have been checked against the standing levels

    def drop_broken(upto: int) -> None:
        nonlocal standing
        closes = close[checked:upto]
        if closes.size:
            if support:
                worst = float(closes.min())
                standing = [lv for lv in standing if worst >= lv.price * (1 - LEVEL_TOLERANCE)]
            else:
                worst = float(closes.max())
                standing = [lv for lv in standing if worst <= lv.price * (1 + LEVEL_TOLERANCE)]

    for pivot in pivots.tolist():
        confirmed = pivot + window
        drop_broken(confirmed + 1)
        checked = confirmed + 1
        price = float(prices[pivot])
        nearest = min(standing, key=lambda lv: abs(price - lv.price), default=None)
        if nearest is None or abs(price - nearest.price) / max(price, nearest.price) > (
            LEVEL_TOLERANCE
        ):
            nearest = _Level()
            standing.append(nearest)
        nearest.touches.append(pivot)
        nearest.total += price
    drop_broken(n)
    half_life = bars_per_year / 2
    found = []
    for lv in standing:
        if len(lv.touches) < MIN_TOUCHES:
            continue
        end = lv.touches[-1] + window
        recency = 0.5 ** ((n - 1 - end) / half_life)
        confidence = min(1.0, (len(lv.touches) - 1) / 3) * (0.5 + 0.5 * recency)
        found.append(ChartSignal(lv.touches[0], end, 0, confidence, lv.price))
    return found


def trendline_breaks(
    high: FloatArray, low: FloatArray, close: FloatArray, window: int = PIVOT_WINDOW
) -> list[ChartSignal]:
    """Closes through a trendline drawn across the last two swing highs or swing lows.

    Falling line through swing highs p1 > p2 (prices): from p2's confirmation until the next
    swing high is confirmed, the first bar t with close[t] > line(t) and close[t-1] <=
    line(t-1) is a bullish break (+100). Rising line through two swing lows: the first close
    crossing below it is a bearish break (-100). The match spans p1..t, its level is line(t)
    and its confidence is min(1, penetration / (2 * LEVEL_TOLERANCE)), the penetration being
    |close - line| / line on the break bar.
    """
    bullish = _line_breaks(swing_highs(high, window), high, close, window, up=True)
    bearish = _line_breaks(swing_lows(low, window), low, close, window, up=False)
    return sorted(bullish + bearish, key=lambda s: (s.end, s.start))


def _line_breaks(
    pivots: IndexArray, prices: FloatArray, close: FloatArray, window: int, *, up: bool
) -> list[ChartSignal]:
    n = len(close)
    found = []
    points = pivots.tolist()
    for j in range(1, len(points)):
        p1, p2 = points[j - 1], points[j]
        y1, y2 = float(prices[p1]), float(prices[p2])
        if (up and not y2 < y1) or (not up and not y2 > y1):
            continue
        begin = p2 + window
        stop = points[j + 1] + window if j + 1 < len(points) else n
        t = np.arange(begin, stop)
        if t.size == 0:
            continue
        slope = (y2 - y1) / (p2 - p1)
        line, before = y1 + slope * (t - p1), y1 + slope * (t - 1 - p1)
        now, prev = close[t], close[t - 1]
        crossed = (now > line) & (prev <= before) if up else (now < line) & (prev >= before)
        hits = np.flatnonzero(crossed & (line > 0))
        if hits.size:
            k = int(hits[0])
            value = float(line[k])
            penetration = abs(float(now[k]) - value) / value
            confidence = min(1.0, penetration / (2 * LEVEL_TOLERANCE))
            found.append(ChartSignal(p1, int(t[k]), 100 if up else -100, confidence, value))
    return found


def _first(mask: npt.NDArray[np.bool_]) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _relative_gap(x: float, y: float) -> float:
    return abs(x - y) / max(x, y)


def double_tops(
    high: FloatArray, low: FloatArray, close: FloatArray, window: int = PIVOT_WINDOW
) -> list[ChartSignal]:
    """Two consecutive swing highs a < b that are equal within `LEVEL_TOLERANCE`.

    The neckline is the lowest low strictly between them and must lie at least `MIN_DEPTH`
    (relative) below the lower peak. Confirmation is the first close below the neckline from
    b's confirmation bar on, before the next swing high is confirmed and before any high above
    the higher peak (which voids the pattern). Reported a..confirmation, -100, level =
    neckline, confidence = 0.5 * (1 - peak gap / LEVEL_TOLERANCE)
    + 0.5 * min(1, depth / (3 * MIN_DEPTH)).
    """
    return _doubles(swing_highs(high, window), high, low, close, window, tops=True)


def double_bottoms(
    high: FloatArray, low: FloatArray, close: FloatArray, window: int = PIVOT_WINDOW
) -> list[ChartSignal]:
    """`double_tops` mirrored: two equal swing lows, the neckline is the highest high between
    them, confirmed by the first close above it (+100); a low under the lower bottom voids it.
    """
    return _doubles(swing_lows(low, window), high, low, close, window, tops=False)


def _doubles(
    pivots: IndexArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    window: int,
    *,
    tops: bool,
) -> list[ChartSignal]:
    n = len(close)
    found = []
    points = pivots.tolist()
    extremes = high if tops else low
    for j in range(1, len(points)):
        a, b = points[j - 1], points[j]
        first, second = float(extremes[a]), float(extremes[b])
        gap = _relative_gap(first, second)
        if gap > LEVEL_TOLERANCE:
            continue
        if tops:
            neck = float(low[a + 1 : b].min())
            depth = (min(first, second) - neck) / min(first, second)
        else:
            neck = float(high[a + 1 : b].max())
            depth = (neck - max(first, second)) / max(first, second)
        if depth < MIN_DEPTH:
            continue
        stop = points[j + 1] + window if j + 1 < len(points) else n
        after = extremes[b + 1 : stop]
        void = _first(after > max(first, second)) if tops else _first(after < min(first, second))
        if void is not None:
            stop = b + 1 + void
        closes = close[b + window : stop]
        hit = _first(closes < neck) if tops else _first(closes > neck)
        if hit is not None:
            confidence = 0.5 * (1 - gap / LEVEL_TOLERANCE) + 0.5 * min(1.0, depth / (3 * MIN_DEPTH))
            found.append(ChartSignal(a, b + window + hit, -100 if tops else 100, confidence, neck))
    return found


def head_and_shoulders(
    high: FloatArray, low: FloatArray, close: FloatArray, window: int = PIVOT_WINDOW
) -> list[ChartSignal]:
    """Three consecutive swing highs a < b < c: left shoulder, head, right shoulder.

    The head is more than `LEVEL_TOLERANCE` above the higher shoulder, the shoulders are equal
    within `SHOULDER_TOLERANCE`, and the neckline joins the lowest low between a and b to the
    lowest low between b and c (the first bar of each, if several). The head must stand at
    least `MIN_DEPTH` above the higher neckline point. Confirmation is the first close below
    the neckline (extended to that bar) from c's confirmation on, before the next swing high
    is confirmed and before any high above the head. Reported a..confirmation, -100, level =
    the neckline on that bar, confidence = 0.5 * (1 - shoulder gap / SHOULDER_TOLERANCE)
    + 0.5 * min(1, head excess / (3 * LEVEL_TOLERANCE)), the excess being relative to the
    higher shoulder.
    """
    return _head_shoulders(swing_highs(high, window), high, low, close, window, tops=True)


def inverse_head_and_shoulders(
    high: FloatArray, low: FloatArray, close: FloatArray, window: int = PIVOT_WINDOW
) -> list[ChartSignal]:
    """`head_and_shoulders` mirrored on swing lows: the neckline joins the highest highs
    between them, confirmation is a close above it (+100), a low under the head voids it.
    """
    return _head_shoulders(swing_lows(low, window), high, low, close, window, tops=False)


def _head_shoulders(
    pivots: IndexArray,
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    window: int,
    *,
    tops: bool,
) -> list[ChartSignal]:
    n = len(close)
    found = []
    points = pivots.tolist()
    extremes, troughs = (high, low) if tops else (low, high)
    for j in range(2, len(points)):
        a, b, c = points[j - 2], points[j - 1], points[j]
        left, head, right = float(extremes[a]), float(extremes[b]), float(extremes[c])
        shoulder_gap = _relative_gap(left, right)
        if tops:
            shoulder = max(left, right)
            excess = head / shoulder - 1
            t1 = a + 1 + int(np.argmin(troughs[a + 1 : b]))
            t2 = b + 1 + int(np.argmin(troughs[b + 1 : c]))
            depth = (head - max(troughs[t1], troughs[t2])) / head
        else:
            shoulder = min(left, right)
            excess = 1 - head / shoulder
            t1 = a + 1 + int(np.argmax(troughs[a + 1 : b]))
            t2 = b + 1 + int(np.argmax(troughs[b + 1 : c]))
            lower_neck = min(troughs[t1], troughs[t2])
            depth = (lower_neck - head) / lower_neck
        if excess <= LEVEL_TOLERANCE or shoulder_gap > SHOULDER_TOLERANCE or depth < MIN_DEPTH:
            continue
        stop = points[j + 1] + window if j + 1 < len(points) else n
        after = extremes[c + 1 : stop]
        void = _first(after > head) if tops else _first(after < head)
        if void is not None:
            stop = c + 1 + void
        t = np.arange(c + window, stop)
        if t.size == 0:
            continue
        y1, y2 = float(troughs[t1]), float(troughs[t2])
        neckline = y1 + (y2 - y1) * (t - t1) / (t2 - t1)
        hit = _first(close[t] < neckline) if tops else _first(close[t] > neckline)
        if hit is not None:
            confidence = 0.5 * (1 - shoulder_gap / SHOULDER_TOLERANCE) + 0.5 * min(
                1.0, excess / (3 * LEVEL_TOLERANCE)
            )
            level = float(neckline[hit])
            found.append(ChartSignal(a, int(t[hit]), -100 if tops else 100, confidence, level))
    return found


def gaps(high: FloatArray, low: FloatArray) -> tuple[list[ChartSignal], list[ChartSignal]]:
    """Gaps up (low > previous high; level = previous high) and down (high < previous low;
    level = previous low), each spanning the two bars, +100 and -100.
    """
    up = np.flatnonzero(low[1:] > high[:-1]) + 1
    down = np.flatnonzero(high[1:] < low[:-1]) + 1
    return (
        [ChartSignal(i - 1, i, 100, None, float(high[i - 1])) for i in up.tolist()],
        [ChartSignal(i - 1, i, -100, None, float(low[i - 1])) for i in down.tolist()],
    )


def new_extremes(
    high: FloatArray, low: FloatArray, bars: int
) -> tuple[list[ChartSignal], list[ChartSignal]]:
    """Every bar whose high tops the highest high of the `bars` bars before it (+100), and every
    bar whose low undercuts their lowest low (-100); the level is that new high (low). Bars
    with fewer than `bars` bars before them are never reported.
    """
    n = len(high)
    if n <= bars:
        return [], []
    prior_high = sliding_window_view(high[:-1], bars).max(axis=1)
    prior_low = sliding_window_view(low[:-1], bars).min(axis=1)
    highs = np.flatnonzero(high[bars:] > prior_high) + bars
    lows = np.flatnonzero(low[bars:] < prior_low) + bars
    return (
        [ChartSignal(i, i, 100, None, float(high[i])) for i in highs.tolist()],
        [ChartSignal(i, i, -100, None, float(low[i])) for i in lows.tolist()],
    )


def moving_average_crosses(
    close: FloatArray, fast: int = FAST_SMA, slow: int = SLOW_SMA
) -> tuple[list[ChartSignal], list[ChartSignal]]:
    """Golden crosses (fast SMA > slow SMA on bar i after fast <= slow on bar i-1; +100) and
    death crosses (fast < slow after fast >= slow; -100), spanning i-1..i, level = the slow
    SMA on bar i. The SMAs are polars rolling means of the last `fast`/`slow` closes, so
    both need `slow` bars of history (and the bar before) to cross.
    """
    series = pl.Series("close", close, dtype=pl.Float64)
    f = series.rolling_mean(fast).to_numpy()
    s = series.rolling_mean(slow).to_numpy()
    above, was_above = f[1:] > s[1:], f[:-1] > s[:-1]
    defined = ~(np.isnan(f[1:]) | np.isnan(s[1:]) | np.isnan(f[:-1]) | np.isnan(s[:-1]))
    golden = np.flatnonzero(defined & above & ~was_above) + 1
    death = np.flatnonzero(defined & (f[1:] < s[1:]) & (f[:-1] >= s[:-1])) + 1
    return (
        [ChartSignal(i - 1, i, 100, None, float(s[i])) for i in golden.tolist()],
        [ChartSignal(i - 1, i, -100, None, float(s[i])) for i in death.tolist()],
    )
