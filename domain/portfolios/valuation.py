"""The portfolio's value at each session's close, replayed from the ledger and daily closes.

External flows are what crosses the portfolio's boundary: deposits (+) and withdrawals (-)
where it keeps cash; every transaction's cash where it does not (a purchase is money put in,
a sale's proceeds and a dividend are money taken out, a fee is money put in to pay it).
Flows land at the open of the session on or after their trade date, so a session's return is
`value / (previous value + flow) - 1`: chaining those is the time-weighted return.

A holding is valued at its latest close on or before the session; before its first close, at
its latest trade price in the ledger; with neither, at its cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.markets.costs import to_paisa
from domain.portfolios.holdings import Book, Step
from domain.portfolios.ledger import (
    ZERO,
    PortfolioPolicy,
    Transaction,
    TransactionType,
)
from domain.portfolios.lots import steps

Closes = Mapping[str, Mapping[date, Decimal]]
_PRICED = frozenset({TransactionType.BUY, TransactionType.SELL, TransactionType.RIGHT})


@dataclass(frozen=True, slots=True)
class ValuationPoint:
    """The portfolio at one session's close.

    `market_values` holds each symbol held (at cost where it has no price), so that
    `holdings_value` is their sum and `value` = `holdings_value` + `cash` (where kept).
    `daily_return` is None when no capital was at risk (previous value + flow <= 0).
    """

    day: date
    value: Decimal
    holdings_value: Decimal
    cash: Decimal | None
    flow: Decimal
    cost_basis: Decimal
    market_values: Mapping[str, Decimal]
    daily_return: float | None


def external_flow(tx: Transaction, policy: PortfolioPolicy) -> Decimal:
    """The money a transaction moves into (+) or out of (-) the portfolio."""
    if not policy.tracks_cash:
        return -tx.cash_effect
    if tx.type is TransactionType.DEPOSIT:
        return tx.amount
    if tx.type is TransactionType.WITHDRAWAL:
        return -tx.amount
    return ZERO


def session_days(
    transactions: Sequence[Transaction], closes: Closes, days: Sequence[date] | None = None
) -> list[date]:
    """The sessions a valuation covers: from the first trade date to the last session.

    Args:
        transactions: the ledger.
        closes: daily closes by symbol; their dates are the sessions when `days` is None.
        days: the trading calendar, if known.
    """
    if not transactions:
        return []
    first = min(tx.trade_date for tx in transactions)
    calendar = (
        sorted(set(days)) if days is not None else sorted({d for c in closes.values() for d in c})
    )
    return [d for d in calendar if d >= first]


def valuation_series(
    transactions: Sequence[Transaction],
    policy: PortfolioPolicy,
    closes: Closes,
    *,
    days: Sequence[date] | None = None,
    book: Book | None = None,
) -> tuple[ValuationPoint, ...]:
    """The value at each session's close from the first transaction on.

    Args:
        transactions: a valid ledger (as `lots.replay` accepts) in stored order.
        policy: the portfolio's rules.
        closes: raw daily closes by symbol and day (not adjusted: the ledger's entitlements
            carry the corporate actions).
        days: the trading calendar; None takes the days of `closes`. Transactions after the
            last session are not valued.
        book: the ledger already replayed (`lots.replay`, with its trail), to spare
            replaying it again.
    """
    sessions = session_days(transactions, closes, days)
    trail = book.trail if book is not None and book.trail else steps(transactions, policy)
    last_price: dict[str, Decimal] = {}
    points: list[ValuationPoint] = []
    previous = ZERO
    cash = ZERO
    i = 0
    # A symbol's shares and cost change only with its own transactions: kept between them.
    held: dict[str, tuple[int, Decimal]] = {}
    close_on = {sym: series.get for sym, series in closes.items()}
    for day in sessions:
        flow = ZERO
        touched: dict[str, Step] = {}
        while i < len(trail) and trail[i].transaction.trade_date <= day:
            step = trail[i]
            tx = step.transaction
            flow += step.flow
            cash = step.cash
            if tx.symbol is not None:
                touched[tx.symbol] = step
                if tx.type in _PRICED:
                    last_price[tx.symbol] = tx.price
            i += 1
        for sym, step in touched.items():
            if step.quantity > 0:
                held[sym] = (step.quantity, step.cost)
            else:
                held.pop(sym, None)
        for sym, on in close_on.items():
            close = on(day)
            if close is not None:
                last_price[sym] = close
        values: dict[str, Decimal] = {}
        cost = ZERO
        for sym, (qty, held_cost) in held.items():
            cost += held_cost
            price = last_price.get(sym)
            values[sym] = to_paisa(price * qty) if price is not None else held_cost
        holdings = sum(values.values(), ZERO)
        kept = cash if policy.tracks_cash else None
        value = holdings + (kept or ZERO)
        base = previous + flow
        points.append(
            ValuationPoint(
                day=day,
                value=value,
                holdings_value=holdings,
                cash=kept,
                flow=flow,
                cost_basis=cost,
                market_values=values,
                daily_return=float(value / base - 1) if base > 0 else None,
            )
        )
        previous = value
    return tuple(points)
