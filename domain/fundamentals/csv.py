"""The fundamentals CSV read by `psx-analytics import fundamentals FILE.csv`.

One financial statement per row, comma-separated, UTF-8 (a byte-order mark is allowed). The
first row is a header naming the columns, in any order; names are case-insensitive.

Required columns:

- `symbol`: the PSX symbol (upper-cased on import); it must already exist.
- `period`: `ANNUAL` or `QUARTERLY` (any case).
- `fiscal_year`: the fiscal year, named by the calendar year it ends in (the year to
  30 June 2026 is 2026).
- `period_end`: the last day of the period, ISO `YYYY-MM-DD`; it must fall in `fiscal_year`
  (for a quarter: `period_end` plus the quarters left in the year ends in `fiscal_year`).
- `revenue` (>= 0; a bank's total income), `net_income` (profit after tax, negative for a
  loss), `total_assets` (> 0), `total_equity` (at most `total_assets`): rupees.
- `shares`: shares in issue at `period_end`, a whole number > 0.

Optional columns (an empty cell means "not reported"):

- `quarter`: 1 to 4 (the first three months of the fiscal year are 1); required on
  QUARTERLY rows, empty on ANNUAL ones.
- `eps`: earnings per share; when empty, `net_income / shares` to the paisa.
- `book_value_per_share`: when empty, `total_equity / shares` to the paisa.
- `gross_profit` (at most `revenue`), `operating_profit`, `ebitda`, `operating_cash_flow`:
  rupees, may be negative.
- `total_debt`, `cash`, `current_assets`, `current_liabilities`: rupees, >= 0; `cash` and
  `current_assets` at most `total_assets`.
- `dividends_per_share`: rupees per share declared for the period, >= 0.
- `published_on`: ISO date the results were announced, not before `period_end`.

Amounts are rupees, not thousands, kept to the paisa; per-share figures are kept to 0.0001
(both rounded half up, as stored). Flow figures are for the period alone (a quarter's three
months, not the year to date). Numbers may carry thousands separators if the cell is quoted
(`"1,250,000"`). Blank lines are skipped. An unknown, repeated or missing column rejects the
whole file; a bad row is reported with its line number and reason, and the other rows are
still imported. A period repeated in the file (same symbol, period, fiscal year and quarter)
is rejected on its later line.

Example:

    symbol,period,fiscal_year,quarter,period_end,revenue,net_income,eps,shares,total_assets,total_equity,dividends_per_share
    OGDC,ANNUAL,2025,,2025-06-30,421000000000,178000000000,41.39,4300928400,1650000000000,1210000000000,15.05
    OGDC,QUARTERLY,2026,1,2025-09-30,101000000000,44000000000,10.23,4300928400,1680000000000,1240000000000,4.00
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import overload

from domain.csv_headers import header_columns, non_blank
from domain.fundamentals.statements import FinancialStatement, PeriodKind, fiscal_year_end
from domain.markets.closing_files import Rejection, parse_number
from domain.markets.instruments import DataSource

REQUIRED_COLUMNS = (
    "symbol",
    "period",
    "fiscal_year",
    "period_end",
    "revenue",
    "net_income",
    "total_assets",
    "total_equity",
    "shares",
)
OPTIONAL_COLUMNS = (
    "quarter",
    "eps",
    "book_value_per_share",
    "gross_profit",
    "operating_profit",
    "ebitda",
    "operating_cash_flow",
    "total_debt",
    "cash",
    "current_assets",
    "current_liabilities",
    "dividends_per_share",
    "published_on",
)
_SIGNED = ("gross_profit", "operating_profit", "ebitda", "operating_cash_flow")
_NOT_NEGATIVE = ("total_debt", "cash", "current_assets", "current_liabilities")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PAISA = Decimal("0.01")
_PER_SHARE = Decimal("0.0001")
_FIRST_YEAR, _LAST_YEAR = 1900, 2200


class FundamentalsCsvError(ValueError):
    """The file as a whole cannot be read: no header, or unknown, repeated or missing columns."""


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One valid row: the statement of `symbol` it holds, and where it was in the file."""

    line_no: int
    symbol: str
    statement: FinancialStatement


def parse_fundamentals_csv(text: str) -> tuple[list[StatementRow], list[Rejection]]:
    """Parse a fundamentals CSV (format in the module docstring).

    Args:
        text: The decoded file.

    Returns:
        The valid rows and the rejected ones, each in file order; line numbers are 1-based
        and count the header. Statements are marked `DataSource.CSV`.

    Raises:
        FundamentalsCsvError: The header is absent, names an unknown column, repeats a column
            or lacks a required one.
    """
    lines = text.removeprefix("\ufeff").splitlines()
    reader = csv.reader(lines)
    header = next(non_blank(reader), None)
    if header is None:
        raise FundamentalsCsvError("empty file: a header row is required")
    columns = header_columns(
        header, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, error=FundamentalsCsvError
    )

    rows: list[StatementRow] = []
    rejections: list[Rejection] = []
    seen: dict[tuple[str, PeriodKind, int, int | None], int] = {}
    for record in non_blank(reader):
        line_no = reader.line_num
        line = lines[line_no - 1]
        if len(record) != len(columns):
            reason = f"wrong field count: expected {len(columns)}, got {len(record)}"
            rejections.append(Rejection(line_no, reason, line))
            continue
        parsed = _parse_row(line_no, dict(zip(columns, record, strict=True)))
        if isinstance(parsed, str):
            rejections.append(Rejection(line_no, parsed, line))
            continue
        key = (parsed.symbol, *parsed.statement.key)
        if key in seen:
            rejections.append(Rejection(line_no, f"repeats the period of line {seen[key]}", line))
            continue
        seen[key] = line_no
        rows.append(parsed)
    return rows, rejections


class _RowError(ValueError):
    """A cell that cannot be used; the message is the row's rejection reason."""


def _date(cells: dict[str, str], name: str) -> date | None:
    raw = cells.get(name, "").strip()
    if not raw:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise _RowError(f"bad date: {name} {raw!r} (expected YYYY-MM-DD)") from None


def _number(cells: dict[str, str], name: str) -> Decimal | None:
    raw = cells.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_number(raw)
    except ValueError:
        raise _RowError(f"bad number: {name} {raw!r}") from None


@overload
def _paisa(value: Decimal) -> Decimal: ...
@overload
def _paisa(value: None) -> None: ...
def _paisa(value: Decimal | None) -> Decimal | None:
    """An amount as stored: to the paisa."""
    return None if value is None else value.quantize(_PAISA, ROUND_HALF_UP)


@overload
def _four_places(value: Decimal) -> Decimal: ...
@overload
def _four_places(value: None) -> None: ...
def _four_places(value: Decimal | None) -> Decimal | None:
    """A per-share figure as stored: to 0.0001."""
    return None if value is None else value.quantize(_PER_SHARE, ROUND_HALF_UP)


def _whole(cells: dict[str, str], name: str) -> int | None:
    value = _number(cells, name)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise _RowError(f"bad number: {name} {cells[name].strip()!r} is not a whole number")
    return int(value)


def _required(cells: dict[str, str], name: str) -> Decimal:
    value = _number(cells, name)
    if value is None:
        raise _RowError(f"missing {name}")
    return value


def _parse_row(line_no: int, cells: dict[str, str]) -> StatementRow | str:
    try:
        return _statement_row(line_no, cells)
    except _RowError as bad:
        return str(bad)


def _statement_row(line_no: int, cells: dict[str, str]) -> StatementRow:
    symbol = cells["symbol"].strip().upper()
    if not symbol:
        raise _RowError("empty symbol")
    raw_period = cells["period"].strip().upper()
    try:
        period = PeriodKind(raw_period)
    except ValueError:
        raise _RowError(f"bad period: {raw_period!r} (expected ANNUAL or QUARTERLY)") from None
    fiscal_year = _whole(cells, "fiscal_year")
    if fiscal_year is None:
        raise _RowError("missing fiscal_year")
    if not _FIRST_YEAR <= fiscal_year <= _LAST_YEAR:
        raise _RowError(f"fiscal_year {fiscal_year} out of range {_FIRST_YEAR}-{_LAST_YEAR}")
    quarter = _whole(cells, "quarter")
    if period is PeriodKind.QUARTERLY and quarter is None:
        raise _RowError("missing quarter on a QUARTERLY row")
    if period is PeriodKind.ANNUAL and quarter is not None:
        raise _RowError("quarter given on an ANNUAL row")
    if quarter is not None and not 1 <= quarter <= 4:
        raise _RowError(f"quarter {quarter} out of range 1-4")
    period_end = _date(cells, "period_end")
    if period_end is None:
        raise _RowError("missing period_end")
    ends = fiscal_year_end(period, quarter, period_end)
    if ends.year != fiscal_year:
        raise _RowError(
            f"period_end {period_end} does not fall in fiscal year {fiscal_year}"
            f" (that period's year ends on {ends})"
        )
    published_on = _date(cells, "published_on")
    if published_on is not None and published_on < period_end:
        raise _RowError(f"published_on {published_on} is before period_end {period_end}")

    revenue = _required(cells, "revenue")
    net_income = _required(cells, "net_income")
    total_assets = _required(cells, "total_assets")
    total_equity = _required(cells, "total_equity")
    shares = _whole(cells, "shares")
    if shares is None:
        raise _RowError("missing shares")
    if shares <= 0:
        raise _RowError(f"shares must be positive, got {shares}")
    if revenue < 0:
        raise _RowError(f"negative revenue: {revenue}")
    if total_assets <= 0:
        raise _RowError(f"total_assets must be positive, got {total_assets}")
    if total_equity > total_assets:
        raise _RowError(f"total_equity {total_equity} exceeds total_assets {total_assets}")
    signed = {name: _number(cells, name) for name in _SIGNED}
    unsigned = {name: _number(cells, name) for name in _NOT_NEGATIVE}
    for name, value in unsigned.items():
        if value is not None and value < 0:
            raise _RowError(f"negative {name}: {value}")
    gross_profit = signed["gross_profit"]
    if gross_profit is not None and gross_profit > revenue:
        raise _RowError(f"gross_profit {gross_profit} exceeds revenue {revenue}")
    for name in ("cash", "current_assets"):
        value = unsigned[name]
        if value is not None and value > total_assets:
            raise _RowError(f"{name} {value} exceeds total_assets {total_assets}")
    dps = _number(cells, "dividends_per_share")
    if dps is not None and dps < 0:
        raise _RowError(f"negative dividends_per_share: {dps}")
    eps = _number(cells, "eps")
    if eps is None:
        eps = (net_income / shares).quantize(_PAISA, ROUND_HALF_UP)
    book = _number(cells, "book_value_per_share")
    if book is None:
        book = (total_equity / shares).quantize(_PAISA, ROUND_HALF_UP)
    return StatementRow(
        line_no=line_no,
        symbol=symbol,
        statement=FinancialStatement(
            period=period,
            fiscal_year=fiscal_year,
            fiscal_quarter=quarter,
            period_end=period_end,
            revenue=_paisa(revenue),
            net_income=_paisa(net_income),
            eps=_four_places(eps),
            total_assets=_paisa(total_assets),
            total_equity=_paisa(total_equity),
            book_value_per_share=_four_places(book),
            shares=shares,
            gross_profit=_paisa(gross_profit),
            operating_profit=_paisa(signed["operating_profit"]),
            ebitda=_paisa(signed["ebitda"]),
            total_debt=_paisa(unsigned["total_debt"]),
            cash=_paisa(unsigned["cash"]),
            current_assets=_paisa(unsigned["current_assets"]),
            current_liabilities=_paisa(unsigned["current_liabilities"]),
            operating_cash_flow=_paisa(signed["operating_cash_flow"]),
            dividends_per_share=_four_places(dps),
            published_on=published_on,
            data_source=DataSource.CSV,
        ),
    )
