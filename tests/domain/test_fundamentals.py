"""Fundamentals: ratios against hand-computed figures, the import CSV, the demo statements."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
import pytest

from domain.demo.fundamentals import LOSS_MAKERS, demo_statements, fiscal_year_end_month
from domain.demo.generate import DemoDataset, generate_demo
from domain.demo.universe import UNIVERSE
from domain.fundamentals.csv import (
    FundamentalsCsvError,
    StatementRow,
    parse_fundamentals_csv,
)
from domain.fundamentals.ratios import (
    RATIO_FIELDS,
    TtmBasis,
    compute_ratios,
    ratios_by_key,
    ratios_frame,
    trailing,
)
from domain.fundamentals.statements import (
    FinancialStatement,
    PeriodKind,
    fiscal_year_end,
    newest_first,
)
from domain.markets.closing_files import Rejection
from domain.markets.instruments import CorporateActionKind, DataSource, InstrumentKind

D = Decimal
Q, A = PeriodKind.QUARTERLY, PeriodKind.ANNUAL

# --- fixtures: a June-year company with round numbers -----------------------------------------

BALANCE: dict[str, Any] = {
    "total_assets": D(1000),
    "total_equity": D(400),
    "total_debt": D(200),
    "cash": D(50),
    "current_assets": D(300),
    "current_liabilities": D(150),
    "book_value_per_share": D(40),
    "shares": 10,
}


def quarter(fy: int, q: int, **figures: Any) -> FinancialStatement:
    """A quarter of a June year: revenue 100, GP 40, OP 30, EBITDA 35, NI 20, EPS 2, DPS 1."""
    month = (6 + 3 * q) % 12 or 12
    year = fy - 1 if q <= 2 else fy
    end = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    values: dict[str, Any] = {
        "revenue": D(100),
        "gross_profit": D(40),
        "operating_profit": D(30),
        "ebitda": D(35),
        "net_income": D(20),
        "eps": D(2),
        "dividends_per_share": D(1),
        "operating_cash_flow": D(25),
        **BALANCE,
    }
    values.update(figures)
    return FinancialStatement(period=Q, fiscal_year=fy, fiscal_quarter=q, period_end=end, **values)


def year(fy: int, **figures: Any) -> FinancialStatement:
    values: dict[str, Any] = {
        "revenue": D(400),
        "gross_profit": D(160),
        "operating_profit": D(120),
        "ebitda": D(140),
        "net_income": D(80),
        "eps": D(8),
        "dividends_per_share": D(4),
        **BALANCE,
    }
    values.update(figures)
    return FinancialStatement(
        period=A, fiscal_year=fy, fiscal_quarter=None, period_end=date(fy, 6, 30), **values
    )


def company() -> list[FinancialStatement]:
    """FY2025 quarters at 80% of FY2026's; FY2023 earned an eighth of FY2026."""
    earlier = [quarter(2025, q, revenue=D(80), net_income=D(16), eps=D("1.6")) for q in range(1, 5)]
    latest = [quarter(2026, q) for q in range(1, 5)]
    years = [
        year(2023, revenue=D(50), net_income=D(10), eps=D(1)),
        year(2024, revenue=D(200), net_income=D(40), eps=D(4)),
        year(2025, revenue=D(320), net_income=D(64), eps=D("6.4")),
        year(2026),
    ]
    return [*earlier, *latest, *years]


# --- ratios -----------------------------------------------------------------------------------


def test_ratios_match_hand_computed_values() -> None:
    r = compute_ratios(company(), price=D(64))

    assert r.trailing is not None
    assert r.trailing.basis is TtmBasis.QUARTERS
    assert (r.trailing.revenue, r.trailing.net_income, r.trailing.eps) == (D(400), D(80), D(8))
    assert r.shares == 10
    assert r.market_cap == D(640)
    assert r.enterprise_value == D(790)  # 640 + 200 debt - 50 cash
    assert r.balance_sheet_date == date(2026, 6, 30)
    expected = {
        "pe": 8.0,  # 64 / 8
        "pb": 1.6,  # 64 / 40
        "ps": 1.6,  # 640 / 400
        "ev_ebitda": 790 / 140,
        "dividend_yield": 0.0625,  # 4 / 64
        "payout_ratio": 0.5,  # 4 / 8
        "roe": 0.2,  # 80 / 400
        "roa": 0.08,  # 80 / 1000
        "net_margin": 0.2,
        "gross_margin": 0.4,
        "debt_to_equity": 0.5,
        "current_ratio": 2.0,
        "eps_growth_yoy": 0.25,  # 8 / 6.4 - 1
        "revenue_growth_yoy": 0.25,  # 400 / 320 - 1
        "eps_cagr_3y": 1.0,  # (8 / 1) ** (1/3) - 1
        "revenue_cagr_3y": 1.0,  # (400 / 50) ** (1/3) - 1
    }
    assert {name: getattr(r, name) for name in RATIO_FIELDS} == pytest.approx(expected)


def test_market_cap_uses_current_shares_outstanding_when_given() -> None:
    r = compute_ratios(company(), price=D(64), shares_outstanding=12)

    assert r.market_cap == D(768)
    assert r.ps == pytest.approx(768 / 400)
    assert r.pe == pytest.approx(8.0)  # per share: price over EPS, whatever the count


def test_ttm_is_the_last_year_when_a_quarter_is_missing() -> None:
    rows = [s for s in company() if s.key != (Q, 2026, 3)]
    rows = [replace(s, revenue=D(410)) if s.key == (A, 2026, None) else s for s in rows]

    ttm = trailing(rows)
    r = compute_ratios(rows, price=D(64))

    assert ttm is not None
    assert ttm.basis is TtmBasis.ANNUAL
    assert ttm.revenue == D(410)
    # Growth then compares the two newest years: 410 / 320 - 1.
    assert r.revenue_growth_yoy == pytest.approx(410 / 320 - 1)
    assert r.eps_growth_yoy == pytest.approx(0.25)


def test_ttm_prefers_a_year_newer_than_the_last_four_quarters() -> None:
    rows = [s for s in company() if not (s.period is Q and s.fiscal_year == 2026)]

    ttm = trailing(rows)

    assert ttm is not None
    assert (ttm.basis, ttm.period_end, ttm.eps) == (TtmBasis.ANNUAL, date(2026, 6, 30), D(8))


def test_quarters_alone_give_ttm_but_no_cagr() -> None:
    rows = [s for s in company() if s.period is Q]

    r = compute_ratios(rows, price=D(64))

    assert r.trailing is not None and r.trailing.basis is TtmBasis.QUARTERS
    assert r.pe == pytest.approx(8.0)
    assert r.eps_growth_yoy == pytest.approx(0.25)
    assert r.eps_cagr_3y is None
    assert r.revenue_cagr_3y is None


def test_a_loss_has_no_pe_payout_or_eps_growth() -> None:
    rows = [replace(s, net_income=D(-5), eps=D("-0.5")) if s.period is Q else s for s in company()]
    rows = [s for s in rows if s.period is Q]

    r = compute_ratios(rows, price=D(64))

    assert r.trailing is not None and r.trailing.eps == D(-2)
    assert r.pe is None
    assert r.payout_ratio is None
    assert r.roe == pytest.approx(-20 / 400)  # a loss still has a (negative) return
    assert r.net_margin == pytest.approx(-0.05)
    rows_before_loss = [
        replace(s, net_income=D(-5), eps=D("-0.5")) if s.fiscal_year == 2025 else s
        for s in company()
    ]
    # Growth from a loss is not a number anyone can use.
    assert compute_ratios(rows_before_loss, price=D(64)).eps_growth_yoy is None


def test_zero_eps_has_no_pe() -> None:
    rows = [replace(s, eps=D(0), net_income=D(0)) for s in company() if s.period is Q]

    assert compute_ratios(rows, price=D(64)).pe is None


def test_negative_equity_has_no_book_ratios() -> None:
    rows = [replace(s, total_equity=D(-100), book_value_per_share=D(-10)) for s in company()]

    r = compute_ratios(rows, price=D(64))

    assert (r.pb, r.roe, r.debt_to_equity) == (None, None, None)
    assert r.roa == pytest.approx(0.08)


def test_a_bank_without_gross_profit_or_current_items() -> None:
    bank = [
        replace(s, gross_profit=None, ebitda=None, current_assets=None, current_liabilities=None)
        for s in company()
    ]

    r = compute_ratios(bank, price=D(64))

    assert (r.gross_margin, r.current_ratio, r.ev_ebitda) == (None, None, None)
    assert r.pe == pytest.approx(8.0)
    assert r.net_margin == pytest.approx(0.2)


def test_one_quarter_without_a_figure_drops_it_from_the_ttm() -> None:
    rows = [replace(s, ebitda=None) if s.key == (Q, 2026, 2) else s for s in company()]

    r = compute_ratios(rows, price=D(64))

    assert r.trailing is not None and r.trailing.ebitda is None
    assert r.ev_ebitda is None
    assert r.gross_margin == pytest.approx(0.4)


def test_net_cash_beyond_market_cap_has_no_ev_ebitda() -> None:
    rows = [replace(s, cash=D(900)) for s in company()]

    r = compute_ratios(rows, price=D(64))

    assert r.enterprise_value == D(-60)  # 640 + 200 - 900
    assert r.ev_ebitda is None


def test_without_a_price_only_price_ratios_are_missing() -> None:
    r = compute_ratios(company(), price=None)

    assert (r.market_cap, r.enterprise_value) == (None, None)
    assert (r.pe, r.pb, r.ps, r.ev_ebitda, r.dividend_yield) == (None,) * 5
    assert r.roe == pytest.approx(0.2)
    assert r.payout_ratio == pytest.approx(0.5)


def test_no_statements_give_no_ratios() -> None:
    r = compute_ratios([], price=D(64))

    assert r.trailing is None
    assert all(getattr(r, name) is None for name in RATIO_FIELDS)


def test_universe_ratios_in_one_call_and_as_a_frame() -> None:
    statements = {1: company(), 2: [s for s in company() if s.period is A], 3: []}
    prices = {1: D(64), 2: D(32)}

    ratios = ratios_by_key(statements, prices, {2: 20})
    frame = ratios_frame(ratios)

    assert set(ratios) == {1, 2, 3}
    assert ratios[2].pe == pytest.approx(4.0)  # annual EPS 8
    assert ratios[2].market_cap == D(640)
    assert ratios[3].price is None
    assert frame.columns == ["instrument_id", "market_cap", "eps_ttm", *RATIO_FIELDS]
    assert frame.schema["pe"] == pl.Float64
    assert frame.filter(pl.col("instrument_id") == 3)["pe"].to_list() == [None]
    assert frame.filter(pl.col("pe") < 5)["instrument_id"].to_list() == [2]


def test_newest_first_puts_a_year_before_its_fourth_quarter() -> None:
    ordered = newest_first(company())

    assert [s.key for s in ordered[:3]] == [(A, 2026, None), (Q, 2026, 4), (Q, 2026, 3)]


@pytest.mark.parametrize(
    ("period", "quarter_", "period_end", "expected"),
    [
        (Q, 1, date(2025, 9, 30), date(2026, 6, 30)),
        (Q, 3, date(2025, 9, 30), date(2025, 12, 31)),
        (Q, 4, date(2026, 3, 31), date(2026, 3, 31)),
        (A, None, date(2025, 6, 28), date(2025, 6, 30)),
    ],
)
def test_fiscal_year_end(
    period: PeriodKind, quarter_: int | None, period_end: date, expected: date
) -> None:
    assert fiscal_year_end(period, quarter_, period_end) == expected


# --- the import CSV ---------------------------------------------------------------------------

HEADER = "symbol,period,fiscal_year,quarter,period_end,revenue,net_income,total_assets,total_equity,shares"
GOOD_Q = "OGDC,QUARTERLY,2026,1,2025-09-30,1000,200,9000,4000,100"


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join((header, *rows)) + "\r\n"


def only_rejection(text: str) -> Rejection:
    rows, rejections = parse_fundamentals_csv(text)
    assert rows == []
    assert len(rejections) == 1
    return rejections[0]


def test_csv_columns_in_any_order_and_case_with_derived_per_share_figures() -> None:
    header = (
        "Total_Equity,SHARES,symbol,Period,fiscal_year,period_end,revenue,net_income,"
        "total_assets,quarter,eps,dividends_per_share,gross_profit,published_on,cash"
    )
    text = "\ufeff" + csv_of(
        '4000000,3,ogdc ,annual,2025,2025-06-30,"1,000,000",100000,9000000,,,2.50,,,',
        "4000000,3,OGDC,Quarterly,2026,2025-09-30,250000,-10000,9000000,1,-0.40,0,90000,"
        "2025-10-28,120000",
        header=header,
    )

    rows, rejections = parse_fundamentals_csv(text)

    assert rejections == []
    assert [(r.line_no, r.symbol) for r in rows] == [(2, "OGDC"), (3, "OGDC")]
    annual, quarterly = rows[0].statement, rows[1].statement
    assert annual == FinancialStatement(
        period=A,
        fiscal_year=2025,
        fiscal_quarter=None,
        period_end=date(2025, 6, 30),
        revenue=D(1_000_000),
        net_income=D(100_000),
        eps=D("33333.33"),  # derived: net income / shares, to the paisa
        total_assets=D(9_000_000),
        total_equity=D(4_000_000),
        book_value_per_share=D("1333333.33"),  # derived: equity / shares
        shares=3,
        dividends_per_share=D("2.50"),
        data_source=DataSource.CSV,
    )
    assert quarterly.eps == D("-0.40")  # given, so kept
    assert quarterly.gross_profit == D(90_000)
    assert quarterly.cash == D(120_000)
    assert quarterly.published_on == date(2025, 10, 28)
    assert quarterly.key == (Q, 2026, 1)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("OGDC,MONTHLY,2026,1,2025-09-30,1000,200,9000,4000,100", "bad period: 'MONTHLY'"),
        ("OGDC,QUARTERLY,2026,,2025-09-30,1000,200,9000,4000,100", "missing quarter"),
        ("OGDC,ANNUAL,2026,4,2026-06-30,1000,200,9000,4000,100", "quarter given on an ANNUAL"),
        ("OGDC,QUARTERLY,2026,5,2025-09-30,1000,200,9000,4000,100", "quarter 5 out of range"),
        ("OGDC,QUARTERLY,2026,1,2024-09-30,1000,200,9000,4000,100", "does not fall in fiscal"),
        ("OGDC,ANNUAL,2025,,2026-06-30,1000,200,9000,4000,100", "does not fall in fiscal"),
        ("OGDC,ANNUAL,1850,,1850-06-30,1000,200,9000,4000,100", "fiscal_year 1850 out of"),
        ("OGDC,QUARTERLY,2026,1,30/09/2025,1000,200,9000,4000,100", "bad date: period_end"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,1000,200,9000,4000,0", "shares must be positive"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,1000,200,9000,4000,10.5", "not a whole number"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,-1,200,9000,4000,100", "negative revenue"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,1000,abc,9000,4000,100", "bad number: net_income"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,1000,,9000,4000,100", "missing net_income"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,1000,200,0,-5,100", "total_assets must be positive"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,1000,200,9000,9001,100", "exceeds total_assets"),
        (",QUARTERLY,2026,1,2025-09-30,1000,200,9000,4000,100", "empty symbol"),
        ("OGDC,QUARTERLY,2026,1,2025-09-30,1000,200,9000", "wrong field count"),
    ],
)
def test_csv_rejects_impossible_rows_with_the_reason(row: str, reason: str) -> None:
    rejection = only_rejection(csv_of(row))

    assert rejection.line_no == 2
    assert reason in rejection.reason
    assert rejection.line == row


@pytest.mark.parametrize(
    ("extra", "value", "reason"),
    [
        ("gross_profit", "1001", "gross_profit 1001 exceeds revenue 1000"),
        ("cash", "9001", "cash 9001 exceeds total_assets 9000"),
        ("current_assets", "9500", "current_assets 9500 exceeds total_assets 9000"),
        ("total_debt", "-1", "negative total_debt: -1"),
        ("current_liabilities", "-1", "negative current_liabilities: -1"),
        ("dividends_per_share", "-0.5", "negative dividends_per_share: -0.5"),
        ("published_on", "2025-09-29", "published_on 2025-09-29 is before period_end 2025-09-30"),
    ],
)
def test_csv_rejects_inconsistent_optional_figures(extra: str, value: str, reason: str) -> None:
    rejection = only_rejection(csv_of(f"{GOOD_Q},{value}", header=f"{HEADER},{extra}"))

    assert rejection.reason == reason


def test_csv_reports_line_numbers_counting_blank_lines_and_keeps_good_rows() -> None:
    text = csv_of(
        GOOD_Q,
        "",
        "OGDC,QUARTERLY,2026,2,2025-12-31,1000,200,9000,4000,-3",
        ",,,,,,,,,",
        "OGDC,QUARTERLY,2026,1,2025-09-30,999,200,9000,4000,100",
        "HUBC,QUARTERLY,2026,1,2025-09-30,1000,200,9000,4000,100",
    )

    rows, rejections = parse_fundamentals_csv(text)

    assert [(r.line_no, r.symbol) for r in rows] == [(2, "OGDC"), (7, "HUBC")]
    assert [(r.line_no, r.reason) for r in rejections] == [
        (4, "shares must be positive, got -3"),
        (6, "repeats the period of line 2"),
    ]


def test_csv_allows_negative_profit_figures_and_omitted_optional_ones() -> None:
    header = f"{HEADER},operating_profit,ebitda,operating_cash_flow,gross_profit"
    rows, rejections = parse_fundamentals_csv(csv_of(f"{GOOD_Q},-50,-10,-70,", header=header))

    assert rejections == []
    [row] = rows
    s = row.statement
    assert (s.operating_profit, s.ebitda, s.operating_cash_flow) == (D(-50), D(-10), D(-70))
    assert (s.gross_profit, s.total_debt, s.dividends_per_share) == (None, None, None)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (f"{HEADER},price", "unknown column(s): price"),
        (f"{HEADER},SHARES", "repeated column(s): shares"),
        (HEADER.replace(",total_equity", ""), "missing required column(s): total_equity"),
    ],
)
def test_csv_header_problems_reject_the_file(header: str, message: str) -> None:
    with pytest.raises(FundamentalsCsvError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_fundamentals_csv(csv_of(GOOD_Q, header=header))


def test_csv_without_a_header_is_rejected() -> None:
    with pytest.raises(FundamentalsCsvError, match="header row is required"):
        parse_fundamentals_csv("\r\n  \r\n")


def test_the_documented_example_parses() -> None:
    from domain.fundamentals import csv as module

    doc = module.__doc__ or ""
    example = [line.strip() for line in doc.split("Example:")[1].splitlines() if line.strip()]
    rows, rejections = parse_fundamentals_csv("\n".join(example))

    assert rejections == []
    assert [r.statement.key for r in rows] == [(A, 2025, None), (Q, 2026, 1)]
    assert isinstance(rows[0], StatementRow)


# --- the demo statements ----------------------------------------------------------------------

DEMO_END = date(2026, 11, 19)


@pytest.fixture(scope="module")
def demo() -> DemoDataset:
    return generate_demo(seed=7, end=DEMO_END, years=2, minute_sessions=0)


@pytest.fixture(scope="module")
def statements(demo: DemoDataset) -> dict[str, list[FinancialStatement]]:
    return demo_statements(demo, seed=7)


@pytest.fixture(scope="module")
def last_prices(demo: DemoDataset) -> dict[str, Decimal]:
    last = demo.daily_bars.filter(pl.col("day") == pl.col("day").max())
    return {r["symbol"]: D(r["close"]) / 100 for r in last.iter_rows(named=True)}


def test_demo_covers_every_company_and_is_deterministic(
    demo: DemoDataset, statements: dict[str, list[FinancialStatement]]
) -> None:
    companies = {
        i.symbol for i in UNIVERSE if i.kind in (InstrumentKind.EQUITY, InstrumentKind.REIT)
    }

    assert set(statements) == companies
    assert demo_statements(demo, seed=7) == statements
    assert demo_statements(demo, seed=8)["OGDC"] != statements["OGDC"]
    for rows in statements.values():
        assert {s.data_source for s in rows} == {DataSource.SIMULATED}
        assert len({s.key for s in rows}) == len(rows)
        annual = [s for s in rows if s.period is A]
        assert len(annual) >= 4  # three years before the bars, and those of the bars
        assert all(s.published_on is not None and s.published_on <= DEMO_END for s in rows)


def test_demo_eps_times_shares_is_profit_and_book_value_is_equity_per_share(
    statements: dict[str, list[FinancialStatement]],
) -> None:
    for rows in statements.values():
        for s in rows:
            # EPS is to the paisa: at most half a paisa per share away.
            assert abs(s.eps * s.shares - s.net_income) <= D("0.005") * s.shares
            expected_book = (s.total_equity / s.shares).quantize(D("0.01"), ROUND_HALF_UP)
            assert s.book_value_per_share == expected_book
            assert s.shares > 0 and s.total_assets > s.total_equity > 0


def test_demo_years_are_the_sums_of_their_quarters(
    statements: dict[str, list[FinancialStatement]],
) -> None:
    for rows in statements.values():
        quarters = {s.key: s for s in rows if s.period is Q}
        for y in (s for s in rows if s.period is A):
            four = [quarters[(Q, y.fiscal_year, n)] for n in range(1, 5)]
            assert y.revenue == sum(q.revenue for q in four)
            assert y.net_income == sum(q.net_income for q in four)
            assert y.dividends_per_share == sum(q.dividends_per_share or 0 for q in four)
            assert (y.period_end, y.total_assets, y.shares) == (
                four[3].period_end,
                four[3].total_assets,
                four[3].shares,
            )


def test_demo_pe_at_the_last_prices_is_psx_like(
    statements: dict[str, list[FinancialStatement]], last_prices: dict[str, Decimal]
) -> None:
    ratios = {s: compute_ratios(rows, price=last_prices[s]) for s, rows in statements.items()}
    pes = {s: r.pe for s, r in ratios.items() if r.pe is not None}

    assert {s for s, r in ratios.items() if r.pe is None} == LOSS_MAKERS
    assert all(1.5 < pe < 25 for pe in pes.values()), pes
    assert sum(3 <= pe <= 15 for pe in pes.values()) >= 0.85 * len(pes)
    assert all(
        r.trailing is not None and r.trailing.basis is TtmBasis.QUARTERS for r in ratios.values()
    )


def test_demo_banks_have_no_gross_profit_current_items_or_ebitda(
    statements: dict[str, list[FinancialStatement]],
) -> None:
    banks = [i.symbol for i in UNIVERSE if i.sector_code == "0807"]
    assert len(banks) >= 10
    for symbol in banks:
        for s in statements[symbol]:
            assert (s.gross_profit, s.current_assets, s.current_liabilities, s.ebitda) == (
                None,
                None,
                None,
                None,
            )
    cement = statements["LUCK"][-1]
    assert cement.gross_profit is not None and cement.current_assets is not None


def test_demo_fiscal_years_end_in_june_or_december_as_companies_do(
    statements: dict[str, list[FinancialStatement]],
) -> None:
    by_symbol = {i.symbol: i for i in UNIVERSE}
    months: dict[int, set[str]] = defaultdict(set)
    for symbol, rows in statements.items():
        ends = {s.period_end.month for s in rows if s.period is A}
        assert ends == {fiscal_year_end_month(by_symbol[symbol])}
        months[ends.pop()].add(symbol)
        for s in rows:
            assert fiscal_year_end(s.period, s.fiscal_quarter, s.period_end).year == s.fiscal_year
    assert {"HBL", "MCB", "FFC", "AICL"} <= months[12]
    assert {"OGDC", "LUCK", "HUBC", "PSO"} <= months[6]
    assert len(months[6]) > len(months[12])


def _restatement(actions: list[dict[str, Any]], day: date) -> Decimal:
    factor = D(1)
    for a in actions:
        if a["ex_date"] > day and a["kind"] == CorporateActionKind.SPLIT.value:
            factor *= D(a["value"])
        elif a["ex_date"] > day and a["kind"] == CorporateActionKind.BONUS.value:
            factor *= (100 + D(a["value"])) / 100
    return factor


def test_demo_dividends_per_share_are_the_demo_cash_dividends(
    demo: DemoDataset, statements: dict[str, list[FinancialStatement]]
) -> None:
    first_day = demo.daily_bars["day"].min()
    assert isinstance(first_day, date)
    actions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in demo.corporate_actions.iter_rows(named=True):
        actions[a["symbol"]].append(a)
    checked = 0
    for symbol, rows in statements.items():
        quarters = sorted((s for s in rows if s.period is Q), key=lambda s: s.period_end)
        dividends = [a for a in actions[symbol] if a["kind"] == "CASH_DIVIDEND"]
        attributed = 0
        for n, q in enumerate(quarters):
            assert q.published_on is not None
            start = q.published_on
            nxt = quarters[n + 1].published_on if n + 1 < len(quarters) else None
            until = nxt or DEMO_END + timedelta(days=1)
            if until <= first_day:
                continue  # before the bars: no demo dividends to agree with
            paid = [a for a in dividends if start <= a["ex_date"] < until]
            attributed += len(paid)
            expected = sum(
                (D(a["value"]) / _restatement(actions[symbol], a["ex_date"]) for a in paid), D(0)
            )
            assert q.dividends_per_share == expected.quantize(D("0.0001"), ROUND_HALF_UP), (
                symbol,
                q.key,
            )
            checked += 1
        assert attributed == len(dividends)  # every demo dividend belongs to one quarter
    assert checked > 500


def test_demo_dividends_of_a_company_with_a_split_are_restated(
    demo: DemoDataset, statements: dict[str, list[FinancialStatement]]
) -> None:
    split = demo.corporate_actions.filter(
        (pl.col("symbol") == "LUCK") & (pl.col("kind") == "SPLIT")
    ).row(0, named=True)
    before = [
        s
        for s in statements["LUCK"]
        if s.period is Q and s.published_on is not None and s.period_end < split["ex_date"]
    ]
    # Shares before the split are already on the post-split basis (restated, not 1/5).
    assert {s.shares for s in before} == {
        next(i for i in UNIVERSE if i.symbol == "LUCK").shares_outstanding
    }
    assert math.isclose(
        float(before[-1].eps * before[-1].shares), float(before[-1].net_income), rel_tol=1e-3
    )


def test_csv_keeps_amounts_to_the_paisa_and_per_share_figures_to_four_places() -> None:
    header = f"{HEADER},eps,dividends_per_share"
    rows, _ = parse_fundamentals_csv(
        csv_of(f"{GOOD_Q.replace(',1000,', ',1000.455,')},1.23456,0.00005", header=header)
    )

    [row] = rows
    assert row.statement.revenue == D("1000.46")
    assert (row.statement.eps, row.statement.dividends_per_share) == (D("1.2346"), D("0.0001"))
