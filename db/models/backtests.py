"""Stored backtest runs: what was asked, and what the engine produced, per user."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class BacktestRow(Base):
    """One run: the request as given, its metrics, equity curve, trades and taxes as JSON.

    `bars` counts the daily bars the engine read (warm-up included) and `elapsed_ms` the time
    spent loading them and running the engine.
    """

    __tablename__ = "backtests"
    # A user's runs are listed newest first.
    __table_args__ = (Index("ix_backtests_user_id_created_at", "user_id", text("created_at DESC")),)

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    symbols: Mapped[list[str]] = mapped_column(ARRAY(Text))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB)
    equity: Mapped[dict[str, Any]] = mapped_column(JSONB)
    trades: Mapped[list[Any]] = mapped_column(JSONB)
    taxes: Mapped[list[Any]] = mapped_column(JSONB)
    bars: Mapped[int] = mapped_column(Integer)
    elapsed_ms: Mapped[int] = mapped_column(Integer)


__all__ = ["BacktestRow"]
