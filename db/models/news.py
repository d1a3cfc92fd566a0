"""Tables of news: articles and company announcements, company aliases, the economic calendar,
and the outbox that feeds an external search index.

`news_articles.search` is a generated `tsvector` (title weight A, summary B, body C, English
configuration) with a GIN index: PostgreSQL keeps it in step with every write. Symbols and
sectors are arrays on the article for reading; `news_article_symbols` repeats each symbol with
the publication time so a company's news is one index range scan.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base

SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, title), 'A'::\"char\")"
    " || setweight(to_tsvector('english'::regconfig, summary), 'B'::\"char\")"
    " || setweight(to_tsvector('english'::regconfig, body), 'C'::\"char\")"
)
CATEGORIES = "'MARKET', 'COMPANY', 'ECONOMIC', 'SECTOR', 'REGULATORY'"
ANNOUNCEMENTS = "'FINANCIAL_RESULTS', 'PAYOUT', 'BOARD_MEETING', 'OTHER'"
EVENT_CATEGORIES = (
    "'MONETARY_POLICY', 'INFLATION_CPI', 'TRADE_BALANCE', 'GDP', 'TBILL_AUCTION', 'BUDGET',"
    " 'EARNINGS', 'BOOK_CLOSURE'"
)


class NewsArticleRow(Base):
    """A news story or a company announcement."""

    __tablename__ = "news_articles"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, unique=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, server_default="")
    body: Mapped[str] = mapped_column(Text, server_default="")
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    language: Mapped[str] = mapped_column(Text, server_default="en")
    category: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default="NEWS")
    announcement_type: Mapped[str | None] = mapped_column(Text)
    symbols: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    sectors: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    sentiment: Mapped[float | None] = mapped_column(Double)
    # The normalised title (lower case, words only) that near-duplicates are found by.
    title_key: Mapped[str] = mapped_column(Text)
    data_source: Mapped[str] = mapped_column(Text, server_default="IMPORTED")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    search: Mapped[str] = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR, persisted=True))

    __table_args__ = (
        CheckConstraint(f"category IN ({CATEGORIES})", name="category"),
        CheckConstraint("kind IN ('NEWS', 'ANNOUNCEMENT')", name="kind"),
        CheckConstraint(
            f"announcement_type IS NULL OR announcement_type IN ({ANNOUNCEMENTS})",
            name="announcement_type",
        ),
        CheckConstraint(
            "(kind = 'ANNOUNCEMENT') = (announcement_type IS NOT NULL)", name="announcement"
        ),
        CheckConstraint("sentiment BETWEEN -1 AND 1", name="sentiment"),
        CheckConstraint("data_source IN ('SIMULATED', 'IMPORTED')", name="data_source"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 500", name="title"),
        Index("ix_news_articles_published", text("published_at DESC"), text("id DESC")),
        Index(
            "ix_news_articles_category_published",
            "category",
            text("published_at DESC"),
            text("id DESC"),
        ),
        Index("ix_news_articles_search", "search", postgresql_using="gin"),
        Index("ix_news_articles_sectors", "sectors", postgresql_using="gin"),
        Index(
            "ix_news_articles_title_key",
            "title_key",
            postgresql_using="gin",
            postgresql_ops={"title_key": "gin_trgm_ops"},
        ),
    )


class NewsArticleSymbolRow(Base):
    """An article tagged with a listed company, with its publication time for ordering."""

    __tablename__ = "news_article_symbols"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("news_articles.id", ondelete="CASCADE"), primary_key=True
    )
    symbol: Mapped[str] = mapped_column(
        ForeignKey("instruments.symbol", ondelete="CASCADE"), primary_key=True
    )
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "ix_news_article_symbols_symbol_published",
            "symbol",
            text("published_at DESC"),
            text("article_id DESC"),
        ),
    )


class CompanyAliasRow(Base):
    """Another name of a listed company: its legal name, a short name, a former symbol."""

    __tablename__ = "company_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(ForeignKey("instruments.symbol", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default="ALIAS")

    __table_args__ = (
        UniqueConstraint("symbol", "alias", name="uq_company_aliases_symbol_alias"),
        CheckConstraint("kind IN ('NAME', 'ALIAS', 'FORMER_SYMBOL')", name="kind"),
        CheckConstraint("char_length(alias) BETWEEN 2 AND 200", name="alias"),
        # pg_trgm folds case itself: similarity('OGDC', 'ogdc') = 1.
        Index(
            "ix_company_aliases_alias_trgm",
            "alias",
            postgresql_using="gin",
            postgresql_ops={"alias": "gin_trgm_ops"},
        ),
    )


class EconomicEventRow(Base):
    """A scheduled economic release, policy meeting, auction or company date."""

    __tablename__ = "economic_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(Text, server_default="Pakistan")
    category: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    importance: Mapped[str] = mapped_column(Text)
    previous: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    forecast: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    actual: Mapped[Decimal | None] = mapped_column(Numeric(20, 4))
    unit: Mapped[str | None] = mapped_column(Text)
    symbol: Mapped[str | None] = mapped_column(ForeignKey("instruments.symbol", ondelete="CASCADE"))
    data_source: Mapped[str] = mapped_column(Text, server_default="IMPORTED")

    __table_args__ = (
        UniqueConstraint(
            "country",
            "category",
            "title",
            "scheduled_at",
            name="uq_economic_events_event",
        ),
        CheckConstraint(f"category IN ({EVENT_CATEGORIES})", name="category"),
        CheckConstraint("importance IN ('LOW', 'MEDIUM', 'HIGH')", name="importance"),
        CheckConstraint("data_source IN ('SIMULATED', 'IMPORTED')", name="data_source"),
        Index("ix_economic_events_scheduled_at", "scheduled_at"),
        Index("ix_economic_events_symbol", "symbol"),
    )


class NewsCountRow(Base):
    """How many articles a category holds: kept equal to a count of `news_articles` by its
    triggers (migrations 0016 and 0017), in the same transaction as every write."""

    __tablename__ = "news_counts"

    category: Mapped[str] = mapped_column(Text, primary_key=True)
    articles: Mapped[int] = mapped_column(BigInteger)


class SearchOutboxRow(Base):
    """An article write an external search index has still to apply."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # No foreign key: a delete's row outlives its article.
    article_id: Mapped[int] = mapped_column(BigInteger)
    op: Mapped[str] = mapped_column(Text)
    enqueued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("op IN ('index', 'delete')", name="op"),)
