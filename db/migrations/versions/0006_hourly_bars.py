"""Hourly bars: a rollup of 1-minute bars, aligned to each session's open like `chart` H1.

Charts of H1 over long ranges read it instead of aggregating every minute of the range.
`psx_refresh_hourly(ids, first_day, last_day)` rebuilds the hours of those instruments and
days from `minute_bars`; every writer of minute bars (seed, imports, the ingester's flush)
calls it in the same transaction, so the rollup never disagrees with the minutes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFRESH = """
CREATE OR REPLACE FUNCTION psx_refresh_hourly(ids integer[], first_day date, last_day date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := (first_day::timestamp AT TIME ZONE 'Asia/Karachi');
    hi timestamptz := ((last_day + 1)::timestamp AT TIME ZONE 'Asia/Karachi');
    made integer;
BEGIN
    DELETE FROM hourly_bars WHERE instrument_id = ANY(ids) AND ts >= lo AND ts < hi;
    INSERT INTO hourly_bars (instrument_id, ts, open, high, low, close, volume, turnover, trades)
    SELECT b.instrument_id, date_bin(interval '1 hour', b.ts, s.open_at),
           (array_agg(b.open ORDER BY b.ts))[1], max(b.high), min(b.low),
           (array_agg(b.close ORDER BY b.ts DESC))[1],
           sum(b.volume), sum(b.turnover), sum(b.trades)
      FROM minute_bars b
      JOIN trading_sessions s ON s.day = (b.ts AT TIME ZONE 'Asia/Karachi')::date
                             AND b.ts >= s.open_at AND b.ts < s.close_at
     WHERE b.instrument_id = ANY(ids) AND b.ts >= lo AND b.ts < hi
       AND s.day BETWEEN first_day AND last_day
     GROUP BY 1, 2;
    GET DIAGNOSTICS made = ROW_COUNT;
    RETURN made;
END $$
"""


def upgrade() -> None:
    """Create the rollup, its refresh function, and fill it from the stored minutes."""
    op.create_table(
        "hourly_bars",
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("high", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("low", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("close", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("turnover", sa.Numeric(precision=22, scale=2), nullable=False),
        sa.Column("trades", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_hourly_bars_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instrument_id", "ts", name=op.f("pk_hourly_bars")),
    )
    op.execute(REFRESH)
    op.execute(
        """
        SELECT psx_refresh_hourly(ids, lo, hi)
          FROM (SELECT array_agg(id) AS ids FROM instruments) i,
               (SELECT (min(ts) AT TIME ZONE 'Asia/Karachi')::date AS lo,
                       (max(ts) AT TIME ZONE 'Asia/Karachi')::date AS hi FROM minute_bars) r
         WHERE r.lo IS NOT NULL
        """
    )


def downgrade() -> None:
    """Drop the rollup."""
    op.execute("DROP FUNCTION IF EXISTS psx_refresh_hourly(integer[], date, date)")
    op.drop_table("hourly_bars")
