"""The audit log stays append-only, but retention may remove rows past its cut-off.

`psx-analytics retention` (db/retention.py) sets `psx.retention` to its cut-off inside its
own transaction; the trigger then lets a DELETE of rows older than that cut-off through, and
still refuses every UPDATE and any other DELETE.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETENTION_AWARE = """
CREATE OR REPLACE FUNCTION psx_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cutoff text := current_setting('psx.retention', true);
BEGIN
    IF TG_OP = 'DELETE' AND cutoff IS NOT NULL AND cutoff <> ''
       AND OLD.at < cutoff::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END $$
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION psx_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$
"""


def upgrade() -> None:
    """Let retention's transaction delete audit rows past its cut-off."""
    op.execute(RETENTION_AWARE)


def downgrade() -> None:
    """Back to refusing every update and delete."""
    op.execute(APPEND_ONLY)
