"""A replayed book's holdings as plain JSON values, to store beside the ledger and read back.

What is kept is what valuing the holdings needs: every symbol the ledger touched with its
shares, cost, open lots, realised gains and dividends, and the book's totals. Sales matched
against lots and the step-by-step trail are not kept; whatever needs them (performance,
reports) replays the ledger. Money is written as decimal strings, so it reads back exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from domain.portfolios.holdings import Book, Holding, Lot
from domain.portfolios.ledger import CostMethod

# Bumped whenever the layout changes: a stored book of another format is ignored.
FORMAT = 1

_TOTALS = ("net_invested", "realised", "dividends_gross", "dividend_tax", "fees", "taxes")


def encode_holdings(book: Book) -> dict[str, Any]:
    """The book's holdings and totals as JSON values."""
    return {
        "format": FORMAT,
        "method": book.method.value,
        "cash": None if book.cash is None else str(book.cash),
        **{name: str(getattr(book, name)) for name in _TOTALS},
        "holdings": [
            [
                h.symbol,
                h.quantity,
                str(h.cost),
                str(h.realised),
                str(h.dividends),
                str(h.dividend_tax),
                [
                    [lot.acquired.isoformat(), lot.quantity, str(lot.cost), lot.transaction_id]
                    for lot in h.lots
                ],
            ]
            for h in book.holdings
        ],
    }


def decode_holdings(data: Mapping[str, Any], method: CostMethod) -> Book | None:
    """The book `encode_holdings` wrote, without sales or trail; None when it was written in
    another format or for another cost method (the ledger is replayed then)."""
    if data.get("format") != FORMAT or data.get("method") != method.value:
        return None
    holdings = tuple(
        Holding(
            symbol=symbol,
            quantity=quantity,
            cost=Decimal(cost),
            lots=tuple(
                Lot(symbol, date.fromisoformat(acquired), shares, Decimal(paid), tx_id)
                for acquired, shares, paid, tx_id in lots
            ),
            realised=Decimal(realised),
            dividends=Decimal(dividends),
            dividend_tax=Decimal(dividend_tax),
        )
        for symbol, quantity, cost, realised, dividends, dividend_tax, lots in data["holdings"]
    )
    cash = data["cash"]
    return Book(
        method=method,
        holdings=holdings,
        cash=None if cash is None else Decimal(cash),
        net_invested=Decimal(data["net_invested"]),
        disposals=(),
        realised=Decimal(data["realised"]),
        dividends_gross=Decimal(data["dividends_gross"]),
        dividend_tax=Decimal(data["dividend_tax"]),
        fees=Decimal(data["fees"]),
        taxes=Decimal(data["taxes"]),
    )
