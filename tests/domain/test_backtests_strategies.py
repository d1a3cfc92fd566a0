"""Backtest strategies: validation paths, crossing semantics, indicator operands vs TA-Lib."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
import pytest
import talib

from domain.analytics import indicators
from domain.analytics.indicators import IndicatorKind, IndicatorParams
from domain.backtests import strategies
from domain.backtests.strategies import (
    Combinator,
    Condition,
    Operand,
    OperandKind,
    Operator,
    PriceField,
    Rule,
    Sizing,
    SizingKind,
    Strategy,
    compile_signals,
    validate_strategy,
)
from domain.errors import DomainError, ErrorCode

D = Decimal
CLOSE = Operand.price(PriceField.CLOSE)
OPEN = Operand.price(PriceField.OPEN)


def frame(closes: list[float | None], opens: list[float] | None = None) -> pl.DataFrame:
    n = len(closes)
    t0 = datetime(2025, 1, 6, 4, 32, tzinfo=UTC)
    filled = [c if c is not None else 1.0 for c in closes]
    return pl.DataFrame(
        {
            "ts": [t0 + timedelta(days=i) for i in range(n)],
            "open": opens or filled,
            "high": [c * 1.01 for c in filled],
            "low": [c * 0.99 for c in filled],
            "close": closes,
            "volume": [1000.0] * n,
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "close": pl.Float64},
    )


def when(*conditions: Condition, combinator: Combinator = Combinator.AND) -> Rule:
    return Rule(combinator, conditions)


def entries(rule: Rule, data: pl.DataFrame) -> list[int]:
    signals = compile_signals(Strategy(entry=rule), data)
    return np.flatnonzero(signals.entry).tolist()


def test_crossings_need_the_bar_before_on_the_other_side() -> None:
    data = frame([1.0, 2.0, 3.0, 2.0, 1.0, 3.0])
    two = Operand.constant(2.0)
    assert entries(when(Condition(CLOSE, Operator.ABOVE, two)), data) == [2, 5]
    # A touch (2 after 1) is not a cross; 3 after a touch of 2 is.
    assert entries(when(Condition(CLOSE, Operator.CROSSES_ABOVE, two)), data) == [2, 5]
    assert entries(when(Condition(CLOSE, Operator.CROSSES_BELOW, two)), data) == [4]
    assert entries(when(Condition(CLOSE, Operator.BELOW, two)), data) == [0, 4]


def test_missing_values_satisfy_nothing() -> None:
    data = frame([None, 3.0, None, 3.0, 1.0])
    one = Operand.constant(2.0)
    assert entries(when(Condition(CLOSE, Operator.ABOVE, one)), data) == [1, 3]
    assert entries(when(Condition(CLOSE, Operator.CROSSES_ABOVE, one)), data) == []


def test_and_or_and_nested_rules() -> None:
    data = frame([1.0, 2.0, 3.0, 4.0, 5.0], opens=[2.0, 1.0, 4.0, 3.0, 6.0])
    up = Condition(CLOSE, Operator.ABOVE, OPEN)  # bars 1 and 3
    high = Condition(CLOSE, Operator.ABOVE, Operand.constant(2.5))  # bars 2, 3, 4
    low = Condition(CLOSE, Operator.BELOW, Operand.constant(1.5))  # bar 0
    assert entries(when(up, high), data) == [3]
    assert entries(when(up, high, combinator=Combinator.OR), data) == [1, 2, 3, 4]
    nested = Rule(Combinator.OR, (low,), (Rule(Combinator.AND, (up, high)),))
    assert entries(nested, data) == [0, 3]


def test_sma_crossover_matches_ta_lib() -> None:
    rng = np.random.default_rng(5)
    closes = (100 * np.exp(np.cumsum(rng.normal(0, 0.02, 300)))).round(2)
    fast = Operand.of(IndicatorKind.SMA, IndicatorParams(period=10))
    slow = Operand.of(IndicatorKind.SMA, IndicatorParams(period=30))
    strategy = Strategy(
        entry=when(Condition(fast, Operator.CROSSES_ABOVE, slow)),
        exit=when(Condition(fast, Operator.CROSSES_BELOW, slow)),
    )
    signals = compile_signals(strategy, frame(closes.tolist()))
    f, s = talib.SMA(closes, 10), talib.SMA(closes, 30)
    up = np.zeros(300, dtype=bool)
    down = np.zeros(300, dtype=bool)
    up[1:] = (f[1:] > s[1:]) & (f[:-1] <= s[:-1])
    down[1:] = (f[1:] < s[1:]) & (f[:-1] >= s[:-1])
    assert up.sum() >= 3
    assert np.array_equal(signals.entry, up)
    assert np.array_equal(signals.exit, down)


def test_indicator_lines_by_output_name() -> None:
    rng = np.random.default_rng(8)
    closes = (50 * np.exp(np.cumsum(rng.normal(0, 0.02, 200)))).round(2)
    macd = Operand.of(IndicatorKind.MACD, output="macd")
    signal = Operand.of(IndicatorKind.MACD, output="signal")
    got = compile_signals(
        Strategy(entry=when(Condition(macd, Operator.ABOVE, signal))), frame(closes.tolist())
    )
    line, sig, _ = talib.MACD(closes, 12, 26, 9)
    assert np.array_equal(got.entry, np.nan_to_num(line - sig, nan=0.0) > 0)


def test_indicators_are_computed_once_per_distinct_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[Any]] = []
    real = indicators.compute

    def spy(requests: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(list(requests))
        return real(requests, *args, **kwargs)

    monkeypatch.setattr(strategies, "compute", spy)
    sma20 = Operand.of(IndicatorKind.SMA, IndicatorParams(period=20))
    upper = Operand.of(IndicatorKind.BBANDS, output="upper")
    lower = Operand.of(IndicatorKind.BBANDS, output="lower")
    strategy = Strategy(
        entry=when(
            Condition(CLOSE, Operator.CROSSES_ABOVE, sma20), Condition(CLOSE, Operator.BELOW, upper)
        ),
        exit=when(
            Condition(CLOSE, Operator.CROSSES_BELOW, sma20), Condition(CLOSE, Operator.ABOVE, lower)
        ),
    )
    compile_signals(strategy, frame([float(x) for x in range(1, 60)]))
    assert len(calls) == 1
    assert [r.kind for r in calls[0]] == [IndicatorKind.SMA, IndicatorKind.BBANDS]


def test_indicator_errors_point_at_the_operand() -> None:
    bad = Operand.of(IndicatorKind.SMA, IndicatorParams(period=1))
    strategy = Strategy(
        entry=when(
            Condition(CLOSE, Operator.ABOVE, Operand.constant(1.0)),
            Condition(CLOSE, Operator.ABOVE, bad),
        )
    )
    with pytest.raises(DomainError) as raised:
        compile_signals(strategy, frame([1.0, 2.0, 3.0]))
    assert raised.value.field == "strategy.entry.conditions[1].right.period"
    wrong = Operand.of(IndicatorKind.MACD, output="value")
    with pytest.raises(DomainError) as raised:
        compile_signals(
            Strategy(entry=when(Condition(wrong, Operator.ABOVE, Operand.constant(0.0)))),
            frame([1.0, 2.0, 3.0]),
        )
    assert raised.value.field == "strategy.entry.conditions[0].left.output"
    assert "histogram, macd, signal" in raised.value.message


def _deep(levels: int) -> Rule:
    rule = when(Condition(CLOSE, Operator.ABOVE, Operand.constant(1.0)))
    for _ in range(levels - 1):
        rule = Rule(Combinator.AND, (), (rule,))
    return rule


ABOVE_ONE = when(Condition(CLOSE, Operator.ABOVE, Operand.constant(1.0)))


@pytest.mark.parametrize(
    ("strategy", "field", "code"),
    [
        (
            Strategy(entry=_deep(4)),
            "strategy.entry.rules[0].rules[0].rules[0]",
            ErrorCode.TOO_LARGE,
        ),
        (
            Strategy(
                entry=when(*[Condition(CLOSE, Operator.ABOVE, OPEN)] * 11),
                exit=when(*[Condition(CLOSE, Operator.BELOW, OPEN)] * 10),
            ),
            "strategy",
            ErrorCode.TOO_LARGE,
        ),
        (Strategy(entry=Rule()), "strategy.entry", ErrorCode.INVALID),
        (
            Strategy(
                entry=ABOVE_ONE,
                exit=when(Condition(Operand.constant(1.0), Operator.ABOVE, Operand.constant(0.0))),
            ),
            "strategy.exit.conditions[0]",
            ErrorCode.INVALID,
        ),
        (
            Strategy(entry=when(Condition(Operand(OperandKind.PRICE), Operator.ABOVE, OPEN))),
            "strategy.entry.conditions[0].left.priceField",
            ErrorCode.INVALID,
        ),
        (
            Strategy(entry=when(Condition(CLOSE, Operator.ABOVE, Operand.constant(float("nan"))))),
            "strategy.entry.conditions[0].right.value",
            ErrorCode.INVALID,
        ),
        (
            Strategy(entry=when(Condition(CLOSE, Operator.ABOVE, Operand(OperandKind.INDICATOR)))),
            "strategy.entry.conditions[0].right.indicator",
            ErrorCode.INVALID,
        ),
        (
            Strategy(entry=ABOVE_ONE, stop_loss_pct=D(0)),
            "strategy.stopLossPct",
            ErrorCode.OUT_OF_RANGE,
        ),
        (
            Strategy(entry=ABOVE_ONE, take_profit_pct=D(-1)),
            "strategy.takeProfitPct",
            ErrorCode.OUT_OF_RANGE,
        ),
        (
            Strategy(entry=ABOVE_ONE, sizing=Sizing(SizingKind.FIXED_AMOUNT)),
            "strategy.sizing.amount",
            ErrorCode.INVALID,
        ),
        (
            Strategy(entry=ABOVE_ONE, sizing=Sizing(SizingKind.PERCENT_OF_EQUITY, percent=D(120))),
            "strategy.sizing.percent",
            ErrorCode.OUT_OF_RANGE,
        ),
        (
            Strategy(
                entry=ABOVE_ONE,
                sizing=Sizing(SizingKind.FIXED_AMOUNT, amount=D(1), rebalance_every=5),
            ),
            "strategy.sizing.rebalanceEvery",
            ErrorCode.INVALID,
        ),
        (
            Strategy(entry=ABOVE_ONE, sizing=Sizing(rebalance_every=0)),
            "strategy.sizing.rebalanceEvery",
            ErrorCode.OUT_OF_RANGE,
        ),
    ],
)
def test_invalid_strategies_name_their_field(
    strategy: Strategy, field: str, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as raised:
        validate_strategy(strategy)
    assert (raised.value.field, raised.value.code) == (field, code)


def test_limits_are_inclusive() -> None:
    validate_strategy(Strategy(entry=_deep(3)))
    twenty = when(*[Condition(CLOSE, Operator.ABOVE, OPEN)] * 20)
    validate_strategy(Strategy(entry=twenty, stop_loss_pct=D("99.9")))
    validate_strategy(replace(Strategy(entry=twenty), sizing=Sizing(rebalance_every=1)))
