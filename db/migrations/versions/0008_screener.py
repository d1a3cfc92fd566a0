"""The screener: a per-instrument snapshot of every screenable field, and saved screens.

`screen_snapshots` holds one row per instrument, rebuilt by the seed, the ingester at each
session's close and `psx-analytics refresh-screener`; a screen is one scan of it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the screener tables."""
    op.create_table(
        "screen_snapshots",
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column(
            "index_codes",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("market_cap", sa.Double(), nullable=True),
        sa.Column("price", sa.Double(), nullable=True),
        sa.Column("change_percent", sa.Double(), nullable=True),
        sa.Column("volume", sa.Double(), nullable=True),
        sa.Column("average_volume", sa.Double(), nullable=True),
        sa.Column("relative_volume", sa.Double(), nullable=True),
        sa.Column("turnover", sa.Double(), nullable=True),
        sa.Column("free_float", sa.Double(), nullable=True),
        sa.Column("pe", sa.Double(), nullable=True),
        sa.Column("pb", sa.Double(), nullable=True),
        sa.Column("ps", sa.Double(), nullable=True),
        sa.Column("ev_ebitda", sa.Double(), nullable=True),
        sa.Column("eps", sa.Double(), nullable=True),
        sa.Column("dividend_yield", sa.Double(), nullable=True),
        sa.Column("payout_ratio", sa.Double(), nullable=True),
        sa.Column("roe", sa.Double(), nullable=True),
        sa.Column("roa", sa.Double(), nullable=True),
        sa.Column("net_margin", sa.Double(), nullable=True),
        sa.Column("gross_margin", sa.Double(), nullable=True),
        sa.Column("debt_to_equity", sa.Double(), nullable=True),
        sa.Column("current_ratio", sa.Double(), nullable=True),
        sa.Column("eps_growth_yoy", sa.Double(), nullable=True),
        sa.Column("revenue_growth_yoy", sa.Double(), nullable=True),
        sa.Column("eps_cagr_3y", sa.Double(), nullable=True),
        sa.Column("revenue_cagr_3y", sa.Double(), nullable=True),
        sa.Column("perf_1w", sa.Double(), nullable=True),
        sa.Column("perf_1m", sa.Double(), nullable=True),
        sa.Column("perf_3m", sa.Double(), nullable=True),
        sa.Column("perf_6m", sa.Double(), nullable=True),
        sa.Column("perf_ytd", sa.Double(), nullable=True),
        sa.Column("perf_1y", sa.Double(), nullable=True),
        sa.Column("rsi14", sa.Double(), nullable=True),
        sa.Column("sma20", sa.Double(), nullable=True),
        sa.Column("sma50", sa.Double(), nullable=True),
        sa.Column("sma200", sa.Double(), nullable=True),
        sa.Column("price_vs_sma20", sa.Double(), nullable=True),
        sa.Column("price_vs_sma50", sa.Double(), nullable=True),
        sa.Column("price_vs_sma200", sa.Double(), nullable=True),
        sa.Column("high_52w", sa.Double(), nullable=True),
        sa.Column("low_52w", sa.Double(), nullable=True),
        sa.Column("from_52w_high", sa.Double(), nullable=True),
        sa.Column("from_52w_low", sa.Double(), nullable=True),
        sa.Column("gap", sa.Double(), nullable=True),
        sa.Column("atr_percent", sa.Double(), nullable=True),
        sa.Column("volatility", sa.Double(), nullable=True),
        sa.Column("beta", sa.Double(), nullable=True),
        sa.Column(
            "refreshed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_screen_snapshots_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instrument_id", name=op.f("pk_screen_snapshots")),
    )
    op.create_index("ix_screen_snapshots_sector", "screen_snapshots", ["sector"])
    op.create_index(
        "ix_screen_snapshots_index_codes",
        "screen_snapshots",
        ["index_codes"],
        postgresql_using="gin",
    )
    op.create_index("ix_screen_snapshots_market_cap", "screen_snapshots", ["market_cap"])
    op.create_table(
        "saved_screens",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("filter", postgresql.JSONB(), nullable=False),
        sa.Column("sort", postgresql.JSONB(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_screens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_screens")),
        sa.UniqueConstraint("user_id", "name", name="uq_saved_screens_user_id_name"),
    )


def downgrade() -> None:
    """Drop the screener tables."""
    op.drop_table("saved_screens")
    op.drop_index("ix_screen_snapshots_market_cap", table_name="screen_snapshots")
    op.drop_index("ix_screen_snapshots_index_codes", table_name="screen_snapshots")
    op.drop_index("ix_screen_snapshots_sector", table_name="screen_snapshots")
    op.drop_table("screen_snapshots")
