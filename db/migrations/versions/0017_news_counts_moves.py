"""News counts: an update of articles writes the counts only where categories moved.

0016's update trigger took every updated row out of its category and put it back, so an
update of anything else (a title, a summary, the search outbox's marks) still wrote a count
row of every category it touched, and concurrent updates of one category queued on that
row's lock. The function now nets what the statement moved per category and writes only
the categories whose count changed. (A trigger's column list, `UPDATE OF category`, cannot
be combined with transition tables in PostgreSQL.)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NETTED = """
CREATE OR REPLACE FUNCTION news_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO news_counts AS c (category, articles)
    SELECT category, sum(n) FROM (
        SELECT category, 1 AS n FROM news_added
        UNION ALL SELECT category, -1 FROM news_removed
    ) AS moved GROUP BY category HAVING sum(n) <> 0
    ON CONFLICT (category) DO UPDATE SET articles = c.articles + excluded.articles;
    RETURN NULL;
END $$"""

# 0016's body: every updated row out of its category and back in.
_EVERY_ROW = """
CREATE OR REPLACE FUNCTION news_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE news_counts AS c SET articles = c.articles - gone.n
    FROM (SELECT category, count(*) AS n FROM news_removed GROUP BY category) AS gone
    WHERE c.category = gone.category;
    INSERT INTO news_counts AS c (category, articles)
    SELECT category, count(*) FROM news_added GROUP BY category
    ON CONFLICT (category) DO UPDATE SET articles = c.articles + excluded.articles;
    RETURN NULL;
END $$"""


def upgrade() -> None:
    """Net the update trigger's moves per category."""
    op.execute(_NETTED)


def downgrade() -> None:
    """Restore 0016's update body."""
    op.execute(_EVERY_ROW)
