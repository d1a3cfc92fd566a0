"""A backtest's strategy: typed rules over prices and indicators, compiled into signals.

A condition compares two operands bar by bar: a price of the bar (open, high, low, close,
volume), a line of an indicator, or a constant. `ABOVE`/`BELOW` hold on every bar where the
comparison is strict; `CROSSES_ABOVE` holds on the bar where left > right after a bar where
left <= right (`CROSSES_BELOW` mirrors it), the crossing convention of vectorbt's
`crossed_above`. A bar where either operand is missing (an indicator's warm-up) satisfies
nothing. Rules combine conditions and nested rules with AND or OR.

Every signal on bar t is a function of bars up to t only: indicators are causal and crossings
look one bar back, never forward.

Percentages in the spec (`stop_loss_pct`, `take_profit_pct`, `Sizing.percent`) are percents:
5 means 5%.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import polars as pl
from numpy.typing import NDArray

from domain.analytics.indicators import (
    IndicatorKind,
    IndicatorParams,
    IndicatorRequest,
    compute,
)
from domain.errors import DomainError, ErrorCode

MAX_DEPTH = 3
MAX_CONDITIONS = 20
MAX_REBALANCE_EVERY = 2500
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


class OperandKind(enum.StrEnum):
    """Where an operand's values come from."""

    PRICE = "PRICE"
    INDICATOR = "INDICATOR"
    CONSTANT = "CONSTANT"


class PriceField(enum.StrEnum):
    """A value of the bar itself."""

    OPEN = "OPEN"
    HIGH = "HIGH"
    LOW = "LOW"
    CLOSE = "CLOSE"
    VOLUME = "VOLUME"


class Operator(enum.StrEnum):
    """How a condition compares its operands."""

    CROSSES_ABOVE = "CROSSES_ABOVE"
    CROSSES_BELOW = "CROSSES_BELOW"
    ABOVE = "ABOVE"
    BELOW = "BELOW"


class Combinator(enum.StrEnum):
    """How a rule joins its parts."""

    AND = "AND"
    OR = "OR"


class SizingKind(enum.StrEnum):
    """How much an entry buys.

    FIXED_AMOUNT: `amount` rupees of shares per entry. PERCENT_OF_EQUITY: `percent` of the
    equity at the signal bar's close. EQUAL_WEIGHT: 1/N of that equity for N symbols, and,
    with `rebalance_every`, held positions are brought back to 1/N every that many sessions.
    The amount is the shares' value; their costs come on top, as far as the cash allows.
    """

    FIXED_AMOUNT = "FIXED_AMOUNT"
    PERCENT_OF_EQUITY = "PERCENT_OF_EQUITY"
    EQUAL_WEIGHT = "EQUAL_WEIGHT"


@dataclass(frozen=True, slots=True)
class Operand:
    """One side of a condition; build it with `price`, `indicator` or `constant`."""

    kind: OperandKind
    price_field: PriceField | None = None
    indicator: IndicatorKind | None = None
    params: IndicatorParams = field(default_factory=IndicatorParams)
    output: str = "value"
    value: float | None = None

    @classmethod
    def price(cls, price_field: PriceField) -> Operand:
        """A value of the bar."""
        return cls(OperandKind.PRICE, price_field=price_field)

    @classmethod
    def of(
        cls, indicator: IndicatorKind, params: IndicatorParams | None = None, output: str = "value"
    ) -> Operand:
        """A line of an indicator ("value", or e.g. "signal" of MACD, "upper" of BBANDS)."""
        return cls(
            OperandKind.INDICATOR,
            indicator=indicator,
            params=params or IndicatorParams(),
            output=output,
        )

    @classmethod
    def constant(cls, value: float) -> Operand:
        """The same number on every bar."""
        return cls(OperandKind.CONSTANT, value=value)


@dataclass(frozen=True, slots=True)
class Condition:
    """`left operator right`, evaluated on every bar."""

    left: Operand
    operator: Operator
    right: Operand


@dataclass(frozen=True, slots=True)
class Rule:
    """Conditions and nested rules joined by AND or OR."""

    combinator: Combinator = Combinator.AND
    conditions: tuple[Condition, ...] = ()
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class Sizing:
    """Position sizing; amounts are rupees, `percent` is a percent (10 = 10%)."""

    kind: SizingKind = SizingKind.EQUAL_WEIGHT
    amount: Decimal | None = None
    percent: Decimal | None = None
    rebalance_every: int | None = None


@dataclass(frozen=True, slots=True)
class Strategy:
    """A long-only strategy: when to enter, when to leave, how much to buy.

    `stop_loss_pct` and `take_profit_pct` are percents of the average entry price (5 = 5%).
    """

    entry: Rule
    exit: Rule | None = None
    stop_loss_pct: Decimal | None = None
    take_profit_pct: Decimal | None = None
    sizing: Sizing = field(default_factory=Sizing)


@dataclass(frozen=True, slots=True)
class Signals:
    """Entry and exit flags, one per row of a symbol's bars, computed on that row's data."""

    entry: BoolArray
    exit: BoolArray


def validate_strategy(strategy: Strategy) -> None:
    """Check a strategy's shape and numbers (indicator parameters are checked on compile).

    Raises:
        DomainError: with the camelCase path of the offending input under `strategy`.
    """
    count = _check_rule(strategy.entry, "strategy.entry", 1)
    if strategy.exit is not None:
        count += _check_rule(strategy.exit, "strategy.exit", 1)
    if count > MAX_CONDITIONS:
        raise DomainError(
            ErrorCode.TOO_LARGE,
            f"A strategy has at most {MAX_CONDITIONS} conditions.",
            "strategy",
        )
    sl = strategy.stop_loss_pct
    if sl is not None and not 0 < sl < 100:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            "The stop-loss is a percent between 0 and 100.",
            "strategy.stopLossPct",
        )
    tp = strategy.take_profit_pct
    if tp is not None and not 0 < tp <= 10_000:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            "The take-profit is a positive percent, at most 10000.",
            "strategy.takeProfitPct",
        )
    _check_sizing(strategy.sizing)


def _check_sizing(sizing: Sizing) -> None:
    if sizing.kind is SizingKind.FIXED_AMOUNT:
        if sizing.amount is None or sizing.amount <= 0:
            raise DomainError(
                ErrorCode.INVALID,
                "A fixed amount in rupees, above zero, is needed.",
                "strategy.sizing.amount",
            )
    elif sizing.amount is not None:
        raise DomainError(
            ErrorCode.INVALID, "Only FIXED_AMOUNT sizing takes an amount.", "strategy.sizing.amount"
        )
    if sizing.kind is SizingKind.PERCENT_OF_EQUITY:
        if sizing.percent is None or not 0 < sizing.percent <= 100:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                "The percent of equity lies in (0, 100].",
                "strategy.sizing.percent",
            )
    elif sizing.percent is not None:
        raise DomainError(
            ErrorCode.INVALID,
            "Only PERCENT_OF_EQUITY sizing takes a percent.",
            "strategy.sizing.percent",
        )
    if sizing.rebalance_every is not None:
        if sizing.kind is not SizingKind.EQUAL_WEIGHT:
            raise DomainError(
                ErrorCode.INVALID,
                "Only EQUAL_WEIGHT sizing rebalances.",
                "strategy.sizing.rebalanceEvery",
            )
        if not 1 <= sizing.rebalance_every <= MAX_REBALANCE_EVERY:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"Rebalance every 1 to {MAX_REBALANCE_EVERY} sessions.",
                "strategy.sizing.rebalanceEvery",
            )


def _check_rule(rule: Rule, path: str, depth: int) -> int:
    if depth > MAX_DEPTH:
        raise DomainError(ErrorCode.TOO_LARGE, f"Rules nest at most {MAX_DEPTH} levels deep.", path)
    if not rule.conditions and not rule.rules:
        raise DomainError(ErrorCode.INVALID, "A rule needs at least one condition.", path)
    for i, condition in enumerate(rule.conditions):
        at = f"{path}.conditions[{i}]"
        _check_operand(condition.left, f"{at}.left")
        _check_operand(condition.right, f"{at}.right")
        if condition.left.kind is OperandKind.CONSTANT and (
            condition.right.kind is OperandKind.CONSTANT
        ):
            raise DomainError(ErrorCode.INVALID, "A condition compares at least one series.", at)
    count = len(rule.conditions)
    for j, nested in enumerate(rule.rules):
        count += _check_rule(nested, f"{path}.rules[{j}]", depth + 1)
    return count


def _check_operand(operand: Operand, path: str) -> None:
    if operand.kind is OperandKind.PRICE and operand.price_field is None:
        raise DomainError(
            ErrorCode.INVALID, "A price operand names its field.", f"{path}.priceField"
        )
    if operand.kind is OperandKind.INDICATOR:
        if operand.indicator is None:
            raise DomainError(
                ErrorCode.INVALID, "An indicator operand names its indicator.", f"{path}.indicator"
            )
        if not operand.output:
            raise DomainError(
                ErrorCode.INVALID, "An indicator operand names its output line.", f"{path}.output"
            )
    if operand.kind is OperandKind.CONSTANT and (
        operand.value is None or not math.isfinite(operand.value)
    ):
        raise DomainError(ErrorCode.INVALID, "A constant is a finite number.", f"{path}.value")


def _walk(rule: Rule, path: str) -> Iterator[tuple[Operand, str]]:
    for i, condition in enumerate(rule.conditions):
        yield condition.left, f"{path}.conditions[{i}].left"
        yield condition.right, f"{path}.conditions[{i}].right"
    for j, nested in enumerate(rule.rules):
        yield from _walk(nested, f"{path}.rules[{j}]")


def _request(operand: Operand) -> IndicatorRequest:
    assert operand.indicator is not None  # noqa: S101 - validated before
    return IndicatorRequest(kind=operand.indicator, params=operand.params)


_PRICE_COLUMN = {
    PriceField.OPEN: "open",
    PriceField.HIGH: "high",
    PriceField.LOW: "low",
    PriceField.CLOSE: "close",
    PriceField.VOLUME: "volume",
}


class _Lines:
    """Every operand's values over one symbol's bars, indicators computed in one call."""

    def __init__(
        self,
        strategy: Strategy,
        frame: pl.DataFrame,
        benchmark_close: pl.Series | None,
        periods_per_year: float,
    ) -> None:
        self._frame = frame
        self._n = frame.height
        operands = list(_walk(strategy.entry, "strategy.entry"))
        if strategy.exit is not None:
            operands += list(_walk(strategy.exit, "strategy.exit"))
        requests: dict[IndicatorRequest, str] = {}
        for operand, path in operands:
            if operand.kind is OperandKind.INDICATOR:
                requests.setdefault(_request(operand), path)
        ordered = list(requests)
        self._outputs: dict[IndicatorRequest, dict[str, FloatArray]] = {}
        if not ordered:
            return
        try:
            results = compute(
                ordered, frame, benchmark_close=benchmark_close, periods_per_year=periods_per_year
            )
        except DomainError as error:
            raise _relocate(error, [requests[r] for r in ordered]) from None
        for request, result in zip(ordered, results, strict=True):
            self._outputs[request] = {
                # numpy reads None as NaN in a float array.
                name: np.array(values, dtype=np.float64)
                for name, values in result.outputs.items()
            }
        for operand, path in operands:
            if operand.kind is OperandKind.INDICATOR:
                lines = self._outputs[_request(operand)]
                if operand.output not in lines:
                    raise DomainError(
                        ErrorCode.INVALID,
                        f"{operand.indicator} has the outputs {', '.join(sorted(lines))}.",
                        f"{path}.output",
                    )

    def values(self, operand: Operand) -> FloatArray:
        if operand.kind is OperandKind.PRICE:
            assert operand.price_field is not None  # noqa: S101 - validated before
            column = self._frame.get_column(_PRICE_COLUMN[operand.price_field])
            return column.cast(pl.Float64).fill_null(np.nan).to_numpy()
        if operand.kind is OperandKind.CONSTANT:
            assert operand.value is not None  # noqa: S101 - validated before
            return np.full(self._n, operand.value, dtype=np.float64)
        return self._outputs[_request(operand)][operand.output]


def _relocate(error: DomainError, paths: list[str]) -> DomainError:
    """Point an indicator error (`indicators[i].param`) at the operand that asked for it."""
    field_ = error.field or ""
    if field_.startswith("indicators["):
        index, _, rest = field_.removeprefix("indicators[").partition("]")
        if index.isdigit() and int(index) < len(paths):
            return DomainError(error.code, error.message, paths[int(index)] + rest)
    return error


def _condition(condition: Condition, lines: _Lines) -> BoolArray:
    left = lines.values(condition.left)
    right = lines.values(condition.right)
    op = condition.operator
    if op is Operator.ABOVE:
        return left > right
    if op is Operator.BELOW:
        return left < right
    now = left > right if op is Operator.CROSSES_ABOVE else left < right
    before = left <= right if op is Operator.CROSSES_ABOVE else left >= right
    out = np.zeros(left.shape[0], dtype=np.bool_)
    out[1:] = now[1:] & before[:-1]
    return out


def _rule(rule: Rule, lines: _Lines) -> BoolArray:
    parts = [_condition(c, lines) for c in rule.conditions]
    parts += [_rule(r, lines) for r in rule.rules]
    join = np.logical_and if rule.combinator is Combinator.AND else np.logical_or
    out = parts[0]
    for part in parts[1:]:
        out = join(out, part)
    return out


def compile_signals(
    strategy: Strategy,
    frame: pl.DataFrame,
    *,
    benchmark_close: pl.Series | None = None,
    periods_per_year: float = 248.0,
) -> Signals:
    """Entry and exit flags of a (validated) strategy over one symbol's bars.

    Args:
        strategy: the strategy, already through `validate_strategy`.
        frame: the symbol's bars, oldest first (ts, open, high, low, close, volume).
        benchmark_close: KSE100 closes aligned to the frame's rows, for BETA operands.
        periods_per_year: sessions a year, for annualised indicators (VOLATILITY).

    Raises:
        DomainError: an indicator parameter or output line, at the operand's path.
    """
    lines = _Lines(strategy, frame, benchmark_close, periods_per_year)
    entry = _rule(strategy.entry, lines)
    exit_ = (
        _rule(strategy.exit, lines)
        if strategy.exit is not None
        else np.zeros(frame.height, dtype=np.bool_)
    )
    return Signals(entry=entry, exit=exit_)
