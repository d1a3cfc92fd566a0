"""Tables of the screener: the per-instrument snapshot it scans, and users' saved screens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from domain.screening.fields import NUMERIC_FIELDS

# One column per numeric field, named by the field: the screen's SQL is built from the enum.
screen_snapshots = Table(
    "screen_snapshots",
    Base.metadata,
    Column(
        "instrument_id",
        Integer,
        ForeignKey("instruments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("symbol", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("sector", Text, nullable=False),
    Column("index_codes", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    *(Column(f.column, Double, nullable=True) for f in NUMERIC_FIELDS),
    Column("refreshed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_screen_snapshots_sector", "sector"),
    Index("ix_screen_snapshots_index_codes", "index_codes", postgresql_using="gin"),
    Index("ix_screen_snapshots_market_cap", "market_cap"),
)


class SavedScreenRow(Base):
    """A user's named screen: its filter and sort as the API's input JSON."""

    __tablename__ = "saved_screens"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_screens_user_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(
        Uuid, primary_key=True, server_default=text("gen_random_uuid()")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    filter: Mapped[dict[str, Any]] = mapped_column(JSONB)
    sort: Mapped[list[Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


__all__ = ["SavedScreenRow", "screen_snapshots"]
