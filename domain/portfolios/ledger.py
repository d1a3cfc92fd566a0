"""The transaction ledger of a portfolio: the source of truth every figure is derived from.

A transaction's fields by type (amounts in rupees, Decimal throughout):

- BUY, SELL: `quantity` shares at `price` (on the Rs 0.01 tick); `fees` are the broker's
  commission, CDC handling and the PSX/SECP levies, `taxes` the Sindh sales tax on the
  commission and, on purchases, the capital value tax. Either left out is computed from the PSX
  cost model (`domain.portfolios.inputs`); the settlement date follows the T+2/T+1 cycle
  (`domain.portfolios.settlement`).
- DIVIDEND: `quantity` shares entitled at `price` rupees a share (gross, up to four decimals);
  `taxes` is the withholding tax, 15% for filers and 30% for non-filers unless given.
- BONUS: `quantity` new shares received at no cost (`taxes` holds any tax paid on them).
- RIGHT: `quantity` shares subscribed at `price`, the subscription price.
- SPLIT: `ratio` new shares per old share.
- DEPOSIT, WITHDRAWAL: `amount` of cash paid in or out (only where the portfolio keeps cash).
- FEE: `amount` charged outside a trade (CDC sub-account, NCCPL's CGT fee), optionally tied
  to a `symbol`.

A transaction's cash effect is its principal, signed as seen by the portfolio's cash, less its
fees and taxes: a purchase costs `gross + fees + taxes`, a sale brings `gross - fees - taxes`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.markets.costs import PSX_COSTS, CostModel, to_paisa

ZERO = Decimal("0.00")
MAX_NOTE = 500


class TransactionType(enum.StrEnum):
    """What a ledger entry records."""

    BUY = "BUY"
    SELL = "SELL"
    DIVIDEND = "DIVIDEND"
    BONUS = "BONUS"
    RIGHT = "RIGHT"
    SPLIT = "SPLIT"
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    FEE = "FEE"


class CostMethod(enum.StrEnum):
    """How sales are matched against purchases: oldest lot first, or the pooled average."""

    FIFO = "FIFO"
    AVERAGE = "AVERAGE"


TRADES = frozenset({TransactionType.BUY, TransactionType.SELL})
# Entitlements that take effect at the open of their ex-date, before that day's trades.
EX_DATE_EVENTS = frozenset({TransactionType.SPLIT, TransactionType.BONUS, TransactionType.DIVIDEND})
CASH_MOVES = frozenset({TransactionType.DEPOSIT, TransactionType.WITHDRAWAL})
OUTGOING = frozenset(
    {TransactionType.BUY, TransactionType.RIGHT, TransactionType.WITHDRAWAL, TransactionType.FEE}
)


@dataclass(frozen=True, slots=True)
class PortfolioPolicy:
    """The rules a portfolio's ledger is kept by.

    `tracks_cash`: the portfolio keeps a cash balance fed by deposits and withdrawals, which
    may not go below zero at the end of a day; without it the portfolio is its holdings and
    every trade's cash crosses its boundary. `filer` sets the default dividend withholding
    (15% filer, 30% non-filer).
    """

    cost_method: CostMethod = CostMethod.FIFO
    tracks_cash: bool = False
    filer: bool = True
    cost_model: CostModel = PSX_COSTS


@dataclass(frozen=True, slots=True)
class Transaction:
    """One validated ledger entry; see the module docstring for the fields of each type.

    `corporate_action_id` is the market corporate action a generated entry came from (the
    mark that keeps an action from being applied twice); `id` is the stored entry's id.
    """

    type: TransactionType
    trade_date: date
    settlement_date: date
    symbol: str | None = None
    quantity: int = 0
    price: Decimal = ZERO
    amount: Decimal = ZERO
    ratio: Decimal | None = None
    fees: Decimal = ZERO
    taxes: Decimal = ZERO
    note: str = ""
    corporate_action_id: int | None = None
    id: int | None = None

    @property
    def gross(self) -> Decimal:
        """The principal before fees and taxes: shares × price, or the cash amount."""
        if self.type in (TransactionType.BONUS, TransactionType.SPLIT):
            return ZERO
        if self.type in CASH_MOVES or self.type is TransactionType.FEE:
            return self.amount
        return to_paisa(self.price * self.quantity)

    @property
    def cash_effect(self) -> Decimal:
        """The change in the portfolio's cash: the signed principal less fees and taxes."""
        principal = -self.gross if self.type in OUTGOING else self.gross
        return principal - self.fees - self.taxes


def _phase(t: TransactionType) -> int:
    if t in EX_DATE_EVENTS:
        return 0
    if t is TransactionType.DEPOSIT:
        return 1
    if t is TransactionType.WITHDRAWAL:
        return 3
    return 2


def ledger_order(transactions: Iterable[Transaction]) -> list[Transaction]:
    """Transactions in the order they take effect.

    By trade date; within a day, ex-date entitlements first (they belong to the holders at
    the previous close), then deposits, then trades and fees in the order given (the order a
    day trader dealt in), then withdrawals. The sort is stable, so callers pass the stored
    order (by date, then id).
    """
    return sorted(transactions, key=lambda tx: (tx.trade_date, _phase(tx.type)))


def symbols_of(transactions: Sequence[Transaction]) -> list[str]:
    """The symbols a ledger mentions, sorted."""
    return sorted({tx.symbol for tx in transactions if tx.symbol is not None})
