"""The shortcuts the API relies on give the same figures as the plain definitions: a
valuation that keeps each symbol's holding between its own entries equals replaying the
ledger up to every session, and `performance(book=...)` equals replaying it inside."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from domain.markets.costs import to_paisa
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import PortfolioPolicy, Transaction, TransactionType
from domain.portfolios.lots import replay
from domain.portfolios.performance import performance
from domain.portfolios.valuation import external_flow, valuation_series

D = Decimal
POLICY = PortfolioPolicy()


def _ledger(seed: int) -> tuple[list[Transaction], dict[str, dict[date, Decimal]]]:
    """Random trades in three symbols over 60 weekdays, closes on most days, a split."""
    rng = random.Random(seed)
    days = [date(2025, 3, 3) + timedelta(days=i) for i in range(84)]
    sessions = [d for d in days if d.weekday() < 5]
    closes = {
        s: {d: D(rng.randrange(5000, 15000)) / 100 for d in sessions if rng.random() < 0.9}
        for s in ("AAA", "BBB", "CCC")
    }
    held = dict.fromkeys(closes, 0)
    entries: list[Transaction] = []
    for d in sessions:
        for s in closes:
            if rng.random() > 0.3:
                continue
            price = D(rng.randrange(5000, 15000)) / 100
            if held[s] > 10 and rng.random() < 0.4:
                qty = rng.randrange(1, held[s])
                kind = TransactionType.SELL
                held[s] -= qty
            else:
                qty = rng.randrange(10, 200)
                kind = TransactionType.BUY
                held[s] += qty
            inp = TransactionInput(kind, d, symbol=s, quantity=qty, price=price)
            entries.append(build_transaction(inp, POLICY))
    split_day = sessions[30]
    entries.append(
        build_transaction(
            TransactionInput(TransactionType.SPLIT, split_day, symbol="AAA", ratio=D(2)), POLICY
        )
    )
    entries.sort(key=lambda e: e.trade_date)
    return entries, closes


def test_the_valuation_equals_replaying_the_ledger_up_to_each_session() -> None:
    for seed in (1, 2, 3):
        entries, closes = _ledger(seed)
        points = valuation_series(entries, POLICY, closes)
        for point in points:
            book = replay(entries, POLICY, as_of=point.day)
            expected: dict[str, Decimal] = {}
            for h in book.open_holdings:
                # The latest of its closes and its trade prices up to the day; a close wins
                # its own day (True sorts after False).
                candidates = [(d, True, c) for d, c in closes[h.symbol].items() if d <= point.day]
                candidates += [
                    (t.trade_date, False, t.price)
                    for t in entries
                    if t.symbol == h.symbol
                    and t.trade_date <= point.day
                    and t.type in (TransactionType.BUY, TransactionType.SELL)
                ]
                price = max(candidates)[2]
                expected[h.symbol] = to_paisa(price * h.quantity)
            assert dict(point.market_values) == expected, (seed, point.day)
            assert point.cost_basis == sum((h.cost for h in book.open_holdings), D(0))


def test_performance_with_the_book_given_equals_replaying_inside() -> None:
    entries, closes = _ledger(4)
    start = date(2025, 4, 1)
    plain = performance(entries, POLICY, closes, start=start)
    given = performance(entries, POLICY, closes, start=start, book=replay(entries, POLICY))
    assert plain is not None and plain == given
    assert plain.realised_pnl != 0


def test_the_trail_states_each_entrys_holding_flow_and_gain() -> None:
    for policy in (POLICY, PortfolioPolicy(tracks_cash=True)):
        entries, _ = _ledger(9)
        if policy.tracks_cash:
            deposit = TransactionInput(TransactionType.DEPOSIT, date(2025, 3, 3), amount=D(10**7))
            entries.insert(0, build_transaction(deposit, policy))
        book = replay(entries, policy)
        last = {s.transaction.symbol: s for s in book.trail if s.transaction.symbol is not None}
        for h in book.holdings:
            assert (last[h.symbol].quantity, last[h.symbol].cost) == (h.quantity, h.cost)
        assert [s.flow for s in book.trail] == [
            external_flow(s.transaction, policy) for s in book.trail
        ]
        gains = [s.gain for s in book.trail if s.gain is not None]
        assert gains == [d.gain for d in book.disposals] and sum(gains, D(0)) == book.realised
        assert book.trail[-1].cash == book.cash or not policy.tracks_cash
