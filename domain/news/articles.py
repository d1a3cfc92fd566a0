"""News articles and company announcements."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class NewsCategory(enum.StrEnum):
    """What an article is about."""

    MARKET = "MARKET"
    COMPANY = "COMPANY"
    ECONOMIC = "ECONOMIC"
    SECTOR = "SECTOR"
    REGULATORY = "REGULATORY"


class ArticleKind(enum.StrEnum):
    """A news story, or a company's own notice to the exchange."""

    NEWS = "NEWS"
    ANNOUNCEMENT = "ANNOUNCEMENT"


class AnnouncementType(enum.StrEnum):
    """The kind of PSX notice a company announcement is."""

    FINANCIAL_RESULTS = "FINANCIAL_RESULTS"
    PAYOUT = "PAYOUT"
    BOARD_MEETING = "BOARD_MEETING"
    OTHER = "OTHER"


class DataSource(enum.StrEnum):
    """Where a row came from: generated demo data or an imported feed."""

    SIMULATED = "SIMULATED"
    IMPORTED = "IMPORTED"


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article to store (before it has an id).

    `symbols` are instrument symbols (upper case), `sectors` four-digit PSX sector codes. An
    announcement has kind ANNOUNCEMENT, an `announcement_type` and at least one symbol.
    `sentiment` is in [-1, 1] where computed, else None.
    """

    source: str
    url: str
    title: str
    published_at: datetime
    category: NewsCategory
    summary: str = ""
    body: str = ""
    author: str | None = None
    language: str = "en"
    kind: ArticleKind = ArticleKind.NEWS
    announcement_type: AnnouncementType | None = None
    symbols: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    sentiment: float | None = None
    data_source: DataSource = DataSource.IMPORTED


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article; `id` is the database's bigint key."""

    id: int
    source: str
    url: str
    title: str
    summary: str
    body: str
    author: str | None
    published_at: datetime
    language: str
    category: NewsCategory
    kind: ArticleKind
    announcement_type: AnnouncementType | None
    symbols: tuple[str, ...]
    sectors: tuple[str, ...]
    tags: tuple[str, ...]
    sentiment: float | None
    data_source: DataSource
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewsFilter:
    """Filters of a news listing or a search; every set field must hold (AND).

    Within a tuple any value matches (OR): `symbols=("OGDC", "PPL")` is news of either.
    `published_from` is inclusive, `published_to` exclusive.
    """

    categories: tuple[NewsCategory, ...] = ()
    symbols: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    kinds: tuple[ArticleKind, ...] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    tags: tuple[str, ...] = ()


# The search and the listing take the same filters.
SearchFilters = NewsFilter
