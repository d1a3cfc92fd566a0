"""Tables of company fundamentals: one row per instrument and fiscal period.

Conventions are those of `domain.fundamentals.statements`: amounts in rupees, flows for the
period alone, balance-sheet items at the period end, per-share figures restated for later
bonus issues and splits. NULL means "not reported" (a bank has no gross profit).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

AMOUNT = Numeric(22, 2)
PER_SHARE = Numeric(18, 4)


class FinancialStatementRow(Base):
    """A company's statement for one fiscal year or quarter."""

    __tablename__ = "financial_statements"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    fiscal_year: Mapped[int] = mapped_column(SmallInteger)
    fiscal_quarter: Mapped[int | None] = mapped_column(SmallInteger)
    period_end: Mapped[date] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    revenue: Mapped[Decimal] = mapped_column(AMOUNT)
    gross_profit: Mapped[Decimal | None] = mapped_column(AMOUNT)
    operating_profit: Mapped[Decimal | None] = mapped_column(AMOUNT)
    ebitda: Mapped[Decimal | None] = mapped_column(AMOUNT)
    net_income: Mapped[Decimal] = mapped_column(AMOUNT)
    eps: Mapped[Decimal] = mapped_column(PER_SHARE)
    total_assets: Mapped[Decimal] = mapped_column(AMOUNT)
    total_equity: Mapped[Decimal] = mapped_column(AMOUNT)
    total_debt: Mapped[Decimal | None] = mapped_column(AMOUNT)
    cash: Mapped[Decimal | None] = mapped_column(AMOUNT)
    current_assets: Mapped[Decimal | None] = mapped_column(AMOUNT)
    current_liabilities: Mapped[Decimal | None] = mapped_column(AMOUNT)
    operating_cash_flow: Mapped[Decimal | None] = mapped_column(AMOUNT)
    dividends_per_share: Mapped[Decimal | None] = mapped_column(PER_SHARE)
    book_value_per_share: Mapped[Decimal] = mapped_column(PER_SHARE)
    shares: Mapped[int] = mapped_column(BigInteger)
    data_source: Mapped[str] = mapped_column(String(16), server_default="SIMULATED")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        # An annual row has no quarter; NULLS NOT DISTINCT keeps one row per fiscal year.
        UniqueConstraint(
            "instrument_id",
            "period",
            "fiscal_year",
            "fiscal_quarter",
            name="uq_financial_statements_period",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("period IN ('ANNUAL','QUARTERLY')", name="period_values"),
        CheckConstraint(
            "(period = 'ANNUAL' AND fiscal_quarter IS NULL)"
            " OR (period = 'QUARTERLY' AND fiscal_quarter BETWEEN 1 AND 4)",
            name="quarter",
        ),
        CheckConstraint("fiscal_year BETWEEN 1900 AND 2200", name="fiscal_year"),
        CheckConstraint("shares > 0", name="shares"),
        CheckConstraint("total_assets > 0", name="assets"),
        CheckConstraint("total_equity <= total_assets", name="equity_within_assets"),
        CheckConstraint("revenue >= 0", name="revenue"),
        CheckConstraint("gross_profit <= revenue", name="gross_within_revenue"),
        CheckConstraint(
            "total_debt >= 0 AND cash >= 0 AND current_assets >= 0 AND current_liabilities >= 0",
            name="not_negative",
        ),
        CheckConstraint("dividends_per_share >= 0", name="dividends"),
        CheckConstraint("published_on >= period_end", name="published_after_end"),
        CheckConstraint("data_source IN ('SIMULATED','CSV')", name="source_values"),
    )
