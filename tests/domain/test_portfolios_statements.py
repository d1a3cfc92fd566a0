"""Broker-statement CSV: the fixture statement imports to the same entries as typed in, and
every bad line is named with its column; a break in the replayed ledger names its line."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from domain.errors import ErrorCode
from domain.portfolios.ledger import PortfolioPolicy
from domain.portfolios.statements import check_with_ledger, parse_statement
from tests.fixtures.portfolios import statement

TODAY = date(2026, 11, 19)
CASH = PortfolioPolicy(tracks_cash=True)
STATEMENT = """date,type,symbol,quantity,price,amount,ratio,fees,taxes,settlement_date,note
2025-01-02,DEPOSIT,,,,50000,,,,,
2025-01-06,BUY,HUBC,100,120.00,,,,,,

2025-02-03,buy, hubc ,200,135.50,,,,,,
2025-03-10,SELL,HUBC,150,150.00,,,,,,
2025-04-14,DIVIDEND,HUBC,150,4,,,,,,
2025-05-12,BONUS,HUBC,15,,,,,,,
2025-06-16,SPLIT,HUBC,,,,2,,,,
2025-07-14,SELL,HUBC,200,70.00,,,,,,
2025-08-01,WITHDRAWAL,,,,5000,,,,,
"""


def test_the_fixture_statement_imports_as_typed_in_with_file_line_numbers() -> None:
    lines, errors = parse_statement(STATEMENT, CASH, today=TODAY)
    assert errors == []
    # Line 4 is blank: numbers are the file's, header on line 1.
    assert [s.line for s in lines] == [2, 3, 5, 6, 7, 8, 9, 10, 11]
    assert [s.entry for s in lines] == [replace(e, id=None) for e in statement(CASH)]
    assert check_with_ledger([], lines, CASH) is None


def test_every_bad_line_is_named_with_its_column() -> None:
    text = """type,date,symbol,quantity,price
BUY,2025-01-06,HUBC,100,120.005
GIFT,2025-01-06,HUBC,1,1
BUY,06/01/2025,HUBC,1,1
BUY,2025-01-06,HUBC,1.5,1
BUY,2025-01-06,HUBC,10
SELL,2025-01-05,HUBC,10,1.00
BUY,2025-01-06,HUBC,10,1.00
"""
    lines, errors = parse_statement(text, PortfolioPolicy(), today=TODAY)
    assert [(e.field, e.code) for e in errors] == [
        ("csv[2].price", ErrorCode.INVALID),
        ("csv[3].type", ErrorCode.INVALID),
        ("csv[4].tradeDate", ErrorCode.INVALID),
        ("csv[5].quantity", ErrorCode.INVALID),
        ("csv[6]", ErrorCode.INVALID),
        ("csv[7].tradeDate", ErrorCode.INVALID),
    ]
    assert errors[0].message == "Line 2: The price must be on the Rs 0.01 tick."
    assert errors[4].message == "Line 6: 4 cells where the header has 5."
    assert [s.line for s in lines] == [8]


def test_a_header_with_an_unknown_or_missing_column_is_refused_on_line_one() -> None:
    _, unknown = parse_statement(
        "date,type,isin\n2025-01-06,BUY,X\n", PortfolioPolicy(), today=TODAY
    )
    assert [
        (e.field, e.message.startswith("Line 1: unknown column(s): isin")) for e in unknown
    ] == [("csv[1]", True)]
    _, missing = parse_statement("date,symbol\n2025-01-06,HUBC\n", PortfolioPolicy(), today=TODAY)
    assert missing[0].message == "Line 1: missing required column(s): type."
    _, empty = parse_statement("\n\n", PortfolioPolicy(), today=TODAY)
    assert [(e.field, e.message) for e in empty] == [("csv", "The file is empty.")]


def test_a_sale_beyond_the_holding_names_its_line_against_the_stored_ledger() -> None:
    policy = PortfolioPolicy()
    stored = statement(policy)[:2]  # 300 HUBC held after 3 Feb 2025
    text = """date,type,symbol,quantity,price
2025-03-10,SELL,HUBC,200,150.00
2025-03-11,SELL,HUBC,101,150.00
"""
    lines, errors = parse_statement(text, policy, today=TODAY)
    assert errors == []
    broken = check_with_ledger(stored, lines, policy)
    assert broken is not None
    assert (broken.field, broken.message) == (
        "csv[3].quantity",
        "Line 3: Cannot sell 101 HUBC on 2025-03-11: 100 held.",
    )


def test_cash_below_zero_names_the_days_last_imported_line() -> None:
    text = """date,type,symbol,quantity,price,amount
2025-01-02,DEPOSIT,,,,10000
2025-01-06,BUY,HUBC,50,120.00,
2025-01-06,BUY,HUBC,50,120.00,
"""
    lines, errors = parse_statement(text, CASH, today=TODAY)
    assert errors == []
    broken = check_with_ledger([], lines, CASH)
    assert broken is not None and broken.field == "csv[4].quantity"
    assert broken.message.startswith("Line 4: Cash would fall to Rs -2,0")
