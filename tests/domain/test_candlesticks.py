"""Candlestick patterns against TA-Lib, bar for bar, and their mapping to pattern matches."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache

import numpy as np
import polars as pl
import pytest
import talib
from talib import abstract

from domain.analytics.candlesticks import PATTERNS
from domain.analytics.patterns import (
    CANDLESTICK_FUNCTIONS,
    PatternDirection,
    PatternKind,
    candlestick_signals,
    detect,
)

K = PatternKind
Series = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
CANDLES = [k for k in PatternKind if k.candlestick]


def random_walk(seed: int = 1, n: int = 3000) -> Series:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    open_ = close + rng.normal(0, 1, n)
    high = np.maximum(open_, close) + np.abs(rng.normal(0, 1, n))
    low = np.minimum(open_, close) - np.abs(rng.normal(0, 1, n))
    return open_, high, low, close


def small_bodies(seed: int = 2, n: int = 3000) -> Series:
    """Tiny bodies and long, lopsided shadows: doji, hammers, stars and spinning tops."""
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.8, n))
    open_ = close + rng.normal(0, 0.15, n)
    up, down = rng.exponential(1.0, n), rng.exponential(1.0, n)
    lopsided = rng.random(n)
    up[lopsided < 0.25] *= 0.02  # shaven tops (hammer, takuri, dragonfly shapes)
    down[lopsided > 0.75] *= 0.02  # shaven bottoms (inverted hammer, gravestone shapes)
    return open_, np.maximum(open_, close) + up, np.minimum(open_, close) - down, close


def daily(seed: int = 3, n: int = 2500) -> Series:
    """A PSX-like daily series: clustered volatility, overnight gaps, prices on the Rs 0.01
    tick (so equal prices and equal ranges are common) and suspended days with one price."""
    rng = np.random.default_rng(seed)
    vol, price = 0.015, 180.0
    rows = []
    for _ in range(n):
        vol = float(np.clip(0.000004 + 0.9 * vol + 0.08 * abs(rng.normal(0, vol)), 0.005, 0.06))
        if rng.random() < 0.03:
            rows.append((price, price, price, price))
            continue
        open_ = price * np.exp(rng.normal(0, vol / 3))
        close = open_ * np.exp(rng.normal(0.0003, vol))
        high = max(open_, close) * np.exp(abs(rng.normal(0, vol / 2)))
        low = min(open_, close) * np.exp(-abs(rng.normal(0, vol / 2)))
        rows.append(tuple(round(x, 2) for x in (open_, high, low, close)))
        price = rows[-1][3]
    o, h, lo, c = (np.array(col) for col in zip(*rows, strict=True))
    return o, h, lo, c


# Textbook shapes as (open, high, low, close) offsets from the current price, each built to
# meet TA-Lib's default candle settings against quiet bars (bodies ~1, ranges ~2).
TEMPLATES = [
    [(0, 2.05, -0.3, 2.0), (1.5, 3.65, 1.2, 3.6), (3.1, 5.25, 2.8, 5.2)],  # 3 white soldiers
    [
        (-1, 0.6, -1.2, 0),
        (-0.1, 0, -2.15, -2.1),
        (-1, -0.9, -3.25, -3.2),
        (-2.5, -2.4, -4.65, -4.6),
    ],
    [(1, 1.02, -1.02, -1), (1.5, 3.52, 1.48, 3.5)],  # bullish kicking
    [(-1, 1.02, -1.02, 1), (-1.5, -1.48, -3.52, -3.5)],  # bearish kicking
    [(1, 1.2, -1.6, -1.5), (-2.0, -1.9, -2.4, -2.2), (-1.9, 0.6, -2.0, 0.5)],  # morning star
    [(1, 1.2, -1.6, -1.5), (-2.0, -1.8, -2.3, -2.0), (-1.9, 0.6, -2.0, 0.5)],  # ... doji star
    [(-1, 1.6, -1.2, 1.5), (2.0, 2.4, 1.9, 2.2), (1.9, 2.0, -0.6, -0.5)],  # evening star
    [(-1, 1.6, -1.2, 1.5), (2.0, 2.3, 1.8, 2.0), (1.9, 2.0, -0.6, -0.5)],  # ... doji star
    [(1, 1.2, -1.7, -1.5), (-2.0, 0.1, -2.1, 0.0)],  # piercing
    [(-1, 1.7, -1.2, 1.5), (2.0, 2.1, -0.1, 0.0)],  # dark cloud cover
    [(0.5, 0.7, -0.7, -0.5), (-0.6, -0.29, -1.8, -0.3)],  # hammer
    [(-0.5, 0.7, -0.7, 0.5), (0.6, 0.91, -0.5, 0.9)],  # hanging man
    [(1, 1.2, -0.2, 0), (-0.5, 0.8, -0.51, -0.3)],  # inverted hammer
    [(-1, 0.2, -1.2, 0), (0.3, 1.8, 0.29, 0.5)],  # shooting star
    [(-1, 1.6, -1.2, 1.5), (2.0, 2.5, 1.5, 2.0)],  # doji star after a white candle
    [(1, 1.2, -1.6, -1.5), (-2.0, -1.5, -2.5, -2.0)],  # doji star after a black candle
    [(1.5, 1.7, -1.7, -1.5), (0, 0.4, -0.4, 0)],  # harami cross
    [(1.5, 1.7, -1.7, -1.5), (1.5, 1.6, 1.4, 1.5)],  # harami cross on the body's end (80)
    [(1.5, 1.7, -1.7, -1.5), (1.5, 1.6, 0.9, 1.0)],  # harami sharing the top (80)
    [(-1.5, 1.7, -1.7, 1.5), (1.5, 1.6, 0.8, 0.9)],  # harami sharing the top (-80)
    [(1.5, 1.7, -1.7, -1.5), (-0.3, 0.2, -0.6, 0), (0.1, 2.2, 0, 2.0)],  # three inside up
    [(-0.5, 0.6, -0.7, 0.5), (0.8, 0.9, -1.2, -1.0), (-1, -0.9, -2.0, -1.8)],  # 3 outside down
    [(0.5, 0.7, -0.7, -0.5), (-0.5, 1.2, -0.6, 1.0)],  # engulfing on the body's end (80)
    [(-0.5, 0.7, -0.7, 0.5), (0.5, 0.6, -1.2, -1.0)],  # engulfing on the body's end (-80)
    [(0, 0, -2.5, 0)],  # dragonfly doji, takuri
    [(0, 2.5, 0, 0)],  # gravestone doji
]


def zoo(seed: int = 4, rounds: int = 6) -> Series:
    """Quiet bars around 100 with every template spliced in `rounds` times."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[float, float, float, float]] = []
    price = 100.0

    def quiet(count: int) -> None:
        nonlocal price
        for _ in range(count):
            o = price + rng.uniform(-0.3, 0.3)
            c = o + rng.choice([-1, 1]) * rng.uniform(0.4, 1.2)
            rows.append(
                (o, max(o, c) + rng.uniform(0.2, 0.6), min(o, c) - rng.uniform(0.2, 0.6), c)
            )
            price = 100.0 + 0.3 * (c - 100.0)

    quiet(15)
    for _ in range(rounds):
        for template in TEMPLATES:
            rows.extend((price + o, price + h, price + lo, price + c) for o, h, lo, c in template)
            quiet(int(rng.integers(12, 16)))
    o, h, lo, c = (np.array(col) for col in zip(*rows, strict=True))
    return o, h, lo, c


QUARTER = 0.25  # a price step binary floating point holds exactly, so ties are exact


def ties(seed: int = 5, n: int = 3000) -> Series:
    """Runs of identical bars on quarter steps: bodies and shadows equal their averages
    exactly, so every `<` that TA-Lib means as `<=` (and the reverse) shows."""
    rng = np.random.default_rng(seed)
    sizes = np.array([0.0, 0.25, 0.5, 1.0, 2.0])
    rows: list[tuple[float, float, float, float]] = []
    price = 100.0
    while len(rows) < n:
        body, up, down = (float(rng.choice(sizes)) for _ in range(3))
        white = rng.random() < 0.5
        for _ in range(int(rng.geometric(1 / 6))):
            o = price
            c = o + body if white else o - body
            rows.append((o, max(o, c) + up, min(o, c) - down, c))
            price = c if rng.random() < 0.5 else o
            price = 100.0 + round((price - 100.0) * 0.8 / QUARTER) * QUARTER
    o, h, lo, c = (np.array(col[:n]) for col in zip(*rows, strict=True))
    return o, h, lo, c


def quantized_zoo(seed: int = 6, rounds: int = 30) -> Series:
    """The templates scaled, nudged by a quarter here and there and put on quarter steps,
    between runs of identical quiet bars: patterns that only just pass or fail."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[float, float, float, float]] = []
    price = 100.0

    def add(o: float, h: float, lo: float, c: float) -> None:
        o, h, lo, c = (round(x / QUARTER) * QUARTER for x in (o, h, lo, c))
        rows.append((o, max(h, o, c), min(lo, o, c), c))

    def quiet(count: int) -> None:
        nonlocal price
        body, up, down = (QUARTER * int(rng.integers(a, b)) for a, b in ((2, 6), (0, 3), (0, 3)))
        for _ in range(count):
            o = price
            c = o + body if rng.random() < 0.5 else o - body
            add(o, max(o, c) + up, min(o, c) - down, c)
            price = 100.0 + round((c - 100.0) * 0.3 / QUARTER) * QUARTER

    quiet(15)
    for _ in range(rounds):
        for template in TEMPLATES:
            scale = float(rng.choice([0.5, 0.625, 0.75, 1.0, 1.25]))
            for bar in template:
                nudge = rng.integers(-1, 2, 4) * QUARTER * (rng.random(4) < 0.3)
                o, h, lo, c = (price + scale * x + d for x, d in zip(bar, nudge, strict=True))
                add(o, h, lo, c)
            quiet(int(rng.integers(10, 14)))
    o, h, lo, c = (np.array(col) for col in zip(*rows, strict=True))
    return o, h, lo, c


FIXTURES: dict[str, Callable[[], Series]] = {
    "random_walk": random_walk,
    "small_bodies": small_bodies,
    "daily": daily,
    "zoo": zoo,
    "ties": ties,
    "quantized_zoo": quantized_zoo,
}


@cache
def series(name: str) -> Series:
    return FIXTURES[name]()


def ta_lib(kind: PatternKind, s: Series) -> np.ndarray:
    return getattr(talib, CANDLESTICK_FUNCTIONS[kind])(*s)


@pytest.mark.parametrize("fixture", list(FIXTURES))
@pytest.mark.parametrize("kind", CANDLES)
def test_candlestick_matches_ta_lib_bar_for_bar(kind: PatternKind, fixture: str) -> None:
    s = series(fixture)
    ours = candlestick_signals(kind, *s)
    assert ours.dtype == np.int32
    np.testing.assert_array_equal(ours, ta_lib(kind, s))


# The values TA-Lib gives each pattern; every one must occur in the fixtures, so the
# comparison above is never between two arrays of zeros.
BULLISH_ONLY, BEARISH_ONLY = frozenset({100}), frozenset({-100})
BOTH_SIGNS, WITH_WEAK_FORMS = frozenset({-100, 100}), frozenset({-100, -80, 80, 100})
VALUES = {
    **dict.fromkeys(CANDLES, BOTH_SIGNS),
    **dict.fromkeys(
        [
            K.DOJI,
            K.DRAGONFLY_DOJI,
            K.GRAVESTONE_DOJI,
            K.LONG_LEGGED_DOJI,
            K.TAKURI,
            K.HAMMER,
            K.INVERTED_HAMMER,
            K.MORNING_STAR,
            K.MORNING_DOJI_STAR,
            K.PIERCING,
            K.THREE_WHITE_SOLDIERS,
        ],
        BULLISH_ONLY,
    ),
    **dict.fromkeys(
        [
            K.HANGING_MAN,
            K.SHOOTING_STAR,
            K.EVENING_STAR,
            K.EVENING_DOJI_STAR,
            K.DARK_CLOUD_COVER,
            K.THREE_BLACK_CROWS,
        ],
        BEARISH_ONLY,
    ),
    **dict.fromkeys([K.ENGULFING, K.HARAMI, K.HARAMI_CROSS], WITH_WEAK_FORMS),
}


@pytest.mark.parametrize("kind", CANDLES)
def test_every_candlestick_fires_with_each_of_its_values(kind: PatternKind) -> None:
    outputs = np.concatenate([candlestick_signals(kind, *series(name)) for name in FIXTURES])
    values, counts = np.unique(outputs[outputs != 0], return_counts=True)
    assert set(values.tolist()) == VALUES[kind]
    assert counts.sum() >= 6


def test_lookbacks_are_ta_libs() -> None:
    for function, pattern in PATTERNS.items():
        assert pattern.lookback == abstract.Function(function).lookback, function


@pytest.mark.parametrize("length", [0, 1, 2, 5, 10, 11, 12, 13, 14, 40])
def test_short_series_match_ta_lib(length: int) -> None:
    s = tuple(x[:length] for x in series("zoo"))
    for kind in CANDLES:
        np.testing.assert_array_equal(candlestick_signals(kind, *s), ta_lib(kind, s))


def test_missing_prices_are_handled_like_ta_lib() -> None:
    # Leading NaNs move the start (as talib's wrapper does); a NaN inside the series poisons
    # the running totals from there on, in the C code and here alike.
    o, h, lo, c = (x[:600].copy() for x in series("random_walk"))
    o[:7] = np.nan
    h[3] = np.nan
    c[150] = np.nan
    lo[420] = np.nan
    for kind in CANDLES:
        np.testing.assert_array_equal(
            candlestick_signals(kind, o, h, lo, c), ta_lib(kind, (o, h, lo, c))
        )


def test_chart_patterns_have_no_candlestick_signals() -> None:
    with pytest.raises(ValueError, match="not a candlestick"):
        candlestick_signals(K.DOUBLE_TOP, [1.0], [1.0], [1.0], [1.0])


def test_inputs_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        candlestick_signals(K.DOJI, [1.0, 2.0], [1.0], [1.0], [1.0])


def test_kinds_name_their_ta_lib_functions() -> None:
    assert all(kind.value == kind.name for kind in PatternKind)
    assert len(CANDLES) >= 25
    assert set(CANDLES) == set(CANDLESTICK_FUNCTIONS)
    assert CANDLESTICK_FUNCTIONS[K.THREE_WHITE_SOLDIERS] == "CDL3WHITESOLDIERS"
    for kind, function in CANDLESTICK_FUNCTIONS.items():
        assert function == "CDL" + kind.value.replace("_", "").replace("THREE", "3")
        assert callable(getattr(talib, function))
    assert not K.GAP_UP.candlestick


# The candles that form each pattern; the TA-Lib context candles (the bar before a hammer,
# the white bar before three black crows) are not part of the span.
SPAN = {
    **dict.fromkeys(CANDLES, 1),
    **dict.fromkeys(
        [
            K.DOJI_STAR,
            K.ENGULFING,
            K.HARAMI,
            K.HARAMI_CROSS,
            K.PIERCING,
            K.DARK_CLOUD_COVER,
            K.KICKING,
        ],
        2,
    ),
    **dict.fromkeys(
        [
            K.MORNING_STAR,
            K.EVENING_STAR,
            K.MORNING_DOJI_STAR,
            K.EVENING_DOJI_STAR,
            K.THREE_WHITE_SOLDIERS,
            K.THREE_BLACK_CROWS,
            K.THREE_INSIDE,
            K.THREE_OUTSIDE,
        ],
        3,
    ),
}
NEUTRAL = {
    K.DOJI,
    K.DRAGONFLY_DOJI,
    K.GRAVESTONE_DOJI,
    K.LONG_LEGGED_DOJI,
    K.TAKURI,
    K.SPINNING_TOP,
    K.HIGH_WAVE,
    K.SHORT_LINE,
}


def frame_of(s: Series) -> pl.DataFrame:
    o, h, lo, c = s
    return pl.DataFrame(
        {"ts": np.arange(len(c)), "open": o, "high": h, "low": lo, "close": c, "volume": c * 0}
    )


@pytest.mark.parametrize("fixture", ["zoo", "daily"])
def test_detect_reports_each_signal_on_its_last_candle(fixture: str) -> None:
    s = series(fixture)
    found = detect(frame_of(s), CANDLES)
    for kind in CANDLES:
        expected = ta_lib(kind, s)
        mine = [m for m in found if m.kind is kind]
        assert [(m.end, m.signal) for m in mine] == [
            (i, int(expected[i])) for i in np.flatnonzero(expected)
        ]
        for m in mine:
            assert m.start == m.end - SPAN[kind] + 1
            if kind in NEUTRAL:
                assert m.direction is PatternDirection.NEUTRAL
            else:
                bullish = m.signal > 0
                assert m.direction is (
                    PatternDirection.BULLISH if bullish else PatternDirection.BEARISH
                )
            assert m.confidence is None and m.level is None


def test_detect_sorts_by_end_then_kind_and_filters_kinds() -> None:
    f = frame_of(series("zoo"))
    every = detect(f)
    order = list(PatternKind)
    assert every == sorted(every, key=lambda m: (m.end, order.index(m.kind), m.start))
    some = detect(f, ["ENGULFING", K.HAMMER])  # names work as well as members
    assert some == [m for m in every if m.kind in {K.ENGULFING, K.HAMMER}]
    assert {m.kind for m in some} == {K.ENGULFING, K.HAMMER}
    assert detect(f, []) == []
    assert detect(f.head(0)) == []


def test_detect_over_ten_years_of_daily_bars_is_fast() -> None:
    f = frame_of(series("daily"))  # 2,500 bars
    assert f.height == 2500
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        detect(f)
        timings.append(time.perf_counter() - began)
    assert min(timings) < 0.05
