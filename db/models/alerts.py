"""Tables of alerts: the alerts users set, and the history of those that fired."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class AlertRow(Base):
    """An alert on one symbol."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("repeat IN ('ONCE', 'COOLDOWN')", name="repeat"),
        CheckConstraint("cooldown_seconds >= 0", name="cooldown"),
        CheckConstraint("(condition = 'PATTERN') = (pattern IS NOT NULL)", name="pattern"),
        Index("ix_alerts_user_id", "user_id"),
        Index("ix_alerts_symbol_active", "symbol", "active"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(Text)
    condition: Mapped[str] = mapped_column(Text)
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(20, 6))
    period: Mapped[int | None] = mapped_column(Integer)
    # The candlestick or chart pattern a PATTERN alert watches for (a PatternKind name).
    pattern: Mapped[str | None] = mapped_column(Text)
    repeat: Mapped[str] = mapped_column(Text)
    cooldown_seconds: Mapped[int] = mapped_column(Integer, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AlertEventRow(Base):
    """An alert that fired."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(Text)
    condition: Mapped[str] = mapped_column(Text)
    value: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    price: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    message: Mapped[str] = mapped_column(Text)
    fired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
