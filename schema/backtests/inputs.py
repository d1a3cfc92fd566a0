"""GraphQL inputs of backtests: typed strategies and settings, mirroring the domain."""

from __future__ import annotations

import dataclasses
import enum
import re
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types.base import has_object_definition

from domain.analytics.indicators import IndicatorParams
from domain.backtests import engine, strategies
from domain.backtests.engine import FillTiming
from domain.backtests.strategies import Combinator, OperandKind, Operator, PriceField, SizingKind
from domain.errors import DomainError
from resolvers.backtests import BacktestCommand
from schema.analytics.technical import IndicatorInput
from schema.payloads import UserError
from schema.screening.types import ScreenFilterInput

strawberry.enum(OperandKind, description="Where an operand's values come from.")
strawberry.enum(
    PriceField, description="A value of the bar itself: open, high, low, close or volume."
)
strawberry.enum(
    Operator,
    name="ConditionOperator",
    description=(
        "ABOVE/BELOW: left > right (left < right) on the bar. CROSSES_ABOVE: left > right on "
        "the bar after left <= right on the bar before (CROSSES_BELOW mirrors it), as "
        "vectorbt's crossed_above. A bar where an operand is undefined (warm-up) satisfies "
        "nothing."
    ),
)
strawberry.enum(Combinator, description="How a rule joins its conditions and nested rules.")
strawberry.enum(
    SizingKind,
    description=(
        "FIXED_AMOUNT: `amount` rupees of shares per entry. PERCENT_OF_EQUITY: `percent` of the "
        "equity at the signal bar's close. EQUAL_WEIGHT: 1/N of that equity for N symbols, "
        "rebalanced back to 1/N every `rebalanceEvery` sessions when given. Costs come on top "
        "as far as the cash allows."
    ),
)
strawberry.enum(
    FillTiming,
    description=(
        "NEXT_OPEN: a signal on bar t fills at the next bar's open (default). CLOSE: at bar "
        "t's own close (backtesting.py's trade_on_close)."
    ),
)


@strawberry.input(
    description=(
        "One side of a condition: a price of the bar (`priceField`), a line of an indicator "
        "(`indicator`, `output`) or a number (`value`), by `kind`."
    )
)
class OperandInput:
    kind: OperandKind = strawberry.field(description="PRICE, INDICATOR or CONSTANT.")
    price_field: PriceField | None = strawberry.field(
        default=None, description="For PRICE: which value of the bar."
    )
    indicator: IndicatorInput | None = strawberry.field(
        default=None, description="For INDICATOR: the indicator and its parameters."
    )
    output: str = strawberry.field(
        default="value",
        description=(
            "For INDICATOR: which line, `value` or e.g. `signal` of MACD, `upper` of BBANDS, "
            "`k` of STOCH (as `technical` names them)."
        ),
    )
    value: float | None = strawberry.field(default=None, description="For CONSTANT: the number.")

    def to_domain(self) -> strategies.Operand:
        """The domain operand."""
        request = None if self.indicator is None else self.indicator.to_domain()
        return strategies.Operand(
            kind=self.kind,
            price_field=self.price_field,
            indicator=None if request is None else request.kind,
            params=IndicatorParams() if request is None else request.params,
            output=self.output,
            value=self.value,
        )


@strawberry.input(description="`left operator right`, evaluated on every bar.")
class ConditionInput:
    left: OperandInput = strawberry.field(description="The left operand.")
    operator: Operator = strawberry.field(description="How the operands compare.")
    right: OperandInput = strawberry.field(description="The right operand.")

    def to_domain(self) -> strategies.Condition:
        """The domain condition."""
        return strategies.Condition(self.left.to_domain(), self.operator, self.right.to_domain())


@strawberry.input(
    description=(
        "Conditions and nested rules joined by AND or OR; at least one part, at most 3 levels "
        "deep and 20 conditions in a strategy."
    )
)
class RuleInput:
    combinator: Combinator = strawberry.field(
        default=Combinator.AND, description="AND (default) or OR."
    )
    conditions: list[ConditionInput] = strawberry.field(
        default_factory=list, description="Conditions of this rule."
    )
    rules: list[RuleInput] = strawberry.field(
        default_factory=list, description="Nested rules, joined like the conditions."
    )

    def to_domain(self) -> strategies.Rule:
        """The domain rule."""
        return strategies.Rule(
            self.combinator,
            tuple(c.to_domain() for c in self.conditions),
            tuple(r.to_domain() for r in self.rules),
        )


@strawberry.input(description="How much an entry buys (whole shares, costs on top).")
class SizingInput:
    kind: SizingKind = strawberry.field(
        default=SizingKind.EQUAL_WEIGHT, description="The sizing rule (default EQUAL_WEIGHT)."
    )
    amount: Decimal | None = strawberry.field(
        default=None, description="FIXED_AMOUNT: rupees of shares per entry."
    )
    percent: Decimal | None = strawberry.field(
        default=None, description="PERCENT_OF_EQUITY: percent of equity, in (0, 100]."
    )
    rebalance_every: int | None = strawberry.field(
        default=None, description="EQUAL_WEIGHT: rebalance held positions every N sessions."
    )

    def to_domain(self) -> strategies.Sizing:
        """The domain sizing."""
        return strategies.Sizing(self.kind, self.amount, self.percent, self.rebalance_every)


@strawberry.input(
    description=(
        "A long-only strategy: enter when `entry` holds, leave when `exit` holds or a stop "
        "is hit; no pyramiding."
    )
)
class StrategyInput:
    entry: RuleInput = strawberry.field(description="When to buy.")
    exit: RuleInput | None = strawberry.field(
        default=None, description="When to sell (default: hold to the stops or the end)."
    )
    stop_loss_pct: Decimal | None = strawberry.field(
        default=None,
        description="Sell when the low reaches this percent below the average entry price.",
    )
    take_profit_pct: Decimal | None = strawberry.field(
        default=None,
        description="Sell when the high reaches this percent above the average entry price.",
    )
    sizing: SizingInput | None = strawberry.field(
        default=None, description="Position sizing (default equal weight)."
    )

    def to_domain(self) -> strategies.Strategy:
        """The domain strategy."""
        return strategies.Strategy(
            entry=self.entry.to_domain(),
            exit=None if self.exit is None else self.exit.to_domain(),
            stop_loss_pct=self.stop_loss_pct,
            take_profit_pct=self.take_profit_pct,
            sizing=strategies.Sizing() if self.sizing is None else self.sizing.to_domain(),
        )


@strawberry.input(description="How the book is run.")
class BacktestSettingsInput:
    initial_cash: Decimal = strawberry.field(
        default=Decimal(1_000_000), description="Starting cash in rupees (default 1,000,000)."
    )
    fill: FillTiming = strawberry.field(
        default=FillTiming.NEXT_OPEN, description="When signals fill (default NEXT_OPEN)."
    )
    slippage_ticks: int = strawberry.field(
        default=0, description="Ticks (Rs 0.01) each fill moves against the trader, 0 to 100."
    )
    costs: bool = strawberry.field(
        default=True,
        description=(
            "Charge PSX costs (commission 0.15% or Rs 0.03 a share, 13% SST, CVT on buys, CDC, "
            "fees); false trades free."
        ),
    )
    capital_gains_tax_pct: Decimal | None = strawberry.field(
        default=None,
        description=(
            "Capital-gains tax on each tax year's net realised gain, percent (15 for filers); "
            "default none."
        ),
    )
    risk_free_rate_pct: float = strawberry.field(
        default=0.0, description="Annual risk-free rate for Sharpe, Sortino and alpha, percent."
    )
    sessions_per_year: float | None = strawberry.field(
        default=None, description="Sessions a year for annualising (default: from the calendar)."
    )

    def to_domain(self) -> engine.BacktestSettings:
        """The domain settings (the range is set by the run)."""
        return engine.BacktestSettings(
            initial_cash=self.initial_cash,
            fill=self.fill,
            slippage_ticks=self.slippage_ticks,
            costs=self.costs,
            capital_gains_tax_pct=self.capital_gains_tax_pct,
            risk_free_rate_pct=self.risk_free_rate_pct,
            sessions_per_year=self.sessions_per_year,
        )


@strawberry.input(
    description=(
        "A backtest: a strategy over `symbols` or the instruments a `screen` selects (its "
        "first 100 by market cap), over daily bars from `from` to `to`."
    )
)
class RunBacktestInput:
    strategy: StrategyInput = strawberry.field(description="What to trade and when.")
    symbols: list[str] | None = strawberry.field(
        default=None, description="1 to 100 ticker symbols, any case (or give `screen`)."
    )
    screen: ScreenFilterInput | None = strawberry.field(
        default=None, description="Trade what this screen selects (or give `symbols`)."
    )
    from_: date | None = strawberry.field(
        default=None, name="from", description="First trading day (default: a year before `to`)."
    )
    to: date | None = strawberry.field(
        default=None, description="Last trading day (default today)."
    )
    settings: BacktestSettingsInput | None = strawberry.field(
        default=None, description="Cash, fills, slippage, costs, tax (defaults when omitted)."
    )
    name: str | None = strawberry.field(
        default=None, description="1 to 80 characters (default: the symbols and the range)."
    )

    def to_domain(self) -> BacktestCommand:
        """The use case's command, with this input as given to store with the run."""
        return BacktestCommand(
            strategy=self.strategy.to_domain(),
            settings=engine.BacktestSettings()
            if self.settings is None
            else self.settings.to_domain(),
            symbols=self.symbols,
            screen=None if self.screen is None else self.screen.to_domain(),
            start=self.from_,
            end=self.to,
            name=self.name,
            request=as_json(self),
        )


def as_json(value: Any) -> Any:
    """An input as given, as JSON: camelCase names, omitted fields left out, money as strings."""
    if has_object_definition(value):
        out: dict[str, Any] = {}
        for f in value.__strawberry_definition__.fields:
            item = getattr(value, f.python_name)
            if item is None:
                continue
            out[f.graphql_name or _camel(f.python_name)] = as_json(item)
        return out
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal | date):
        return str(value)
    if dataclasses.is_dataclass(value):
        raise TypeError(f"not an input: {type(value).__name__}")
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_PARAMETERS = (
    "period|fastPeriod|slowPeriod|signalPeriod|stdDev|kPeriod|dPeriod|acceleration|maximum"
)
# The domain puts an indicator's parameters on the operand; the input nests them in
# `indicator`.
_OPERAND_PARAMETER = re.compile(rf"\.(left|right)\.({_PARAMETERS})$")


def input_error(error: DomainError) -> UserError:
    """A domain error of a run as a payload error at its `input.` path."""
    if error.field is None:
        return UserError(field=None, message=error.message, code=error.code)
    path = _OPERAND_PARAMETER.sub(r".\1.indicator.\2", error.field)
    return UserError(field=f"input.{path}", message=error.message, code=error.code)
