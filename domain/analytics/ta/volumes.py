"""Volume indicators: OBV, AD, ADOSC (TA-Lib), and VWAP rolling or per session."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain.analytics.ta.core import (
    EMPTY,
    ArrayLike,
    FloatArray,
    as_array,
    check_period,
    first_valid,
    pad,
    same_length,
    smooth,
    window_sums,
)


def obv(close: ArrayLike, volume: ArrayLike) -> FloatArray:
    """On-balance volume (TA-Lib OBV): starts at the first bar's volume, then adds the volume
    of an up close and subtracts that of a down close."""
    c, v = as_array(close), as_array(volume)
    start = first_valid(c, v)
    closes, volumes = c[start:], v[start:]
    if not closes.size:
        return pad(len(c), EMPTY)
    signed = np.empty(len(closes))
    signed[0] = volumes[0]
    signed[1:] = np.sign(np.diff(closes)) * volumes[1:]
    return pad(len(c), np.cumsum(signed))


def _ad_tail(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray
) -> FloatArray:
    span = high - low
    location = np.zeros(len(span))
    np.divide((close - low) - (high - close), span, out=location, where=span > 0.0)
    return np.cumsum(location * volume)


def _hlcv(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike
) -> tuple[int, FloatArray, FloatArray, FloatArray, FloatArray]:
    h, lo, c, v = as_array(high), as_array(low), as_array(close), as_array(volume)
    start = first_valid(h, lo, c, v)
    return len(c), h[start:], lo[start:], c[start:], v[start:]


def ad(high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike) -> FloatArray:
    """Chaikin accumulation/distribution line (TA-Lib AD): the running sum of
    ((C-L) - (H-C))/(H-L) × volume, a bar without range adding nothing."""
    length, h, lo, c, v = _hlcv(high, low, close, volume)
    return pad(length, _ad_tail(h, lo, c, v))


def adosc(
    high: ArrayLike,
    low: ArrayLike,
    close: ArrayLike,
    volume: ArrayLike,
    fast: int = 3,
    slow: int = 10,
) -> FloatArray:
    """Chaikin A/D oscillator (TA-Lib ADOSC): EMA(fast) - EMA(slow) of the AD line.

    Unlike TA-Lib's EMA, these EMAs are seeded with the first AD value (TA-Lib's ADOSC does
    so); the warm-up is max(fast, slow) - 1.
    """
    check_period("fast", fast, 2)
    check_period("slow", slow, 2)
    length, h, lo, c, v = _hlcv(high, low, close, volume)
    line = _ad_tail(h, lo, c, v)
    oscillator = smooth(line, 2.0 / (fast + 1)) - smooth(line, 2.0 / (slow + 1))
    return pad(length, oscillator[max(fast, slow) - 1 :])


def vwap(turnover: ArrayLike, volume: ArrayLike, n: int = 20) -> FloatArray:
    """Volume-weighted average price over the last n bars: Σ turnover / Σ volume.

    NaN during the n - 1 warm-up and where the window traded nothing. Pass typical price ×
    volume as the turnover where the traded value is unknown.
    """
    check_period("n", n, 1)
    t, v = as_array(turnover), as_array(volume)
    same_length(t, v)
    value, traded = window_sums(t, n), window_sums(v, n)
    out = np.full(len(value), np.nan)
    np.divide(value, traded, out=out, where=traded > 0.0)
    return pad(len(t), out)


def session_vwap(turnover: ArrayLike, volume: ArrayLike, session: npt.ArrayLike) -> FloatArray:
    """VWAP from the start of each session: Σ turnover / Σ volume so far in the session.

    Args:
        turnover: Traded value of each bar (or typical price × volume).
        volume: Shares of each bar.
        session: A key per bar (e.g. its trading date); a new key starts a new session.

    Returns:
        One value per bar, NaN until the session has traded.
    """
    t, v = as_array(turnover), as_array(volume)
    keys = np.asarray(session)
    same_length(t, v, keys)
    if not len(t):
        return EMPTY.copy()
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    # Running totals restarted at each session: within-session sums, never whole-series ones
    # less an offset, so a late session loses no precision to the earlier turnover.
    lengths = np.diff(np.append(starts, len(t)))
    value = np.concatenate([np.cumsum(t[a : a + k]) for a, k in zip(starts, lengths, strict=True)])
    traded = np.concatenate([np.cumsum(v[a : a + k]) for a, k in zip(starts, lengths, strict=True)])
    out = np.full(len(t), np.nan)
    np.divide(value, traded, out=out, where=traded > 0.0)
    return out
