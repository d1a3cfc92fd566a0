"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from db.models import markets
from db.models.base import Base

__all__ = ["Base", "markets"]
