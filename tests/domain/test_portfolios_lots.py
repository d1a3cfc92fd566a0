"""Lots, positions and corporate actions replayed from a broker-statement-like ledger
(tests/fixtures/portfolios.py has the statement with its hand-worked charges)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import DomainError, ErrorCode
from domain.markets.instruments import CorporateAction, CorporateActionKind
from domain.portfolios.corporate_actions import (
    applied_action_ids,
    pending_entries,
    right_entitlement,
    stale_entitlements,
)
from domain.portfolios.holdings import Lot, LotMatch
from domain.portfolios.ledger import CostMethod, PortfolioPolicy, Transaction, TransactionType
from domain.portfolios.lots import capital_gains_by_tax_year, holdings_before, replay
from domain.portfolios.positions import PriceQuote, value_book
from tests.fixtures.portfolios import statement, tx

D = Decimal
T = TransactionType
K = CorporateActionKind
FIFO = PortfolioPolicy()
AVERAGE = PortfolioPolicy(cost_method=CostMethod.AVERAGE)
FIFO_CASH = PortfolioPolicy(tracks_cash=True)
AVERAGE_CASH = PortfolioPolicy(cost_method=CostMethod.AVERAGE, tracks_cash=True)
HUBC_ID = 7


def test_statement_charges_match_the_hand_worked_contract_notes() -> None:
    buy1, buy2, sell1, dividend, _, _, sell2 = statement(FIFO)
    assert (buy1.fees, buy1.taxes, buy1.cash_effect) == (D("18.64"), D("3.54"), D("-12022.18"))
    assert (buy2.fees, buy2.taxes, buy2.cash_effect) == (D("41.99"), D("7.99"), D("-27149.98"))
    assert (sell1.fees, sell1.taxes, sell1.cash_effect) == (D("34.80"), D("4.39"), D("22460.81"))
    assert (dividend.taxes, dividend.cash_effect) == (D("90.00"), D("510.00"))
    assert (sell2.fees, sell2.taxes, sell2.cash_effect) == (D("22.08"), D("2.73"), D("13975.19"))


def test_fifo_sells_the_oldest_lot_first() -> None:
    book = replay(statement(FIFO), FIFO)
    first, second = book.disposals
    # 100 from the first lot (12,022.18) and 50 of the second: 27,149.98 × 50/200 = 6,787.495
    # → 6,787.50; gain 22,460.81 - 18,809.68.
    assert first.matches == (
        LotMatch(date(2025, 1, 6), 100, D("12022.18"), 1),
        LotMatch(date(2025, 2, 3), 50, D("6787.50"), 2),
    )
    assert (first.cost, first.proceeds, first.gain) == (D("18809.68"), D("22460.81"), D("3651.13"))
    # After the bonus (15 at no cost) and the split (×2): 300 @ 20,362.48 and 30 @ 0.
    # 200 sold from the 300: 20,362.48 × 2/3 = 13,574.9866 → 13,574.99; gain 400.20.
    assert second.matches == (LotMatch(date(2025, 2, 3), 200, D("13574.99"), 2),)
    assert second.gain == D("400.20")
    hubc = book.holding("HUBC")
    assert hubc is not None
    assert hubc.lots == (
        Lot("HUBC", date(2025, 2, 3), 100, D("6787.49"), 2),
        Lot("HUBC", date(2025, 5, 12), 30, D("0.00"), 5),
    )
    assert (hubc.quantity, hubc.cost, hubc.average_cost) == (130, D("6787.49"), D("52.2115"))
    assert (hubc.realised, hubc.dividends, hubc.dividend_tax) == (
        D("4051.33"),
        D("510.00"),
        D("90.00"),
    )
    assert book.realised == D("4051.33")


def test_average_cost_sells_at_the_pooled_cost() -> None:
    book = replay(statement(AVERAGE), AVERAGE)
    first, second = book.disposals
    # Pool: 300 shares for 39,172.16; half sold costs 19,586.08, gain 2,874.73.
    assert (first.cost, first.gain) == (D("19586.08"), D("2874.73"))
    # Bonus: 165 for 19,586.08 (average 118.7035); split: 330. 200 sold:
    # 19,586.08 × 200/330 = 11,870.3515 → 11,870.35, gain 13,975.19 - 11,870.35 = 2,104.84.
    assert (second.cost, second.gain) == (D("11870.35"), D("2104.84"))
    hubc = book.holding("HUBC")
    assert hubc is not None
    assert (hubc.quantity, hubc.cost, hubc.average_cost) == (130, D("7715.73"), D("59.3518"))
    assert hubc.lots == (Lot("HUBC", date(2025, 1, 6), 130, D("7715.73"), 1),)
    assert book.realised == D("4979.57")


@pytest.mark.parametrize("policy", [FIFO, AVERAGE])
def test_cost_is_conserved_between_sales_and_what_is_left(policy: PortfolioPolicy) -> None:
    book = replay(statement(policy), policy)
    sold = sum((d.cost for d in book.disposals), D(0))
    assert sold + book.holdings[0].cost == D("12022.18") + D("27149.98")


def test_bonus_lowers_the_average_cost_and_keeps_the_cost() -> None:
    entries = statement(FIFO)
    before = replay(entries, FIFO, as_of=date(2025, 5, 11)).holding("HUBC")
    after = replay(entries, FIFO, as_of=date(2025, 5, 12)).holding("HUBC")
    assert before is not None and after is not None
    # 150 @ 20,362.48 (135.7499 each) → 165 for the same cost: 123.4090 each (÷ 1.1).
    assert (before.quantity, before.average_cost) == (150, D("135.7499"))
    assert (after.quantity, after.cost, after.average_cost) == (165, D("20362.48"), D("123.4090"))


def test_cash_portfolio_totals() -> None:
    book = replay(statement(FIFO_CASH), FIFO_CASH)
    # 50,000 - 12,022.18 - 27,149.98 + 22,460.81 + 510.00 + 13,975.19 - 5,000 = 42,773.84.
    assert book.cash == D("42773.84")
    assert book.net_invested == D("45000.00")
    assert (book.fees, book.taxes) == (D("117.51"), D("108.65"))
    assert (book.dividends_gross, book.dividend_tax) == (D("600.00"), D("90.00"))
    # Cash does not depend on how sales are matched.
    assert replay(statement(AVERAGE_CASH), AVERAGE_CASH).cash == D("42773.84")
    holdings_only = replay(statement(FIFO), FIFO)
    assert holdings_only.cash is None
    # Paid in: 39,172.16 for the purchases, less 22,460.81 + 510.00 + 13,975.19 taken out.
    assert holdings_only.net_invested == D("2226.16")


def test_selling_more_than_is_held_is_an_error() -> None:
    entries = statement(FIFO)
    oversell = tx(FIFO, T.SELL, date(2025, 3, 10), symbol="HUBC", quantity=301, price=D("150"))
    with pytest.raises(DomainError) as caught:
        replay([*entries[:2], oversell], FIFO)
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, "input.quantity")
    assert caught.value.message == "Cannot sell 301 HUBC on 2025-03-10: 300 held."
    never = tx(FIFO, T.SELL, date(2025, 1, 6), symbol="OGDC", quantity=1, price=D("100"))
    with pytest.raises(DomainError) as nothing:
        replay([never], FIFO)
    assert nothing.value.message == "Cannot sell 1 OGDC on 2025-01-06: 0 held."


def test_a_back_dated_sale_that_starves_a_later_one_is_refused() -> None:
    # Selling 100 on 2 May leaves 50; after the bonus (5) and split, 110 < the 200 sold in July.
    early = tx(FIFO, T.SELL, date(2025, 5, 2), symbol="HUBC", quantity=100, price=D("140"))
    with pytest.raises(DomainError, match="Cannot sell 200 HUBC on 2025-07-14: 130 held") as caught:
        replay([*statement(FIFO), early], FIFO, path="transactions[3]")
    assert caught.value.field == "transactions[3].quantity"


def test_cash_may_not_end_a_day_below_zero() -> None:
    entries = statement(FIFO_CASH)
    big = tx(FIFO_CASH, T.WITHDRAWAL, date(2025, 1, 6), amount=D("37978.00"))
    # 50,000 - 12,022.18 = 37,977.82 left on 6 Jan: 0.18 short.
    with pytest.raises(DomainError) as caught:
        replay([*entries, big], FIFO_CASH)
    assert caught.value.field == "input.amount"
    assert caught.value.message == (
        "Cash would fall to Rs -0.18 on 2025-01-06: record a deposit first."
    )
    # A buy before its deposit on the same day is fine: the day ends in credit.
    day = date(2025, 9, 1)
    late_buy = tx(FIFO_CASH, T.BUY, day, symbol="OGDC", quantity=500, price=D("200"))
    late_deposit = tx(FIFO_CASH, T.DEPOSIT, day, amount=D("60000"))
    assert replay([*entries, late_buy, late_deposit], FIFO_CASH).holding("OGDC") is not None
    with pytest.raises(DomainError) as short:
        replay([*entries, late_buy], FIFO_CASH)
    # 42,773.84 - (100,000 + 150 + 19.50 + 10 + 2 + 2 fees/taxes) → the buy is to blame.
    assert short.value.field == "input.quantity"


def test_split_shares_whole_shares_between_lots_by_largest_remainder() -> None:
    day1, day2, day3, ex = date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 8), date(2025, 2, 3)
    free = {"fees": D("0"), "taxes": D("0")}
    lots = [
        tx(FIFO, T.BUY, day1, symbol="PSO", quantity=3, price=D("100"), **free),
        tx(FIFO, T.BUY, day2, symbol="PSO", quantity=3, price=D("110"), **free),
        tx(FIFO, T.BUY, day3, symbol="PSO", quantity=5, price=D("120"), **free),
    ]
    # 11 shares × 1.5 = 16.5 → 16 whole: 4.5, 4.5, 7.5 floor to 4, 4, 7 (15); the one share
    # left goes to the largest remainder, the oldest of the tie.
    split = tx(FIFO, T.SPLIT, ex, symbol="PSO", ratio=D("1.5"))
    held = replay([*lots, split], FIFO).holding("PSO")
    assert held is not None
    assert [(lot.quantity, lot.cost) for lot in held.lots] == [
        (5, D("300.00")),
        (4, D("330.00")),
        (7, D("600.00")),
    ]
    # A 1-for-3 consolidation: 1, 1, 1.67 → 3 whole of 3.67; costs stay with their lots.
    consolidation = tx(FIFO, T.SPLIT, ex, symbol="PSO", ratio=D("0.3333333333"))
    small = replay([*lots, consolidation], FIFO).holding("PSO")
    assert small is not None
    assert (small.quantity, small.cost) == (3, D("1230.00"))
    assert [lot.quantity for lot in small.lots] == [1, 1, 1]


def test_a_lot_rounded_away_by_a_consolidation_hands_its_cost_on() -> None:
    free = {"fees": D("0"), "taxes": D("0")}
    entries = [
        tx(FIFO, T.BUY, date(2025, 1, 6), symbol="PSO", quantity=1, price=D("100"), **free),
        tx(FIFO, T.BUY, date(2025, 1, 7), symbol="PSO", quantity=9, price=D("100"), **free),
        tx(FIFO, T.SPLIT, date(2025, 2, 3), symbol="PSO", ratio=D("0.2")),
    ]
    held = replay(entries, FIFO).holding("PSO")
    assert held is not None
    # 0.2 and 1.8 → 2 whole: 0 and 1, plus the largest remainder (0.8) → 0 and 2.
    assert [(lot.quantity, lot.cost) for lot in held.lots] == [(2, D("1000.00"))]


def test_split_of_nothing_and_a_split_to_nothing_are_errors() -> None:
    with pytest.raises(DomainError) as none:
        replay([tx(FIFO, T.SPLIT, date(2025, 2, 3), symbol="PSO", ratio=D("2"))], FIFO)
    assert none.value.field == "input.symbol"
    one = tx(FIFO, T.BUY, date(2025, 1, 6), symbol="PSO", quantity=1, price=D("100"))
    with pytest.raises(DomainError) as tiny:
        replay([one, tx(FIFO, T.SPLIT, date(2025, 2, 3), symbol="PSO", ratio=D("0.5"))], FIFO)
    assert tiny.value.field == "input.ratio"


def test_right_shares_are_a_lot_at_the_subscription_price() -> None:
    right = tx(FIFO, T.RIGHT, date(2025, 9, 1), symbol="HUBC", quantity=26, price=D("10"))
    held = replay([*statement(FIFO), right], FIFO).holding("HUBC")
    assert held is not None
    assert held.lots[-1] == Lot("HUBC", date(2025, 9, 1), 26, D("260.00"), None)
    assert (held.quantity, held.cost) == (156, D("7047.49"))


def test_capital_gains_are_netted_by_tax_year() -> None:
    book = replay(statement(FIFO), FIFO)
    years = capital_gains_by_tax_year(book.disposals)
    # 10 Mar 2025 is in tax year 2025 (Jul 2024-Jun 2025), 14 Jul 2025 in 2026.
    assert [(y.tax_year, y.net_gain, y.tax) for y in years] == [
        (2025, D("3651.13"), D("547.67")),
        (2026, D("400.20"), D("60.03")),
    ]


def test_positions_at_prices() -> None:
    book = replay(statement(FIFO_CASH), FIFO_CASH)
    valued = value_book(book, {"HUBC": PriceQuote(D("72.50"), D("71.00"))})
    (hubc,) = valued.positions
    # 130 × 72.50 = 9,425.00 against a cost of 6,787.49; cash 42,773.84 → total 52,198.84.
    assert (hubc.market_value, hubc.unrealised_pnl) == (D("9425.00"), D("2637.51"))
    assert hubc.unrealised_pnl_pct == pytest.approx(2637.51 / 6787.49 * 100)
    assert valued.total_value == D("52198.84")
    assert hubc.weight == pytest.approx(9425.00 / 52198.84)
    # Day change: 130 × (72.50 - 71.00) = 195.00, +2.1127%.
    assert (hubc.day_change, valued.day_change) == (D("195.00"), D("195.00"))
    assert hubc.day_change_pct == pytest.approx(1.5 / 71 * 100)
    assert (hubc.realised_pnl, hubc.dividends) == (D("4051.33"), D("510.00"))
    assert valued.unpriced == ()


def test_an_unpriced_holding_counts_at_cost_and_is_flagged() -> None:
    entries = [
        *statement(FIFO),
        tx(FIFO, T.BUY, date(2025, 9, 1), symbol="OGDC", quantity=10, price=D("200")),
    ]
    valued = value_book(replay(entries, FIFO), {"HUBC": PriceQuote(D("72.50"))})
    ogdc = next(p for p in valued.positions if p.symbol == "OGDC")
    assert (ogdc.market_value, ogdc.weight, ogdc.unrealised_pnl) == (None, None, None)
    # 10 × 200 = 2,000 + fees 3.00 + 0.04 + 0.04, taxes 0.39 + 0.20 → cost 2,003.67.
    assert ogdc.cost_basis == D("2003.67")
    assert valued.holdings_value == D("9425.00") + D("2003.67")
    assert valued.unpriced == ("OGDC",)
    hubc = next(p for p in valued.positions if p.symbol == "HUBC")
    assert hubc.day_change is None


def test_closed_positions_are_listed_on_request() -> None:
    entries = [
        tx(
            FIFO,
            T.BUY,
            date(2025, 1, 6),
            symbol="PSO",
            quantity=10,
            price=D("100"),
            fees=D("0"),
            taxes=D("0"),
        ),
        tx(
            FIFO,
            T.SELL,
            date(2025, 1, 7),
            symbol="PSO",
            quantity=10,
            price=D("110"),
            fees=D("0"),
            taxes=D("0"),
        ),
    ]
    book = replay(entries, FIFO)
    assert value_book(book, {}).positions == ()
    (closed,) = value_book(book, {}, include_closed=True).positions
    assert (closed.quantity, closed.realised_pnl, closed.average_cost) == (0, D("100.00"), None)


ACTIONS = [
    CorporateAction(
        101, HUBC_ID, K.CASH_DIVIDEND, date(2025, 4, 14), D("4.00"), None, "Final dividend 40%"
    ),
    CorporateAction(102, HUBC_ID, K.BONUS, date(2025, 5, 12), D("10"), None, "Bonus 10%"),
    CorporateAction(103, HUBC_ID, K.SPLIT, date(2025, 6, 16), D("2"), None, "Split 2 for 1"),
    CorporateAction(
        104, HUBC_ID, K.CASH_DIVIDEND, date(2025, 8, 18), D("2.50"), None, "Interim dividend"
    ),
    CorporateAction(105, HUBC_ID, K.RIGHT, date(2025, 9, 1), D("20"), D("10"), "Right 20% at par"),
    CorporateAction(106, 99, K.CASH_DIVIDEND, date(2025, 4, 14), D("9.00"), None, "Not held"),
    CorporateAction(107, HUBC_ID, K.CASH_DIVIDEND, date(2026, 1, 5), D("3.00"), None, "Not yet ex"),
]
SYMBOLS = {HUBC_ID: "HUBC", 99: "OGDC"}


def trades_only(policy: PortfolioPolicy) -> list[Transaction]:
    return [t for t in statement(policy) if t.type in (T.BUY, T.SELL, T.DEPOSIT, T.WITHDRAWAL)]


def test_corporate_actions_generate_the_statement_entries() -> None:
    entries = trades_only(FIFO)
    new = pending_entries(entries, ACTIONS, SYMBOLS, FIFO, as_of=date(2025, 12, 31))
    assert [
        (t.type, t.trade_date, t.quantity, t.price, t.ratio, t.taxes, t.corporate_action_id)
        for t in new
    ] == [
        (T.DIVIDEND, date(2025, 4, 14), 150, D("4.00"), None, D("90.00"), 101),
        (T.BONUS, date(2025, 5, 12), 15, D("0.00"), None, D("0.00"), 102),
        (T.SPLIT, date(2025, 6, 16), 0, D("0.00"), D("2"), D("0.00"), 103),
        # Holding after the July sale: 130 shares × 2.50 = 325.00, WHT 48.75.
        (T.DIVIDEND, date(2025, 8, 18), 130, D("2.50"), None, D("48.75"), 104),
    ]
    assert new[0].note == "Final dividend 40%"
    # Replaying trades plus the generated entries gives the hand-entered statement's book.
    hand = replay(statement(FIFO), FIFO)
    auto = replay([*entries, *new[:3]], FIFO)
    shape = [(lot.acquired, lot.quantity, lot.cost) for lot in auto.holdings[0].lots]
    assert shape == [(lot.acquired, lot.quantity, lot.cost) for lot in hand.holdings[0].lots]
    assert auto.realised == hand.realised


def test_corporate_actions_are_never_applied_twice() -> None:
    entries = trades_only(FIFO)
    first = pending_entries(entries, ACTIONS, SYMBOLS, FIFO, as_of=date(2025, 12, 31))
    ledger = [*entries, *first]
    assert applied_action_ids(ledger) == {101, 102, 103, 104}
    assert pending_entries(ledger, ACTIONS, SYMBOLS, FIFO, as_of=date(2025, 12, 31)) == []
    # Duplicated actions in the input and a later date change nothing either.
    assert (
        pending_entries(ledger, [*ACTIONS, *ACTIONS], SYMBOLS, FIFO, as_of=date(2026, 1, 2)) == []
    )
    # Once the next action goes ex, only it is added.
    (later,) = pending_entries(ledger, ACTIONS, SYMBOLS, FIFO, as_of=date(2026, 1, 5))
    assert (later.corporate_action_id, later.quantity) == (107, 130)


def test_an_action_entered_by_hand_is_not_added_again() -> None:
    hand = statement(FIFO)
    new = pending_entries(hand, ACTIONS, SYMBOLS, FIFO, as_of=date(2025, 12, 31))
    assert [t.corporate_action_id for t in new] == [104]


def test_holdings_before_an_ex_date_exclude_that_days_trades() -> None:
    entries = trades_only(FIFO)
    buy_on_ex = tx(FIFO, T.BUY, date(2025, 4, 14), symbol="HUBC", quantity=50, price=D("140"))
    assert holdings_before([*entries, buy_on_ex], date(2025, 4, 14), FIFO) == {"HUBC": 150}
    new = pending_entries(
        [*entries, buy_on_ex], ACTIONS[:1], SYMBOLS, FIFO, as_of=date(2025, 4, 14)
    )
    assert new[0].quantity == 150


def test_non_filers_are_withheld_30_percent() -> None:
    policy = PortfolioPolicy(filer=False)
    (dividend,) = pending_entries(
        trades_only(policy), ACTIONS[:1], SYMBOLS, policy, as_of=date(2025, 4, 14)
    )
    assert dividend.taxes == D("180.00")


def test_rights_are_left_to_the_holder() -> None:
    right = ACTIONS[4]
    assert right_entitlement(right, 130) == 26
    assert right_entitlement(right, 4) == 0


def test_a_back_dated_trade_makes_a_generated_entitlement_stale() -> None:
    entries = trades_only(FIFO)
    ledger = [*entries, *pending_entries(entries, ACTIONS, SYMBOLS, FIFO, as_of=date(2025, 12, 31))]
    assert stale_entitlements(ledger, ACTIONS, SYMBOLS, FIFO) == []
    extra = tx(FIFO, T.BUY, date(2025, 4, 1), symbol="HUBC", quantity=50, price=D("140"))
    stale = stale_entitlements([*ledger, extra], ACTIONS, SYMBOLS, FIFO)
    # The dividend is now on 200 shares; the bonus on 200 gives 20. Each entry is judged on
    # the ledger as it stands (the stale bonus of 15 included): August's dividend is on
    # (200 + 15) × 2 - 200 = 230.
    assert [
        (s.entry.corporate_action_id, s.entry.quantity, s.expected.quantity if s.expected else None)
        for s in stale
    ] == [
        (101, 150, 200),
        (102, 15, 20),
        (104, 130, 230),
    ]
