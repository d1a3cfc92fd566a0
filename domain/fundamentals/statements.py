"""Financial statements of listed companies: one fiscal period's figures, in rupees.

A statement covers one fiscal year (ANNUAL) or one fiscal quarter (QUARTERLY). Flow figures
(revenue, profits, cash flow, EBITDA, dividends) are for the period alone: a quarterly
statement holds three months, never the year to date. Balance-sheet figures (assets, equity,
debt, cash, current assets and liabilities) are at `period_end`. Per-share figures and `shares`
are restated for later bonus issues and splits, the way IAS 33 presents prior periods in the
latest accounts, so EPS and dividends of different periods compare on one share basis.

Fiscal years are named by the calendar year they end in (PSX usage: the year to 30 June 2026
is FY2026); quarter 1 is the first three months of the fiscal year.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.markets.instruments import DataSource

MONTHS_PER_QUARTER = 3


class PeriodKind(enum.StrEnum):
    """What span a statement covers."""

    ANNUAL = "ANNUAL"
    QUARTERLY = "QUARTERLY"


@dataclass(frozen=True, slots=True)
class FinancialStatement:
    """One fiscal period of one company (see the module docstring for conventions).

    `None` means the company does not report the figure (a bank has no gross profit, current
    assets or EBITDA) or the source did not give it.
    """

    period: PeriodKind
    fiscal_year: int
    fiscal_quarter: int | None
    period_end: date
    revenue: Decimal
    net_income: Decimal
    eps: Decimal
    total_assets: Decimal
    total_equity: Decimal
    book_value_per_share: Decimal
    shares: int
    gross_profit: Decimal | None = None
    operating_profit: Decimal | None = None
    ebitda: Decimal | None = None
    total_debt: Decimal | None = None
    cash: Decimal | None = None
    current_assets: Decimal | None = None
    current_liabilities: Decimal | None = None
    operating_cash_flow: Decimal | None = None
    dividends_per_share: Decimal | None = None
    published_on: date | None = None
    data_source: DataSource = DataSource.SIMULATED

    @property
    def key(self) -> tuple[PeriodKind, int, int | None]:
        """What identifies the period within one company: kind, fiscal year, quarter."""
        return (self.period, self.fiscal_year, self.fiscal_quarter)

    @property
    def quarter_index(self) -> int:
        """Quarters since year 0 (fiscal_year × 4 + quarter): consecutive quarters differ by 1.

        An annual statement counts as its fourth quarter.
        """
        return self.fiscal_year * 4 + (self.fiscal_quarter or 4)


def fiscal_year_end(period: PeriodKind, fiscal_quarter: int | None, period_end: date) -> date:
    """The month-end on which the fiscal year holding a period ends.

    Args:
        period: ANNUAL or QUARTERLY.
        fiscal_quarter: 1 to 4 for a quarter, None for a year.
        period_end: The last day of the period.

    Returns:
        `period_end` moved forward by the quarters left in its fiscal year, at month end (the
        day of month is not kept: a quarter ending 30 September of a June year gives 30 June).
    """
    left = 0 if period is PeriodKind.ANNUAL else 4 - (fiscal_quarter or 4)
    months = period_end.year * 12 + period_end.month - 1 + left * MONTHS_PER_QUARTER
    year, month = divmod(months, 12)
    return _month_end(year, month + 1)


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def newest_first(statements: list[FinancialStatement]) -> list[FinancialStatement]:
    """Statements sorted by period end, newest first (an annual before its fourth quarter)."""
    return sorted(
        statements,
        key=lambda s: (s.period_end, s.period is PeriodKind.ANNUAL),
        reverse=True,
    )
