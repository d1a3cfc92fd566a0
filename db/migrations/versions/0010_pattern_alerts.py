"""Pattern alerts: the candlestick or chart pattern a PATTERN alert watches for.

`alerts.pattern` holds a PatternKind name; the check keeps it set on PATTERN alerts and null on
every other condition.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the pattern column and its check."""
    op.add_column("alerts", sa.Column("pattern", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_alerts_pattern"), "alerts", "(condition = 'PATTERN') = (pattern IS NOT NULL)"
    )


def downgrade() -> None:
    """Drop the pattern column, and the PATTERN alerts and events the older code cannot read."""
    op.execute("DELETE FROM alert_events WHERE condition = 'PATTERN'")
    op.execute("DELETE FROM alerts WHERE condition = 'PATTERN'")
    op.drop_constraint(op.f("ck_alerts_pattern"), "alerts", type_="check")
    op.drop_column("alerts", "pattern")
