"""Tables of portfolios: the portfolios users keep, their transaction ledgers, watchlists.

A portfolio's positions, performance and risk are derived from its ledger
(`domain.portfolios`). The one derived thing stored is each portfolio's replayed ledger
(`portfolio_books`), keyed by the ledger version it was replayed at and written with every
ledger change, so that a read does not read and replay the ledger's rows.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

TRANSACTION_TYPES = (
    "BUY",
    "SELL",
    "DIVIDEND",
    "BONUS",
    "RIGHT",
    "SPLIT",
    "DEPOSIT",
    "WITHDRAWAL",
    "FEE",
)
_TYPES_SQL = ", ".join(f"'{t}'" for t in TRANSACTION_TYPES)


class PortfolioRow(Base):
    """A user's portfolio and the rules its ledger is kept by."""

    __tablename__ = "portfolios"
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_portfolios_user_id_name"),
        CheckConstraint("cost_method IN ('FIFO', 'AVERAGE')", name="cost_method"),
        CheckConstraint("base_currency = 'PKR'", name="base_currency"),
        CheckConstraint("char_length(name) BETWEEN 1 AND 80", name="name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    base_currency: Mapped[str] = mapped_column(Text, server_default="PKR")
    cost_method: Mapped[str] = mapped_column(Text, server_default="FIFO")
    tracks_cash: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # Filer status sets the default dividend withholding (15% filer, 30% non-filer).
    filer: Mapped[bool] = mapped_column(Boolean, server_default="true")
    # Bumped by every ledger change in the same transaction: what a cached replay is keyed by.
    ledger_version: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PortfolioTransactionRow(Base):
    """One ledger entry; the checks refuse rows no validated transaction can produce."""

    __tablename__ = "portfolio_transactions"
    __table_args__ = (
        CheckConstraint(f"type IN ({_TYPES_SQL})", name="type"),
        CheckConstraint("settlement_date >= trade_date", name="settlement"),
        CheckConstraint(
            "quantity >= 0 AND price >= 0 AND amount >= 0 AND fees >= 0 AND taxes >= 0",
            name="non_negative",
        ),
        CheckConstraint(
            "type NOT IN ('BUY', 'SELL', 'DIVIDEND', 'BONUS', 'RIGHT') OR quantity > 0",
            name="quantity",
        ),
        CheckConstraint("type NOT IN ('BUY', 'SELL', 'RIGHT') OR price > 0", name="price"),
        CheckConstraint(
            "type NOT IN ('DEPOSIT', 'WITHDRAWAL', 'FEE') OR amount > 0", name="amount"
        ),
        CheckConstraint(
            "type IN ('DEPOSIT', 'WITHDRAWAL', 'FEE') OR symbol IS NOT NULL", name="symbol"
        ),
        CheckConstraint("(type = 'SPLIT') = (ratio IS NOT NULL AND ratio > 0)", name="ratio"),
        Index("ix_portfolio_transactions_portfolio_id_trade_date", "portfolio_id", "trade_date"),
        # A market corporate action lands on a portfolio's ledger at most once.
        Index(
            "uq_portfolio_transactions_portfolio_id_corporate_action_id",
            "portfolio_id",
            "corporate_action_id",
            unique=True,
            postgresql_where=text("corporate_action_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    portfolio_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(Text)
    trade_date: Mapped[date] = mapped_column(Date)
    settlement_date: Mapped[date] = mapped_column(Date)
    symbol: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(BigInteger, server_default="0")
    price: Mapped[Decimal] = mapped_column(Numeric(18, 6), server_default="0")
    amount: Mapped[Decimal] = mapped_column(Numeric(20, 2), server_default="0")
    ratio: Mapped[Decimal | None] = mapped_column(Numeric(16, 6))
    fees: Mapped[Decimal] = mapped_column(Numeric(20, 2), server_default="0")
    taxes: Mapped[Decimal] = mapped_column(Numeric(20, 2), server_default="0")
    note: Mapped[str] = mapped_column(Text, server_default="")
    corporate_action_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PortfolioBookRow(Base):
    """A portfolio's ledger replayed at one ledger version (`domain.portfolios.books`): the
    holdings, and the entries with their sales and trail; valid only while the portfolio's
    `ledger_version` is the same."""

    __tablename__ = "portfolio_books"

    portfolio_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("portfolios.id", ondelete="CASCADE"), primary_key=True
    )
    ledger_version: Mapped[int] = mapped_column(BigInteger)
    holdings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # JSON as bytes (read back without jsonb's conversion to text).
    ledger: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WatchlistRow(Base):
    """A user's named list of symbols."""

    __tablename__ = "watchlists"
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_watchlists_user_id_name"),
        CheckConstraint("char_length(name) BETWEEN 1 AND 80", name="name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WatchlistItemRow(Base):
    """A symbol on a watchlist."""

    __tablename__ = "watchlist_items"
    __table_args__ = (PrimaryKeyConstraint("watchlist_id", "symbol", name="pk_watchlist_items"),)

    watchlist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


__all__ = ["PortfolioRow", "PortfolioTransactionRow", "WatchlistItemRow", "WatchlistRow"]
