"""Portfolio books: each portfolio's replayed ledger, stored with the ledger version it was
replayed at: `holdings` (what valuing the positions needs) and `ledger` (the entries with
the sales matched against lots and the state after each, what performance walks), read
apart.

The ledger stays the source of truth. A book is written in the transaction of every ledger
change, so a read that finds one of the portfolio's current version skips reading and
replaying the ledger's rows; any other (an older version, none yet) is ignored and the rows
replayed.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the portfolio_books table."""
    op.create_table(
        "portfolio_books",
        sa.Column("portfolio_id", sa.Uuid(), nullable=False),
        sa.Column("ledger_version", sa.BigInteger(), nullable=False),
        sa.Column("holdings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        # JSON as bytes: read back without jsonb's conversion to text (5 ms for a 2,000-entry
        # ledger); `convert_from(ledger, 'UTF8')::jsonb` shows it.
        sa.Column("ledger", sa.LargeBinary(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["portfolio_id"],
            ["portfolios.id"],
            name=op.f("fk_portfolio_books_portfolio_id_portfolios"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("portfolio_id", name=op.f("pk_portfolio_books")),
    )


def downgrade() -> None:
    """Drop the portfolio_books table."""
    op.drop_table("portfolio_books")
