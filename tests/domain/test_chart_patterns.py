"""Chart patterns on constructed series whose answers are worked out by hand, and on a random
walk (sane, causal output)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from domain.analytics.chart_patterns import swing_highs, swing_lows
from domain.analytics.patterns import (
    PatternDirection,
    PatternKind,
    PatternMatch,
    detect,
)

K = PatternKind
BULL, BEAR, FLAT = PatternDirection.BULLISH, PatternDirection.BEARISH, PatternDirection.NEUTRAL
REVERSALS = {
    K.TRENDLINE_BREAK,
    K.DOUBLE_TOP,
    K.DOUBLE_BOTTOM,
    K.HEAD_AND_SHOULDERS,
    K.INVERSE_HEAD_AND_SHOULDERS,
}


def frame_of(o: np.ndarray, h: np.ndarray, lo: np.ndarray, c: np.ndarray) -> pl.DataFrame:
    n = len(c)
    return pl.DataFrame(
        {
            "ts": np.arange(n),
            "open": o,
            "high": h,
            "low": lo,
            "close": c,
            "volume": np.full(n, 1000.0),
        }
    )


def path(knots: list[tuple[int, float]], spread: float, flip: float | None = None) -> pl.DataFrame:
    """Closes along straight lines between (bar, price) knots; open = close, high/low = close
    +- spread, so a knot that turns the path is exactly a swing high or low. `flip` mirrors the
    path (price -> flip - price)."""
    bars, prices = zip(*knots, strict=True)
    close = np.interp(np.arange(bars[-1] + 1), bars, prices)
    if flip is not None:
        close = flip - close
    return frame_of(close, close + spread, close - spread, close)


def match(kind: PatternKind, start: int, end: int, signal: int, level: float) -> PatternMatch:
    direction = BULL if signal > 0 else BEAR if signal < 0 else FLAT
    return PatternMatch(kind, start, end, direction, signal, None, level)


def without_confidence(found: list[PatternMatch]) -> list[PatternMatch]:
    return [
        PatternMatch(m.kind, m.start, m.end, m.direction, m.signal, None, m.level) for m in found
    ]


def test_swing_points_are_the_turning_knots_confirmed_five_bars_later() -> None:
    f = path([(0, 100), (20, 120), (35, 108), (50, 120.6), (75, 95)], spread=1.0)
    high, low = f["high"].to_numpy(), f["low"].to_numpy()
    assert swing_highs(high).tolist() == [20, 50]
    assert swing_lows(low).tolist() == [35]
    # A flat top: the first bar of the plateau is the swing high, the second is not.
    plateau = np.array([1, 2, 3, 4, 5, 9, 9, 5, 4, 3, 2, 1, 0], dtype=float)
    assert swing_highs(plateau).tolist() == [5]


def test_double_top_is_confirmed_by_the_close_under_the_neckline() -> None:
    # Peaks 121 (bar 20) and 121.6 (bar 50), trough low 107 (bar 35). From bar 55 on, the first
    # close under 107 on the fall 120.6 - 1.024/bar is bar 64 (106.264; bar 63 closes 107.288).
    f = path([(0, 100), (20, 120), (35, 108), (50, 120.6), (75, 95)], spread=1.0)
    found = detect(f, REVERSALS)
    assert without_confidence(found) == [match(K.DOUBLE_TOP, 20, 64, -100, 107.0)]
    gap, depth = 0.6 / 121.6, 14 / 121
    expected = 0.5 * (1 - gap / 0.015) + 0.5 * min(1.0, depth / 0.09)
    assert found[0].confidence == pytest.approx(expected)
    assert found[0].direction is BEAR


def test_double_top_needs_peaks_within_tolerance() -> None:
    # Second peak 124.5 against 121: 2.8% apart, beyond the 1.5% tolerance.
    f = path([(0, 100), (20, 120), (35, 108), (50, 123.5), (75, 95)], spread=1.0)
    assert detect(f, {K.DOUBLE_TOP}) == []


def test_double_top_is_void_once_price_clears_the_peaks() -> None:
    # After the second peak the price falls to 112, then rallies to 123 (above both peaks)
    # before it ever closes under the 107 neckline.
    f = path(
        [(0, 100), (20, 120), (35, 108), (50, 120.6), (58, 112), (70, 123), (95, 90)],
        spread=1.0,
    )
    assert [m for m in detect(f, {K.DOUBLE_TOP}) if m.start == 20] == []


def test_double_bottom_mirrors_the_double_top() -> None:
    f = path([(0, 100), (20, 120), (35, 108), (50, 120.6), (75, 95)], spread=1.0, flip=220)
    found = detect(f, REVERSALS)
    # Bottoms 99 and 98.4, neckline = the high of bar 35 (220 - 108 + 1 = 113).
    assert without_confidence(found) == [match(K.DOUBLE_BOTTOM, 20, 64, 100, 113.0)]
    gap, depth = 0.6 / 99, (113 - 99) / 99
    expected = 0.5 * (1 - gap / 0.015) + 0.5 * min(1.0, depth / 0.09)
    assert found[0].confidence == pytest.approx(expected)


HS_KNOTS = [(0, 100), (15, 115), (25, 105), (40, 125), (55, 106), (70, 114.5), (95, 90)]


def test_head_and_shoulders_breaks_its_sloped_neckline() -> None:
    # Shoulders 116 (bar 15) and 115.5 (bar 70), head 126 (bar 40); neckline through the lows
    # 104 (bar 25) and 105 (bar 55): 104 + (t - 25) / 30. From bar 75 on, the close
    # 114.5 - 0.98 (t - 70) first ends under it on bar 79 (105.68 < 105.8).
    f = path(HS_KNOTS, spread=1.0)
    found = detect(f, {K.HEAD_AND_SHOULDERS, K.INVERSE_HEAD_AND_SHOULDERS})
    assert without_confidence(found) == [match(K.HEAD_AND_SHOULDERS, 15, 79, -100, 105.8)]
    assert found[0].level == pytest.approx(104 + 54 / 30)
    expected = 0.5 * (1 - (0.5 / 116) / 0.03) + 0.5 * min(1.0, (126 / 116 - 1) / 0.045)
    assert found[0].confidence == pytest.approx(expected)
    # The neckline is also the rising trendline through the two troughs: same break bar.
    breaks = detect(f, {K.TRENDLINE_BREAK})
    assert [(m.start, m.end, m.signal) for m in breaks] == [(25, 79, -100)]
    assert breaks[0].level == pytest.approx(104 + 54 / 30)


def test_inverse_head_and_shoulders_mirrors_it() -> None:
    f = path(HS_KNOTS, spread=1.0, flip=200)
    found = detect(f, {K.HEAD_AND_SHOULDERS, K.INVERSE_HEAD_AND_SHOULDERS})
    assert [(m.kind, m.start, m.end, m.signal, m.direction) for m in found] == [
        (K.INVERSE_HEAD_AND_SHOULDERS, 15, 79, 100, BULL)
    ]
    assert found[0].level == pytest.approx(96 - 54 / 30)
    expected = 0.5 * (1 - (0.5 / 84.5) / 0.03) + 0.5 * min(1.0, (1 - 74 / 84) / 0.045)
    assert found[0].confidence == pytest.approx(expected)


def test_head_and_shoulders_needs_a_head_above_the_shoulders() -> None:
    # Head 117 against shoulders 116 and 115.5: under 1.5% higher, so no pattern.
    knots = [(0, 100), (15, 115), (25, 105), (40, 116), (55, 106), (70, 114.5), (95, 90)]
    assert detect(path(knots, spread=1.0), {K.HEAD_AND_SHOULDERS}) == []


def test_bullish_break_of_a_falling_trendline() -> None:
    # Swing highs 130.5 (bar 10) and 126.5 (bar 30): line 130.5 - 0.2 (t - 10). The rally
    # 112 + 1.15 (t - 40) closes above it first on bar 50 (123.5 > 122.5; bar 49: 122.35 <
    # 122.7). The falling swing lows (114.5, 111.5) draw no bearish line.
    f = path([(0, 120), (10, 130), (20, 115), (30, 126), (40, 112), (60, 135)], spread=0.5)
    found = detect(f, REVERSALS)
    assert without_confidence(found) == [match(K.TRENDLINE_BREAK, 10, 50, 100, 122.5)]
    assert found[0].level == pytest.approx(122.5)
    assert found[0].confidence == pytest.approx((1 / 122.5) / 0.03)


SR_KNOTS = [(0, 110), (10, 100), (25, 118), (40, 100.8), (55, 119), (70, 99.6), (85, 117)]


def test_support_and_resistance_from_three_touches() -> None:
    # Lows 99.5, 100.3, 99.1 (bars 10, 40, 70) and highs 118.5, 119.5, 117.5 (bars 25, 55,
    # 85), each within 1.5% of the level they join; the last touches confirm on 75 and 90.
    f = path([*SR_KNOTS, (100, 112)], spread=0.5)
    found = detect(f, {K.SUPPORT, K.RESISTANCE})
    assert without_confidence(found) == [
        match(K.SUPPORT, 10, 75, 0, (99.5 + 100.3 + 99.1) / 3),
        match(K.RESISTANCE, 25, 90, 0, (118.5 + 119.5 + 117.5) / 3),
    ]
    support, resistance = found
    assert support.level == pytest.approx(99.633333333)
    assert support.confidence == pytest.approx(2 / 3 * (0.5 + 0.5 * 0.5 ** (25 / 124)))
    assert resistance.confidence == pytest.approx(2 / 3 * (0.5 + 0.5 * 0.5 ** (10 / 124)))
    assert all(m.direction is FLAT for m in found)


def test_a_close_through_support_removes_it() -> None:
    # The fall to 96 closes more than 1.5% under the 99.63 support: only resistance is left.
    f = path([*SR_KNOTS, (100, 112), (115, 96)], spread=0.5)
    found = detect(f, {K.SUPPORT, K.RESISTANCE})
    assert [(m.kind, m.start, m.end) for m in found] == [(K.RESISTANCE, 25, 90)]


def test_a_single_touch_is_no_level() -> None:
    f = path([(0, 110), (10, 100), (25, 118), (40, 105)], spread=0.5)
    assert detect(f, {K.SUPPORT, K.RESISTANCE}) == []


def test_gaps_need_clear_air_between_the_bars() -> None:
    o = np.array([10.0, 10.2, 11.0, 11.2, 11.1, 10.0, 9.0])
    h = np.array([10.5, 10.6, 11.4, 11.5, 11.3, 10.3, 9.4])
    lo = np.array([9.8, 10.0, 10.8, 10.6, 10.9, 9.8, 8.9])
    c = np.array([10.2, 10.4, 11.2, 11.0, 11.0, 10.1, 9.2])
    # Bar 2: low 10.8 > 10.6 (gap up, edge 10.6). Bar 4: low 10.9 < 11.5, no gap. Bar 5: high
    # 10.3 < 10.9 (gap down, edge 10.9). Bar 6: high 9.4 < 9.8 (gap down, edge 9.8).
    found = detect(frame_of(o, h, lo, c), {K.GAP_UP, K.GAP_DOWN})
    assert found == [
        match(K.GAP_UP, 1, 2, 100, 10.6),
        match(K.GAP_DOWN, 4, 5, -100, 10.9),
        match(K.GAP_DOWN, 5, 6, -100, 9.8),
    ]


def test_touching_bars_are_no_gap() -> None:
    o = h = np.array([10.0, 11.0, 12.0])
    lo = c = np.array([9.0, 10.0, 11.0])  # each low equals the previous high
    assert detect(frame_of(o, h, lo, c), {K.GAP_UP, K.GAP_DOWN}) == []


def test_new_highs_and_lows_over_the_year_window() -> None:
    # With 10 bars a year: bar 10 tops 100 (new high); bar 11 does not beat 101; bar 12 only
    # equals it; bar 13 makes 102. Bar 14's low 97 undercuts 98; nothing before bar 10 counts.
    h = np.array([100.0] * 10 + [101, 100.5, 101, 102, 99, 99])
    lo = np.array([98.0] * 10 + [99, 99, 99, 99, 97, 97.5])
    c = (h + lo) / 2
    found = detect(frame_of(c, h, lo, c), {K.NEW_52_WEEK_HIGH, K.NEW_52_WEEK_LOW}, bars_per_year=10)
    assert found == [
        match(K.NEW_52_WEEK_HIGH, 10, 10, 100, 101.0),
        match(K.NEW_52_WEEK_HIGH, 13, 13, 100, 102.0),
        match(K.NEW_52_WEEK_LOW, 14, 14, -100, 97.0),
    ]


def test_52_week_high_needs_a_full_year_of_bars() -> None:
    h = np.arange(1.0, 249.0)  # rising every bar, 248 bars
    found = detect(frame_of(h, h, h - 0.5, h), {K.NEW_52_WEEK_HIGH})
    assert found == []
    h = np.arange(1.0, 251.0)
    found = detect(frame_of(h, h, h - 0.5, h), {K.NEW_52_WEEK_HIGH})
    assert [m.end for m in found] == [248, 249]


def test_golden_and_death_crosses_of_the_50_and_200_day_averages() -> None:
    # 260 bars at 100, 20 at 110, then 88. SMA50 = SMA200 = 100 up to bar 259; bar 260:
    # 100.2 > 100.05 (golden). At bar 280 + j the averages are 103.76 - 0.24 j and
    # 100.94 - 0.06 j: the fast one is first below on j = 16, bar 296 (99.92 < 99.98).
    c = np.array([100.0] * 260 + [110.0] * 20 + [88.0] * 30)
    found = detect(frame_of(c, c + 1, c - 1, c), {K.GOLDEN_CROSS, K.DEATH_CROSS})
    assert [(m.kind, m.start, m.end, m.signal, m.direction) for m in found] == [
        (K.GOLDEN_CROSS, 259, 260, 100, BULL),
        (K.DEATH_CROSS, 295, 296, -100, BEAR),
    ]
    assert found[0].level == pytest.approx(100.05)
    assert found[1].level == pytest.approx(99.98)
    assert found[0].confidence is None


def random_walk(seed: int, n: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.015, n)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.006, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.006, n)))
    return frame_of(open_, high, low, close)


CHART_KINDS = [k for k in PatternKind if not k.candlestick]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_walk_gives_sane_sorted_matches(seed: int) -> None:
    f = random_walk(seed, 1500)
    found = detect(f, CHART_KINDS)
    n = f.height
    kinds = {m.kind for m in found}
    assert {K.TRENDLINE_BREAK, K.GAP_UP, K.GAP_DOWN, K.SUPPORT, K.RESISTANCE} <= kinds
    order = list(PatternKind)
    assert found == sorted(found, key=lambda m: (m.end, order.index(m.kind), m.start))
    for m in found:
        assert 0 <= m.start <= m.end < n
        assert m.level is not None and np.isfinite(m.level) and m.level > 0
        if m.kind in {K.SUPPORT, K.RESISTANCE}:
            assert (m.signal, m.direction) == (0, FLAT)
        else:
            assert (m.signal, m.direction) in {(100, BULL), (-100, BEAR)}
        has_confidence = m.kind in REVERSALS | {K.SUPPORT, K.RESISTANCE}
        assert (m.confidence is not None) == has_confidence
        if m.confidence is not None:
            assert 0 <= m.confidence <= 1


@pytest.mark.parametrize("cut", [300, 777, 1201])
def test_patterns_are_reported_without_look_ahead(cut: int) -> None:
    # Everything but the standing levels is final once reported: the matches of a prefix are
    # the full series' matches that end inside it.
    kinds = [k for k in CHART_KINDS if k not in {K.SUPPORT, K.RESISTANCE}]
    f = random_walk(21, 1500)
    full = detect(f, kinds)
    assert detect(f.head(cut), kinds) == [m for m in full if m.end < cut]


def test_standing_levels_hold_after_their_last_touch() -> None:
    f = random_walk(22, 1500)
    levels = detect(f, {K.SUPPORT, K.RESISTANCE})
    close = f["close"].to_numpy()
    assert levels
    for m in levels:
        assert m.level is not None
        after = close[m.end + 1 :]  # judged against the final level once the last touch is in
        if m.kind is K.SUPPORT:
            assert after.size == 0 or after.min() >= m.level * (1 - 0.015)
        else:
            assert after.size == 0 or after.max() <= m.level * (1 + 0.015)
