"""Statements: the CSV of a fixture ledger, exactly (sections, totals, CGT by tax year at
each lot's rate, dividends with withholding), and the CGT rates by acquisition date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.portfolios.ledger import PortfolioPolicy, Transaction, TransactionType
from domain.portfolios.lots import replay
from domain.portfolios.positions import PriceQuote, value_book
from domain.portfolios.reports import build_statement, cgt_rate
from domain.portfolios.reports_csv import render_csv

D = Decimal
T = TransactionType


def _tx(
    n: int, t: T, day: date, sym: str, qty: int, price: str, fees: str, taxes: str
) -> Transaction:
    return Transaction(t, day, day, sym, qty, D(price), fees=D(fees), taxes=D(taxes), id=n)


LEDGER = [
    _tx(1, T.BUY, date(2015, 1, 5), "HUBC", 100, "50.00", "10.00", "2.00"),
    _tx(2, T.BUY, date(2024, 8, 1), "HUBC", 100, "100.00", "20.00", "3.00"),
    _tx(3, T.DIVIDEND, date(2024, 9, 10), "HUBC", 200, "4.0000", "0.00", "120.00"),
    _tx(4, T.SELL, date(2024, 10, 15), "HUBC", 150, "120.00", "27.00", "3.51"),
    _tx(5, T.BUY, date(2025, 3, 3), "OGDC", 10, "200.00", "5.00", "1.00"),
    _tx(6, T.SELL, date(2025, 8, 4), "OGDC", 10, "150.00", "4.00", "0.50"),
]

EXPECTED = """\
# Statement,Main
Period,2014-07-01,2026-11-19
Generated,2026-11-19T07:00:00+00:00
Filer,yes
Cost method,FIFO

# Holdings
symbol,quantity,average_cost,cost_basis,price,market_value,unrealised_pnl
HUBC,50,100.23,5011.50,130.00,6500.00,1488.50
Total,,,5011.50,,6500.00,1488.50
Total value,,,,,6500.00,

# Transactions
date,type,symbol,quantity,price,amount,fees,taxes,cash_effect
2015-01-05,BUY,HUBC,100,50.00,,10.00,2.00,-5012.00
2024-08-01,BUY,HUBC,100,100.00,,20.00,3.00,-10023.00
2024-09-10,DIVIDEND,HUBC,200,4.0000,,0.00,120.00,680.00
2024-10-15,SELL,HUBC,150,120.00,,27.00,3.51,17969.49
2025-03-03,BUY,OGDC,10,200.00,,5.00,1.00,-2006.00
2025-08-04,SELL,OGDC,10,150.00,,4.00,0.50,1495.50

# Realised gains
sold,symbol,quantity,acquired,proceeds,cost,gain,cgt_rate_pct,tax_year
2024-10-15,HUBC,100,2015-01-05,11979.66,5012.00,6967.66,7.5,2024-25
2024-10-15,HUBC,50,2024-08-01,5989.83,5011.50,978.33,15,2024-25
2025-08-04,OGDC,10,2025-03-03,1495.50,2006.00,-510.50,15,2025-26

# Capital gains tax by tax year
tax_year,gains,losses,net_gain,cgt
2024-25,7945.99,0.00,7945.99,669.32
2025-26,0.00,-510.50,-510.50,0.00
Total,7945.99,-510.50,7435.49,669.32
Note,CGT at filer rates by lot acquisition date; losses net within a tax year.

# Dividends
date,symbol,shares,per_share,gross,withholding_tax,net
2024-09-10,HUBC,200,4.0000,800.00,120.00,680.00

# Dividends by tax year
tax_year,gross,withholding_tax,net
2024-25,800.00,120.00,680.00
Total,800.00,120.00,680.00

# Performance
No entries in the period.
"""


def test_the_csv_of_a_fixture_ledger_is_exact() -> None:
    policy = PortfolioPolicy()
    book = replay(LEDGER, policy)
    valuation = value_book(book, {"HUBC": PriceQuote(D("130.00"), D("128.00"))})
    statement = build_statement(
        portfolio_name="Main",
        generated_at=datetime(2026, 11, 19, 7, 0, tzinfo=UTC),
        start=date(2014, 7, 1),
        end=date(2026, 11, 19),
        filer=True,
        cost_method="FIFO",
        ledger=LEDGER,
        book=book,
        valuation=valuation,
        performance=None,
    )
    assert render_csv(statement).decode() == EXPECTED


def test_a_period_keeps_only_its_sales_dividends_and_entries() -> None:
    policy = PortfolioPolicy(filer=False)
    book = replay(LEDGER, policy)
    statement = build_statement(
        portfolio_name="Main",
        generated_at=datetime(2026, 11, 19, 7, 0, tzinfo=UTC),
        start=date(2025, 7, 1),
        end=date(2026, 6, 30),
        filer=False,
        cost_method="FIFO",
        ledger=LEDGER,
        book=book,
        valuation=value_book(book, {}),
        performance=None,
    )
    assert [tx.id for tx in statement.transactions] == [6]
    assert [(c.tax_year, c.net, c.tax) for c in statement.cgt] == [(2026, D("-510.50"), D(0))]
    assert statement.dividends == ()
    assert "Non-filer: CGT shown at filer rates is a lower bound" in render_csv(statement).decode()


@pytest.mark.parametrize(
    ("acquired", "sold", "rate"),
    [
        (date(2024, 7, 1), date(2024, 7, 2), "15"),
        (date(2016, 7, 1), date(2030, 1, 1), "15"),
        (date(2016, 6, 30), date(2016, 12, 31), "12.5"),
        (date(2014, 3, 10), date(2015, 3, 9), "12.5"),
        (date(2014, 3, 10), date(2015, 3, 10), "10"),
        (date(2014, 3, 10), date(2016, 3, 10), "7.5"),
        (date(2013, 7, 1), date(2020, 1, 1), "7.5"),
        (date(2013, 6, 30), date(2014, 1, 1), "0"),
    ],
)
def test_cgt_rates_follow_the_lots_acquisition_date_and_holding(
    acquired: date, sold: date, rate: str
) -> None:
    assert cgt_rate(acquired, sold) == D(rate)
