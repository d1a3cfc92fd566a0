"""News: articles and company announcements, company aliases, the economic calendar, and the
search outbox.

`news_articles.search` is a generated tsvector with a GIN index (PostgreSQL full text);
`pg_trgm` indexes company aliases and normalised titles for typo-tolerant look-up and
near-duplicate detection. `search_outbox` is filled in the article's transaction only when an
external search index (SEARCH_URL=opensearch://) is configured.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEARCH_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, title), 'A'::\"char\")"
    " || setweight(to_tsvector('english'::regconfig, summary), 'B'::\"char\")"
    " || setweight(to_tsvector('english'::regconfig, body), 'C'::\"char\")"
)
_CATEGORIES = "'MARKET', 'COMPANY', 'ECONOMIC', 'SECTOR', 'REGULATORY'"
_ANNOUNCEMENTS = "'FINANCIAL_RESULTS', 'PAYOUT', 'BOARD_MEETING', 'OTHER'"
_EVENT_CATEGORIES = (
    "'MONETARY_POLICY', 'INFLATION_CPI', 'TRADE_BALANCE', 'GDP', 'TBILL_AUCTION', 'BUDGET',"
    " 'EARNINGS', 'BOOK_CLOSURE'"
)
_TEXT_ARRAY = postgresql.ARRAY(sa.Text())


def _articles() -> None:
    op.create_table(
        "news_articles",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.Text(), server_default="en", nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="NEWS", nullable=False),
        sa.Column("announcement_type", sa.Text(), nullable=True),
        sa.Column("symbols", _TEXT_ARRAY, server_default="{}", nullable=False),
        sa.Column("sectors", _TEXT_ARRAY, server_default="{}", nullable=False),
        sa.Column("tags", _TEXT_ARRAY, server_default="{}", nullable=False),
        sa.Column("sentiment", sa.Double(), nullable=True),
        sa.Column("title_key", sa.Text(), nullable=False),
        sa.Column("data_source", sa.Text(), server_default="IMPORTED", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(_SEARCH_VECTOR, persisted=True),
            nullable=False,
        ),
        sa.CheckConstraint(f"category IN ({_CATEGORIES})", name=op.f("ck_news_articles_category")),
        sa.CheckConstraint("kind IN ('NEWS', 'ANNOUNCEMENT')", name=op.f("ck_news_articles_kind")),
        sa.CheckConstraint(
            f"announcement_type IS NULL OR announcement_type IN ({_ANNOUNCEMENTS})",
            name=op.f("ck_news_articles_announcement_type"),
        ),
        sa.CheckConstraint(
            "(kind = 'ANNOUNCEMENT') = (announcement_type IS NOT NULL)",
            name=op.f("ck_news_articles_announcement"),
        ),
        sa.CheckConstraint("sentiment BETWEEN -1 AND 1", name=op.f("ck_news_articles_sentiment")),
        sa.CheckConstraint(
            "data_source IN ('SIMULATED', 'IMPORTED')", name=op.f("ck_news_articles_data_source")
        ),
        sa.CheckConstraint(
            "char_length(title) BETWEEN 1 AND 500", name=op.f("ck_news_articles_title")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_news_articles_url")),
    )
    op.create_index(
        "ix_news_articles_published",
        "news_articles",
        [sa.text("published_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "ix_news_articles_category_published",
        "news_articles",
        ["category", sa.text("published_at DESC"), sa.text("id DESC")],
    )
    op.create_index("ix_news_articles_search", "news_articles", ["search"], postgresql_using="gin")
    op.create_index(
        "ix_news_articles_sectors", "news_articles", ["sectors"], postgresql_using="gin"
    )
    op.create_index(
        "ix_news_articles_title_key",
        "news_articles",
        ["title_key"],
        postgresql_using="gin",
        postgresql_ops={"title_key": "gin_trgm_ops"},
    )
    op.create_table(
        "news_article_symbols",
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("symbol", sa.String(16), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["news_articles.id"],
            name=op.f("fk_news_article_symbols_article_id_news_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["symbol"],
            ["instruments.symbol"],
            name=op.f("fk_news_article_symbols_symbol_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "symbol", name=op.f("pk_news_article_symbols")),
    )
    op.create_index(
        "ix_news_article_symbols_symbol_published",
        "news_article_symbols",
        ["symbol", sa.text("published_at DESC"), sa.text("article_id DESC")],
    )


def _aliases_and_events() -> None:
    op.create_table(
        "company_aliases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(16), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="ALIAS", nullable=False),
        sa.CheckConstraint(
            "kind IN ('NAME', 'ALIAS', 'FORMER_SYMBOL')", name=op.f("ck_company_aliases_kind")
        ),
        sa.CheckConstraint(
            "char_length(alias) BETWEEN 2 AND 200", name=op.f("ck_company_aliases_alias")
        ),
        sa.ForeignKeyConstraint(
            ["symbol"],
            ["instruments.symbol"],
            name=op.f("fk_company_aliases_symbol_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_aliases")),
        sa.UniqueConstraint("symbol", "alias", name="uq_company_aliases_symbol_alias"),
    )
    op.create_index(
        "ix_company_aliases_alias_trgm",
        "company_aliases",
        ["alias"],
        postgresql_using="gin",
        postgresql_ops={"alias": "gin_trgm_ops"},
    )
    op.create_table(
        "economic_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), server_default="Pakistan", nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("importance", sa.Text(), nullable=False),
        sa.Column("previous", sa.Numeric(20, 4), nullable=True),
        sa.Column("forecast", sa.Numeric(20, 4), nullable=True),
        sa.Column("actual", sa.Numeric(20, 4), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("symbol", sa.String(16), nullable=True),
        sa.Column("data_source", sa.Text(), server_default="IMPORTED", nullable=False),
        sa.CheckConstraint(
            f"category IN ({_EVENT_CATEGORIES})", name=op.f("ck_economic_events_category")
        ),
        sa.CheckConstraint(
            "importance IN ('LOW', 'MEDIUM', 'HIGH')", name=op.f("ck_economic_events_importance")
        ),
        sa.CheckConstraint(
            "data_source IN ('SIMULATED', 'IMPORTED')",
            name=op.f("ck_economic_events_data_source"),
        ),
        sa.ForeignKeyConstraint(
            ["symbol"],
            ["instruments.symbol"],
            name=op.f("fk_economic_events_symbol_instruments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_economic_events")),
        sa.UniqueConstraint(
            "country", "category", "title", "scheduled_at", name="uq_economic_events_event"
        ),
    )
    op.create_index("ix_economic_events_scheduled_at", "economic_events", ["scheduled_at"])
    op.create_index("ix_economic_events_symbol", "economic_events", ["symbol"])
    op.create_table(
        "search_outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column(
            "enqueued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("op IN ('index', 'delete')", name=op.f("ck_search_outbox_op")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_outbox")),
    )


def upgrade() -> None:
    """Create pg_trgm, fuzzystrmatch and the news, alias, calendar and outbox tables."""
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
    _articles()
    _aliases_and_events()


def downgrade() -> None:
    """Drop the news tables (the extensions stay: other objects may use it)."""
    for table in (
        "search_outbox",
        "economic_events",
        "company_aliases",
        "news_article_symbols",
        "news_articles",
    ):
        op.drop_table(table)
