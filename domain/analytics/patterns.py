"""Pattern recognition on a bar series: TA-Lib candlesticks and chart patterns, one entry point.

`detect` takes a polars frame of bars (ts, open, high, low, close, volume; oldest first) and
returns every occurrence of the requested kinds as a `PatternMatch`, placed on the bar where it
completes. Candlesticks are exactly TA-Lib's CDL functions (`candlesticks`); chart patterns
follow the rules documented in `chart_patterns`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from domain.analytics import chart_patterns as charts
from domain.analytics.candlesticks import PATTERNS, cdl_signals


class PatternKind(enum.StrEnum):
    """A pattern `detect` can look for: TA-Lib candlesticks first, then chart patterns."""

    DOJI = "DOJI"
    DOJI_STAR = "DOJI_STAR"
    DRAGONFLY_DOJI = "DRAGONFLY_DOJI"
    GRAVESTONE_DOJI = "GRAVESTONE_DOJI"
    LONG_LEGGED_DOJI = "LONG_LEGGED_DOJI"
    HAMMER = "HAMMER"
    INVERTED_HAMMER = "INVERTED_HAMMER"
    HANGING_MAN = "HANGING_MAN"
    SHOOTING_STAR = "SHOOTING_STAR"
    ENGULFING = "ENGULFING"
    HARAMI = "HARAMI"
    HARAMI_CROSS = "HARAMI_CROSS"
    MORNING_STAR = "MORNING_STAR"
    EVENING_STAR = "EVENING_STAR"
    MORNING_DOJI_STAR = "MORNING_DOJI_STAR"
    EVENING_DOJI_STAR = "EVENING_DOJI_STAR"
    THREE_WHITE_SOLDIERS = "THREE_WHITE_SOLDIERS"
    THREE_BLACK_CROWS = "THREE_BLACK_CROWS"
    PIERCING = "PIERCING"
    DARK_CLOUD_COVER = "DARK_CLOUD_COVER"
    MARUBOZU = "MARUBOZU"
    CLOSING_MARUBOZU = "CLOSING_MARUBOZU"
    SPINNING_TOP = "SPINNING_TOP"
    BELT_HOLD = "BELT_HOLD"
    THREE_INSIDE = "THREE_INSIDE"
    THREE_OUTSIDE = "THREE_OUTSIDE"
    KICKING = "KICKING"
    TAKURI = "TAKURI"
    HIGH_WAVE = "HIGH_WAVE"
    LONG_LINE = "LONG_LINE"
    SHORT_LINE = "SHORT_LINE"
    SUPPORT = "SUPPORT"
    RESISTANCE = "RESISTANCE"
    TRENDLINE_BREAK = "TRENDLINE_BREAK"
    DOUBLE_TOP = "DOUBLE_TOP"
    DOUBLE_BOTTOM = "DOUBLE_BOTTOM"
    HEAD_AND_SHOULDERS = "HEAD_AND_SHOULDERS"
    INVERSE_HEAD_AND_SHOULDERS = "INVERSE_HEAD_AND_SHOULDERS"
    GAP_UP = "GAP_UP"
    GAP_DOWN = "GAP_DOWN"
    NEW_52_WEEK_HIGH = "NEW_52_WEEK_HIGH"
    NEW_52_WEEK_LOW = "NEW_52_WEEK_LOW"
    GOLDEN_CROSS = "GOLDEN_CROSS"
    DEATH_CROSS = "DEATH_CROSS"

    @property
    def candlestick(self) -> bool:
        """True for the TA-Lib candlestick patterns."""
        return self in CANDLESTICK_FUNCTIONS


CANDLESTICK_FUNCTIONS: Mapping[PatternKind, str] = {
    PatternKind.DOJI: "CDLDOJI",
    PatternKind.DOJI_STAR: "CDLDOJISTAR",
    PatternKind.DRAGONFLY_DOJI: "CDLDRAGONFLYDOJI",
    PatternKind.GRAVESTONE_DOJI: "CDLGRAVESTONEDOJI",
    PatternKind.LONG_LEGGED_DOJI: "CDLLONGLEGGEDDOJI",
    PatternKind.HAMMER: "CDLHAMMER",
    PatternKind.INVERTED_HAMMER: "CDLINVERTEDHAMMER",
    PatternKind.HANGING_MAN: "CDLHANGINGMAN",
    PatternKind.SHOOTING_STAR: "CDLSHOOTINGSTAR",
    PatternKind.ENGULFING: "CDLENGULFING",
    PatternKind.HARAMI: "CDLHARAMI",
    PatternKind.HARAMI_CROSS: "CDLHARAMICROSS",
    PatternKind.MORNING_STAR: "CDLMORNINGSTAR",
    PatternKind.EVENING_STAR: "CDLEVENINGSTAR",
    PatternKind.MORNING_DOJI_STAR: "CDLMORNINGDOJISTAR",
    PatternKind.EVENING_DOJI_STAR: "CDLEVENINGDOJISTAR",
    PatternKind.THREE_WHITE_SOLDIERS: "CDL3WHITESOLDIERS",
    PatternKind.THREE_BLACK_CROWS: "CDL3BLACKCROWS",
    PatternKind.PIERCING: "CDLPIERCING",
    PatternKind.DARK_CLOUD_COVER: "CDLDARKCLOUDCOVER",
    PatternKind.MARUBOZU: "CDLMARUBOZU",
    PatternKind.CLOSING_MARUBOZU: "CDLCLOSINGMARUBOZU",
    PatternKind.SPINNING_TOP: "CDLSPINNINGTOP",
    PatternKind.BELT_HOLD: "CDLBELTHOLD",
    PatternKind.THREE_INSIDE: "CDL3INSIDE",
    PatternKind.THREE_OUTSIDE: "CDL3OUTSIDE",
    PatternKind.KICKING: "CDLKICKING",
    PatternKind.TAKURI: "CDLTAKURI",
    PatternKind.HIGH_WAVE: "CDLHIGHWAVE",
    PatternKind.LONG_LINE: "CDLLONGLINE",
    PatternKind.SHORT_LINE: "CDLSHORTLINE",
}

# TA-Lib's sign on these says the candle's colour (or nothing: doji are always +100), not a
# market view, so their matches are NEUTRAL whatever the signal.
NEUTRAL_CANDLESTICKS = frozenset(
    {
        PatternKind.DOJI,
        PatternKind.DRAGONFLY_DOJI,
        PatternKind.GRAVESTONE_DOJI,
        PatternKind.LONG_LEGGED_DOJI,
        PatternKind.TAKURI,
        PatternKind.SPINNING_TOP,
        PatternKind.HIGH_WAVE,
        PatternKind.SHORT_LINE,
    }
)


class PatternDirection(enum.StrEnum):
    """What a match says about the price: up, down, or nothing either way."""

    BULLISH = "BULLISH"
    BEARISH = "BEARISH"
    NEUTRAL = "NEUTRAL"


@dataclass(frozen=True, slots=True)
class PatternMatch:
    """One occurrence of a pattern.

    `start` is the first bar of the pattern and `end` the bar on which it completes (where
    TA-Lib reports a candlestick). `signal` is TA-Lib's output for candlesticks (+-100, +-80
    for the weaker engulfing and harami forms) and +100/-100/0 for chart patterns.
    `confidence` (0..1) is set for supports, resistances, trendline breaks, double tops and
    bottoms and head and shoulders, None otherwise; `level` is the pattern's price level where
    it has one (the support or resistance, neckline, broken trendline, gap edge, new 52-week
    extreme, slow SMA at a cross), None for candlesticks.
    """

    kind: PatternKind
    start: int
    end: int
    direction: PatternDirection
    signal: int
    confidence: float | None
    level: float | None


def candlestick_signals(
    kind: PatternKind,
    open_: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
) -> npt.NDArray[np.int32]:
    """The TA-Lib output of one candlestick kind: equal to `talib.CDLxxx(o, h, l, c)`.

    Raises:
        ValueError: `kind` is a chart pattern, or the inputs differ in length.
    """
    function = CANDLESTICK_FUNCTIONS.get(kind)
    if function is None:
        raise ValueError(f"{kind} is not a candlestick pattern")
    return cdl_signals([function], open_, high, low, close)[function]


_ORDER = {kind: position for position, kind in enumerate(PatternKind)}

_Arrays = Mapping[str, npt.NDArray[np.float64]]
_Family = Callable[[_Arrays, int], Mapping[PatternKind, list[charts.ChartSignal]]]


def _levels(a: _Arrays, bars_per_year: int) -> Mapping[PatternKind, list[charts.ChartSignal]]:
    return {
        PatternKind.SUPPORT: charts.support_levels(a["low"], a["close"], bars_per_year),
        PatternKind.RESISTANCE: charts.resistance_levels(a["high"], a["close"], bars_per_year),
    }


def _reversals(a: _Arrays, _: int) -> Mapping[PatternKind, list[charts.ChartSignal]]:
    h, lo, c = a["high"], a["low"], a["close"]
    return {
        PatternKind.TRENDLINE_BREAK: charts.trendline_breaks(h, lo, c),
        PatternKind.DOUBLE_TOP: charts.double_tops(h, lo, c),
        PatternKind.DOUBLE_BOTTOM: charts.double_bottoms(h, lo, c),
        PatternKind.HEAD_AND_SHOULDERS: charts.head_and_shoulders(h, lo, c),
        PatternKind.INVERSE_HEAD_AND_SHOULDERS: charts.inverse_head_and_shoulders(h, lo, c),
    }


def _gaps(a: _Arrays, _: int) -> Mapping[PatternKind, list[charts.ChartSignal]]:
    up, down = charts.gaps(a["high"], a["low"])
    return {PatternKind.GAP_UP: up, PatternKind.GAP_DOWN: down}


def _extremes(a: _Arrays, bars_per_year: int) -> Mapping[PatternKind, list[charts.ChartSignal]]:
    highs, lows = charts.new_extremes(a["high"], a["low"], bars_per_year)
    return {PatternKind.NEW_52_WEEK_HIGH: highs, PatternKind.NEW_52_WEEK_LOW: lows}


def _crosses(a: _Arrays, _: int) -> Mapping[PatternKind, list[charts.ChartSignal]]:
    golden, death = charts.moving_average_crosses(a["close"])
    return {PatternKind.GOLDEN_CROSS: golden, PatternKind.DEATH_CROSS: death}


# Kinds computed together because they share their work (pivots, one pass over the bars).
_FAMILIES: tuple[tuple[frozenset[PatternKind], _Family], ...] = (
    (frozenset({PatternKind.SUPPORT, PatternKind.RESISTANCE}), _levels),
    (
        frozenset(
            {
                PatternKind.TRENDLINE_BREAK,
                PatternKind.DOUBLE_TOP,
                PatternKind.DOUBLE_BOTTOM,
                PatternKind.HEAD_AND_SHOULDERS,
                PatternKind.INVERSE_HEAD_AND_SHOULDERS,
            }
        ),
        _reversals,
    ),
    (frozenset({PatternKind.GAP_UP, PatternKind.GAP_DOWN}), _gaps),
    (frozenset({PatternKind.NEW_52_WEEK_HIGH, PatternKind.NEW_52_WEEK_LOW}), _extremes),
    (frozenset({PatternKind.GOLDEN_CROSS, PatternKind.DEATH_CROSS}), _crosses),
)


def _direction(signal: int) -> PatternDirection:
    if signal > 0:
        return PatternDirection.BULLISH
    if signal < 0:
        return PatternDirection.BEARISH
    return PatternDirection.NEUTRAL


def detect(
    frame: pl.DataFrame,
    kinds: Collection[PatternKind] | None = None,
    *,
    bars_per_year: int = 248,
) -> list[PatternMatch]:
    """Every occurrence of the given pattern kinds in a bar series.

    Args:
        frame: Bars, oldest first, with Float64 columns open, high, low and close (ts and
            volume may be present; they are not read).
        kinds: The kinds to look for; None means all of them.
        bars_per_year: Bars in a year at the frame's interval: the window of the 52-week
            high/low and the half-life scale of support/resistance recency (248 PSX sessions
            for daily bars).

    Returns:
        The matches sorted by end bar, then by kind (in `PatternKind` order), then start.

    Raises:
        ValueError: `bars_per_year` is not positive.
    """
    if bars_per_year < 1:
        raise ValueError("bars_per_year must be positive")
    wanted = set(PatternKind) if kinds is None else {PatternKind(k) for k in kinds}
    if frame.height == 0 or not wanted:
        return []
    arrays = {
        name: frame.get_column(name).cast(pl.Float64).to_numpy()
        for name in ("open", "high", "low", "close")
    }
    matches: list[PatternMatch] = []
    candle_kinds = [k for k in PatternKind if k in wanted and k.candlestick]
    if candle_kinds:
        functions = [CANDLESTICK_FUNCTIONS[k] for k in candle_kinds]
        outputs = cdl_signals(
            functions, arrays["open"], arrays["high"], arrays["low"], arrays["close"]
        )
        for kind, function in zip(candle_kinds, functions, strict=True):
            values = outputs[function]
            span = PATTERNS[function].candles - 1
            neutral = kind in NEUTRAL_CANDLESTICKS
            for end in np.flatnonzero(values).tolist():
                signal = int(values[end])
                direction = PatternDirection.NEUTRAL if neutral else _direction(signal)
                matches.append(PatternMatch(kind, end - span, end, direction, signal, None, None))
    for members, family in _FAMILIES:
        if members & wanted:
            for kind, found in family(arrays, bars_per_year).items():
                if kind in wanted:
                    matches.extend(
                        PatternMatch(
                            kind,
                            s.start,
                            s.end,
                            _direction(s.signal),
                            s.signal,
                            s.confidence,
                            s.level,
                        )
                        for s in found
                    )
    matches.sort(key=lambda m: (m.end, _ORDER[m.kind], m.start))
    return matches
