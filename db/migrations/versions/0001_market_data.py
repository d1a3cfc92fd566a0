"""Market data: reference data, calendar, bars, corporate actions.

Bars become TimescaleDB hypertables where the extension can be created, and natively
range-partitioned tables (monthly partitions made on demand by `psx_ensure_partitions`)
everywhere else. Queries are the same on both.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ENSURE_PARTITIONS = """
CREATE OR REPLACE FUNCTION psx_ensure_partitions(parent regclass, first_day date, last_day date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month date := date_trunc('month', first_day)::date;
    made integer := 0;
    part text;
    is_ts boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = parent) THEN
        RETURN 0;  -- a hypertable or a plain table: nothing to do
    END IF;
    SELECT a.atttypid = 'timestamptz'::regtype INTO is_ts
      FROM pg_partitioned_table p JOIN pg_attribute a
        ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
     WHERE p.partrelid = parent;
    WHILE month <= last_day LOOP
        part := format('%s_p%s', parent::text, to_char(month, 'YYYY_MM'));
        IF to_regclass(part) IS NULL THEN
            IF is_ts THEN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', part, parent,
                    (month::timestamp AT TIME ZONE 'Asia/Karachi'),
                    ((month + interval '1 month')::timestamp AT TIME ZONE 'Asia/Karachi'));
            ELSE
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', part, parent,
                    month, (month + interval '1 month')::date);
            END IF;
            made := made + 1;
        END IF;
        month := (month + interval '1 month')::date;
    END LOOP;
    RETURN made;
END $$;
"""


def _timescale() -> bool:
    """Create the timescaledb extension when the server can load it."""
    bind = op.get_bind()
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).scalar()
    if not available:
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
    except sa.exc.DBAPIError:
        # Installed but not in shared_preload_libraries: use native partitioning instead.
        return False
    return True


def upgrade() -> None:
    """Create the market-data tables."""
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    timescale = _timescale()
    by_day: dict[str, Any] = {}
    by_ts: dict[str, Any] = {}
    if not timescale:
        by_day = {"postgresql_partition_by": "RANGE (day)"}
        by_ts = {"postgresql_partition_by": "RANGE (ts)"}
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    op.create_table(
        "indices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("base_value", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("base_date", sa.Date(), nullable=False),
        sa.Column("divisor", sa.Numeric(precision=30, scale=10), nullable=False),
        sa.Column("shariah", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint("divisor > 0", name=op.f("ck_indices_divisor_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indices")),
        sa.UniqueConstraint("code", name=op.f("uq_indices_code")),
    )
    op.create_table(
        "market_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_market_holidays")),
    )
    op.create_table(
        "sectors",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.CheckConstraint("code ~ '^[0-9]{4}$'", name=op.f("ck_sectors_code_digits")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sectors")),
    )
    op.create_table(
        "trading_sessions",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("pre_open_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("close_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "pre_open_at <= open_at AND open_at < close_at", name=op.f("ck_trading_sessions_order")
        ),
        sa.PrimaryKeyConstraint("day", "number", name=op.f("pk_trading_sessions")),
    )
    op.create_index("ix_trading_sessions_open_at", "trading_sessions", ["open_at"], unique=False)
    op.create_table(
        "index_daily_bars",
        sa.Column("index_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("high", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("low", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("close", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("volume", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "turnover", sa.Numeric(precision=22, scale=2), server_default="0", nullable=False
        ),
        sa.Column("trades", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "close BETWEEN low AND high", name=op.f("ck_index_daily_bars_close_range")
        ),
        sa.CheckConstraint("high >= low", name=op.f("ck_index_daily_bars_high_low")),
        sa.CheckConstraint("low > 0", name=op.f("ck_index_daily_bars_positive")),
        sa.CheckConstraint(
            "open = round(open, 2) AND high = round(high, 2) AND low = round(low, 2) AND close = round(close, 2)",
            name=op.f("ck_index_daily_bars_tick"),
        ),
        sa.CheckConstraint(
            "open BETWEEN low AND high", name=op.f("ck_index_daily_bars_open_range")
        ),
        sa.CheckConstraint("trades >= 0", name=op.f("ck_index_daily_bars_trades")),
        sa.CheckConstraint("turnover >= 0", name=op.f("ck_index_daily_bars_turnover")),
        sa.CheckConstraint("volume >= 0", name=op.f("ck_index_daily_bars_volume")),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["indices.id"],
            name=op.f("fk_index_daily_bars_index_id_indices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("index_id", "day", name=op.f("pk_index_daily_bars")),
    )
    op.create_table(
        "index_minute_bars",
        sa.Column("index_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("high", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("low", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("close", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("volume", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "turnover", sa.Numeric(precision=22, scale=2), server_default="0", nullable=False
        ),
        sa.Column("trades", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "close BETWEEN low AND high", name=op.f("ck_index_minute_bars_close_range")
        ),
        sa.CheckConstraint("high >= low", name=op.f("ck_index_minute_bars_high_low")),
        sa.CheckConstraint("low > 0", name=op.f("ck_index_minute_bars_positive")),
        sa.CheckConstraint(
            "open = round(open, 2) AND high = round(high, 2) AND low = round(low, 2) AND close = round(close, 2)",
            name=op.f("ck_index_minute_bars_tick"),
        ),
        sa.CheckConstraint(
            "open BETWEEN low AND high", name=op.f("ck_index_minute_bars_open_range")
        ),
        sa.CheckConstraint("trades >= 0", name=op.f("ck_index_minute_bars_trades")),
        sa.CheckConstraint("turnover >= 0", name=op.f("ck_index_minute_bars_turnover")),
        sa.CheckConstraint("volume >= 0", name=op.f("ck_index_minute_bars_volume")),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["indices.id"],
            name=op.f("fk_index_minute_bars_index_id_indices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("index_id", "ts", name=op.f("pk_index_minute_bars")),
    )
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sector_code", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="EQUITY", nullable=False),
        sa.Column("shares_outstanding", sa.BigInteger(), nullable=False),
        sa.Column("free_float_pct", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column(
            "face_value", sa.Numeric(precision=10, scale=2), server_default="10", nullable=False
        ),
        sa.Column("lot_size", sa.Integer(), server_default="1", nullable=False),
        sa.Column("listing_status", sa.String(length=16), server_default="LISTED", nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("data_source", sa.String(length=16), server_default="SIMULATED", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "data_source IN ('SIMULATED','PSX_CLOSING','CSV','PSX_DPS','FEED')",
            name=op.f("ck_instruments_source_values"),
        ),
        sa.CheckConstraint(
            "kind IN ('EQUITY','ETF','REIT','CLOSED_END_FUND')",
            name=op.f("ck_instruments_kind_values"),
        ),
        sa.CheckConstraint(
            "listing_status IN ('LISTED','SUSPENDED','DEFAULTER','DELISTED')",
            name=op.f("ck_instruments_status_values"),
        ),
        sa.CheckConstraint(
            "symbol ~ '^[A-Z0-9][A-Z0-9.&-]*$'", name=op.f("ck_instruments_symbol_format")
        ),
        sa.CheckConstraint(
            "free_float_pct >= 0 AND free_float_pct <= 1", name=op.f("ck_instruments_free_float")
        ),
        sa.CheckConstraint("lot_size >= 1", name=op.f("ck_instruments_lot")),
        sa.CheckConstraint("shares_outstanding >= 0", name=op.f("ck_instruments_shares")),
        sa.ForeignKeyConstraint(
            ["sector_code"], ["sectors.code"], name=op.f("fk_instruments_sector_code_sectors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("symbol", name=op.f("uq_instruments_symbol")),
    )
    op.create_index(
        "ix_instruments_symbol_trgm",
        "instruments",
        ["symbol"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"symbol": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_instruments_name_trgm",
        "instruments",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index("ix_instruments_sector_code", "instruments", ["sector_code"], unique=False)
    op.create_table(
        "corporate_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ex_date", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("price", sa.Numeric(precision=16, scale=4), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "kind <> 'RIGHT' OR price IS NOT NULL", name=op.f("ck_corporate_actions_right_price")
        ),
        sa.CheckConstraint(
            "kind IN ('CASH_DIVIDEND','BONUS','RIGHT','SPLIT')",
            name=op.f("ck_corporate_actions_kind_values"),
        ),
        sa.CheckConstraint("value > 0", name=op.f("ck_corporate_actions_value_positive")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_corporate_actions_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corporate_actions")),
        sa.UniqueConstraint("instrument_id", "kind", "ex_date", name="uq_corporate_actions_key"),
    )
    op.create_table(
        "daily_bars",
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("high", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("low", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("close", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("turnover", sa.Numeric(precision=22, scale=2), nullable=False),
        sa.Column("trades", sa.Integer(), server_default="0", nullable=False),
        sa.Column("prev_close", sa.Numeric(precision=16, scale=4), nullable=True),
        sa.CheckConstraint("close BETWEEN low AND high", name=op.f("ck_daily_bars_close_range")),
        sa.CheckConstraint("high >= low", name=op.f("ck_daily_bars_high_low")),
        sa.CheckConstraint("low > 0", name=op.f("ck_daily_bars_positive")),
        sa.CheckConstraint(
            "open = round(open, 2) AND high = round(high, 2) AND low = round(low, 2) AND close = round(close, 2)",
            name=op.f("ck_daily_bars_tick"),
        ),
        sa.CheckConstraint("open BETWEEN low AND high", name=op.f("ck_daily_bars_open_range")),
        sa.CheckConstraint("trades >= 0", name=op.f("ck_daily_bars_trades")),
        sa.CheckConstraint("turnover >= 0", name=op.f("ck_daily_bars_turnover")),
        sa.CheckConstraint("volume >= 0", name=op.f("ck_daily_bars_volume")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_daily_bars_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instrument_id", "day", name=op.f("pk_daily_bars")),
        **by_day,
    )
    op.create_table(
        "index_constituents",
        sa.Column("index_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column(
            "cap_factor", sa.Numeric(precision=10, scale=8), server_default="1", nullable=False
        ),
        sa.CheckConstraint(
            "cap_factor > 0 AND cap_factor <= 1", name=op.f("ck_index_constituents_cap_range")
        ),
        sa.ForeignKeyConstraint(
            ["index_id"],
            ["indices.id"],
            name=op.f("fk_index_constituents_index_id_indices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_index_constituents_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("index_id", "instrument_id", name=op.f("pk_index_constituents")),
    )
    op.create_index(
        "ix_index_constituents_instrument_id", "index_constituents", ["instrument_id"], unique=False
    )
    op.create_table(
        "minute_bars",
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("high", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("low", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("close", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("turnover", sa.Numeric(precision=22, scale=2), nullable=False),
        sa.Column("trades", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("close BETWEEN low AND high", name=op.f("ck_minute_bars_close_range")),
        sa.CheckConstraint("high >= low", name=op.f("ck_minute_bars_high_low")),
        sa.CheckConstraint("low > 0", name=op.f("ck_minute_bars_positive")),
        sa.CheckConstraint(
            "open = round(open, 2) AND high = round(high, 2) AND low = round(low, 2) AND close = round(close, 2)",
            name=op.f("ck_minute_bars_tick"),
        ),
        sa.CheckConstraint("open BETWEEN low AND high", name=op.f("ck_minute_bars_open_range")),
        sa.CheckConstraint("trades >= 0", name=op.f("ck_minute_bars_trades")),
        sa.CheckConstraint("turnover >= 0", name=op.f("ck_minute_bars_turnover")),
        sa.CheckConstraint("volume >= 0", name=op.f("ck_minute_bars_volume")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_minute_bars_instrument_id_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instrument_id", "ts", name=op.f("pk_minute_bars")),
        **by_ts,
    )
    if timescale:
        op.execute(
            "CREATE FUNCTION psx_ensure_partitions(parent regclass, first_day date, last_day date) "
            "RETURNS integer LANGUAGE sql AS 'SELECT 0'"
        )
        op.execute(
            "SELECT create_hypertable('daily_bars', 'day', chunk_time_interval => interval '1 year')"
        )
        op.execute(
            "SELECT create_hypertable('minute_bars', 'ts', chunk_time_interval => interval '7 days')"
        )
        op.execute(
            "ALTER TABLE minute_bars SET (timescaledb.compress, timescaledb.compress_segmentby = 'instrument_id')"
        )
        op.execute("SELECT add_compression_policy('minute_bars', interval '30 days')")
    else:
        op.execute(ENSURE_PARTITIONS)
        op.execute("CREATE TABLE daily_bars_default PARTITION OF daily_bars DEFAULT")
        op.execute("CREATE TABLE minute_bars_default PARTITION OF minute_bars DEFAULT")


def downgrade() -> None:
    """Drop the market-data tables."""
    op.execute("DROP FUNCTION IF EXISTS psx_ensure_partitions(regclass, date, date)")
    op.drop_table("minute_bars")
    op.drop_index("ix_index_constituents_instrument_id", table_name="index_constituents")
    op.drop_table("index_constituents")
    op.drop_table("daily_bars")
    op.drop_table("corporate_actions")
    op.drop_index("ix_instruments_sector_code", table_name="instruments")
    op.drop_index(
        "ix_instruments_symbol_trgm",
        table_name="instruments",
        postgresql_using="gin",
        postgresql_ops={"symbol": "gin_trgm_ops"},
    )
    op.drop_index(
        "ix_instruments_name_trgm",
        table_name="instruments",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("instruments")
    op.drop_table("index_minute_bars")
    op.drop_table("index_daily_bars")
    op.drop_index("ix_trading_sessions_open_at", table_name="trading_sessions")
    op.drop_table("trading_sessions")
    op.drop_table("sectors")
    op.drop_table("market_holidays")
    op.drop_table("indices")
    op.drop_table("data_versions")
