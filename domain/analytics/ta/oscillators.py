"""Momentum oscillators: RSI, STOCH, STOCHF, STOCHRSI, CCI, ROC, MOM, WILLR, MFI, AROON."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from domain.analytics.ta.averages import sma_tail
from domain.analytics.ta.core import (
    EMPTY,
    ArrayLike,
    FloatArray,
    as_array,
    check_period,
    divide,
    first_valid,
    is_zero_scaled,
    pad,
    rolling_max,
    rolling_min,
    smooth,
    window_abs_deviation,
    window_sums,
)


def rsi_tail(values: FloatArray, n: int) -> FloatArray:
    """Wilder's RSI of NaN-free values, without the n warm-up values."""
    if len(values) <= n:
        return EMPTY
    change = np.diff(values)
    gains = np.where(change > 0, change, 0.0)
    losses = np.where(change < 0, -change, 0.0)
    seeded_gains = np.concatenate(([gains[:n].sum() / n], gains[n:]))
    seeded_losses = np.concatenate(([losses[:n].sum() / n], losses[n:]))
    average_gain = smooth(seeded_gains, 1.0 / n)
    total = average_gain + smooth(seeded_losses, 1.0 / n)
    return divide(100.0 * average_gain, total, total > 0.0)


def rsi(values: ArrayLike, n: int = 14) -> FloatArray:
    """Relative Strength Index (TA-Lib RSI).

    Wilder's smoothing: the first average gain and loss are the means of the first n changes,
    then avg = (avg·(n-1) + x)/n; RSI = 100·gain/(gain + loss), 0 when both are 0.
    """
    check_period("n", n, 2)
    x = as_array(values)
    return pad(len(x), rsi_tail(x[first_valid(x) :], n))


def _fast_k(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    """100·(close - lowest low)/(highest high - lowest low), 0 on a flat window.

    Flat is TA-Lib's scaled test: over RSI (STOCHRSI) a flat stretch leaves ulp-sized
    differences that an exact test would blow up into 0-100 noise.
    """
    highest = rolling_max(high, n)
    lowest = rolling_min(low, n)
    span = highest - lowest
    flat = is_zero_scaled(span, np.abs(highest) + np.abs(lowest))
    return divide(close[n - 1 :] - lowest, span / 100.0, ~flat)


def stochf(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, fastk: int = 5, fastd: int = 3
) -> tuple[FloatArray, FloatArray]:
    """Fast stochastic (TA-Lib STOCHF, %D an SMA); both lines warm up fastk + fastd - 2.

    Returns:
        (fast %K, fast %D).
    """
    check_period("fastk", fastk, 1)
    check_period("fastd", fastd, 1)
    h, lo, c = as_array(high), as_array(low), as_array(close)
    start = first_valid(h, lo, c)
    k = _fast_k(h[start:], lo[start:], c[start:], fastk)
    d = sma_tail(k, fastd)
    return pad(len(c), k[len(k) - len(d) :]), pad(len(c), d)


def stoch(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    fastk: int = 5,
    slowk: int = 3,
    slowd: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """Slow stochastic (TA-Lib STOCH, both smoothings SMA); warm-up fastk + slowk + slowd - 3.

    Returns:
        (slow %K, slow %D).
    """
    check_period("fastk", fastk, 1)
    check_period("slowk", slowk, 1)
    check_period("slowd", slowd, 1)
    h, lo, c = as_array(high), as_array(low), as_array(close)
    start = first_valid(h, lo, c)
    k = sma_tail(_fast_k(h[start:], lo[start:], c[start:], fastk), slowk)
    d = sma_tail(k, slowd)
    return pad(len(c), k[len(k) - len(d) :]), pad(len(c), d)


def stochrsi(
    values: ArrayLike, n: int = 14, fastk: int = 5, fastd: int = 3
) -> tuple[FloatArray, FloatArray]:
    """Stochastic RSI (TA-Lib STOCHRSI): STOCHF over RSI(n); warm-up n + fastk + fastd - 2.

    Returns:
        (fast %K, fast %D).
    """
    check_period("n", n, 2)
    x = as_array(values)
    strength = pad(len(x), rsi_tail(x[first_valid(x) :], n))
    return stochf(strength, strength, strength, fastk, fastd)


def willr(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> FloatArray:
    """Williams' %R (TA-Lib WILLR): -100·(highest - close)/(highest - lowest), 0 when flat."""
    check_period("n", n, 2)
    h, lo, c = as_array(high), as_array(low), as_array(close)
    start = first_valid(h, lo, c)
    highest = rolling_max(h[start:], n)
    lowest = rolling_min(lo[start:], n)
    span = (highest - lowest) * -0.01
    return pad(len(c), divide(highest - c[start + n - 1 :], span, span != 0.0))


def cci(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> FloatArray:
    """Commodity Channel Index (TA-Lib CCI) over the typical price (H+L+C)/3.

    (typical - mean)/(0.015 · mean absolute deviation), 0 where either is 0 to within
    TA_EPSILON of the mean (a flat window).
    """
    check_period("n", n, 2)
    h, lo, c = as_array(high), as_array(low), as_array(close)
    start = first_valid(h, lo, c)
    typical = (h[start:] + lo[start:] + c[start:]) / 3
    means = window_sums(typical, n) / n
    deviation = window_abs_deviation(typical, n, means) / n
    distance = typical[n - 1 :] - means
    level = np.abs(means)
    defined = ~is_zero_scaled(distance, level) & ~is_zero_scaled(deviation, level)
    return pad(len(c), divide(distance, 0.015 * deviation, defined))


def roc(values: ArrayLike, n: int = 10) -> FloatArray:
    """Rate of change in percent (TA-Lib ROC): 100·(x/x[t-n] - 1), 0 where x[t-n] is 0."""
    check_period("n", n, 1)
    x = as_array(values)
    tail = x[first_valid(x) :]
    if len(tail) <= n:
        return pad(len(x), EMPTY)
    before = tail[:-n]
    ratio = divide(tail[n:], before, before != 0.0)
    return pad(len(x), np.where(before != 0.0, (ratio - 1.0) * 100.0, 0.0))


def mom(values: ArrayLike, n: int = 10) -> FloatArray:
    """Momentum (TA-Lib MOM): x - x[t-n]."""
    check_period("n", n, 1)
    x = as_array(values)
    tail = x[first_valid(x) :]
    if len(tail) <= n:
        return pad(len(x), EMPTY)
    return pad(len(x), tail[n:] - tail[:-n])


def mfi(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, n: int = 14
) -> FloatArray:
    """Money Flow Index (TA-Lib MFI): 100·positive/(positive + negative) money flow over n.

    Money flow is typical price × volume, positive when the typical price rose, negative when
    it fell, neither when unchanged (to within TA_EPSILON of the prices, as TA-Lib tests);
    0 for a window without money flow.
    """
    check_period("n", n, 2)
    h, lo, c, v = as_array(high), as_array(low), as_array(close), as_array(volume)
    start = first_valid(h, lo, c, v)
    typical = (h[start:] + lo[start:] + c[start:]) / 3.0
    if len(typical) <= n:
        return pad(len(c), EMPTY)
    change = np.diff(typical)
    moved = ~is_zero_scaled(change, np.abs(typical[1:]) + np.abs(typical[:-1]))
    flow = np.where(moved, typical[1:] * v[start + 1 :], 0.0)
    positive = window_sums(np.where(change < 0, 0.0, flow), n)
    total = positive + window_sums(np.where(change < 0, flow, 0.0), n)
    return pad(len(c), divide(100.0 * positive, total, total > 0.0))


def aroon(high: ArrayLike, low: ArrayLike, n: int = 14) -> tuple[FloatArray, FloatArray]:
    """Aroon (TA-Lib AROON): 100·(n - bars since the extreme)/n over the last n + 1 bars.

    Ties go to the most recent bar, as in TA-Lib.

    Returns:
        (down, up), with n warm-up NaN.
    """
    check_period("n", n, 2)
    h, lo = as_array(high), as_array(low)
    start = first_valid(h, lo)
    if len(h) - start <= n:
        return pad(len(h), EMPTY), pad(len(h), EMPTY)
    factor = 100.0 / n
    # Reversed windows: argmax/argmin find the first extreme, i.e. the most recent bar.
    since_high = sliding_window_view(h[start:], n + 1)[:, ::-1].argmax(axis=1)
    since_low = sliding_window_view(lo[start:], n + 1)[:, ::-1].argmin(axis=1)
    down = factor * (n - since_low).astype(np.float64)
    up = factor * (n - since_high).astype(np.float64)
    return pad(len(h), down), pad(len(h), up)
