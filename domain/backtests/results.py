"""What a backtest produces: the equity curve, fills, trades, taxes and the metrics."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.backtests.metrics import Metrics
from domain.markets.costs import CostBreakdown, Side


class ExitReason(enum.StrEnum):
    """Why a trade closed (REBALANCE: a rebalance sold the whole position)."""

    SIGNAL = "SIGNAL"
    STOP_LOSS = "STOP_LOSS"
    TAKE_PROFIT = "TAKE_PROFIT"
    REBALANCE = "REBALANCE"
    END = "END"


class FillReason(enum.StrEnum):
    """Why shares changed hands."""

    ENTRY = "ENTRY"
    EXIT = "EXIT"
    STOP_LOSS = "STOP_LOSS"
    TAKE_PROFIT = "TAKE_PROFIT"
    REBALANCE = "REBALANCE"
    END = "END"


FILL_OF_EXIT = {
    ExitReason.SIGNAL: FillReason.EXIT,
    ExitReason.STOP_LOSS: FillReason.STOP_LOSS,
    ExitReason.TAKE_PROFIT: FillReason.TAKE_PROFIT,
    ExitReason.REBALANCE: FillReason.REBALANCE,
    ExitReason.END: FillReason.END,
}


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """The book at a bar's close.

    `equity` is cash plus positions at the close, less tax owed; `exposure_pct` is positions
    over equity; `drawdown_pct` is the fall from the running peak, 0 or negative.
    """

    ts: datetime
    equity: Decimal
    cash: Decimal
    exposure_pct: float
    drawdown_pct: float


@dataclass(frozen=True, slots=True)
class Fill:
    """Shares bought or sold, at a price on the tick, with the charges on them."""

    ts: datetime
    symbol: str
    side: Side
    quantity: int
    price: Decimal
    costs: CostBreakdown
    reason: FillReason


@dataclass(frozen=True, slots=True)
class Trade:
    """A position from its first buy to the sale that left it flat.

    Prices are quantity-weighted averages of the buys and of the sells (the fill prices unless
    rebalancing resized the position); `quantity` counts every share bought; `gross_pnl` is
    sales less purchases, `net_pnl` also less `costs` (both sides); `return_pct` is net P&L
    over what the purchases cost, costs included; `bars_held` counts sessions of the run's
    calendar from the entry bar to the exit bar.
    """

    symbol: str
    entry_ts: datetime
    exit_ts: datetime
    entry_price: Decimal
    exit_price: Decimal
    quantity: int
    gross_pnl: Decimal
    costs: Decimal
    net_pnl: Decimal
    return_pct: float
    bars_held: int
    exit_reason: ExitReason


@dataclass(frozen=True, slots=True)
class TaxCharge:
    """Capital-gains tax on a tax year's net realised gain (0 for a net loss)."""

    tax_year: int
    ts: datetime
    net_gain: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Everything a run produced; `equity` has one point per session of the run."""

    symbols: tuple[str, ...]
    equity: tuple[EquityPoint, ...]
    trades: tuple[Trade, ...]
    fills: tuple[Fill, ...]
    taxes: tuple[TaxCharge, ...]
    metrics: Metrics
