"""Valuation series, TWR, modified Dietz, XIRR, period returns, contribution and benchmark."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from domain.errors import DomainError
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import PortfolioPolicy, Transaction, TransactionType
from domain.portfolios.lots import replay
from domain.portfolios.performance import performance
from domain.portfolios.returns import (
    PeriodReturn,
    annualise,
    chain,
    modified_dietz,
    period_returns,
    xirr,
)
from domain.portfolios.valuation import valuation_series
from tests.fixtures.portfolios import statement

D = Decimal
T = TransactionType
CASH = PortfolioPolicy(tracks_cash=True)
HOLDINGS = PortfolioPolicy()
FREE = {"fees": D("0"), "taxes": D("0")}
WEEK = [date(2025, 3, 3) + timedelta(days=i) for i in range(5)]  # Mon 3 - Fri 7 Mar 2025
ABC = {"ABC": dict(zip(WEEK, [D("100"), D("110"), D("99"), D("99"), D("108.90")], strict=True))}


def tx(policy: PortfolioPolicy, kind: T, day: date, **kwargs: object) -> Transaction:
    return build_transaction(TransactionInput(kind, day, **kwargs), policy)  # type: ignore[arg-type]


def week_ledger() -> list[Transaction]:
    """Deposit 10,000 and buy 100 ABC @ 100 on Monday; deposit 5,000 on Wednesday; withdraw
    2,000 on Friday. Closes 100, 110, 99, 99, 108.90."""
    return [
        tx(CASH, T.DEPOSIT, WEEK[0], amount=D("10000")),
        tx(CASH, T.BUY, WEEK[0], symbol="ABC", quantity=100, price=D("100"), **FREE),
        tx(CASH, T.DEPOSIT, WEEK[2], amount=D("5000")),
        tx(CASH, T.WITHDRAWAL, WEEK[4], amount=D("2000")),
    ]


def test_daily_values_and_returns_with_flows_at_the_open() -> None:
    points = valuation_series(week_ledger(), CASH, ABC)
    assert [p.value for p in points] == [
        D("10000.00"),
        D("11000.00"),
        D("14900.00"),
        D("14900.00"),
        D("13890.00"),
    ]
    assert [p.flow for p in points] == [D("10000.00"), D(0), D("5000.00"), D(0), D("-2000.00")]
    assert [p.cash for p in points] == [
        D("0.00"),
        D("0.00"),
        D("5000.00"),
        D("5000.00"),
        D("3000.00"),
    ]
    # r = V / (V_prev + flow) - 1: 10,000/10,000; 11,000/10,000; 14,900/16,000; 1; 13,890/12,900.
    expected = [0.0, 0.1, 14900 / 16000 - 1, 0.0, 13890 / 12900 - 1]
    assert [p.daily_return for p in points] == pytest.approx(expected, abs=1e-15)
    assert points[-1].market_values == {"ABC": D("10890.00")}


def test_twr_dietz_and_xirr_of_the_week() -> None:
    perf = performance(week_ledger(), CASH, ABC)
    assert perf is not None
    twr = Fraction(11, 10) * Fraction(14900, 16000) * Fraction(13890, 12900) - 1
    assert perf.twr == pytest.approx(float(twr), rel=1e-12)
    assert perf.series[-1].cumulative_return == pytest.approx(float(twr), rel=1e-12)
    # T = 5 days: weights 5/5, 3/5, 1/5; base 10,000 + 3,000 - 400 = 12,600; P&L 890.
    assert (perf.start_value, perf.end_value, perf.net_flows, perf.pnl) == (
        D(0),
        D("13890.00"),
        D("13000.00"),
        D("890.00"),
    )
    assert perf.modified_dietz == pytest.approx(890 / 12600, rel=1e-12)
    assert modified_dietz(
        D(0),
        D("13890"),
        [(WEEK[0], D(10000)), (WEEK[2], D(5000)), (WEEK[4], D(-2000))],
        WEEK[0],
        WEEK[4],
    ) == pytest.approx(890 / 12600, rel=1e-12)
    # XIRR of -10,000 (Mon), -5,000 (Wed), +2,000 and +13,890 (Fri) discounts to zero.
    r = perf.mwr
    assert r is not None
    npv = -10000 - 5000 / (1 + r) ** (2 / 365) + 15890 / (1 + r) ** (4 / 365)
    assert npv == pytest.approx(0, abs=1e-6)
    assert perf.twr_annualised is None  # a week is not stretched to a year


def test_contribution_adds_up_to_the_pnl_and_the_dietz_return() -> None:
    # Holdings only: the fees are paid in from outside, so they are flows (in) and losses.
    ledger = [
        tx(HOLDINGS, T.BUY, WEEK[0], symbol="ABC", quantity=100, price=D("100"), **FREE),
        tx(HOLDINGS, T.FEE, WEEK[1], amount=D("10")),
        tx(HOLDINGS, T.FEE, WEEK[3], amount=D("5"), symbol="ABC"),
    ]
    perf = performance(ledger, HOLDINGS, ABC, sectors={"ABC": "0804"})
    assert perf is not None
    (abc,) = perf.by_position
    # ABC: 10,890 at the end - 10,000 paid - 5 fee = 885; the other fee is nobody's: -10.
    assert (abc.key, abc.pnl, perf.other_pnl, perf.pnl) == (
        "ABC",
        D("885.00"),
        D("-10.00"),
        D("875.00"),
    )
    # Base: 10,000 × 5/5 + 10 × 4/5 + 5 × 2/5 = 10,010.
    assert perf.modified_dietz == pytest.approx(875 / 10010, rel=1e-12)
    assert abc.contribution == pytest.approx(885 / 10010, rel=1e-12)
    assert [(s.key, s.pnl) for s in perf.by_sector] == [("0804", D("885.00"))]
    assert perf.fees == D("15.00")


def test_a_holdings_only_portfolio_counts_trades_as_flows() -> None:
    ledger = [
        tx(HOLDINGS, T.BUY, WEEK[0], symbol="ABC", quantity=100, price=D("100"), **FREE),
        tx(HOLDINGS, T.BUY, WEEK[2], symbol="ABC", quantity=50, price=D("100"), **FREE),
        tx(HOLDINGS, T.SELL, WEEK[4], symbol="ABC", quantity=20, price=D("105"), **FREE),
    ]
    points = valuation_series(ledger, HOLDINGS, ABC)
    assert [p.flow for p in points] == [D("10000.00"), D(0), D("5000.00"), D(0), D("-2100.00")]
    # Wednesday: 150 × 99 = 14,850 over 11,000 + 5,000; Friday: 130 × 108.90 = 14,157 over
    # 14,850 - 2,100.
    assert points[2].daily_return == pytest.approx(14850 / 16000 - 1)
    assert points[4].daily_return == pytest.approx(14157 / 12750 - 1)
    assert points[4].cash is None


def test_buying_costs_show_as_a_loss_on_the_first_day() -> None:
    ledger = [tx(HOLDINGS, T.BUY, WEEK[0], symbol="ABC", quantity=100, price=D("100"))]
    (first, *_) = valuation_series(ledger, HOLDINGS, ABC)
    # Paid 10,000 + 15.00 commission + 0.40 CDC + 0.20 levies + 1.95 SST + 1.00 CVT.
    assert first.flow == D("10018.55")
    assert first.daily_return == pytest.approx(10000 / 10018.55 - 1)


def test_a_later_window_opens_at_the_previous_close() -> None:
    perf = performance(week_ledger(), CASH, ABC, start=WEEK[2], end=WEEK[3])
    assert perf is not None
    assert (perf.start, perf.end, perf.start_value, perf.end_value) == (
        WEEK[2],
        WEEK[3],
        D("11000.00"),
        D("14900.00"),
    )
    assert perf.twr == pytest.approx(14900 / 16000 - 1)
    # Two days, the 5,000 at the open of the first: (14,900 - 11,000 - 5,000) / 16,000.
    assert perf.modified_dietz == pytest.approx(-1100 / 16000)
    assert [p.day for p in perf.series] == [WEEK[2], WEEK[3]]
    (abc,) = perf.by_position
    assert abc.pnl == D("-1100.00")


def test_flows_on_a_weekend_land_on_the_next_session() -> None:
    saturday = date(2025, 3, 1)
    ledger = [tx(CASH, T.DEPOSIT, saturday, amount=D("10000")), *week_ledger()[1:]]
    points = valuation_series(ledger, CASH, ABC)
    assert points[0].day == WEEK[0]
    assert points[0].flow == D("10000.00")


def test_a_holding_without_closes_is_valued_at_its_trade_price() -> None:
    ledger = [
        *week_ledger(),
        tx(CASH, T.BUY, WEEK[1], symbol="NEW", quantity=10, price=D("50"), **FREE),
    ]
    points = valuation_series(ledger, CASH, ABC)
    assert points[1].market_values["NEW"] == D("500.00")
    assert points[4].market_values["NEW"] == D("500.00")


def test_performance_of_the_broker_statement() -> None:
    start, end = date(2025, 1, 2), date(2025, 8, 29)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    days = [d for d in days if d.weekday() < 5]

    def close(d: date) -> D:
        raw = D("118") + D("0.15") * (d - start).days
        return (raw / 2 if d >= date(2025, 6, 16) else raw).quantize(D("0.01"), ROUND_HALF_UP)

    closes = {"HUBC": {d: close(d) for d in days}}
    ledger = statement(CASH)
    perf = performance(ledger, CASH, closes, days=days, sectors={"HUBC": "0824"})
    assert perf is not None
    book = replay(ledger, CASH)
    assert perf.realised_pnl == book.realised == D("4051.33")
    assert (perf.dividends_gross, perf.dividend_tax, perf.dividends_net) == (
        D("600.00"),
        D("90.00"),
        D("510.00"),
    )
    assert (perf.fees, perf.taxes) == (D("117.51"), D("108.65"))
    # 29 Aug: 130 × (118 + 0.15 × 239) / 2 = 130 × 76.925 → 76.93 → 10,000.90 held.
    assert perf.end_value == D("10000.90") + D("42773.84")
    assert perf.unrealised_pnl == D("10000.90") - D("6787.49")
    assert perf.net_flows == D("45000.00")
    assert perf.pnl == perf.end_value - D("45000.00")
    assert sum((c.pnl for c in perf.by_position), D(0)) + perf.other_pnl == perf.pnl
    assert perf.by_sector[0].key == "0824"
    # Realised + unrealised + net dividends = P&L, as nothing else was paid.
    assert perf.realised_pnl + perf.unrealised_pnl + perf.dividends_net == perf.pnl
    assert perf.twr == pytest.approx(chain(p.daily_return for p in perf.series))
    # The split halves the price and doubles the shares (165 → 330): no loss on the ex-date,
    # only the day's drift, (118 + 0.15 × 165) / 2 against 118 + 0.15 × 162.
    ex = next(p for p in perf.series if p.day == date(2025, 6, 16))
    assert ex.holdings_value == 330 * close(ex.day) == D("330") * D("71.38")
    assert ex.daily_return == pytest.approx(
        float((ex.value) / (D("165") * D("142.30") + ex.cash)) - 1
    )


def test_monthly_and_yearly_returns_compound_the_days() -> None:
    days = [
        date(2024, 12, 30),
        date(2024, 12, 31),
        date(2025, 1, 1),
        date(2025, 1, 2),
        date(2025, 2, 3),
    ]
    rets: list[float | None] = [None, 0.1, -0.05, 0.02, 0.01]
    assert period_returns(days, rets, monthly=True) == (
        PeriodReturn(2024, 12, pytest.approx(0.1)),  # type: ignore[arg-type]
        PeriodReturn(2025, 1, pytest.approx(0.95 * 1.02 - 1)),  # type: ignore[arg-type]
        PeriodReturn(2025, 2, pytest.approx(0.01)),  # type: ignore[arg-type]
    )
    assert period_returns(days, rets, monthly=False) == (
        PeriodReturn(2024, None, pytest.approx(0.1)),  # type: ignore[arg-type]
        PeriodReturn(2025, None, pytest.approx(0.95 * 1.02 * 1.01 - 1)),  # type: ignore[arg-type]
    )


def test_benchmark_series_on_the_same_sessions() -> None:
    levels = {
        date(2025, 2, 28): D("1000"),
        WEEK[0]: D("1010"),
        WEEK[1]: D("1030.2"),
        WEEK[3]: D("1020"),
    }
    perf = performance(week_ledger(), CASH, ABC, start=WEEK[1], benchmark=levels)
    assert perf is not None and perf.benchmark is not None
    bench = perf.benchmark
    assert bench.code == "KSE100"
    assert [b.day for b in bench.series] == WEEK[1:]
    # Tue from Monday's 1010; Wed carries Tuesday's level (no return); Thu 1020; Fri carried.
    assert [b.level for b in bench.series] == [D("1030.2"), D("1030.2"), D("1020"), D("1020")]
    assert [b.daily_return for b in bench.series] == pytest.approx(
        [0.02, 0.0, 1020 / 1030.2 - 1, 0.0]
    )
    assert bench.total_return == pytest.approx(1020 / 1010 - 1)
    assert bench.monthly == (PeriodReturn(2025, 3, pytest.approx(1020 / 1010 - 1)),)  # type: ignore[arg-type]
    # From inception the first return starts at the previous close (Friday 28 Feb, 1000).
    whole = performance(week_ledger(), CASH, ABC, benchmark=levels)
    assert whole is not None and whole.benchmark is not None
    assert whole.benchmark.series[0].daily_return == pytest.approx(0.01)
    assert whole.benchmark.total_return == pytest.approx(0.02)


def test_empty_windows_and_reversed_ranges() -> None:
    assert performance([], CASH, ABC) is None
    assert performance(week_ledger(), CASH, ABC, start=date(2025, 4, 1)) is None
    with pytest.raises(DomainError) as caught:
        performance(week_ledger(), CASH, ABC, start=WEEK[3], end=WEEK[1])
    assert caught.value.field == "end"


def test_xirr_matches_the_spreadsheet_example() -> None:
    # Microsoft's XIRR documentation example: 0.373362535 (37.34%).
    flows = [
        (date(2008, 1, 1), D(-10000)),
        (date(2008, 3, 1), D(2750)),
        (date(2008, 10, 30), D(4250)),
        (date(2009, 2, 15), D(3250)),
        (date(2009, 4, 1), D(2750)),
    ]
    # Excel stops within 0.000001%, so its figure is good to about 1e-8.
    assert xirr(flows) == pytest.approx(0.373362535, abs=1e-8)
    # Bisection alone (no Newton steps) finds the same root.
    assert xirr(flows, max_iterations=0) == pytest.approx(0.373362535, abs=1e-8)


def test_xirr_of_a_heavy_loss_and_of_flows_without_a_root() -> None:
    # 1,000 in, 50 back a year (365 days) later: -95%.
    assert xirr([(date(2023, 1, 1), -1000.0), (date(2024, 1, 1), 50.0)]) == pytest.approx(-0.95)
    # Newton from a far guess overshoots below -100%; bisection recovers.
    assert xirr(
        [(date(2023, 1, 1), -1000.0), (date(2024, 1, 1), 50.0)], guess=5.0
    ) == pytest.approx(-0.95)
    assert xirr([(date(2023, 1, 1), -1000.0), (date(2024, 1, 1), -50.0)]) is None
    assert xirr([(date(2023, 1, 1), 1000.0)]) is None
    # Doubling in two years: √2 - 1 a year.
    assert xirr([(date(2023, 1, 1), -100.0), (date(2024, 12, 31), 200.0)]) == pytest.approx(
        2 ** (365 / 730) - 1
    )


def test_annualising_only_beyond_a_year() -> None:
    assert annualise(0.21, 365) is None
    assert annualise(0.21, 730) == pytest.approx(0.1)
    assert annualise(-1.0, 800) is None


def test_no_capital_at_risk_gives_no_return() -> None:
    ledger = [
        tx(CASH, T.DEPOSIT, WEEK[0], amount=D("1000")),
        tx(CASH, T.WITHDRAWAL, WEEK[1], amount=D("1000")),
        tx(CASH, T.DEPOSIT, WEEK[3], amount=D("500")),
    ]
    points = valuation_series(ledger, CASH, ABC)
    # Tuesday: 1,000 - 1,000 at the open leaves nothing; Wednesday starts from nothing.
    assert [p.daily_return for p in points] == [0.0, None, None, 0.0, 0.0]
    perf = performance(ledger, CASH, ABC)
    assert perf is not None
    assert perf.twr == 0.0
    assert perf.pnl == D("0.00")


def test_shares_with_no_price_anywhere_are_valued_at_cost() -> None:
    # A bonus in a symbol the ledger never traded and the market data does not cover.
    ledger = [tx(HOLDINGS, T.BONUS, WEEK[1], symbol="ZZZ", quantity=10)]
    points = valuation_series(ledger, HOLDINGS, ABC)
    assert [p.market_values for p in points] == [{"ZZZ": D("0.00")}] * 4
