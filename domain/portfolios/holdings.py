"""What a replayed ledger holds: lots, sales matched against them, holdings and the book."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.portfolios.ledger import CostMethod, Transaction

UNIT_COST_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Lot:
    """Shares of one symbol acquired together, with what they cost in all."""

    symbol: str
    acquired: date
    quantity: int
    cost: Decimal
    transaction_id: int | None = None

    @property
    def unit_cost(self) -> Decimal:
        """Cost per share, to four decimals."""
        return (self.cost / self.quantity).quantize(UNIT_COST_PLACES)


@dataclass(frozen=True, slots=True)
class LotMatch:
    """The part of one lot a sale consumed."""

    acquired: date
    quantity: int
    cost: Decimal
    transaction_id: int | None


@dataclass(frozen=True, slots=True)
class Disposal:
    """One sale matched against lots: proceeds net of charges, the cost of what was sold."""

    symbol: str
    trade_date: date
    quantity: int
    proceeds: Decimal
    cost: Decimal
    matches: tuple[LotMatch, ...]
    transaction_id: int | None

    @property
    def gain(self) -> Decimal:
        """The realised gain (negative for a loss)."""
        return self.proceeds - self.cost


@dataclass(frozen=True, slots=True)
class Holding:
    """What the ledger says about one symbol: open lots, realised gains, dividends."""

    symbol: str
    quantity: int
    cost: Decimal
    lots: tuple[Lot, ...]
    realised: Decimal
    dividends: Decimal
    dividend_tax: Decimal

    @property
    def average_cost(self) -> Decimal | None:
        """Cost per share held, to four decimals; None when nothing is held."""
        if self.quantity == 0:
            return None
        return (self.cost / self.quantity).quantize(UNIT_COST_PLACES)


@dataclass(frozen=True, slots=True)
class Step:
    """The book just after one transaction, in the order they take effect: the shares and
    cost of its symbol (0 and 0 without one), the cash (meaningful where kept), the money
    the transaction moved into (+) or out of (-) the portfolio (`valuation.external_flow`),
    and a sale's realised gain (None for anything else)."""

    transaction: Transaction
    quantity: int
    cost: Decimal
    cash: Decimal
    flow: Decimal
    gain: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Book:
    """A ledger replayed: every symbol it touched (closed ones at quantity 0) and totals.

    `cash` is None where the portfolio keeps none. `net_invested` is deposits less
    withdrawals where it keeps cash, else the net cash paid into its trades (purchases less
    sale proceeds and dividends). `fees` include FEE entries; `taxes` include dividend
    withholding. `trail` is the state after each transaction (`lots.replay` fills it), what a
    valuation at every session walks instead of replaying the ledger again.
    """

    method: CostMethod
    holdings: tuple[Holding, ...]
    cash: Decimal | None
    net_invested: Decimal
    disposals: Sequence[Disposal]
    realised: Decimal
    dividends_gross: Decimal
    dividend_tax: Decimal
    fees: Decimal
    taxes: Decimal
    trail: Sequence[Step] = ()

    def holding(self, symbol: str) -> Holding | None:
        """The holding of `symbol`, if the ledger mentions it."""
        return next((h for h in self.holdings if h.symbol == symbol), None)

    @property
    def open_holdings(self) -> tuple[Holding, ...]:
        """Holdings with shares."""
        return tuple(h for h in self.holdings if h.quantity > 0)
