"""Ranges and trend strength: TRANGE, ATR, NATR, PLUS_DI, MINUS_DI, ADX, SAR."""

from __future__ import annotations

import numpy as np

from domain.analytics.ta.core import (
    EMPTY,
    EPSILON,
    ArrayLike,
    FloatArray,
    as_array,
    check_period,
    divide,
    first_valid,
    pad,
    smooth,
    smooth_holding,
)


def _inputs(
    high: ArrayLike, low: ArrayLike, close: ArrayLike
) -> tuple[int, FloatArray, FloatArray, FloatArray]:
    h, lo, c = as_array(high), as_array(low), as_array(close)
    start = first_valid(h, lo, c)
    return len(c), h[start:], lo[start:], c[start:]


def _true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """True range of bars 1.. : the widest of H-L, |H-C[t-1]| and |L-C[t-1]|."""
    previous = close[:-1]
    return np.maximum(
        high[1:] - low[1:],
        np.maximum(np.abs(high[1:] - previous), np.abs(low[1:] - previous)),
    )


def trange(high: ArrayLike, low: ArrayLike, close: ArrayLike) -> FloatArray:
    """True range (TA-Lib TRANGE); the first bar, without a previous close, is NaN."""
    length, h, lo, c = _inputs(high, low, close)
    return pad(length, _true_range(h, lo, c) if len(c) > 1 else EMPTY)


def _atr_tail(high: FloatArray, low: FloatArray, close: FloatArray, n: int) -> FloatArray:
    true_range = _true_range(high, low, close) if len(close) > 1 else EMPTY
    if len(true_range) < n:
        return EMPTY
    seeded = np.concatenate(([true_range[:n].sum() / n], true_range[n:]))
    return smooth(seeded, 1.0 / n)


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> FloatArray:
    """Average true range (TA-Lib ATR): Wilder's average of TR, seeded with the mean TR of
    bars 1..n; the first n values are NaN."""
    check_period("n", n, 1)
    length, h, lo, c = _inputs(high, low, close)
    return pad(length, _atr_tail(h, lo, c, n))


def natr(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> FloatArray:
    """Normalised ATR (TA-Lib NATR): 100·ATR/close, 0 where the close is 0."""
    check_period("n", n, 1)
    length, h, lo, c = _inputs(high, low, close)
    average = _atr_tail(h, lo, c, n)
    closes = c[len(c) - len(average) :]
    return pad(length, divide(average, closes, closes != 0.0) * 100.0)


def _wilder_sums(values: FloatArray, n: int) -> FloatArray:
    """TA-Lib's DM/TR smoothing of values for bars 1..: the sum of bars 1..n-1, then
    S = S - S/n + x from bar n on; returned from bar n (len - n + 1 values)."""
    if len(values) < n:
        return EMPTY
    seeded = np.concatenate(([values[: n - 1].sum() / n], values[n - 1 :]))
    return smooth(seeded, 1.0 / n)[1:] * n


def _directional(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """+DI, -DI from bar n on, and the smoothed TR they are over."""
    if len(close) < 2:
        return EMPTY, EMPTY, EMPTY
    up = high[1:] - high[:-1]
    down = low[:-1] - low[1:]
    plus_dm = np.where((up > 0) & (up > down), up, 0.0)
    minus_dm = np.where((down > 0) & (down > up), down, 0.0)
    true_range = _wilder_sums(_true_range(high, low, close), n)
    defined = true_range > 0.0
    plus = divide(100.0 * _wilder_sums(plus_dm, n), true_range, defined)
    minus = divide(100.0 * _wilder_sums(minus_dm, n), true_range, defined)
    return plus, minus, true_range


def plus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> FloatArray:
    """Plus directional indicator (TA-Lib PLUS_DI): 100·smoothed +DM/smoothed TR, from bar n."""
    check_period("n", n, 1)
    length, h, lo, c = _inputs(high, low, close)
    return pad(length, _directional(h, lo, c, n)[0])


def minus_di(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> FloatArray:
    """Minus directional indicator (TA-Lib MINUS_DI): 100·smoothed -DM/smoothed TR."""
    check_period("n", n, 1)
    length, h, lo, c = _inputs(high, low, close)
    return pad(length, _directional(h, lo, c, n)[1])


def dmi(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ADX with the +DI and -DI it is built from, in one pass (TA-Lib ADX, PLUS_DI, MINUS_DI).

    DX = 100·|+DI - -DI|/(+DI + -DI); the first ADX (bar 2n - 1) is the mean of the first n DX,
    then Wilder's average; where DX is undefined (no range) ADX holds, as in TA-Lib.

    Returns:
        (adx, plus_di, minus_di): ADX warms up 2n - 1 bars, the DIs n.
    """
    check_period("n", n, 2)
    length, h, lo, c = _inputs(high, low, close)
    plus, minus, true_range = _directional(h, lo, c, n)
    total = plus + minus
    # The DI sum is a ratio, so TA-Lib keeps a fixed band on it; the range is tested exactly.
    defined = (true_range > 0.0) & ~(np.abs(total) < EPSILON)
    dx = np.full(len(total), np.nan)
    np.divide(100.0 * np.abs(minus - plus), total, out=dx, where=defined)
    if len(dx) < n:
        return pad(length, EMPTY), pad(length, plus), pad(length, minus)
    seeded = np.concatenate(([np.nansum(dx[:n]) / n], dx[n:]))
    return pad(length, smooth_holding(seeded, 1.0 / n)), pad(length, plus), pad(length, minus)


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, n: int = 14) -> FloatArray:
    """Average directional index (TA-Lib ADX); the first 2n - 1 values are NaN."""
    return dmi(high, low, close, n)[0]


def sar(
    high: ArrayLike, low: ArrayLike, acceleration: float = 0.02, maximum: float = 0.2
) -> FloatArray:
    """Parabolic SAR (TA-Lib SAR); the first bar is NaN.

    The trend starts short when bar 1's -DM is positive, else long, with the SAR at bar 0's
    extreme; on a reversal the SAR jumps to the extreme point and the step resets.
    """
    if not (acceleration > 0 and maximum > 0):
        raise ValueError("acceleration and maximum must be positive.")
    acceleration = min(acceleration, maximum)  # TA-Lib caps the step at the maximum
    h, lo = as_array(high), as_array(low)
    start = first_valid(h, lo)
    highs, lows = h[start:].tolist(), lo[start:].tolist()
    if len(highs) < 2:
        return pad(len(h), EMPTY)
    down = lows[0] - lows[1]
    is_long = not (down > 0 and highs[1] - highs[0] < down)
    if is_long:
        extreme, stop = highs[1], lows[0]
    else:
        extreme, stop = lows[1], highs[0]
    step = acceleration
    new_high, new_low = highs[1], lows[1]
    out: list[float] = []
    # A sequential rule with branches, so a plain loop: about 0.6 ms over 2,500 bars.
    for today in range(1, len(highs)):
        prev_high, prev_low = new_high, new_low
        new_high, new_low = highs[today], lows[today]
        if is_long:
            if new_low <= stop:
                is_long = False
                stop = max(extreme, prev_high, new_high)
                out.append(stop)
                step, extreme = acceleration, new_low
                stop = max(stop + step * (extreme - stop), prev_high, new_high)
            else:
                out.append(stop)
                if new_high > extreme:
                    extreme = new_high
                    step = min(step + acceleration, maximum)
                stop = min(stop + step * (extreme - stop), prev_low, new_low)
        elif new_high >= stop:
            is_long = True
            stop = min(extreme, prev_low, new_low)
            out.append(stop)
            step, extreme = acceleration, new_high
            stop = min(stop + step * (extreme - stop), prev_low, new_low)
        else:
            out.append(stop)
            if new_low < extreme:
                extreme = new_low
                step = min(step + acceleration, maximum)
            stop = max(stop + step * (extreme - stop), prev_high, new_high)
    return pad(len(h), np.array(out))
