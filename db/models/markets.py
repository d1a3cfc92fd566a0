"""Tables of the market: reference data, trading calendar, bars and corporate actions.

Bars are range-partitioned by month (or TimescaleDB hypertables where installed); the
partitioning is created by the migration, these models describe the parent tables.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

PRICE = Numeric(16, 4)
LEVEL = Numeric(16, 4)
MONEY = Numeric(22, 2)


def _ohlc_checks() -> tuple[CheckConstraint, ...]:
    on_tick = " AND ".join(f"{c} = round({c}, 2)" for c in ("open", "high", "low", "close"))
    return (
        CheckConstraint("low > 0", name="positive"),
        CheckConstraint("high >= low", name="high_low"),
        CheckConstraint("open BETWEEN low AND high", name="open_range"),
        CheckConstraint("close BETWEEN low AND high", name="close_range"),
        CheckConstraint("volume >= 0", name="volume"),
        CheckConstraint("turnover >= 0", name="turnover"),
        CheckConstraint("trades >= 0", name="trades"),
        CheckConstraint(on_tick, name="tick"),
    )


class SectorRow(Base):
    """A PSX sector (official four-digit code)."""

    __tablename__ = "sectors"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint("code ~ '^[0-9]{4}$'", name="code_digits"),)


class InstrumentRow(Base):
    """A listed security."""

    __tablename__ = "instruments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    symbol: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(Text)
    sector_code: Mapped[str] = mapped_column(ForeignKey("sectors.code"))
    kind: Mapped[str] = mapped_column(String(16), server_default="EQUITY")
    shares_outstanding: Mapped[int] = mapped_column(BigInteger)
    free_float_pct: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    face_value: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default="10")
    lot_size: Mapped[int] = mapped_column(Integer, server_default="1")
    listing_status: Mapped[str] = mapped_column(String(16), server_default="LISTED")
    listed_on: Mapped[date | None] = mapped_column(Date)
    data_source: Mapped[str] = mapped_column(String(16), server_default="SIMULATED")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("symbol ~ '^[A-Z0-9][A-Z0-9.&-]*$'", name="symbol_format"),
        CheckConstraint("shares_outstanding >= 0", name="shares"),
        CheckConstraint("free_float_pct >= 0 AND free_float_pct <= 1", name="free_float"),
        CheckConstraint("lot_size >= 1", name="lot"),
        CheckConstraint("kind IN ('EQUITY','ETF','REIT','CLOSED_END_FUND')", name="kind_values"),
        CheckConstraint(
            "listing_status IN ('LISTED','SUSPENDED','DEFAULTER','DELISTED')",
            name="status_values",
        ),
        CheckConstraint(
            "data_source IN ('SIMULATED','PSX_CLOSING','CSV','PSX_DPS','FEED')",
            name="source_values",
        ),
        Index("ix_instruments_sector_code", "sector_code"),
        Index(
            "ix_instruments_symbol_trgm",
            "symbol",
            postgresql_using="gin",
            postgresql_ops={"symbol": "gin_trgm_ops"},
        ),
        Index(
            "ix_instruments_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )


class IndexRow(Base):
    """A market index."""

    __tablename__ = "indices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(Text)
    base_value: Mapped[Decimal] = mapped_column(LEVEL)
    base_date: Mapped[date] = mapped_column(Date)
    divisor: Mapped[Decimal] = mapped_column(Numeric(30, 10))
    shariah: Mapped[bool] = mapped_column(Boolean, server_default="false")

    __table_args__ = (CheckConstraint("divisor > 0", name="divisor_positive"),)


class IndexConstituentRow(Base):
    """Membership of an instrument in an index, with its capping factor."""

    __tablename__ = "index_constituents"

    index_id: Mapped[int] = mapped_column(
        ForeignKey("indices.id", ondelete="CASCADE"), primary_key=True
    )
    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True
    )
    cap_factor: Mapped[Decimal] = mapped_column(Numeric(10, 8), server_default="1")

    __table_args__ = (
        CheckConstraint("cap_factor > 0 AND cap_factor <= 1", name="cap_range"),
        Index("ix_index_constituents_instrument_id", "instrument_id"),
    )


class MarketHolidayRow(Base):
    """A day the exchange is closed on a weekday."""

    __tablename__ = "market_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class TradingSessionRow(Base):
    """A continuous trading session actually scheduled (holidays and special timings applied)."""

    __tablename__ = "trading_sessions"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    number: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    pre_open_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    open_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    close_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("pre_open_at <= open_at AND open_at < close_at", name="order"),
        Index("ix_trading_sessions_open_at", "open_at"),
    )


class DailyBarRow(Base):
    """One instrument's OHLCV for one trading day."""

    __tablename__ = "daily_bars"

    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open: Mapped[Decimal] = mapped_column(PRICE)
    high: Mapped[Decimal] = mapped_column(PRICE)
    low: Mapped[Decimal] = mapped_column(PRICE)
    close: Mapped[Decimal] = mapped_column(PRICE)
    volume: Mapped[int] = mapped_column(BigInteger)
    turnover: Mapped[Decimal] = mapped_column(MONEY)
    trades: Mapped[int] = mapped_column(Integer, server_default="0")
    prev_close: Mapped[Decimal | None] = mapped_column(PRICE)

    __table_args__ = (
        *_ohlc_checks(),
        {"postgresql_partition_by": "RANGE (day)"},
    )


class MinuteBarRow(Base):
    """One instrument's OHLCV for one minute; `ts` is the minute's start."""

    __tablename__ = "minute_bars"

    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    open: Mapped[Decimal] = mapped_column(PRICE)
    high: Mapped[Decimal] = mapped_column(PRICE)
    low: Mapped[Decimal] = mapped_column(PRICE)
    close: Mapped[Decimal] = mapped_column(PRICE)
    volume: Mapped[int] = mapped_column(BigInteger)
    turnover: Mapped[Decimal] = mapped_column(MONEY)
    trades: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        *_ohlc_checks(),
        {"postgresql_partition_by": "RANGE (ts)"},
    )


class HourlyBarRow(Base):
    """A rollup of 1-minute bars per hour of a session (aligned to the session's open).

    Same columns as `MinuteBarRow`, without its checks (the rows are derived from checked ones)
    and without partitions (about 60 times fewer rows).
    """

    __tablename__ = "hourly_bars"

    instrument_id: Mapped[int] = mapped_column(
        ForeignKey("instruments.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    open: Mapped[Decimal] = mapped_column(PRICE)
    high: Mapped[Decimal] = mapped_column(PRICE)
    low: Mapped[Decimal] = mapped_column(PRICE)
    close: Mapped[Decimal] = mapped_column(PRICE)
    volume: Mapped[int] = mapped_column(BigInteger)
    turnover: Mapped[Decimal] = mapped_column(MONEY)
    trades: Mapped[int] = mapped_column(Integer, server_default="0")


class IndexDailyBarRow(Base):
    """An index's daily levels."""

    __tablename__ = "index_daily_bars"

    index_id: Mapped[int] = mapped_column(
        ForeignKey("indices.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    open: Mapped[Decimal] = mapped_column(LEVEL)
    high: Mapped[Decimal] = mapped_column(LEVEL)
    low: Mapped[Decimal] = mapped_column(LEVEL)
    close: Mapped[Decimal] = mapped_column(LEVEL)
    volume: Mapped[int] = mapped_column(BigInteger, server_default="0")
    turnover: Mapped[Decimal] = mapped_column(MONEY, server_default="0")
    trades: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (*_ohlc_checks(),)


class IndexMinuteBarRow(Base):
    """An index's levels for one minute."""

    __tablename__ = "index_minute_bars"

    index_id: Mapped[int] = mapped_column(
        ForeignKey("indices.id", ondelete="CASCADE"), primary_key=True
    )
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    open: Mapped[Decimal] = mapped_column(LEVEL)
    high: Mapped[Decimal] = mapped_column(LEVEL)
    low: Mapped[Decimal] = mapped_column(LEVEL)
    close: Mapped[Decimal] = mapped_column(LEVEL)
    volume: Mapped[int] = mapped_column(BigInteger, server_default="0")
    turnover: Mapped[Decimal] = mapped_column(MONEY, server_default="0")
    trades: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (*_ohlc_checks(),)


class CorporateActionRow(Base):
    """A dividend, bonus, right or split with its ex-date."""

    __tablename__ = "corporate_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    ex_date: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    price: Mapped[Decimal | None] = mapped_column(PRICE)
    description: Mapped[str] = mapped_column(Text, server_default="")

    __table_args__ = (
        UniqueConstraint("instrument_id", "kind", "ex_date", name="uq_corporate_actions_key"),
        CheckConstraint("kind IN ('CASH_DIVIDEND','BONUS','RIGHT','SPLIT')", name="kind_values"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("kind <> 'RIGHT' OR price IS NOT NULL", name="right_price"),
    )


class DataVersionRow(Base):
    """A counter per kind of reference data, bumped on change so caches know to reload."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
