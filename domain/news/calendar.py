"""The economic calendar: scheduled releases, policy meetings and company dates."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.news.articles import DataSource

DEFAULT_COUNTRY = "Pakistan"


class EventCategory(enum.StrEnum):
    """What an economic calendar event is."""

    MONETARY_POLICY = "MONETARY_POLICY"
    INFLATION_CPI = "INFLATION_CPI"
    TRADE_BALANCE = "TRADE_BALANCE"
    GDP = "GDP"
    TBILL_AUCTION = "TBILL_AUCTION"
    BUDGET = "BUDGET"
    EARNINGS = "EARNINGS"
    BOOK_CLOSURE = "BOOK_CLOSURE"


class Importance(enum.StrEnum):
    """How much an event is expected to move the market."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@dataclass(frozen=True, slots=True)
class NewEconomicEvent:
    """An event to store. `symbol` is set for a listed company's earnings or book closure."""

    title: str
    category: EventCategory
    scheduled_at: datetime
    importance: Importance
    country: str = DEFAULT_COUNTRY
    previous: Decimal | None = None
    forecast: Decimal | None = None
    actual: Decimal | None = None
    unit: str | None = None
    symbol: str | None = None
    data_source: DataSource = DataSource.IMPORTED


@dataclass(frozen=True, slots=True)
class EconomicEvent:
    """A stored economic calendar event."""

    id: int
    title: str
    category: EventCategory
    scheduled_at: datetime
    importance: Importance
    country: str
    previous: Decimal | None
    forecast: Decimal | None
    actual: Decimal | None
    unit: str | None
    symbol: str | None
    data_source: DataSource


@dataclass(frozen=True, slots=True)
class CalendarFilter:
    """Filters of the calendar; `scheduled_from` inclusive, `scheduled_to` exclusive."""

    scheduled_from: datetime | None = None
    scheduled_to: datetime | None = None
    countries: tuple[str, ...] = ()
    importance: tuple[Importance, ...] = ()
    categories: tuple[EventCategory, ...] = ()
    symbols: tuple[str, ...] = ()
