"""Backtests: each user's stored runs.

One row per run: the strategy and settings as given (`request`), the symbols and the
sessions it covered, and the engine's metrics, equity curve, trades and taxes as JSON. Runs
are listed per user, newest first; deleting a user deletes their runs.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the backtests table."""
    op.create_table(
        "backtests",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("symbols", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("request", postgresql.JSONB(), nullable=False),
        sa.Column("metrics", postgresql.JSONB(), nullable=False),
        sa.Column("equity", postgresql.JSONB(), nullable=False),
        sa.Column("trades", postgresql.JSONB(), nullable=False),
        sa.Column("taxes", postgresql.JSONB(), nullable=False),
        sa.Column("bars", sa.Integer(), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_backtests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtests")),
    )
    op.create_index(
        "ix_backtests_user_id_created_at",
        "backtests",
        ["user_id", sa.text("created_at DESC")],
    )


def downgrade() -> None:
    """Drop the backtests table."""
    op.drop_index("ix_backtests_user_id_created_at", table_name="backtests")
    op.drop_table("backtests")
