"""Account upkeep storage: settings, sign-in sessions, password changes and resets, roles,
and deleting (anonymising) an account."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.accounts.roles import Role
from domain.accounts.settings import AlertDelivery, Theme, UserSettings
from domain.accounts.users import SignInSession, User
from domain.markets.bars import Interval


async def settings_of(engine: AsyncEngine, user_id: uuid.UUID) -> UserSettings:
    """The user's settings (the defaults until they save some)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT default_interval, watchlist, alert_delivery, time_zone, theme"
                    " FROM user_settings WHERE user_id = :u"
                ),
                {"u": user_id},
            )
        ).one_or_none()
    if row is None:
        return UserSettings()
    return UserSettings(
        Interval(row.default_interval),
        tuple(row.watchlist),
        AlertDelivery(row.alert_delivery),
        row.time_zone,
        Theme(row.theme),
    )


async def save_settings(conn: AsyncConnection, user_id: uuid.UUID, s: UserSettings) -> None:
    """Store the user's settings."""
    await conn.execute(
        text(
            "INSERT INTO user_settings (user_id, default_interval, watchlist, alert_delivery,"
            " time_zone, theme) VALUES (:u, :i, :w, :a, :z, :t)"
            " ON CONFLICT (user_id) DO UPDATE SET default_interval = EXCLUDED.default_interval,"
            " watchlist = EXCLUDED.watchlist, alert_delivery = EXCLUDED.alert_delivery,"
            " time_zone = EXCLUDED.time_zone, theme = EXCLUDED.theme, updated_at = now()"
        ),
        {
            "u": user_id,
            "i": s.default_interval.value,
            "w": list(s.watchlist),
            "a": s.alert_delivery.value,
            "z": s.time_zone,
            "t": s.theme.value,
        },
    )


async def set_display_name(conn: AsyncConnection, user_id: uuid.UUID, name: str) -> None:
    """Change the display name."""
    await conn.execute(
        text("UPDATE users SET display_name = :d, updated_at = now() WHERE id = :u"),
        {"u": user_id, "d": name},
    )


async def sessions_of(
    engine: AsyncEngine, user_id: uuid.UUID, now: datetime
) -> list[SignInSession]:
    """The user's live sign-ins: one per family with an unspent, unrevoked, unexpired token."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                """
                SELECT t.family_id,
                       (SELECT min(f.created_at) FROM refresh_tokens f
                         WHERE f.family_id = t.family_id) AS signed_in_at,
                       t.created_at AS last_used_at, t.expires_at, t.ip, t.user_agent
                  FROM refresh_tokens t
                 WHERE t.user_id = :u AND t.revoked_at IS NULL AND t.rotated_at IS NULL
                   AND t.expires_at > :now
                 ORDER BY t.created_at DESC
                """
            ),
            {"u": user_id, "now": now},
        )
        return [
            SignInSession(
                r.family_id, r.signed_in_at, r.last_used_at, r.expires_at, r.ip, r.user_agent
            )
            for r in rows
        ]


async def revoke_session(
    conn: AsyncConnection, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime
) -> int:
    """Revoke one of the user's sign-ins; how many tokens were live in it."""
    result = await conn.execute(
        text(
            "UPDATE refresh_tokens SET revoked_at = :now"
            " WHERE family_id = :f AND user_id = :u AND revoked_at IS NULL"
        ),
        {"f": family_id, "u": user_id, "now": now},
    )
    return int(result.rowcount)


async def set_password_hash(conn: AsyncConnection, user_id: uuid.UUID, digest: str) -> None:
    """Store a new password hash."""
    await conn.execute(
        text("UPDATE users SET password_hash = :h, updated_at = now() WHERE id = :u"),
        {"u": user_id, "h": digest},
    )


async def add_password_reset(
    conn: AsyncConnection, user_id: uuid.UUID, token_hash: str, expires_at: datetime
) -> None:
    """Store a reset token's hash; earlier unused tokens of the user stop working."""
    await conn.execute(
        text("UPDATE password_resets SET used_at = now() WHERE user_id = :u AND used_at IS NULL"),
        {"u": user_id},
    )
    await conn.execute(
        text("INSERT INTO password_resets (user_id, token_hash, expires_at) VALUES (:u, :h, :x)"),
        {"u": user_id, "h": token_hash, "x": expires_at},
    )


async def take_password_reset(
    conn: AsyncConnection, token_hash: str, now: datetime
) -> uuid.UUID | None:
    """Spend a valid reset token; the account it resets, or None."""
    value = await conn.scalar(
        text(
            "UPDATE password_resets SET used_at = :now WHERE token_hash = :h"
            " AND used_at IS NULL AND expires_at > :now RETURNING user_id"
        ),
        {"h": token_hash, "now": now},
    )
    return value if isinstance(value, uuid.UUID) else None


async def set_role(conn: AsyncConnection, user_id: uuid.UUID, role: Role) -> User | None:
    """Change a user's role; the user, or None when there is no such (live) account."""
    row = (
        await conn.execute(
            text(
                "UPDATE users SET role = :r, updated_at = now()"
                " WHERE id = :u AND deleted_at IS NULL"
                " RETURNING id, email, display_name, role, created_at"
            ),
            {"u": user_id, "r": role.value},
        )
    ).one_or_none()
    if row is None:
        return None
    return User(row.id, row.email, row.display_name, Role(row.role), row.created_at)


async def anonymise_user(conn: AsyncConnection, user_id: uuid.UUID, now: datetime) -> None:
    """Delete an account's personal data, its alerts, settings, codes and sessions; the row
    (and so the audit trail's reference) stays, anonymous."""
    await conn.execute(
        text(
            "UPDATE users SET email = NULL, email_normalized = NULL, password_hash = NULL,"
            " display_name = 'Deleted account', totp_secret = NULL, totp_pending = NULL,"
            " totp_enabled = false, totp_last_step = NULL, deleted_at = :now, updated_at = :now"
            " WHERE id = :u"
        ),
        {"u": user_id, "now": now},
    )
    for table in ("recovery_codes", "user_settings", "alerts", "alert_events", "password_resets"):
        await conn.execute(text(f"DELETE FROM {table} WHERE user_id = :u"), {"u": user_id})  # noqa: S608
    await conn.execute(
        text(
            "UPDATE refresh_tokens SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL"
        ),
        {"u": user_id, "now": now},
    )
