"""Company fundamentals: financial statements per instrument and fiscal period.

One row per instrument, period kind (ANNUAL or QUARTERLY), fiscal year and quarter; an
annual row has no quarter and the unique key treats NULLs as equal, so a year cannot be
stored twice. Check constraints refuse impossible rows: a quarter outside 1-4, a quarter on
an annual row, no shares, equity above assets, negative revenue, debt, cash or dividends.
Gross profit, EBITDA, current assets and liabilities are nullable: banks do not report them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AMOUNT = sa.Numeric(precision=22, scale=2)
PER_SHARE = sa.Numeric(precision=18, scale=4)


def upgrade() -> None:
    """Create the statements table."""
    op.create_table(
        "financial_statements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("fiscal_year", sa.SmallInteger(), nullable=False),
        sa.Column("fiscal_quarter", sa.SmallInteger(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("revenue", AMOUNT, nullable=False),
        sa.Column("gross_profit", AMOUNT, nullable=True),
        sa.Column("operating_profit", AMOUNT, nullable=True),
        sa.Column("ebitda", AMOUNT, nullable=True),
        sa.Column("net_income", AMOUNT, nullable=False),
        sa.Column("eps", PER_SHARE, nullable=False),
        sa.Column("total_assets", AMOUNT, nullable=False),
        sa.Column("total_equity", AMOUNT, nullable=False),
        sa.Column("total_debt", AMOUNT, nullable=True),
        sa.Column("cash", AMOUNT, nullable=True),
        sa.Column("current_assets", AMOUNT, nullable=True),
        sa.Column("current_liabilities", AMOUNT, nullable=True),
        sa.Column("operating_cash_flow", AMOUNT, nullable=True),
        sa.Column("dividends_per_share", PER_SHARE, nullable=True),
        sa.Column("book_value_per_share", PER_SHARE, nullable=False),
        sa.Column("shares", sa.BigInteger(), nullable=False),
        sa.Column("data_source", sa.String(length=16), server_default="SIMULATED", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "period IN ('ANNUAL','QUARTERLY')", name=op.f("ck_financial_statements_period_values")
        ),
        sa.CheckConstraint(
            "(period = 'ANNUAL' AND fiscal_quarter IS NULL)"
            " OR (period = 'QUARTERLY' AND fiscal_quarter BETWEEN 1 AND 4)",
            name=op.f("ck_financial_statements_quarter"),
        ),
        sa.CheckConstraint(
            "fiscal_year BETWEEN 1900 AND 2200", name=op.f("ck_financial_statements_fiscal_year")
        ),
        sa.CheckConstraint("shares > 0", name=op.f("ck_financial_statements_shares")),
        sa.CheckConstraint("total_assets > 0", name=op.f("ck_financial_statements_assets")),
        sa.CheckConstraint(
            "total_equity <= total_assets",
            name=op.f("ck_financial_statements_equity_within_assets"),
        ),
        sa.CheckConstraint("revenue >= 0", name=op.f("ck_financial_statements_revenue")),
        sa.CheckConstraint(
            "gross_profit <= revenue", name=op.f("ck_financial_statements_gross_within_revenue")
        ),
        sa.CheckConstraint(
            "total_debt >= 0 AND cash >= 0 AND current_assets >= 0 AND current_liabilities >= 0",
            name=op.f("ck_financial_statements_not_negative"),
        ),
        sa.CheckConstraint(
            "dividends_per_share >= 0", name=op.f("ck_financial_statements_dividends")
        ),
        sa.CheckConstraint(
            "published_on >= period_end",
            name=op.f("ck_financial_statements_published_after_end"),
        ),
        sa.CheckConstraint(
            "data_source IN ('SIMULATED','CSV')",
            name=op.f("ck_financial_statements_source_values"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_financial_statements_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_financial_statements")),
        sa.UniqueConstraint(
            "instrument_id",
            "period",
            "fiscal_year",
            "fiscal_quarter",
            name="uq_financial_statements_period",
            postgresql_nulls_not_distinct=True,
        ),
    )


def downgrade() -> None:
    """Drop the statements table."""
    op.drop_table("financial_statements")
