"""Technical-analysis kernels: numpy arrays in, numpy arrays out, TA-Lib's numbers.

Every kernel takes one-dimensional Float64 arrays (anything `np.asarray` accepts) and returns
arrays of the same length, NaN where TA-Lib's Python wrapper pads: the warm-up of the
indicator's lookback, counted from the first bar where no input is NaN, so kernels chain
(`ema(rsi(close, 14), 9)`). Conventions are TA-Lib's default compatibility with no unstable
period: EMAs seeded with the SMA of their first n values, Wilder's smoothing for RSI, ATR and
the directional indicators, the same zero tolerances in flat stretches. Look-backs below
TA-Lib's minimum raise ValueError.

    from domain.analytics import ta
    ta.rsi(close, 14); ta.macd(close, 12, 26, 9); ta.atr(high, low, close, 14)
"""

from domain.analytics.ta.averages import bbands, dema, ema, macd, sma, stddev, tema, wma
from domain.analytics.ta.core import FloatArray
from domain.analytics.ta.oscillators import (
    aroon,
    cci,
    mfi,
    mom,
    roc,
    rsi,
    stoch,
    stochf,
    stochrsi,
    willr,
)
from domain.analytics.ta.statistics import beta, volatility
from domain.analytics.ta.trends import adx, atr, dmi, minus_di, natr, plus_di, sar, trange
from domain.analytics.ta.volumes import ad, adosc, obv, session_vwap, vwap

__all__ = [
    "FloatArray",
    "ad",
    "adosc",
    "adx",
    "aroon",
    "atr",
    "bbands",
    "beta",
    "cci",
    "dema",
    "dmi",
    "ema",
    "macd",
    "mfi",
    "minus_di",
    "mom",
    "natr",
    "obv",
    "plus_di",
    "roc",
    "rsi",
    "sar",
    "session_vwap",
    "sma",
    "stddev",
    "stoch",
    "stochf",
    "stochrsi",
    "tema",
    "trange",
    "volatility",
    "vwap",
    "willr",
    "wma",
]
