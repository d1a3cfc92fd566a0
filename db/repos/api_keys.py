"""API key storage, and the in-process cache that keeps authenticating a key cheap.

Functions taking a connection run inside the caller's transaction; those taking an engine
open a short one of their own. Keys are found by the SHA-256 of the key text (a unique index).
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.accounts.api_keys import ApiKey, KeyOwner, KeyPolicy
from domain.accounts.roles import Role

_COLUMNS = (
    "k.id, k.user_id, k.name, k.prefix, k.persisted_policy, k.created_at, k.last_used_at,"
    " k.expires_at, k.revoked_at"
)
# At most one write of `last_used_at` a minute per key (and per process).
TOUCH_EVERY = timedelta(minutes=1)
# How long a looked-up key is believed without asking PostgreSQL again: the bound on how late
# another process sees a revocation (the revoking process forgets the key at once).
CACHE_TTL_SECONDS = 5.0
CACHE_MAX_ENTRIES = 10_000


def _key(row: Row[Any]) -> ApiKey:
    policy = KeyPolicy(row.persisted_policy) if row.persisted_policy else None
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        policy=policy,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


async def create_key(
    conn: AsyncConnection,
    *,
    user_id: uuid.UUID,
    name: str,
    prefix: str,
    digest: str,
    policy: KeyPolicy | None,
    expires_at: datetime | None,
) -> ApiKey:
    """Store a new key (its hash only)."""
    row = (
        await conn.execute(
            text(
                "INSERT INTO api_keys AS k"  # noqa: S608 - constant columns
                " (user_id, name, prefix, key_hash, persisted_policy, expires_at)"
                " VALUES (:u, :n, :p, :h, :pol, :x)"
                f" RETURNING {_COLUMNS}"
            ),
            {
                "u": user_id,
                "n": name,
                "p": prefix,
                "h": digest,
                "pol": policy.value if policy else None,
                "x": expires_at,
            },
        )
    ).one()
    return _key(row)


async def count_usable(conn: AsyncConnection, user_id: uuid.UUID, now: datetime) -> int:
    """How many of the user's keys are neither revoked nor expired, on the caller's connection."""
    count: int = (
        await conn.execute(
            text(
                "SELECT count(*) FROM api_keys WHERE user_id = :u AND revoked_at IS NULL"
                " AND (expires_at IS NULL OR expires_at > :now)"
            ),
            {"u": user_id, "now": now},
        )
    ).scalar_one()
    return count


async def keys_of(
    engine: AsyncEngine, *, user_id: uuid.UUID, now: datetime, include_inactive: bool, limit: int
) -> list[ApiKey]:
    """The user's usable keys, newest first; with `include_inactive`, also their revoked and
    expired ones (usable first, then at most `limit` inactive ones, newest first)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM api_keys k WHERE k.user_id = :u"  # noqa: S608 - constant columns
                " AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > :now)"
                " ORDER BY k.created_at DESC, k.id"
            ),
            {"u": user_id, "now": now},
        )
        keys = [_key(r) for r in rows]
        if include_inactive:
            rows = await conn.execute(
                text(
                    f"SELECT {_COLUMNS} FROM api_keys k WHERE k.user_id = :u"  # noqa: S608 - constant columns
                    " AND (k.revoked_at IS NOT NULL OR k.expires_at <= :now)"
                    " ORDER BY k.created_at DESC, k.id LIMIT :limit"
                ),
                {"u": user_id, "now": now, "limit": limit},
            )
            keys += [_key(r) for r in rows]
    return keys


async def revoke_key(
    conn: AsyncConnection, *, key_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> tuple[ApiKey, str] | None:
    """Revoke the user's key (a revoked one keeps its first `revoked_at`); the key and its hash,
    or None when the user has no key of that id."""
    row = (
        await conn.execute(
            text(
                "UPDATE api_keys AS k SET revoked_at = coalesce(k.revoked_at, :now)"  # noqa: S608
                " WHERE k.id = :id AND k.user_id = :u"
                f" RETURNING {_COLUMNS}, k.key_hash"
            ),
            {"id": key_id, "u": user_id, "now": now},
        )
    ).one_or_none()
    return None if row is None else (_key(row), row.key_hash)


async def key_by_hash(engine: AsyncEngine, digest: str) -> KeyOwner | None:
    """The key with that hash and its owner's current role, in one query."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    f"SELECT {_COLUMNS}, u.role, u.deleted_at FROM api_keys k"  # noqa: S608 - constant columns
                    " JOIN users u ON u.id = k.user_id WHERE k.key_hash = :h"
                ),
                {"h": digest},
            )
        ).one_or_none()
    if row is None:
        return None
    return KeyOwner(_key(row), Role(row.role), owner_deleted=row.deleted_at is not None)


async def touch_key(engine: AsyncEngine, key_id: uuid.UUID, now: datetime) -> None:
    """Record that the key was used, unless that was recorded less than a minute ago."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE api_keys SET last_used_at = :now WHERE id = :id"
                " AND (last_used_at IS NULL OR last_used_at < :since)"
            ),
            {"id": key_id, "now": now, "since": now - TOUCH_EVERY},
        )


@dataclass(slots=True)
class _Cached:
    found: KeyOwner | None
    until: float


class KeyCache:
    """Looked-up keys by hash (unknown ones too) for `ttl` seconds, at most `max_entries`.

    `forget` drops a key at once (the process that revokes it); other processes see the
    revocation when their entry ends, within `ttl`. `due_touch` says when this process last
    wrote a key's `last_used_at`, so it writes at most once a minute per key.
    """

    def __init__(
        self,
        *,
        ttl: float = CACHE_TTL_SECONDS,
        max_entries: int = CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, _Cached] = OrderedDict()
        self._touched: dict[uuid.UUID, datetime] = {}

    def get(self, digest: str) -> tuple[bool, KeyOwner | None]:
        """(True, what was found) while an entry is fresh, else (False, None)."""
        entry = self._entries.get(digest)
        if entry is None:
            return False, None
        if entry.until <= self.clock():
            del self._entries[digest]
            return False, None
        return True, entry.found

    def put(self, digest: str, found: KeyOwner | None) -> None:
        """Remember a lookup (the oldest entry goes when full)."""
        self._entries[digest] = _Cached(found, self.clock() + self.ttl)
        self._entries.move_to_end(digest)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, digest: str) -> None:
        """Drop a key's entry: the next request looks it up again."""
        self._entries.pop(digest, None)

    def due_touch(self, key: ApiKey, now: datetime) -> bool:
        """True when `last_used_at` should be written now (and notes that it is)."""
        last = self._touched.get(key.id) or key.last_used_at
        if last is not None and now - last < TOUCH_EVERY:
            return False
        if len(self._touched) >= self.max_entries:
            self._touched.clear()
        self._touched[key.id] = now
        return True
