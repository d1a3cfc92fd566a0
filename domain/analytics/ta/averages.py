"""Moving averages and the overlays built on them: SMA, EMA, WMA, DEMA, TEMA, BBANDS, MACD."""

from __future__ import annotations

import numpy as np

from domain.analytics.ta.core import (
    EMPTY,
    ArrayLike,
    FloatArray,
    as_array,
    check_period,
    first_valid,
    pad,
    smooth,
    window_sums,
    window_variance,
)


def sma_tail(values: FloatArray, n: int) -> FloatArray:
    """SMA of NaN-free values, without the warm-up (len - n + 1 values)."""
    return window_sums(values, n) / n


def ema_tail(values: FloatArray, n: int) -> FloatArray:
    """EMA of NaN-free values, seeded with the SMA of the first n, without the warm-up."""
    if len(values) < n:
        return EMPTY
    seeded = np.empty(len(values) - n + 1)
    seeded[0] = values[:n].sum() / n
    seeded[1:] = values[n:]
    return smooth(seeded, 2.0 / (n + 1))


def sma(values: ArrayLike, n: int = 30) -> FloatArray:
    """Simple moving average (TA-Lib SMA); the first n - 1 values are NaN."""
    check_period("n", n, 1)
    x = as_array(values)
    return pad(len(x), sma_tail(x[first_valid(x) :], n))


def ema(values: ArrayLike, n: int = 30) -> FloatArray:
    """Exponential moving average (TA-Lib EMA, k = 2/(n+1), seeded with the first n's SMA)."""
    check_period("n", n, 1)
    x = as_array(values)
    return pad(len(x), ema_tail(x[first_valid(x) :], n))


def wma(values: ArrayLike, n: int = 30) -> FloatArray:
    """Linearly weighted moving average (TA-Lib WMA): weights n for the newest down to 1."""
    check_period("n", n, 1)
    x = as_array(values)
    tail = x[first_valid(x) :]
    if len(tail) < n:
        return pad(len(x), EMPTY)
    weights = np.arange(n, 0, -1, dtype=np.float64)  # convolution flips: newest gets n
    return pad(len(x), np.convolve(tail, weights, mode="valid") / (n * (n + 1) / 2))


def dema(values: ArrayLike, n: int = 30) -> FloatArray:
    """Double EMA (TA-Lib DEMA): 2·EMA - EMA(EMA); warm-up 2(n - 1)."""
    check_period("n", n, 1)
    x = as_array(values)
    first = ema_tail(x[first_valid(x) :], n)
    second = ema_tail(first, n)
    return pad(len(x), 2.0 * first[len(first) - len(second) :] - second)


def tema(values: ArrayLike, n: int = 30) -> FloatArray:
    """Triple EMA (TA-Lib TEMA): 3·EMA1 - 3·EMA2 + EMA3 of chained EMAs; warm-up 3(n - 1)."""
    check_period("n", n, 1)
    x = as_array(values)
    first = ema_tail(x[first_valid(x) :], n)
    second = ema_tail(first, n)
    third = ema_tail(second, n)
    first, second = first[len(first) - len(third) :], second[len(second) - len(third) :]
    return pad(len(x), 3.0 * first - 3.0 * second + third)


def stddev(values: ArrayLike, n: int = 5) -> FloatArray:
    """Population standard deviation over n values (TA-Lib STDDEV with nbdev 1)."""
    check_period("n", n, 2)
    x = as_array(values)
    return pad(len(x), np.sqrt(window_variance(x[first_valid(x) :], n)))


def bbands(
    values: ArrayLike, n: int = 5, nbdev_up: float = 2.0, nbdev_dn: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger Bands over an SMA (TA-Lib BBANDS, matype 0, population deviation).

    Returns:
        (upper, middle, lower), each with n - 1 warm-up NaN.
    """
    check_period("n", n, 2)
    x = as_array(values)
    tail = x[first_valid(x) :]
    middle = sma_tail(tail, n)
    deviation = np.sqrt(window_variance(tail, n))
    upper = middle + deviation * nbdev_up
    lower = middle - deviation * nbdev_dn
    return pad(len(x), upper), pad(len(x), middle), pad(len(x), lower)


def macd(
    values: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD (TA-Lib MACD): EMA(fast) - EMA(slow), its EMA(signal), and their difference.

    As in TA-Lib, the fast EMA starts where the slow one does (seeded with the SMA of the fast
    period's values ending there), and all three lines share the warm-up slow + signal - 2.

    Returns:
        (macd, signal, histogram).
    """
    check_period("fast", fast, 2)
    check_period("slow", slow, 2)
    check_period("signal", signal, 1)
    if slow < fast:  # TA-Lib swaps them
        fast, slow = slow, fast
    x = as_array(values)
    tail = x[first_valid(x) :]
    slow_ema = ema_tail(tail, slow)
    fast_ema = ema_tail(tail[slow - fast :], fast)
    line = fast_ema - slow_ema
    signal_line = ema_tail(line, signal)
    line = line[len(line) - len(signal_line) :]
    return pad(len(x), line), pad(len(x), signal_line), pad(len(x), line - signal_line)
