"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from db.models import (
    accounts,
    alerts,
    backtests,
    fundamentals,
    markets,
    news,
    portfolios,
    screening,
)
from db.models.base import Base

__all__ = [
    "Base",
    "accounts",
    "alerts",
    "backtests",
    "fundamentals",
    "markets",
    "news",
    "portfolios",
    "screening",
]
