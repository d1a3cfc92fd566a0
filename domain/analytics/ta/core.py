"""Building blocks shared by the kernels: arrays, warm-up padding, windows and smoothers.

TA-Lib (0.8) outputs 0 where a ratio is 0/0: it tests ranges and sums exactly when they cannot
carry rounding residue, and against `TA_EPSILON` times their own scale when they can (a flat
window's mean is a few ulp off its value); the kernels make the same tests, so flat stretches
give TA-Lib's numbers at any price level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ArrayLike = npt.ArrayLike

EPSILON = 1e-14  # TA-Lib's TA_EPSILON: its zero tests are this band or this much of a scale
EMPTY: FloatArray = np.empty(0, dtype=np.float64)


def as_array(values: ArrayLike) -> FloatArray:
    """The values as a one-dimensional Float64 array (no copy when they already are one)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError("Indicator inputs are one-dimensional.")
    return array


def check_period(name: str, value: int, minimum: int) -> None:
    """Reject a look-back TA-Lib would refuse.

    Raises:
        ValueError: when `value` is not an integer of at least `minimum`.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, not {value!r}.")


def same_length(*arrays: npt.NDArray[np.generic]) -> None:
    """Check that the inputs align bar for bar.

    Raises:
        ValueError: when they differ in length.
    """
    if len({len(a) for a in arrays}) > 1:
        raise ValueError("Indicator inputs must have the same length.")


def first_valid(*arrays: FloatArray) -> int:
    """The first index where no input is NaN (its length when there is none).

    TA-Lib's Python wrapper starts every function there, so leading NaN, e.g. the warm-up of
    another indicator, only shift the warm-up: kernels chain.
    """
    same_length(*arrays)
    nan = np.isnan(arrays[0])
    for array in arrays[1:]:
        nan |= np.isnan(array)
    if nan.size and not nan[0]:
        return 0
    valid = np.flatnonzero(~nan)
    return int(valid[0]) if valid.size else len(nan)


def pad(length: int, tail: FloatArray) -> FloatArray:
    """`tail` aligned to the end of a NaN array of `length`: the warm-up comes first."""
    out = np.full(length, np.nan)
    if tail.size:
        out[length - tail.size :] = tail
    return out


def window_sums(values: FloatArray, n: int) -> FloatArray:
    """The sum of every full window of `n` values (len - n + 1 of them; NaN spreads).

    Each window is summed on its own (a direct convolution) rather than by a running total,
    so no rounding drifts in over a long series and a window of equal values sums exactly as
    it would alone.
    """
    if len(values) < n:
        return EMPTY
    return np.convolve(values, np.ones(n), mode="valid")


def window_variance(values: FloatArray, n: int, ddof: int = 0) -> FloatArray:
    """The variance of every full window of `n` values (len - n + 1 of them; NaN spreads).

    Deviations are measured from the window's last value, as TA-Lib's re-anchored variance
    does: no cancellation between two large sums, and a flat window is exactly 0.
    """
    count = len(values) - n + 1
    if count <= 0:
        return EMPTY
    shift = values[n - 1 :]
    total = np.zeros(count)
    squares = np.zeros(count)
    for k in range(n):
        deviation = values[k : k + count] - shift
        total += deviation
        squares += deviation * deviation
    variance = (squares - total * total / n) / (n - ddof)
    return np.maximum(variance, 0.0, where=~np.isnan(variance), out=variance)


def window_abs_deviation(values: FloatArray, n: int, means: FloatArray) -> FloatArray:
    """Σ |x - mean| over every full window of `n` values, given each window's mean."""
    count = len(means)
    total = np.zeros(count)
    for k in range(n):
        total += np.abs(values[k : k + count] - means)
    return total


def rolling_max(values: FloatArray, n: int) -> FloatArray:
    """The highest value of every full window of `n` (len - n + 1 of them)."""
    if len(values) < n:
        return EMPTY
    return pl.Series(values).rolling_max(n).to_numpy()[n - 1 :]


def rolling_min(values: FloatArray, n: int) -> FloatArray:
    """The lowest value of every full window of `n` (len - n + 1 of them)."""
    if len(values) < n:
        return EMPTY
    return pl.Series(values).rolling_min(n).to_numpy()[n - 1 :]


def smooth(seeded: FloatArray, alpha: float) -> FloatArray:
    """The recursive smoother y[0] = s[0], y[t] = y[t-1] + alpha·(s[t] - y[t-1]).

    EMA (alpha 2/(n+1)) and Wilder's average (alpha 1/n) are this recursion started from their
    seed; polars runs the recursion in compiled code (~45 µs over 2,500 values, against
    ~0.6 ms for a Python loop).
    """
    if not seeded.size:
        return EMPTY
    return pl.Series(seeded).ewm_mean(alpha=alpha, adjust=False).to_numpy()


def smooth_holding(seeded: FloatArray, alpha: float) -> FloatArray:
    """`smooth`, except that a NaN input leaves the average where it was (ADX's rule)."""
    if not seeded.size:
        return EMPTY
    series = pl.Series(seeded, nan_to_null=True)
    held = series.ewm_mean(alpha=alpha, adjust=False, ignore_nulls=True).forward_fill()
    return held.to_numpy()


def divide(numerator: FloatArray, denominator: FloatArray, where: BoolArray) -> FloatArray:
    """numerator / denominator where `where` holds, 0 elsewhere (TA-Lib's 0/0 answer)."""
    out = np.zeros(len(numerator))
    np.divide(numerator, denominator, out=out, where=where)
    return out


def is_zero_scaled(values: FloatArray, scale: FloatArray) -> BoolArray:
    """TA-Lib's `TA_IS_ZERO_SCALED`: |v| within `EPSILON` of the operands' magnitude."""
    return np.abs(values) <= EPSILON * scale
