"""A portfolio statement: holdings, transactions, realised gains with CGT by tax year,
dividends with withholding, and performance against the benchmark; and its CSV rendering.

A statement covers a period (`start`..`end`, both inclusive). Money is Decimal to the paisa
throughout and printed with 2 places; returns are printed as percentages with 2 places.

Capital gains tax (PSX.md section 3) is worked out per lot sold, at the rate of the lot's
acquisition date: 15% for lots acquired on or after 1 Jul 2016 (filers, whatever the holding
period, which is also the rule for lots from 1 Jul 2024); for lots acquired 1 Jul 2013 to
30 Jun 2016, 12.5% held under 12 months, 10% under 24 and 7.5% beyond; 0% for lots acquired
before 1 Jul 2013. As NCCPL does, gains and losses are netted within a tax year (1 Jul-30
Jun, named by its end year): the tax of a year is the sum of each piece's gain times its
rate, and nothing when that sum is below zero (losses are not carried). Non-filers pay more
(rates up to 45% under the slab proposal of June 2024); the statement then says that its
figure is at the filer rates, a lower bound.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.markets.costs import tax_year, to_paisa
from domain.portfolios.holdings import Book, Disposal
from domain.portfolios.ledger import ZERO, Transaction, TransactionType
from domain.portfolios.performance import Performance
from domain.portfolios.positions import Valuation

_HUNDRED = Decimal(100)
CGT_FLAT_FROM = date(2016, 7, 1)
CGT_EXEMPT_BEFORE = date(2013, 7, 1)


class ReportFormat(enum.StrEnum):
    """What a statement is rendered as."""

    CSV = "CSV"
    PDF = "PDF"

    @property
    def extension(self) -> str:
        """The file name's extension."""
        return self.value.lower()

    @property
    def media_type(self) -> str:
        """The HTTP content type."""
        return "text/csv; charset=utf-8" if self is ReportFormat.CSV else "application/pdf"


def cgt_rate(acquired: date, sold: date) -> Decimal:
    """The filer's CGT rate (percent) on shares acquired on `acquired` and sold on `sold`."""
    if acquired >= CGT_FLAT_FROM:
        return Decimal(15)
    if acquired < CGT_EXEMPT_BEFORE:
        return ZERO
    months = (sold.year - acquired.year) * 12 + sold.month - acquired.month
    if (sold.day < acquired.day) and months > 0:
        months -= 1
    if months < 12:
        return Decimal("12.5")
    if months < 24:
        return Decimal(10)
    return Decimal("7.5")


@dataclass(frozen=True, slots=True)
class RealisedPiece:
    """The part of a sale matched against one lot, with its gain and CGT rate."""

    sold: date
    symbol: str
    quantity: int
    acquired: date
    proceeds: Decimal
    cost: Decimal
    rate: Decimal

    @property
    def gain(self) -> Decimal:
        """Proceeds less cost (negative for a loss)."""
        return self.proceeds - self.cost

    @property
    def tax_year(self) -> int:
        """The tax year of the sale."""
        return tax_year(self.sold)


@dataclass(frozen=True, slots=True)
class TaxYearCgt:
    """A tax year's gains and losses netted, and the CGT on them."""

    tax_year: int
    gains: Decimal
    losses: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class DividendLine:
    """A cash dividend: gross, the tax withheld (s.150) and what was paid."""

    day: date
    symbol: str
    shares: int
    per_share: Decimal
    gross: Decimal
    withheld: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class TaxYearDividends:
    """A tax year's dividends."""

    tax_year: int
    gross: Decimal
    withheld: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class Statement:
    """Everything a statement shows, computed; rendering is formatting only."""

    portfolio_name: str
    generated_at: datetime
    start: date
    end: date
    filer: bool
    cost_method: str
    valuation: Valuation
    transactions: tuple[Transaction, ...]
    realised: tuple[RealisedPiece, ...]
    cgt: tuple[TaxYearCgt, ...]
    dividends: tuple[DividendLine, ...]
    dividends_by_year: tuple[TaxYearDividends, ...]
    performance: Performance | None


def _pieces(d: Disposal) -> list[RealisedPiece]:
    out: list[RealisedPiece] = []
    left = d.proceeds
    for i, m in enumerate(d.matches):
        last = i == len(d.matches) - 1
        share = left if last else to_paisa(d.proceeds * m.quantity / d.quantity)
        left -= share
        rate = cgt_rate(m.acquired, d.trade_date)
        out.append(
            RealisedPiece(d.trade_date, d.symbol, m.quantity, m.acquired, share, m.cost, rate)
        )
    return out


def cgt_by_tax_year(pieces: Sequence[RealisedPiece]) -> tuple[TaxYearCgt, ...]:
    """Gains and losses netted within each tax year, and the CGT due (module docstring)."""
    years = sorted({p.tax_year for p in pieces})
    out = []
    for year in years:
        inside = [p for p in pieces if p.tax_year == year]
        gains = sum((p.gain for p in inside if p.gain > 0), ZERO)
        losses = sum((p.gain for p in inside if p.gain < 0), ZERO)
        due = sum((p.gain * p.rate / _HUNDRED for p in inside), ZERO)
        out.append(TaxYearCgt(year, gains, losses, gains + losses, to_paisa(max(due, ZERO))))
    return tuple(out)


def build_statement(
    *,
    portfolio_name: str,
    generated_at: datetime,
    start: date,
    end: date,
    filer: bool,
    cost_method: str,
    ledger: Sequence[Transaction],
    book: Book,
    valuation: Valuation,
    performance: Performance | None,
) -> Statement:
    """A statement of the period from a replayed ledger, its valuation and its performance."""
    inside = tuple(tx for tx in ledger if start <= tx.trade_date <= end)
    pieces = tuple(p for d in book.disposals if start <= d.trade_date <= end for p in _pieces(d))
    dividends = tuple(
        DividendLine(
            tx.trade_date,
            tx.symbol or "",
            tx.quantity,
            tx.price,
            tx.gross,
            tx.taxes,
            tx.gross - tx.taxes - tx.fees,
        )
        for tx in inside
        if tx.type is TransactionType.DIVIDEND
    )
    by_year = []
    for year in sorted({tax_year(d.day) for d in dividends}):
        rows = [d for d in dividends if tax_year(d.day) == year]
        by_year.append(
            TaxYearDividends(
                year,
                sum((d.gross for d in rows), ZERO),
                sum((d.withheld for d in rows), ZERO),
                sum((d.net for d in rows), ZERO),
            )
        )
    return Statement(
        portfolio_name=portfolio_name,
        generated_at=generated_at,
        start=start,
        end=end,
        filer=filer,
        cost_method=cost_method,
        valuation=valuation,
        transactions=inside,
        realised=pieces,
        cgt=cgt_by_tax_year(pieces),
        dividends=dividends,
        dividends_by_year=tuple(by_year),
        performance=performance,
    )


def money(value: Decimal | None) -> str:
    """Rupees with 2 places (empty for none)."""
    return "" if value is None else f"{to_paisa(value):.2f}"


def percent(value: float | None) -> str:
    """A fraction as a percentage with 2 places (empty for none)."""
    return "" if value is None else f"{value * 100:.2f}"


def tax_year_name(year: int) -> str:
    """`2025` as "2024-25" (1 Jul 2024 to 30 Jun 2025)."""
    return f"{year - 1}-{year % 100:02d}"


CGT_NOTE = "CGT at filer rates by lot acquisition date; losses net within a tax year."
NON_FILER_NOTE = "Non-filer: CGT shown at filer rates is a lower bound (higher rates apply)."
