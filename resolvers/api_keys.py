"""API key use cases: create, revoke, list mine, and authenticate a request by its key.

A key acts as its owner with the owner's current role, so cost limits, entitlements and
ownership checks treat its requests as the owner's. Keys are made and listed by a signed-in
user; a key cannot make another key (a leaked key must not be able to outlive its revocation).
The plan caps how many usable keys a user holds (`Entitlements.max_api_keys`). Another user's
key is NOT_FOUND on `id`, the same error as an id that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from db.repos import accounts as accounts_repo
from db.repos import api_keys as repo
from db.repos.portfolios import lock_owner
from domain.accounts.api_keys import (
    ApiKey,
    KeyIdentity,
    KeyPolicy,
    check_count,
    check_expiry,
    check_format,
    check_key_name,
    check_usable,
    key_hash,
    new_key,
)
from domain.accounts.roles import ENTITLEMENTS
from domain.accounts.tokens import ACCESS_TTL
from domain.accounts.users import AuditKind
from domain.errors import DomainError, ErrorCode
from resolvers.accounts import require_user
from resolvers.context import Context, Principal, Services

log = logging.getLogger(__name__)

# Revoked and expired keys listed at most (`apiKeys(includeInactive: true)`).
MAX_INACTIVE_LISTED = 100


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """What `createApiKey` asks for."""

    name: str
    expires_at: datetime | None = None
    policy: KeyPolicy | None = None


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new key and its text, which is shown this once and stored nowhere."""

    key: ApiKey
    secret: str


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "No such API key.", "id")


def require_session(ctx: Context) -> Principal:
    """The signed-in user when signed in with a token, not an API key.

    Raises:
        DomainError: without a signed-in user, or INVALID_CREDENTIALS for a request made with
            an API key.
    """
    principal = require_user(ctx)
    if principal.api_key is not None:
        raise DomainError(
            ErrorCode.INVALID_CREDENTIALS, "Sign in (not with an API key) to create API keys."
        )
    return principal


async def create_api_key(ctx: Context, cmd: NewApiKey) -> CreatedKey:
    """Create an API key for the signed-in user.

    Raises:
        DomainError: a bad name ("input.name") or expiry ("input.expiresAt"), TOO_LARGE when
            the plan's usable keys are all taken, INVALID_CREDENTIALS with an API key.
    """
    principal = require_session(ctx)
    name = check_key_name(cmd.name)
    now = ctx.services.security.now()
    expires_at = check_expiry(cmd.expires_at, now)
    made = new_key()
    async with ctx.services.database.primary.begin() as conn:
        await lock_owner(conn, principal.user_id)
        usable = await repo.count_usable(conn, principal.user_id, now)
        check_count(usable, ENTITLEMENTS[principal.role].max_api_keys)
        key = await repo.create_key(
            conn,
            user_id=principal.user_id,
            name=name,
            prefix=made.prefix,
            digest=made.digest,
            policy=cmd.policy,
            expires_at=expires_at,
        )
        await accounts_repo.audit(
            conn,
            kind=AuditKind.API_KEY_CREATED,
            user_id=principal.user_id,
            client=ctx.client,
            detail={"key": str(key.id), "prefix": key.prefix},
        )
    log.info("api key created: psx_%s_…", key.prefix)
    return CreatedKey(key, made.text)


async def revoke_api_key(ctx: Context, key_id: uuid.UUID) -> ApiKey:
    """Revoke one of the signed-in user's keys (again: no change). In this process the key
    stops working at once; in others within `db.repos.api_keys.CACHE_TTL_SECONDS`.

    Raises:
        DomainError: NOT_FOUND on "id" (also for another user's key).
    """
    principal = require_user(ctx)
    now = ctx.services.security.now()
    async with ctx.services.database.primary.begin() as conn:
        revoked = await repo.revoke_key(conn, key_id=key_id, user_id=principal.user_id, now=now)
        if revoked is None:
            raise _not_found()
        key, digest = revoked
        if key.revoked_at == now:
            await accounts_repo.audit(
                conn,
                kind=AuditKind.API_KEY_REVOKED,
                user_id=principal.user_id,
                client=ctx.client,
                detail={"key": str(key.id), "prefix": key.prefix},
            )
    ctx.services.security.api_keys.forget(digest)
    return key


async def my_api_keys(ctx: Context, *, include_inactive: bool = False) -> list[ApiKey]:
    """The signed-in user's usable keys, newest first (then revoked and expired ones).

    Raises:
        DomainError: without a signed-in user.
    """
    principal = require_user(ctx)
    return await repo.keys_of(
        ctx.services.database.primary,
        user_id=principal.user_id,
        now=ctx.services.security.now(),
        include_inactive=include_inactive,
        limit=MAX_INACTIVE_LISTED,
    )


async def authenticate_key(services: Services, text: str) -> Principal:
    """The principal of an API key: its owner with the owner's current role.

    A lookup is cached by the key's hash (db/repos/api_keys.py `KeyCache`); revocation and
    expiry are checked on every request against the cached row; `last_used_at` is written at
    most once a minute per key and process.

    Raises:
        DomainError: INVALID_TOKEN naming the problem (malformed, unknown, revoked, expired,
            or the account is gone).
    """
    security = services.security
    digest = key_hash(check_format(text))
    hit, found = security.api_keys.get(digest)
    if not hit:
        # The primary: a replica a moment behind could still hold a revoked key as usable.
        found = await repo.key_by_hash(services.database.primary, digest)
        security.api_keys.put(digest, found)
    now = security.now()
    owner = check_usable(found, now)
    key = owner.key
    if security.api_keys.due_touch(key, now):
        await repo.touch_key(services.database.primary, key.id, now)
    identity = KeyIdentity(
        id=key.id,
        prefix=key.prefix,
        name=key.name,
        policy=key.policy,
        relaxes=ENTITLEMENTS[owner.role].relaxed_key_policy,
    )
    expires_at = now + ACCESS_TTL
    if key.expires_at is not None:
        expires_at = min(expires_at, key.expires_at)
    return Principal(key.user_id, owner.role, f"apikey:{key.id}", expires_at, identity)
