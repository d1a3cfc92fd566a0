"""A replayed ledger stored as JSON, its holdings and its replay, read back exactly as the
replay left them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from domain.portfolios.books import (
    FORMAT,
    Outline,
    decode_holdings,
    decode_replay,
    encode_holdings,
    encode_replay,
    outline_of,
)
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import CostMethod, PortfolioPolicy, TransactionType, symbols_of
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


def test_the_whole_replay_reads_back_exactly() -> None:
    for method in CostMethod:
        policy = PortfolioPolicy(cost_method=method, tracks_cash=method is CostMethod.AVERAGE)
        entries, _ = _ledger(7)
        if policy.tracks_cash:
            entries.insert(
                0,
                build_transaction(
                    TransactionInput(T.DEPOSIT, date(2025, 3, 3), amount=D("10000000")), policy
                ),
            )
        ledger = [replace(tx, id=i + 1) for i, tx in enumerate(entries)]
        book = replay(ledger, policy)
        holdings = decode_holdings(_through_json(encode_holdings(book)), method)
        assert holdings is not None
        back = decode_replay(_through_json(encode_replay(ledger, book)), holdings)
        assert back is not None
        assert back == (ledger, book)
        assert [str(tx.price) for tx in back[0]] == [str(tx.price) for tx in ledger]
        assert len(back[1].trail) == len(ledger) and back[1].disposals
        # The trail's entries are the ledger's own objects, as the replay's are.
        assert {id(s.transaction) for s in back[1].trail} == {id(tx) for tx in back[0]}


def test_a_replay_of_another_format_or_cost_method_is_not_read() -> None:
    entries, _ = _ledger(8)
    book = replay(entries, PortfolioPolicy())
    holdings = decode_holdings(encode_holdings(book), CostMethod.FIFO)
    assert holdings is not None
    data = encode_replay(entries, book)
    assert decode_replay({**data, "format": FORMAT + 1}, holdings) is None
    assert decode_replay({**data, "method": "AVERAGE"}, holdings) is None


def test_the_stored_holdings_outline_the_ledger() -> None:
    entries, _ = _ledger(10)
    entries.append(
        build_transaction(
            TransactionInput(T.FEE, date(2025, 3, 3), symbol="ZZZ", amount=D("50")),
            PortfolioPolicy(),
        )
    )
    book = replay(entries, PortfolioPolicy())
    outline = outline_of(_through_json(encode_holdings(book)))
    assert outline is not None
    assert outline.symbols == tuple(symbols_of(entries)) and "ZZZ" in outline.symbols
    assert outline.first_trade == min(tx.trade_date for tx in entries)
    empty = outline_of(encode_holdings(replay([], PortfolioPolicy())))
    assert empty == Outline((), None)
    assert outline_of({**encode_holdings(book), "format": FORMAT + 1}) is None
