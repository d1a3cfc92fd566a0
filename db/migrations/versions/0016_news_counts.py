"""News counts: how many articles each category holds, kept by the database.

Statement-level triggers on `news_articles` (with transition tables: one statement updates
each category once however many rows it wrote) keep `news_counts` equal to
`SELECT category, count(*) FROM news_articles GROUP BY category` in every transaction, and a
TRUNCATE empties it. The listing's total without any filter but categories is then a
look-up instead of a count over every article.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What a statement's added rows (`news_added`) and removed rows (`news_removed`) do to the
# counts; an update is both.
_ADD = """
    INSERT INTO news_counts AS c (category, articles)
    SELECT category, count(*) FROM news_added GROUP BY category
    ON CONFLICT (category) DO UPDATE SET articles = c.articles + excluded.articles;"""
_REMOVE = """
    UPDATE news_counts AS c SET articles = c.articles - gone.n
    FROM (SELECT category, count(*) AS n FROM news_removed GROUP BY category) AS gone
    WHERE c.category = gone.category;"""
_BODIES = {
    "add": _ADD,
    "remove": _REMOVE,
    "move": _REMOVE + _ADD,
    "clear": "\n    DELETE FROM news_counts;",
}
_FUNCTIONS = tuple(
    f"CREATE FUNCTION news_counts_{name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    f"BEGIN{body}\n    RETURN NULL;\nEND $$"
    for name, body in _BODIES.items()
)

_TRIGGERS = (
    "CREATE TRIGGER news_counts_insert AFTER INSERT ON news_articles"
    " REFERENCING NEW TABLE AS news_added FOR EACH STATEMENT EXECUTE FUNCTION news_counts_add()",
    "CREATE TRIGGER news_counts_delete AFTER DELETE ON news_articles"
    " REFERENCING OLD TABLE AS news_removed FOR EACH STATEMENT"
    " EXECUTE FUNCTION news_counts_remove()",
    "CREATE TRIGGER news_counts_update AFTER UPDATE ON news_articles"
    " REFERENCING OLD TABLE AS news_removed NEW TABLE AS news_added FOR EACH STATEMENT"
    " EXECUTE FUNCTION news_counts_move()",
    "CREATE TRIGGER news_counts_truncate AFTER TRUNCATE ON news_articles"
    " FOR EACH STATEMENT EXECUTE FUNCTION news_counts_clear()",
)


def upgrade() -> None:
    """Create news_counts, fill it, and the triggers that keep it."""
    op.create_table(
        "news_counts",
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("articles", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_news_counts")),
    )
    for function in _FUNCTIONS:
        op.execute(function)
    # Counted and triggered under a lock, so that no article lands between the two.
    op.execute("LOCK TABLE news_articles IN SHARE ROW EXCLUSIVE MODE")
    op.execute(
        "INSERT INTO news_counts (category, articles)"
        " SELECT category, count(*) FROM news_articles GROUP BY category"
    )
    for trigger in _TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    """Drop the triggers, their functions and news_counts."""
    for trigger in ("insert", "delete", "update", "truncate"):
        op.execute(f"DROP TRIGGER news_counts_{trigger} ON news_articles")
    for function in ("add", "remove", "move", "clear"):
        op.execute(f"DROP FUNCTION news_counts_{function}()")
    op.drop_table("news_counts")
