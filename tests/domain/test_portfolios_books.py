"""A book's holdings stored as JSON read back exactly as the replay left them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from domain.portfolios.books import FORMAT, decode_holdings, encode_holdings
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import CostMethod, PortfolioPolicy, TransactionType
from domain.portfolios.lots import replay
from tests.domain.test_portfolios_fast_paths import _ledger

D = Decimal
T = TransactionType


def _through_json(data: dict[str, object]) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(json.dumps(data))
    return loaded


def test_holdings_and_totals_read_back_exactly() -> None:
    for method in CostMethod:
        policy = PortfolioPolicy(cost_method=method)
        entries, _ = _ledger(5)
        entries.append(
            build_transaction(
                TransactionInput(
                    T.DIVIDEND, date(2025, 5, 2), symbol="BBB", quantity=10, price=D("1.5")
                ),
                policy,
            )
        )
        book = replay(entries, policy)
        back = decode_holdings(_through_json(encode_holdings(book)), method)
        assert back is not None
        assert back == replace(book, disposals=(), trail=())
        assert any(len(h.lots) > 1 for h in back.holdings) == (method is CostMethod.FIFO)
        assert back.realised != 0 and back.dividends_gross == D("15.00")


def test_a_book_with_cash_keeps_its_cash() -> None:
    policy = PortfolioPolicy(tracks_cash=True)
    day = date(2025, 3, 3)
    entries = [
        build_transaction(TransactionInput(T.DEPOSIT, day, amount=D("50000")), policy),
        build_transaction(
            TransactionInput(T.BUY, day, symbol="HUBC", quantity=100, price=D("101.25")), policy
        ),
    ]
    book = replay(entries, policy)
    back = decode_holdings(_through_json(encode_holdings(book)), policy.cost_method)
    assert back is not None and back.cash == book.cash and book.cash is not None
    assert str(back.cash) == str(book.cash)


def test_another_format_or_cost_method_is_not_read() -> None:
    entries, _ = _ledger(6)
    data = encode_holdings(replay(entries, PortfolioPolicy()))
    assert decode_holdings(data, CostMethod.AVERAGE) is None
    assert decode_holdings({**data, "format": FORMAT + 1}, CostMethod.FIFO) is None
