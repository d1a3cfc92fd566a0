"""Positions: a replayed book valued at given prices.

Money (cost, value, P&L, day change) is Decimal to the paisa; weights are fractions and fields
ending in `_pct` are percents (12.5 = 12.5%), both floats as market numbers are.

- market value = to_paisa(quantity × price); unrealised P&L = market value - cost basis;
- weight = market value / portfolio value, where the portfolio value is the holdings plus
  cash (where kept); weights of holdings sum to less than 1 when cash is held;
- day change = quantity × (price - previous close), on the shares held now, as a broker's
  watch screen shows it;
- a holding with no price is valued at its cost in the totals and listed in `unpriced`; its
  own market value, P&L and weight are None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from domain.markets.costs import to_paisa
from domain.portfolios.holdings import Book, Holding, Lot
from domain.portfolios.ledger import ZERO

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class PriceQuote:
    """A symbol's price to value at and the previous close (LDCP) for the day change."""

    price: Decimal
    previous_close: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """One holding valued at a price."""

    symbol: str
    quantity: int
    average_cost: Decimal | None
    cost_basis: Decimal
    price: Decimal | None
    previous_close: Decimal | None
    market_value: Decimal | None
    unrealised_pnl: Decimal | None
    unrealised_pnl_pct: float | None
    realised_pnl: Decimal
    dividends: Decimal
    weight: float | None
    day_change: Decimal | None
    day_change_pct: float | None
    lots: tuple[Lot, ...]


@dataclass(frozen=True, slots=True)
class Valuation:
    """The portfolio valued: positions and totals (unpriced holdings counted at cost)."""

    positions: tuple[Position, ...]
    cash: Decimal | None
    holdings_value: Decimal
    total_value: Decimal
    cost_basis: Decimal
    unrealised_pnl: Decimal
    realised_pnl: Decimal
    dividends: Decimal
    day_change: Decimal
    unpriced: tuple[str, ...]


def _pct(numerator: Decimal, denominator: Decimal) -> float | None:
    if denominator <= 0:
        return None
    return float(numerator / denominator * _HUNDRED)


def _position(h: Holding, quote: PriceQuote | None, total: Decimal) -> Position:
    if quote is None:
        return Position(
            symbol=h.symbol,
            quantity=h.quantity,
            average_cost=h.average_cost,
            cost_basis=h.cost,
            price=None,
            previous_close=None,
            market_value=None,
            unrealised_pnl=None,
            unrealised_pnl_pct=None,
            realised_pnl=h.realised,
            dividends=h.dividends,
            weight=None,
            day_change=None,
            day_change_pct=None,
            lots=h.lots,
        )
    value = to_paisa(quote.price * h.quantity)
    unrealised = value - h.cost
    prev = quote.previous_close
    change = None if prev is None else to_paisa((quote.price - prev) * h.quantity)
    return Position(
        symbol=h.symbol,
        quantity=h.quantity,
        average_cost=h.average_cost,
        cost_basis=h.cost,
        price=quote.price,
        previous_close=prev,
        market_value=value,
        unrealised_pnl=unrealised,
        unrealised_pnl_pct=_pct(unrealised, h.cost) if h.quantity else None,
        realised_pnl=h.realised,
        dividends=h.dividends,
        weight=float(value / total) if total > 0 else None,
        day_change=change,
        day_change_pct=(
            _pct(quote.price - prev, prev) if prev is not None and h.quantity else None
        ),
        lots=h.lots,
    )


def value_book(
    book: Book, prices: Mapping[str, PriceQuote], *, include_closed: bool = False
) -> Valuation:
    """Value a replayed book at `prices` (by symbol).

    Args:
        book: the replayed ledger (`lots.replay`).
        prices: the price and previous close of each symbol held.
        include_closed: also list symbols sold out (quantity 0) for their realised P&L and
            dividends; they carry no weight.
    """
    holdings = book.holdings if include_closed else book.open_holdings
    unpriced = tuple(h.symbol for h in book.open_holdings if h.symbol not in prices)
    holdings_value = sum(
        (
            to_paisa(prices[h.symbol].price * h.quantity) if h.symbol in prices else h.cost
            for h in book.open_holdings
        ),
        ZERO,
    )
    total = holdings_value + (book.cash or ZERO)
    positions = tuple(_position(h, prices.get(h.symbol), total) for h in holdings)
    priced = [p for p in positions if p.market_value is not None]
    return Valuation(
        positions=positions,
        cash=book.cash,
        holdings_value=holdings_value,
        total_value=total,
        cost_basis=sum((h.cost for h in book.open_holdings), ZERO),
        unrealised_pnl=sum((p.unrealised_pnl or ZERO for p in priced), ZERO),
        realised_pnl=book.realised,
        dividends=sum((h.dividends for h in book.holdings), ZERO),
        day_change=sum((p.day_change or ZERO for p in priced), ZERO),
        unpriced=unpriced,
    )
