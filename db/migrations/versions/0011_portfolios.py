"""Portfolios: portfolios, their transaction ledgers, watchlists and their items.

A market corporate action is applied to a portfolio at most once: the partial unique index on
(portfolio_id, corporate_action_id) holds that in the database as well as in the code.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TYPES = "'BUY', 'SELL', 'DIVIDEND', 'BONUS', 'RIGHT', 'SPLIT', 'DEPOSIT', 'WITHDRAWAL', 'FEE'"


def _created(name: str = "created_at") -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def upgrade() -> None:
    """Create the portfolio and watchlist tables."""
    op.create_table(
        "portfolios",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("base_currency", sa.Text(), server_default="PKR", nullable=False),
        sa.Column("cost_method", sa.Text(), server_default="FIFO", nullable=False),
        sa.Column("tracks_cash", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("filer", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("ledger_version", sa.BigInteger(), server_default="0", nullable=False),
        _created(),
        sa.CheckConstraint(
            "cost_method IN ('FIFO', 'AVERAGE')", name=op.f("ck_portfolios_cost_method")
        ),
        sa.CheckConstraint("base_currency = 'PKR'", name=op.f("ck_portfolios_base_currency")),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 80", name=op.f("ck_portfolios_name")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_portfolios_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolios")),
        sa.UniqueConstraint("user_id", "name", name="uq_portfolios_user_id_name"),
    )
    op.create_table(
        "portfolio_transactions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("portfolio_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("trade_date", sa.Date(), nullable=False),
        sa.Column("settlement_date", sa.Date(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=6), server_default="0", nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column("ratio", sa.Numeric(precision=16, scale=6), nullable=True),
        sa.Column("fees", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column("taxes", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("corporate_action_id", sa.Integer(), nullable=True),
        _created(),
        sa.CheckConstraint(f"type IN ({_TYPES})", name=op.f("ck_portfolio_transactions_type")),
        sa.CheckConstraint(
            "settlement_date >= trade_date", name=op.f("ck_portfolio_transactions_settlement")
        ),
        sa.CheckConstraint(
            "quantity >= 0 AND price >= 0 AND amount >= 0 AND fees >= 0 AND taxes >= 0",
            name=op.f("ck_portfolio_transactions_non_negative"),
        ),
        sa.CheckConstraint(
            "type NOT IN ('BUY', 'SELL', 'DIVIDEND', 'BONUS', 'RIGHT') OR quantity > 0",
            name=op.f("ck_portfolio_transactions_quantity"),
        ),
        sa.CheckConstraint(
            "type NOT IN ('BUY', 'SELL', 'RIGHT') OR price > 0",
            name=op.f("ck_portfolio_transactions_price"),
        ),
        sa.CheckConstraint(
            "type NOT IN ('DEPOSIT', 'WITHDRAWAL', 'FEE') OR amount > 0",
            name=op.f("ck_portfolio_transactions_amount"),
        ),
        sa.CheckConstraint(
            "type IN ('DEPOSIT', 'WITHDRAWAL', 'FEE') OR symbol IS NOT NULL",
            name=op.f("ck_portfolio_transactions_symbol"),
        ),
        sa.CheckConstraint(
            "(type = 'SPLIT') = (ratio IS NOT NULL AND ratio > 0)",
            name=op.f("ck_portfolio_transactions_ratio"),
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_transactions_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portfolio_transactions")),
    )
    op.create_index(
        "ix_portfolio_transactions_portfolio_id_trade_date",
        "portfolio_transactions",
        ["portfolio_id", "trade_date"],
    )
    op.create_index(
        "uq_portfolio_transactions_portfolio_id_corporate_action_id",
        "portfolio_transactions",
        ["portfolio_id", "corporate_action_id"],
        unique=True,
        postgresql_where=sa.text("corporate_action_id IS NOT NULL"),
    )
    op.create_table(
        "watchlists",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        _created(),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 80", name=op.f("ck_watchlists_name")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_watchlists_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlists")),
        sa.UniqueConstraint("user_id", "name", name="uq_watchlists_user_id_name"),
    )
    op.create_table(
        "watchlist_items",
        sa.Column("watchlist_id", sa.Uuid(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        _created("added_at"),
        sa.ForeignKeyConstraint(
            ["watchlist_id"],
            ["watchlists.id"],
            name=op.f("fk_watchlist_items_watchlist_id_watchlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("watchlist_id", "symbol", name="pk_watchlist_items"),
    )


def downgrade() -> None:
    """Drop the portfolio and watchlist tables."""
    op.drop_table("watchlist_items")
    op.drop_table("watchlists")
    op.drop_index(
        "uq_portfolio_transactions_portfolio_id_corporate_action_id",
        table_name="portfolio_transactions",
        postgresql_where=sa.text("corporate_action_id IS NOT NULL"),
    )
    op.drop_index(
        "ix_portfolio_transactions_portfolio_id_trade_date", table_name="portfolio_transactions"
    )
    op.drop_table("portfolio_transactions")
    op.drop_table("portfolios")
