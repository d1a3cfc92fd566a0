"""Account storage: users, refresh-token families, audit events.

Functions taking a connection run inside the caller's transaction (a mutation is one
transaction); those taking an engine open a short one of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Row, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.accounts.roles import Role
from domain.accounts.users import (
    AuditEvent,
    AuditKind,
    Client,
    Credentials,
    RefreshRecord,
    TwoFactorState,
    User,
)

_USER = "id, email, display_name, role, created_at"


def _user(row: Row[Any]) -> User:
    return User(row.id, row.email, row.display_name, Role(row.role), row.created_at)


async def create_user(
    conn: AsyncConnection, *, email: str, normalized: str, password_hash: str, display_name: str
) -> User | None:
    """A new user, or None when the email is taken (nothing is written then)."""
    try:
        async with conn.begin_nested():
            row = (
                await conn.execute(
                    text(
                        "INSERT INTO users (email, email_normalized, password_hash, display_name)"
                        " VALUES (:e, :n, :h, :d)"
                        " RETURNING id, email, display_name, role, created_at"
                    ),
                    {"e": email, "n": normalized, "h": password_hash, "d": display_name},
                )
            ).one()
    except IntegrityError:
        return None
    return _user(row)


async def credentials_by_email(engine: AsyncEngine, normalized: str) -> Credentials | None:
    """The user with that (normalised) email and their password hash."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    f"SELECT {_USER}, password_hash, totp_enabled FROM users"  # noqa: S608
                    " WHERE email_normalized = :n AND deleted_at IS NULL"
                ),
                {"n": normalized},
            )
        ).one_or_none()
    if row is None or row.password_hash is None:
        return None
    return Credentials(_user(row), row.password_hash, row.totp_enabled)


async def users_by_id(engine: AsyncEngine, ids: Sequence[uuid.UUID]) -> list[User | None]:
    """Users aligned to `ids` (None for unknown or deleted ones), in one query."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                f"SELECT {_USER} FROM users"  # noqa: S608 - constant columns
                " WHERE id = ANY(:ids) AND deleted_at IS NULL"
            ),
            {"ids": list(ids)},
        )
        found = {r.id: _user(r) for r in rows}
    return [found.get(i) for i in ids]


async def add_refresh_token(
    conn: AsyncConnection,
    *,
    family_id: uuid.UUID,
    user_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
    client: Client,
) -> None:
    """Store a refresh token (its hash) as the newest of its family."""
    await conn.execute(
        text(
            "INSERT INTO refresh_tokens"
            " (family_id, user_id, token_hash, expires_at, user_agent, ip)"
            " VALUES (:f, :u, :h, :x, :ua, :ip)"
        ),
        {
            "f": family_id,
            "u": user_id,
            "h": token_hash,
            "x": expires_at,
            "ua": client.user_agent,
            "ip": client.ip,
        },
    )


async def refresh_token_for_update(conn: AsyncConnection, token_hash: str) -> RefreshRecord | None:
    """The stored token with that hash, locked until the transaction ends."""
    row = (
        await conn.execute(
            text(
                "SELECT id, family_id, user_id, expires_at, rotated_at, revoked_at"
                " FROM refresh_tokens WHERE token_hash = :h FOR UPDATE"
            ),
            {"h": token_hash},
        )
    ).one_or_none()
    if row is None:
        return None
    return RefreshRecord(
        row.id, row.family_id, row.user_id, row.expires_at, row.rotated_at, row.revoked_at
    )


async def mark_rotated(conn: AsyncConnection, token_id: uuid.UUID, now: datetime) -> None:
    """Record that a token was exchanged for its successor."""
    await conn.execute(
        text("UPDATE refresh_tokens SET rotated_at = :now WHERE id = :id"),
        {"id": token_id, "now": now},
    )


async def revoke_family(conn: AsyncConnection, family_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live token of a family; returns how many."""
    result = await conn.execute(
        text(
            "UPDATE refresh_tokens SET revoked_at = :now"
            " WHERE family_id = :f AND revoked_at IS NULL"
        ),
        {"f": family_id, "now": now},
    )
    return int(result.rowcount)


async def revoke_user_families(conn: AsyncConnection, user_id: uuid.UUID, now: datetime) -> int:
    """Revoke every live token of every family of a user; returns how many."""
    result = await conn.execute(
        text(
            "UPDATE refresh_tokens SET revoked_at = :now WHERE user_id = :u AND revoked_at IS NULL"
        ),
        {"u": user_id, "now": now},
    )
    return int(result.rowcount)


async def audit(
    conn: AsyncConnection,
    *,
    kind: AuditKind,
    user_id: uuid.UUID | None,
    client: Client,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append a security event."""
    await conn.execute(
        text(
            "INSERT INTO audit_events (user_id, kind, ip, user_agent, detail)"
            " VALUES (:u, :k, :ip, :ua, CAST(:d AS jsonb))"
        ),
        {
            "u": user_id,
            "k": kind.value,
            "ip": client.ip,
            "ua": client.user_agent,
            "d": orjson.dumps(detail or {}).decode(),
        },
    )


async def audit_events(
    engine: AsyncEngine, *, user_id: uuid.UUID | None, limit: int, before_id: int | None
) -> list[AuditEvent]:
    """Events newest first (of one user, or all when `user_id` is None), paged by id."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, user_id, kind, ip, user_agent, detail, at FROM audit_events"
                " WHERE (CAST(:u AS uuid) IS NULL OR user_id = :u)"
                " AND (CAST(:b AS bigint) IS NULL OR id < :b)"
                " ORDER BY id DESC LIMIT :n"
            ),
            {"u": user_id, "b": before_id, "n": limit},
        )
        return [
            AuditEvent(r.id, r.user_id, AuditKind(r.kind), r.ip, r.user_agent, r.at, r.detail)
            for r in rows
        ]


async def password_hash_of(conn: AsyncConnection, user_id: uuid.UUID) -> str | None:
    """The user's password hash (None for a deleted account)."""
    value = await conn.scalar(
        text("SELECT password_hash FROM users WHERE id = :u AND deleted_at IS NULL"),
        {"u": user_id},
    )
    return None if value is None else str(value)


async def two_factor_for_update(conn: AsyncConnection, user_id: uuid.UUID) -> TwoFactorState | None:
    """The user's two-factor state, locked until the transaction ends."""
    row = (
        await conn.execute(
            text(
                "SELECT email, totp_secret, totp_pending, totp_enabled, totp_last_step FROM users"
                " WHERE id = :u AND deleted_at IS NULL FOR UPDATE"
            ),
            {"u": user_id},
        )
    ).one_or_none()
    if row is None:
        return None
    return TwoFactorState(
        row.email, row.totp_secret, row.totp_pending, row.totp_enabled, row.totp_last_step
    )


async def set_pending_secret(conn: AsyncConnection, user_id: uuid.UUID, blob: bytes) -> None:
    """Keep a new secret until the user confirms a code from it."""
    await conn.execute(
        text("UPDATE users SET totp_pending = :b, updated_at = now() WHERE id = :u"),
        {"u": user_id, "b": blob},
    )


async def enable_two_factor(conn: AsyncConnection, user_id: uuid.UUID, step: int) -> None:
    """Make the pending secret the account's, with `step` already used."""
    await conn.execute(
        text(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL,"
            " totp_enabled = true, totp_last_step = :s, updated_at = now() WHERE id = :u"
        ),
        {"u": user_id, "s": step},
    )


async def disable_two_factor(conn: AsyncConnection, user_id: uuid.UUID) -> None:
    """Forget the secret and the recovery codes."""
    await conn.execute(
        text(
            "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled = false,"
            " totp_last_step = NULL, updated_at = now() WHERE id = :u"
        ),
        {"u": user_id},
    )
    await conn.execute(text("DELETE FROM recovery_codes WHERE user_id = :u"), {"u": user_id})


async def accept_step(conn: AsyncConnection, user_id: uuid.UUID, step: int) -> bool:
    """Record `step` as used, unless it (or a later one) already was: replay-safe across
    processes because the check and the write are one statement."""
    result = await conn.execute(
        text(
            "UPDATE users SET totp_last_step = :s WHERE id = :u"
            " AND (totp_last_step IS NULL OR totp_last_step < :s)"
        ),
        {"u": user_id, "s": step},
    )
    return bool(result.rowcount)


async def replace_recovery_codes(
    conn: AsyncConnection, user_id: uuid.UUID, hashes: Sequence[str]
) -> None:
    """A new set of recovery codes; the old set stops working."""
    await conn.execute(text("DELETE FROM recovery_codes WHERE user_id = :u"), {"u": user_id})
    await conn.execute(
        text(
            "INSERT INTO recovery_codes (user_id, code_hash)"
            " SELECT :u, h FROM unnest(CAST(:hashes AS text[])) AS h"
        ),
        {"u": user_id, "hashes": list(hashes)},
    )


async def unused_recovery_codes(conn: AsyncConnection, user_id: uuid.UUID) -> list[tuple[int, str]]:
    """(id, hash) of the user's unused recovery codes, locked."""
    rows = await conn.execute(
        text(
            "SELECT id, code_hash FROM recovery_codes WHERE user_id = :u AND used_at IS NULL"
            " ORDER BY id FOR UPDATE"
        ),
        {"u": user_id},
    )
    return [(r.id, r.code_hash) for r in rows]


async def use_recovery_code(conn: AsyncConnection, code_id: int, now: datetime) -> None:
    """Spend a recovery code."""
    await conn.execute(
        text("UPDATE recovery_codes SET used_at = :now WHERE id = :id"), {"id": code_id, "now": now}
    )
