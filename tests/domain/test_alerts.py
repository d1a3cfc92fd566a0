"""Alert rules: indicators against TA-Lib, crossings, once and cooldown, daily-candle patterns."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
import talib

from domain.alerts.rules import (
    Alert,
    AlertCondition,
    AlertRepeat,
    SymbolHistory,
    check_alert_input,
    evaluate,
    pattern_firings,
    rsi,
    sma,
)
from domain.analytics.patterns import PatternKind
from domain.errors import DomainError, ErrorCode
from domain.markets.instruments import CorporateAction, CorporateActionKind
from domain.markets.quotes import QuoteState

D = Decimal
T0 = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def walk(n: int, seed: int) -> list[Decimal]:
    rng = random.Random(seed)
    price, out = 100.0, []
    for _ in range(n):
        price = max(1.0, price * (1 + rng.gauss(0, 0.02)))
        out.append(D(f"{price:.2f}"))
    return out


@pytest.mark.parametrize(("period", "seed"), [(14, 1), (9, 2), (30, 3), (2, 4)])
def test_rsi_matches_ta_lib(period: int, seed: int) -> None:
    closes = walk(120, seed)
    expected = talib.RSI(np.array([float(c) for c in closes]), timeperiod=period)
    for n in range(period + 1, len(closes) + 1):
        ours = rsi(closes[: n - 1], closes[n - 1], period)
        assert ours is not None
        assert float(ours) == pytest.approx(expected[n - 1], abs=1e-9)
    assert rsi(closes[: period - 1], closes[period - 1], period) is None


@pytest.mark.parametrize("period", [2, 20, 50])
def test_sma_matches_ta_lib_with_the_live_price_as_todays_close(period: int) -> None:
    closes = walk(80, 7)
    expected = talib.SMA(np.array([float(c) for c in closes]), timeperiod=period)
    for n in range(period, len(closes) + 1):
        ours = sma(closes[: n - 1], closes[n - 1], period)
        assert ours is not None
        assert float(ours) == pytest.approx(expected[n - 1], abs=1e-9)


def quote(last: str, *, at: datetime = T0, volume: int = 1000, prev: str = "100.00") -> QuoteState:
    p = D(last)
    return QuoteState("OGDC", p, p, p, p, D(prev), volume, p * volume, 1, at)


def alert(condition: AlertCondition, threshold: str | None, **kw: object) -> Alert:
    base = Alert(
        id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        symbol="OGDC",
        condition=condition,
        threshold=None if threshold is None else D(threshold),
        period=None,
        pattern=None,
        repeat=AlertRepeat.ONCE,
        cooldown=timedelta(0),
        active=True,
        last_fired_at=None,
        created_at=T0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_level_fires_on_the_crossing_not_while_it_stays_past() -> None:
    a = alert(AlertCondition.PRICE_ABOVE, "101.00")
    assert evaluate(a, quote("100.50"), quote("100.99"), None) is None
    fired = evaluate(a, quote("100.99"), quote("101.00"), None)
    assert fired is not None and fired.value == D("101.00")
    assert evaluate(a, quote("101.00"), quote("101.50"), None) is None  # already past


def test_once_fires_once_and_cooldown_rearms_after_the_pause() -> None:
    once = alert(AlertCondition.PRICE_BELOW, "99.00", last_fired_at=T0, active=False)
    assert evaluate(once, quote("99.50"), quote("98.00"), None) is None
    cool = alert(
        AlertCondition.PRICE_BELOW,
        "99.00",
        repeat=AlertRepeat.COOLDOWN,
        cooldown=timedelta(minutes=5),
        last_fired_at=T0,
    )
    soon = T0 + timedelta(minutes=4)
    later = T0 + timedelta(minutes=6)
    assert evaluate(cool, quote("99.50", at=soon), quote("98.00", at=soon), None) is None
    assert evaluate(cool, quote("99.50", at=later), quote("98.00", at=later), None) is not None


def test_change_percent_volume_and_sma_conditions() -> None:
    change = alert(AlertCondition.CHANGE_PERCENT_ABOVE, "2")
    assert evaluate(change, quote("101.90"), quote("102.00"), None) is not None
    history = SymbolHistory(closes=tuple(D("100.00") for _ in range(30)), average_volume=D(500))
    volume = alert(AlertCondition.VOLUME_ABOVE_AVERAGE, "3")
    assert evaluate(volume, quote("100", volume=1400), quote("100", volume=1500), history)
    assert evaluate(volume, None, quote("100", volume=1499), history) is None
    cross = alert(AlertCondition.CROSSES_ABOVE_SMA, None, period=20)
    fired = evaluate(cross, quote("99.90"), quote("100.40"), history)
    assert fired is not None
    assert fired.value == (D("100.00") * 19 + D("100.40")) / 20
    assert evaluate(cross, quote("100.40"), quote("100.60"), history) is None


@pytest.mark.parametrize(
    ("condition", "threshold", "period", "field"),
    [
        (AlertCondition.PRICE_ABOVE, None, None, "threshold"),
        (AlertCondition.PRICE_ABOVE, D("10.005"), None, "threshold"),
        (AlertCondition.RSI_ABOVE, D("100"), None, "threshold"),
        (AlertCondition.CROSSES_ABOVE_SMA, D("10"), None, "threshold"),
        (AlertCondition.CROSSES_ABOVE_SMA, None, 500, "period"),
        (AlertCondition.PRICE_BELOW, D("10"), 5, "period"),
    ],
)
def test_bad_alert_input_names_the_field(
    condition: AlertCondition, threshold: Decimal | None, period: int | None, field: str
) -> None:
    with pytest.raises(DomainError) as err:
        check_alert_input(condition, threshold, period, pattern=None)
    assert err.value.field == field


@pytest.mark.parametrize(
    ("condition", "threshold", "period", "pattern", "field", "message"),
    [
        (
            AlertCondition.PATTERN,
            None,
            None,
            None,
            "pattern",
            "Pattern alerts need the pattern to watch for.",
        ),
        (
            AlertCondition.PATTERN,
            D("10"),
            None,
            PatternKind.DOJI,
            "threshold",
            "Pattern alerts take no threshold.",
        ),
        (
            AlertCondition.PATTERN,
            None,
            14,
            PatternKind.DOJI,
            "period",
            "Pattern alerts take no period.",
        ),
        (
            AlertCondition.PRICE_ABOVE,
            D("10"),
            None,
            PatternKind.DOJI,
            "pattern",
            "Only PATTERN alerts take a pattern.",
        ),
        (
            AlertCondition.CROSSES_ABOVE_SMA,
            None,
            20,
            PatternKind.GOLDEN_CROSS,
            "pattern",
            "Only PATTERN alerts take a pattern.",
        ),
    ],
)
def test_pattern_input_errors_name_the_field(
    condition: AlertCondition,
    threshold: Decimal | None,
    period: int | None,
    pattern: PatternKind | None,
    field: str,
    message: str,
) -> None:
    with pytest.raises(DomainError) as err:
        check_alert_input(condition, threshold, period, pattern=pattern)
    assert (err.value.code, err.value.field, err.value.message) == (
        ErrorCode.INVALID,
        field,
        message,
    )


def test_a_pattern_alert_stores_no_threshold_or_period() -> None:
    stored = check_alert_input(AlertCondition.PATTERN, None, None, pattern=PatternKind.MORNING_STAR)
    assert stored == (None, None)


DAY = date(2026, 11, 20)  # a Friday
CLOSE = datetime(2026, 11, 20, 11, 30, tzinfo=UTC)  # 16:30 in Karachi

Bar = tuple[float, float, float, float]  # open, high, low, close


def quiet_bars(n: int) -> list[Bar]:
    """Small alternating candles around 100 whose ranges overlap (no gaps, no trend)."""
    out = []
    for k in range(n):
        base = 100 + 0.3 * np.sin(k)
        o, c = (base - 0.2, base + 0.2) if k % 2 else (base + 0.2, base - 0.2)
        out.append((o, max(o, c) + 0.5, min(o, c) - 0.5, c))
    return out


def daily(bars: list[Bar], last_day: date = DAY) -> pl.DataFrame:
    days: list[date] = []
    day = last_day
    while len(days) < len(bars):
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    o, h, lo, c = (list(col) for col in zip(*bars, strict=True))
    return pl.DataFrame(
        {"day": days[::-1], "open": o, "high": h, "low": lo, "close": c},
        schema={
            "day": pl.Date,
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
        },
    )


BEARISH = (101.0, 101.3, 99.3, 99.5)
BULLISH_ENGULFING = (99.2, 101.7, 99.0, 101.5)


def ta_engulfing(frame: pl.DataFrame) -> np.ndarray:
    return talib.CDLENGULFING(*(frame[c].to_numpy() for c in ("open", "high", "low", "close")))


def pattern_alert(kind: PatternKind, **kw: object) -> Alert:
    return alert(AlertCondition.PATTERN, None, pattern=kind, **kw)


def test_a_pattern_fires_when_it_completes_on_the_sessions_candle() -> None:
    frame = daily([*quiet_bars(40), BEARISH, BULLISH_ENGULFING])
    assert ta_engulfing(frame)[-1] == 100  # the reference: TA-Lib sees a bullish engulfing
    engulfing, hammer = pattern_alert(PatternKind.ENGULFING), pattern_alert(PatternKind.HAMMER)
    price = alert(AlertCondition.PRICE_ABOVE, "50.00")

    fired = pattern_firings([engulfing, hammer, price], frame, day=DAY, at=CLOSE)

    assert [(f.alert.id, f.value, f.price, f.at) for f in fired] == [
        (engulfing.id, D(100), D("101.50"), CLOSE)
    ]
    assert fired[0].message == (
        "OGDC: bullish ENGULFING on the daily candle of 2026-11-20 (close 101.50)"
    )


def test_a_pattern_completed_on_an_earlier_candle_does_not_fire() -> None:
    frame = daily([*quiet_bars(40), BEARISH, BULLISH_ENGULFING, (101.4, 101.9, 101.0, 101.6)])
    signals = ta_engulfing(frame)
    assert (signals[-2], signals[-1]) == (100, 0)
    assert pattern_firings([pattern_alert(PatternKind.ENGULFING)], frame, day=DAY, at=CLOSE) == []


def test_no_candle_for_the_session_day_means_no_firing() -> None:
    # The symbol did not trade on DAY: its last candle (with the pattern) is Thursday's.
    frame = daily([*quiet_bars(40), BEARISH, BULLISH_ENGULFING], last_day=DAY - timedelta(days=1))
    assert pattern_firings([pattern_alert(PatternKind.ENGULFING)], frame, day=DAY, at=CLOSE) == []


def test_chart_patterns_fire_with_their_signal() -> None:
    bars = quiet_bars(40)
    previous_high = bars[-1][1]
    gap = (previous_high + 1.0, previous_high + 1.8, previous_high + 0.6, previous_high + 1.5)
    up, down = pattern_alert(PatternKind.GAP_UP), pattern_alert(PatternKind.GAP_DOWN)

    fired = pattern_firings([up, down], daily([*bars, gap]), day=DAY, at=CLOSE)

    assert [(f.alert.id, f.value) for f in fired] == [(up.id, D(100))]
    assert fired[0].message.startswith("OGDC: bullish GAP_UP on the daily candle of 2026-11-20")


def test_a_dividend_ex_date_is_not_read_as_a_gap_down() -> None:
    bars = quiet_bars(40)
    ex_day = (89.9, 90.6, 89.6, 90.2)  # Rs 10 lower: the dividend, not the market
    assert ex_day[1] < bars[-1][2]  # a gap down in the raw prices
    frame = daily([*bars, ex_day])
    dividend = CorporateAction(
        1, 1, CorporateActionKind.CASH_DIVIDEND, DAY, D("10"), None, "Rs 10 final dividend"
    )
    gap_down = pattern_alert(PatternKind.GAP_DOWN)

    assert len(pattern_firings([gap_down], frame, day=DAY, at=CLOSE)) == 1
    assert pattern_firings([gap_down], frame, day=DAY, at=CLOSE, actions=[dividend]) == []


def test_pattern_alerts_follow_once_and_cooldown() -> None:
    frame = daily([*quiet_bars(40), BEARISH, BULLISH_ENGULFING])
    spent = pattern_alert(PatternKind.ENGULFING, active=False, last_fired_at=CLOSE - timedelta(1))
    cooling = pattern_alert(
        PatternKind.ENGULFING,
        repeat=AlertRepeat.COOLDOWN,
        cooldown=timedelta(days=2),
        last_fired_at=CLOSE - timedelta(days=1),
    )
    rearmed = replace(cooling, id=uuid.uuid4(), cooldown=timedelta(hours=1))
    same_candle = replace(rearmed, id=uuid.uuid4(), last_fired_at=CLOSE)

    fired = pattern_firings([spent, cooling, rearmed, same_candle], frame, day=DAY, at=CLOSE)

    assert [f.alert.id for f in fired] == [rearmed.id]


def test_a_pattern_alert_never_fires_on_a_trade() -> None:
    a = pattern_alert(PatternKind.GAP_UP)
    history = SymbolHistory(closes=tuple(D("100.00") for _ in range(30)), average_volume=D(500))
    assert evaluate(a, quote("100.00"), quote("120.00"), history) is None
    assert evaluate(a, None, quote("120.00"), None) is None
