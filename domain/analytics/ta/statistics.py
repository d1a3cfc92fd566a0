"""Return statistics: annualised volatility and beta against a benchmark."""

from __future__ import annotations

import math

import numpy as np

from domain.analytics.ta.core import (
    EMPTY,
    ArrayLike,
    FloatArray,
    as_array,
    check_period,
    divide,
    first_valid,
    pad,
    same_length,
    window_sums,
    window_variance,
)


def volatility(close: ArrayLike, n: int = 20, periods_per_year: float = 248.0) -> FloatArray:
    """Annualised volatility: the sample standard deviation (ddof 1) of the last n log returns
    × √periods_per_year; the first n values are NaN, and so is any window holding a close
    that is not positive."""
    check_period("n", n, 2)
    c = as_array(close)
    closes = c[first_valid(c) :]
    if len(closes) <= n:
        return pad(len(c), EMPTY)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.log(closes[1:] / closes[:-1])
    returns[~np.isfinite(returns)] = np.nan
    return pad(len(c), np.sqrt(window_variance(returns, n, ddof=1)) * math.sqrt(periods_per_year))


def _simple_returns(prices: FloatArray) -> FloatArray:
    """(p - p[t-1])/p[t-1], 0 after a price of 0 (TA-Lib BETA's rule)."""
    previous = prices[:-1]
    out = np.zeros(len(previous))
    np.divide(prices[1:] - previous, previous, out=out, where=previous != 0.0)
    out[np.isnan(previous)] = np.nan
    return out


def beta(close: ArrayLike, benchmark: ArrayLike, n: int = 60) -> FloatArray:
    """Beta of `close`'s simple returns against `benchmark`'s over the last n returns.

    The least-squares slope Σ(b - b̄)(r - r̄)/Σ(b - b̄)², as TA-Lib's BETA computes it with the
    benchmark as its first input (`talib.BETA(benchmark, close, n)`); 0 where the benchmark's
    returns do not vary. A NaN benchmark close makes every window touching it NaN, so a gap
    in the benchmark never lends a return across it.
    """
    check_period("n", n, 1)
    y, x = as_array(close), as_array(benchmark)
    same_length(y, x)
    if len(y) <= n:
        return pad(len(y), EMPTY)
    stock, index = _simple_returns(y), _simple_returns(x)
    count = len(index) - n + 1
    index_mean = window_sums(index, n) / n
    stock_mean = window_sums(stock, n) / n
    spread = np.zeros(count)
    covariance = np.zeros(count)
    # Centred sums (two passes), not n·Σxy - Σx·Σy: no cancellation when returns drift.
    for k in range(n):
        dx = index[k : k + count] - index_mean
        spread += dx * dx
        covariance += dx * (stock[k : k + count] - stock_mean)
    out = divide(covariance, spread, spread > 0.0)
    out[np.isnan(spread) | np.isnan(covariance)] = np.nan
    return pad(len(y), out)
