"""Lot accounting: holdings, cost basis and realised gains replayed from the ledger.

Conventions:

- A lot's cost is what was paid for it: gross plus the purchase's fees and taxes. A sale's
  proceeds are net of its fees and taxes. Realised gain = proceeds - cost of the shares sold.
- FIFO sells the oldest lot first; AVERAGE pools every purchase of a symbol into one lot, so
  a sale takes the pooled average cost. Part of a lot sold takes its share of the cost rounded
  to the paisa and leaves the rest on the lot, so cost is conserved exactly.
- BONUS shares are a new lot at zero cost acquired on the ex-date: the holding's cost is
  unchanged and its average cost falls by 1 / (1 + X%).
- RIGHT shares subscribed are a new lot at the subscription price plus charges.
- SPLIT multiplies every lot's shares by the ratio and keeps its cost. The holding becomes
  floor(shares × ratio) (fractions are the company's to settle in cash); the whole shares are
  shared between lots by largest remainder, and a lot left with none hands its cost to the
  next lot.
- A SELL of more than is held, or a split of nothing, is a DomainError; where the portfolio
  keeps cash, so is a day that ends with less than nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from domain.errors import DomainError, ErrorCode
from domain.markets.costs import CGT_FILER, capital_gains_tax, net_gains_by_tax_year, to_paisa
from domain.portfolios.holdings import Book, Disposal, Holding, Lot, LotMatch, Step
from domain.portfolios.ledger import (
    OUTGOING,
    ZERO,
    CostMethod,
    PortfolioPolicy,
    Transaction,
    TransactionType,
    ledger_order,
)
from domain.portfolios.trail import StepTrail

_T = TransactionType


@dataclass(slots=True)
class _Open:
    acquired: date
    quantity: int
    cost: Decimal
    transaction_id: int | None


class LotBook:
    """The ledger's state, updated one transaction at a time (`replay` drives it).

    Args:
        policy: the portfolio's cost method and whether it keeps cash.
        path: the request path prefixed to error fields ("input" gives "input.quantity").
    """

    def __init__(self, policy: PortfolioPolicy, *, path: str = "input") -> None:
        self._policy = policy
        self._path = path
        self._lots: dict[str, list[_Open]] = {}
        # Each symbol's shares and cost over its lots, kept as the lots change.
        self._held: dict[str, int] = {}
        self._held_cost: dict[str, Decimal] = {}
        self._realised: dict[str, Decimal] = {}
        self._dividends: dict[str, Decimal] = {}
        self._dividend_tax: dict[str, Decimal] = {}
        self._disposals: list[Disposal] = []
        self._cash = ZERO
        self._net_invested = ZERO
        self._dividends_gross = ZERO
        self._fees = ZERO
        self._taxes = ZERO
        self._last_outflow: Transaction | None = None
        # What the last transaction applied did: its cash effect and a sale's gain.
        self._effect = ZERO
        self._gain: Decimal | None = None

    @property
    def cash(self) -> Decimal:
        """Cash from every transaction applied (meaningful where the portfolio keeps cash)."""
        return self._cash

    def quantity(self, symbol: str) -> int:
        """Shares of `symbol` held."""
        return self._held.get(symbol, 0)

    def quantities(self) -> dict[str, int]:
        """Shares held by symbol, for symbols with shares."""
        return {s: q for s, q in self._held.items() if q > 0}

    def cost(self, symbol: str) -> Decimal:
        """The cost basis of the shares of `symbol` held."""
        return self._held_cost.get(symbol, ZERO)

    def apply(self, tx: Transaction) -> Disposal | None:
        """Apply one transaction (in ledger order); a SELL returns its disposal.

        Raises:
            DomainError: a SELL beyond the holding, or a SPLIT of nothing.
        """
        sym = tx.symbol
        disposal = None
        gross = tx.gross  # once: it rounds a product to the paisa
        if sym is not None:
            self._touch(sym)
            disposal = self._apply_to_symbol(sym, tx, gross)
        principal = -gross if tx.type in OUTGOING else gross
        effect = principal - tx.fees - tx.taxes
        self._effect = effect
        self._gain = None if disposal is None else disposal.gain
        self._cash += effect
        if tx.type is _T.DEPOSIT:
            self._net_invested += tx.amount
        elif tx.type is _T.WITHDRAWAL:
            self._net_invested -= tx.amount
        elif not self._policy.tracks_cash:
            self._net_invested -= effect
        self._fees += tx.fees + (tx.amount if tx.type is _T.FEE else ZERO)
        self._taxes += tx.taxes
        if effect < 0:
            self._last_outflow = tx
        return disposal

    def close_day(self, day: date) -> None:
        """End a day: where the portfolio keeps cash, the balance may not be below zero.

        Raises:
            DomainError: on the field of the day's last payment (quantity or amount).
        """
        last, self._last_outflow = self._last_outflow, None
        if not self._policy.tracks_cash or self._cash >= 0:
            return
        field = "quantity" if last is not None and last.type in (_T.BUY, _T.RIGHT) else "amount"
        raise DomainError(
            ErrorCode.INVALID,
            f"Cash would fall to Rs {self._cash:,} on {day.isoformat()}: record a deposit first.",
            f"{self._path}.{field}",
        )

    def step(self, tx: Transaction) -> Step:
        """The state just after `tx` (the last transaction applied)."""
        if not self._policy.tracks_cash:
            flow = -self._effect
        elif tx.type is _T.DEPOSIT:
            flow = tx.amount
        elif tx.type is _T.WITHDRAWAL:
            flow = -tx.amount
        else:
            flow = ZERO
        sym = tx.symbol
        if sym is None:
            return Step(tx, 0, ZERO, self._cash, flow)
        return Step(tx, self._held[sym], self._held_cost[sym], self._cash, flow, self._gain)

    def book(self, trail: Sequence[Step] = ()) -> Book:
        """A snapshot of the state (with the steps that led to it, when kept)."""
        holdings = []
        for sym in sorted(self._lots):
            lots = tuple(
                Lot(sym, o.acquired, o.quantity, o.cost, o.transaction_id)
                for o in self._lots[sym]
                if o.quantity > 0
            )
            holdings.append(
                Holding(
                    symbol=sym,
                    quantity=sum(lot.quantity for lot in lots),
                    cost=sum((lot.cost for lot in lots), ZERO),
                    lots=lots,
                    realised=self._realised[sym],
                    dividends=self._dividends[sym],
                    dividend_tax=self._dividend_tax[sym],
                )
            )
        return Book(
            method=self._policy.cost_method,
            holdings=tuple(holdings),
            cash=self._cash if self._policy.tracks_cash else None,
            net_invested=self._net_invested,
            disposals=tuple(self._disposals),
            realised=sum(self._realised.values(), ZERO),
            dividends_gross=self._dividends_gross,
            dividend_tax=sum(self._dividend_tax.values(), ZERO),
            fees=self._fees,
            taxes=self._taxes,
            trail=trail,
        )

    def _apply_to_symbol(self, sym: str, tx: Transaction, gross: Decimal) -> Disposal | None:
        if tx.type in (_T.BUY, _T.RIGHT):
            self._acquire(sym, tx, gross + tx.fees + tx.taxes)
        elif tx.type is _T.BONUS:
            self._acquire(sym, tx, ZERO)
        elif tx.type is _T.SELL:
            return self._sell(sym, tx, gross)
        elif tx.type is _T.SPLIT and tx.ratio is not None:
            self._split(sym, tx.ratio, tx.trade_date)
        elif tx.type is _T.DIVIDEND:
            self._dividends[sym] += tx.gross - tx.taxes - tx.fees
            self._dividend_tax[sym] += tx.taxes
            self._dividends_gross += tx.gross
        return None

    def _touch(self, sym: str) -> None:
        if sym not in self._lots:
            self._lots[sym] = []
            self._held[sym] = 0
            self._held_cost[sym] = ZERO
            self._realised[sym] = ZERO
            self._dividends[sym] = ZERO
            self._dividend_tax[sym] = ZERO

    def _acquire(self, sym: str, tx: Transaction, cost: Decimal) -> None:
        lots = self._lots[sym]
        self._held[sym] += tx.quantity
        self._held_cost[sym] += cost
        if self._policy.cost_method is CostMethod.AVERAGE and lots:
            pool = lots[0]
            pool.quantity += tx.quantity
            pool.cost += cost
            pool.acquired = min(pool.acquired, tx.trade_date)
            return
        lots.append(_Open(tx.trade_date, tx.quantity, cost, tx.id))

    def _sell(self, sym: str, tx: Transaction, gross: Decimal) -> Disposal:
        lots = self._lots[sym]
        held = self._held[sym]
        if tx.quantity > held:
            raise DomainError(
                ErrorCode.INVALID,
                f"Cannot sell {tx.quantity:,} {sym} on {tx.trade_date.isoformat()}: {held:,} held.",
                f"{self._path}.quantity",
            )
        need = tx.quantity
        matches: list[LotMatch] = []
        cost = ZERO
        while need:
            lot = lots[0]
            take = min(need, lot.quantity)
            part = lot.cost if take == lot.quantity else to_paisa(lot.cost * take / lot.quantity)
            matches.append(LotMatch(lot.acquired, take, part, lot.transaction_id))
            cost += part
            lot.quantity -= take
            lot.cost -= part
            need -= take
            if lot.quantity == 0:
                lots.pop(0)
        self._held[sym] -= tx.quantity
        self._held_cost[sym] -= cost
        disposal = Disposal(
            symbol=sym,
            trade_date=tx.trade_date,
            quantity=tx.quantity,
            proceeds=gross - tx.fees - tx.taxes,
            cost=cost,
            matches=tuple(matches),
            transaction_id=tx.id,
        )
        self._realised[sym] += disposal.gain
        self._disposals.append(disposal)
        return disposal

    def _split(self, sym: str, ratio: Decimal, day: date) -> None:
        lots = self._lots[sym]
        total = self._held[sym]
        if total == 0:
            raise DomainError(
                ErrorCode.INVALID,
                f"No {sym} is held on {day.isoformat()} to split.",
                f"{self._path}.symbol",
            )
        target = int((total * ratio).to_integral_value(rounding=ROUND_FLOOR))
        if target == 0:
            raise DomainError(
                ErrorCode.INVALID,
                f"The split would leave no whole share of {sym}.",
                f"{self._path}.ratio",
            )
        exact = [lot.quantity * ratio for lot in lots]
        whole = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
        short = target - sum(whole)
        by_remainder = sorted(range(len(lots)), key=lambda i: (-(exact[i] - whole[i]), i))
        for i in by_remainder[:short]:
            whole[i] += 1
        carried = ZERO
        for lot, shares in zip(lots, whole, strict=True):
            lot.quantity = shares
            lot.cost += carried
            carried = ZERO
            if shares == 0:
                carried, lot.cost = lot.cost, ZERO
        if carried:
            # The last lot rounded to nothing: its cost goes back to the newest lot with shares.
            next(lot for lot in reversed(lots) if lot.quantity > 0).cost += carried
        lots[:] = [lot for lot in lots if lot.quantity > 0]
        self._held[sym] = target


def replay(
    transactions: Iterable[Transaction],
    policy: PortfolioPolicy,
    *,
    as_of: date | None = None,
    path: str = "input",
    check_cash: bool = True,
) -> Book:
    """Replay a ledger into holdings, lots, realised gains and totals.

    Args:
        transactions: the ledger in stored order (it is put in `ledger_order`).
        policy: the cost method and cash rule.
        as_of: only transactions traded on or before this day count. None: all.
        path: the request path prefixed to error fields.
        check_cash: refuse a day that ends with negative cash where the portfolio keeps it
            (False: value a ledger as it stands).

    Raises:
        DomainError: a SELL beyond the holding ("input.quantity"), a split of nothing, or a
            day ending with negative cash where the portfolio keeps cash. Nothing is applied
            by the caller when this is raised, so a ledger is never half-written.
    """
    book = LotBook(policy, path=path)
    day: date | None = None
    trail: list[Step] = []
    for tx in ledger_order(transactions):
        if as_of is not None and tx.trade_date > as_of:
            break
        if check_cash and day is not None and tx.trade_date != day:
            book.close_day(day)
        book.apply(tx)
        trail.append(book.step(tx))
        day = tx.trade_date
    if check_cash and day is not None:
        book.close_day(day)
    return book.book(StepTrail(trail))


def holdings_before(
    transactions: Iterable[Transaction], day: date, policy: PortfolioPolicy
) -> dict[str, int]:
    """Shares held by symbol at the close before `day` (transactions traded before it)."""
    book = LotBook(policy)
    for tx in ledger_order(transactions):
        if tx.trade_date >= day:
            break
        book.apply(tx)
    return book.quantities()


@dataclass(frozen=True, slots=True)
class TaxYearGains:
    """A tax year's (1 Jul-30 Jun, named by its end) net realised gain and the CGT on it."""

    tax_year: int
    net_gain: Decimal
    tax: Decimal


def capital_gains_by_tax_year(
    disposals: Sequence[Disposal], rate_pct: Decimal = CGT_FILER
) -> tuple[TaxYearGains, ...]:
    """Realised gains netted within each tax year and the CGT due at one rate (NCCPL's way).

    The flat rate is the filer rate on shares bought from 1 Jul 2024; older lots had other
    rates, so for them this is an estimate.
    """
    net = net_gains_by_tax_year((d.trade_date, d.gain) for d in disposals)
    return tuple(
        TaxYearGains(year, gain, capital_gains_tax(gain, rate_pct))
        for year, gain in sorted(net.items())
    )
