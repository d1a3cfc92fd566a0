"""A trail's columns (what a valuation reads instead of its steps) hold exactly the steps'
numbers, exist only where those are exact in int64 paisa, and a replay read back from its
stored book values, performs and selects window entries as the replay itself does, making
only the entries a window reads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.portfolios.books import decode_holdings, decode_replay, encode_holdings, encode_replay
from domain.portfolios.holdings import Book, Step
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import CostMethod, PortfolioPolicy, Transaction, TransactionType
from domain.portfolios.lots import replay
from domain.portfolios.performance import performance
from domain.portfolios.trail import (
    NO_PRICE,
    ColumnarTrail,
    columns_of,
    steps_between,
    trail_columns,
)
from domain.portfolios.valuation import _in_decimals, _in_paisa, valuation_series
from tests.domain.test_portfolios_fast_paths import _as_text, _ledger

D = Decimal
T = TransactionType
POLICY = PortfolioPolicy()
CASH = PortfolioPolicy(cost_method=CostMethod.AVERAGE, tracks_cash=True)


def _with_ids(entries: list[Transaction]) -> list[Transaction]:
    return [replace(tx, id=i + 1) for i, tx in enumerate(entries)]


def _stored(ledger: list[Transaction], policy: PortfolioPolicy) -> tuple[list[Transaction], Book]:
    """The ledger and book as a cold process reads them back from the stored book."""
    book = replay(ledger, policy)
    holdings = decode_holdings(json.loads(json.dumps(encode_holdings(book))), policy.cost_method)
    assert holdings is not None
    back = decode_replay(json.loads(json.dumps(encode_replay(ledger, book))), holdings)
    assert back is not None
    return list(back[0]), back[1]


def _cash_ledger(seed: int) -> list[Transaction]:
    entries, _ = _ledger(seed)
    deposit = TransactionInput(T.DEPOSIT, date(2025, 3, 3), amount=D("10000000"))
    fee = TransactionInput(T.FEE, date(2025, 4, 1), amount=D("250.50"))
    extra = [build_transaction(deposit, CASH), build_transaction(fee, CASH)]
    return sorted(extra + entries, key=lambda tx: tx.trade_date)


def test_the_columns_hold_each_steps_numbers() -> None:
    entries, _ = _ledger(21)
    book = replay(entries, POLICY)
    columns = columns_of(book.trail)
    assert columns is not None and len(columns) == len(book.trail)
    for i, step in enumerate(book.trail):
        tx = step.transaction
        assert columns.day[i] == tx.trade_date.toordinal()
        assert columns.symbols[columns.symbol[i]] == tx.symbol
        priced = tx.type in (T.BUY, T.SELL, T.RIGHT)
        assert columns.price[i] == (int(tx.price * 100) if priced else NO_PRICE)
        assert columns.quantity[i] == step.quantity
        assert columns.cost[i] == int(step.cost * 100)
        assert columns.flow[i] == int(step.flow * 100)
        assert columns.flow_places[i] == -int(step.flow.as_tuple().exponent)
        assert (columns.cash[i], columns.costs[i]) == (step.cash, step.cost)


HUNDRED = D("100.00")


def _step(tx: Transaction, cost: Decimal = HUNDRED) -> Step:
    return Step(tx, 10, cost, D(0), cost)


def test_amounts_not_exact_in_paisa_leave_a_trail_without_columns() -> None:
    buy = Transaction(T.BUY, date(2025, 3, 3), date(2025, 3, 5), "AAA", 10, D("10.00"))
    assert columns_of([_step(buy)]) is not None
    # A price of a fraction of a paisa, a cost of three decimals, too many shares.
    assert columns_of([_step(replace(buy, price=D("10.005")))]) is None
    assert columns_of([_step(buy, D("100.010"))]) is None
    assert columns_of([_step(buy, D("100.125"))]) is None
    assert columns_of([replace(_step(buy), quantity=2**62)]) is None
    # A flow of a fraction of a paisa, or written with a positive exponent.
    assert columns_of([replace(_step(buy), flow=D("100.005"))]) is None
    assert columns_of([replace(_step(buy), flow=D("1E+3"))]) is None
    whole = columns_of([replace(_step(buy), flow=D("1000"))])
    assert whole is not None and whole.flow_places.tolist() == [0]
    # Steps out of date order.
    earlier = replace(buy, trade_date=date(2025, 3, 1))
    assert columns_of([_step(buy), _step(earlier)]) is None
    # A fee has no price.
    fee = Transaction(T.FEE, date(2025, 3, 3), date(2025, 3, 3), None, 0, amount=D("5"))
    columns = columns_of([Step(fee, 0, D(0), D(0), D("5"))])
    assert columns is not None and columns.price.tolist() == [NO_PRICE]
    assert columns.symbol.tolist() == [-1] and columns.symbols == ()


def test_without_columns_the_valuation_is_the_decimal_one() -> None:
    buy = Transaction(
        T.BUY, date(2025, 3, 3), date(2025, 3, 5), "AAA", 10, D("10.005"), fees=D("0.01")
    )
    book = replay([buy], POLICY)
    trail = book.trail
    assert columns_of(trail) is None
    sessions = [date(2025, 3, 3), date(2025, 3, 4)]
    closes = {"AAA": {date(2025, 3, 4): D("10.20")}}
    assert _in_paisa(sessions, trail, closes, tracks_cash=False) is None
    points = valuation_series([buy], POLICY, closes, days=sessions, book=book)
    assert _as_text(points) == _as_text(_in_decimals(sessions, trail, closes, tracks_cash=False))


@pytest.mark.parametrize("policy", [POLICY, CASH], ids=["holdings", "cash"])
def test_a_stored_replay_values_and_performs_as_the_replay(policy: PortfolioPolicy) -> None:
    for seed in (3, 4, 5):
        entries, closes = _ledger(seed)
        ledger = _with_ids(_cash_ledger(seed) if policy.tracks_cash else entries)
        live = replay(ledger, policy)
        stored_ledger, stored = _stored(ledger, policy)
        assert isinstance(stored.trail, ColumnarTrail)
        assert trail_columns(stored.trail) is not None
        assert _as_text(valuation_series(ledger, policy, closes, book=stored)) == _as_text(
            valuation_series(ledger, policy, closes, book=live)
        )
        days = sorted({d for c in closes.values() for d in c})
        for start in (None, days[10], days[40]):
            expected = performance(ledger, policy, closes, start=start, book=live)
            assert performance(stored_ledger, policy, closes, start=start, book=stored) == (
                expected
            )


def test_a_late_window_makes_only_its_own_entries() -> None:
    entries, closes = _ledger(6)
    ledger = _with_ids(entries)
    book = replay(ledger, POLICY)
    holdings = decode_holdings(encode_holdings(book), POLICY.cost_method)
    assert holdings is not None
    back = decode_replay(json.loads(json.dumps(encode_replay(ledger, book))), holdings)
    assert back is not None
    stored_ledger, stored = back
    days = sorted({d for c in closes.values() for d in c})
    start = days[-5]
    result = performance(stored_ledger, POLICY, closes, start=start, book=stored)
    assert result == performance(ledger, POLICY, closes, start=start, book=book)
    made = sum(x is not None for x in stored.trail._made)  # type: ignore[attr-defined]
    inside = sum(1 for tx in ledger if tx.trade_date > days[-6])
    # The window's entries, and the first (the ledger's first trade date).
    assert made <= inside + 1 < len(ledger) // 4


def test_steps_between_selects_by_trade_date_with_or_without_columns() -> None:
    entries, _ = _ledger(9)
    ledger = _with_ids(entries)
    _, stored = _stored(ledger, POLICY)
    plain = replay(ledger, POLICY).trail
    first, last = ledger[0].trade_date, ledger[-1].trade_date
    for after, until in (
        (date.min, last),
        (first, first + timedelta(days=10)),
        (first + timedelta(days=20), first + timedelta(days=19)),
        (last, last + timedelta(days=5)),
    ):
        expected = [s for s in plain if after < s.transaction.trade_date <= until]
        assert list(steps_between(plain, after, until)) == expected
        assert list(steps_between(stored.trail, after, until)) == expected


def test_a_replays_trail_makes_its_columns_once() -> None:
    entries, _ = _ledger(12)
    trail = replay(entries, POLICY).trail
    assert isinstance(trail, ColumnarTrail)
    columns = trail_columns(trail)
    assert columns is not None and trail_columns(trail) is columns
    made = columns_of(tuple(trail))
    assert made is not None and made.cost.tolist() == columns.cost.tolist()
    assert trail == tuple(trail) and trail[1:3] == tuple(trail)[1:3]
