"""The shortcuts the API relies on give the same figures as the plain definitions: a
valuation that keeps each symbol's holding between its own entries equals replaying the
ledger up to every session, and `performance(book=...)` equals replaying it inside."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from domain.markets.costs import to_paisa
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import CostMethod, PortfolioPolicy, Transaction, TransactionType
from domain.portfolios.lots import replay
from domain.portfolios.performance import performance
from domain.portfolios.valuation import (
    CloseSeries,
    ValuationPoint,
    _in_decimals,
    _in_paisa,
    external_flow,
    session_days,
    valuation_series,
)

D = Decimal
POLICY = PortfolioPolicy()
AVERAGE = PortfolioPolicy(cost_method=CostMethod.AVERAGE)


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


def _as_text(points: tuple[ValuationPoint, ...]) -> list[tuple[object, ...]]:
    """Every field of every point, money as text: equal values with other exponents differ."""
    return [
        (
            p.day,
            str(p.value),
            str(p.holdings_value),
            str(p.cash),
            str(p.flow),
            str(p.cost_basis),
            sorted((s, str(v)) for s, v in p.market_values.items()),
            p.daily_return,
        )
        for p in points
    ]


def test_the_valuation_in_paisa_equals_the_one_in_decimals() -> None:
    for seed, policy in ((11, POLICY), (12, PortfolioPolicy(tracks_cash=True)), (13, AVERAGE)):
        entries, closes = _ledger(seed)
        if policy.tracks_cash:
            deposit = TransactionInput(TransactionType.DEPOSIT, date(2025, 3, 1), amount=D(10**7))
            entries.insert(0, build_transaction(deposit, policy))
        # A symbol with no closes at all (valued at its trade price), one bought on a day
        # that is no session, and closes of days that are not sessions.
        entries.append(
            build_transaction(
                TransactionInput(
                    TransactionType.BUY, date(2025, 4, 7), symbol="DDD", quantity=7, price=D("12.5")
                ),
                policy,
            )
        )
        entries.append(
            build_transaction(
                TransactionInput(TransactionType.BONUS, date(2025, 4, 5), symbol="AAA", quantity=3),
                policy,
            )
        )
        entries.sort(key=lambda e: e.trade_date)
        closes["AAA"][date(2025, 3, 8)] = D("99.99")
        trail = replay(entries, policy).trail
        sessions = session_days(entries, closes)
        fast = _in_paisa(sessions, trail, closes, tracks_cash=policy.tracks_cash)
        assert fast is not None
        slow = _in_decimals(sessions, trail, closes, tracks_cash=policy.tracks_cash)
        assert _as_text(fast) == _as_text(slow), seed
        assert any("DDD" in p.market_values for p in fast)


def test_amounts_that_are_not_whole_paisa_are_valued_in_decimals() -> None:
    entries, closes = _ledger(14)
    trail = replay(entries, POLICY).trail
    sessions = session_days(entries, closes)
    odd = {**closes, "AAA": {**closes["AAA"], sessions[5]: D("100.005")}}
    assert _in_paisa(sessions, trail, odd, tracks_cash=False) is None
    points = valuation_series(entries, POLICY, odd)
    assert _as_text(points) == _as_text(_in_decimals(sessions, trail, odd, tracks_cash=False))
    # A cost with more than two decimals is kept as the Decimal sums keep it.
    three = [replace(s, cost=s.cost.quantize(D("0.001"))) for s in trail]
    assert _in_paisa(sessions, three, closes, tracks_cash=False) is None


def test_a_holding_with_neither_close_nor_trade_price_is_valued_at_its_own_cost() -> None:
    bonus = build_transaction(
        TransactionInput(TransactionType.BONUS, date(2025, 3, 4), symbol="EEE", quantity=10),
        POLICY,
    )
    buy = build_transaction(
        TransactionInput(
            TransactionType.BUY, date(2025, 3, 4), symbol="FFF", quantity=10, price=D("10")
        ),
        POLICY,
    )
    trail = replay([bonus, buy], POLICY).trail
    sessions = [date(2025, 3, 4), date(2025, 3, 5)]
    fast = _in_paisa(sessions, trail, {}, tracks_cash=False)
    assert fast is not None
    assert _as_text(fast) == _as_text(_in_decimals(sessions, trail, {}, tracks_cash=False))
    assert str(fast[-1].market_values["EEE"]) == str(trail[0].cost)


def test_amounts_too_large_for_int64_are_valued_in_decimals() -> None:
    day = date(2025, 3, 4)
    buy = TransactionInput(
        TransactionType.BUY, day, symbol="AAA", quantity=10**11, price=D("999999.99")
    )
    entries = [build_transaction(buy, POLICY)]
    closes = {"AAA": {day: D("999999.99")}}
    trail = replay(entries, POLICY).trail
    assert _in_paisa([day], trail, closes, tracks_cash=False) is None
    (point,) = valuation_series(entries, POLICY, closes)
    assert point.holdings_value == D("999999.99") * 10**11


def test_a_close_series_in_paisa_values_as_the_closes_by_day() -> None:
    entries, closes = _ledger(15)
    kept = {s: CloseSeries.of(c) for s, c in closes.items()}
    assert all(series.paisa is not None for series in kept.values())
    assert {s: dict(series) for s, series in kept.items()} == closes
    # The same series as the database gives it: ordinals and paisa, no Decimal mapping.
    raw = {s: CloseSeries(series.ordinals, series.paisa) for s, series in kept.items()}
    plain = _as_text(valuation_series(entries, POLICY, closes))
    assert _as_text(valuation_series(entries, POLICY, kept)) == plain
    assert _as_text(valuation_series(entries, POLICY, raw)) == plain
    odd = CloseSeries.of({**closes["AAA"], min(closes["AAA"]): D("1.001")})
    assert odd.paisa is None
    assert odd[min(closes["AAA"])] == D("1.001")
    fallback = valuation_series(entries, POLICY, {**kept, "AAA": odd})
    odd_plain = valuation_series(entries, POLICY, {**closes, "AAA": dict(odd)})
    assert _as_text(fallback) == _as_text(odd_plain)


def test_a_close_series_from_a_day_carries_the_close_before_it() -> None:
    days = [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 6)]
    series = CloseSeries.of(dict(zip(days, (D("10.00"), D("10.50"), D("11.25")), strict=True)))
    assert dict(series.from_day(date(2025, 3, 5))) == {
        date(2025, 3, 5): D("10.50"),
        date(2025, 3, 6): D("11.25"),
    }
    assert dict(series.from_day(date(2025, 3, 4))) == {
        date(2025, 3, 4): D("10.50"),
        date(2025, 3, 6): D("11.25"),
    }
    assert dict(series.from_day(date(2025, 3, 1))) == dict(series)
    assert dict(series.from_day(date(2025, 3, 9))) == {date(2025, 3, 9): D("11.25")}
    assert series.levels().tolist() == [10.0, 10.5, 11.25]
