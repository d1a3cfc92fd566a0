"""Account use cases: register, sign in, refresh, sign out, who am I, my audit log.

Each mutation is one transaction. Expected failures are `DomainError`s; those that must leave
a trace (a failed login, a reused refresh token) commit their audit event (and the family's
revocation) first and raise afterwards, so the trace survives the error.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from db.repos import accounts as repo
from domain.accounts import hashing
from domain.accounts.passwords import check_password
from domain.accounts.tokens import (
    ACCESS_TTL,
    CHALLENGE_TTL,
    REFRESH_TTL,
    TokenType,
    issue,
    new_refresh_token,
    refresh_hash,
    verify,
)
from domain.accounts.users import (
    AuditEvent,
    AuditKind,
    User,
    check_display_name,
    mask_email,
    normalise_email,
)
from domain.errors import DomainError, ErrorCode
from domain.pagination import page_size
from resolvers.context import Context, Principal, Security

log = logging.getLogger(__name__)

T = TypeVar("T")

LOGIN_LIMIT_PER_ACCOUNT = 10
LOGIN_LIMIT_PER_IP = 100
LOGIN_WINDOW_SECONDS = 15 * 60
# One message for every sign-in failure: it must not tell whether the email exists.
BAD_LOGIN = "Login failed: invalid email or password."


@dataclass(frozen=True, slots=True)
class Challenge:
    """What `login` answers for an account with two-factor: a token for `verifyTwoFactor`."""

    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session: the user and a fresh pair of tokens."""

    user: User
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


async def off_loop(security: Security, work: Callable[[], T]) -> T:
    """Run CPU-bound hashing in a thread, at most `security.hashing` at a time."""
    async with security.hashing:
        return await asyncio.to_thread(work)


async def authenticate(security: Security, token: str, now: datetime) -> Principal:
    """The principal of a bearer access token.

    Raises:
        DomainError: INVALID_TOKEN when it is not a valid, unrevoked access token.
    """
    claims = verify(security.keys, token, typ=TokenType.ACCESS, now=now)
    if await security.denylist.contains(claims.jti):
        raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid token: revoked.")
    try:
        user_id = uuid.UUID(claims.subject)
    except ValueError as exc:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid token: bad subject.") from exc
    return Principal(user_id, claims.role, claims.jti, claims.expires_at)


def require_user(ctx: Context) -> Principal:
    """The signed-in user.

    Raises:
        DomainError: INVALID_TOKEN for a bad token, UNAUTHENTICATED-style INVALID_CREDENTIALS
            when none was sent (the schema maps both to UNAUTHENTICATED).
    """
    if ctx.auth_error is not None:
        raise ctx.auth_error
    if ctx.user is None:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "Sign in to use this field.")
    return ctx.user


async def open_session(
    ctx: Context, conn: AsyncConnection, user: User, family_id: uuid.UUID | None = None
) -> Session:
    """Issue an access token and store the next refresh token of a (new) family."""
    now = ctx.services.security.now()
    keys = ctx.services.security.keys
    access, claims = issue(
        keys, subject=str(user.id), role=user.role, typ=TokenType.ACCESS, now=now, ttl=ACCESS_TTL
    )
    refresh, digest = new_refresh_token()
    await repo.add_refresh_token(
        conn,
        family_id=family_id or uuid.uuid4(),
        user_id=user.id,
        token_hash=digest,
        expires_at=now + REFRESH_TTL,
        client=ctx.client,
    )
    return Session(user, access, claims.expires_at, refresh, now + REFRESH_TTL)


async def register(ctx: Context, *, email: str, password: str, display_name: str) -> Session:
    """Create an account and sign it in.

    Raises:
        DomainError: INVALID (email, displayName), WEAK_PASSWORD, EMAIL_TAKEN.
    """
    normalized = normalise_email(email)
    name = check_display_name(display_name)
    check_password(password, email=normalized)
    security = ctx.services.security
    digest = await off_loop(security, lambda: hashing.hash_password(password))
    async with ctx.services.database.primary.begin() as conn:
        user = await repo.create_user(
            conn,
            email=email.strip(),
            normalized=normalized,
            password_hash=digest,
            display_name=name,
        )
        if user is None:
            raise DomainError(
                ErrorCode.EMAIL_TAKEN, "An account with this email already exists.", "email"
            )
        await repo.audit(conn, kind=AuditKind.REGISTER, user_id=user.id, client=ctx.client)
        session = await open_session(ctx, conn, user)
    log.info("account registered: %s", mask_email(normalized))
    return session


async def _limited(ctx: Context, normalized: str) -> bool:
    """Count a login attempt for the account and the IP; True when over either limit."""
    limiter = ctx.services.security.limiter
    account_ok = await limiter.hit(
        f"login:account:{normalized}",
        limit=LOGIN_LIMIT_PER_ACCOUNT,
        window_seconds=LOGIN_WINDOW_SECONDS,
    )
    ip_ok = await limiter.hit(
        f"login:ip:{ctx.client.ip or '-'}",
        limit=LOGIN_LIMIT_PER_IP,
        window_seconds=LOGIN_WINDOW_SECONDS,
    )
    return not (account_ok and ip_ok)


async def login(ctx: Context, *, email: str, password: str) -> Session | Challenge:
    """Sign in with email and password; accounts with two-factor get a challenge instead.

    Every field counts one attempt, so aliases in one document cannot multiply attempts. An
    unknown email is hashed against a dummy so its timing matches a known one.

    Raises:
        DomainError: INVALID_CREDENTIALS (one message whatever went wrong), RATE_LIMITED.
    """
    try:
        normalized = normalise_email(email)
    except DomainError:
        normalized = email.strip().lower()
    security = ctx.services.security
    engine = ctx.services.database.primary
    if await _limited(ctx, normalized):
        async with engine.begin() as conn:
            await repo.audit(conn, kind=AuditKind.LOGIN_LIMITED, user_id=None, client=ctx.client)
        raise DomainError(
            ErrorCode.RATE_LIMITED, "Too many sign-in attempts; try again in 15 minutes."
        )
    found = await repo.credentials_by_email(engine, normalized)
    stored = found.password_hash if found else hashing.DUMMY_HASH
    ok = await off_loop(security, lambda: hashing.verify_password(stored, password))
    async with engine.begin() as conn:
        if found is not None and ok and found.two_factor:
            await repo.audit(
                conn, kind=AuditKind.TWO_FACTOR_CHALLENGED, user_id=found.user.id, client=ctx.client
            )
            token, claims = issue(
                security.keys,
                subject=str(found.user.id),
                role=found.user.role,
                typ=TokenType.TWO_FACTOR,
                now=security.now(),
                ttl=CHALLENGE_TTL,
            )
            return Challenge(token, claims.expires_at)
        if found is not None and ok:
            await repo.audit(
                conn, kind=AuditKind.LOGIN_SUCCEEDED, user_id=found.user.id, client=ctx.client
            )
            return await open_session(ctx, conn, found.user)
        await repo.audit(
            conn,
            kind=AuditKind.LOGIN_FAILED,
            user_id=found.user.id if found else None,
            client=ctx.client,
        )
    raise DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_LOGIN)


async def refresh(ctx: Context, *, refresh_token: str) -> Session:
    """Exchange a refresh token for a new pair; the old one is spent.

    Presenting a token that was already exchanged means it leaked (or a client raced itself):
    the whole family is revoked and the event audited (RFC 9700 section 4.14.2).

    Raises:
        DomainError: INVALID_TOKEN.
    """
    now = ctx.services.security.now()
    engine = ctx.services.database.primary
    reused = False
    async with engine.begin() as conn:
        record = await repo.refresh_token_for_update(conn, refresh_hash(refresh_token))
        if record is not None and record.revoked_at is None and record.rotated_at is not None:
            await repo.revoke_family(conn, record.family_id, now)
            await repo.audit(
                conn,
                kind=AuditKind.REFRESH_REUSED,
                user_id=record.user_id,
                client=ctx.client,
                detail={"family": str(record.family_id)},
            )
            reused = True
        elif record is not None and record.revoked_at is None and record.expires_at > now:
            (user,) = await repo.users_by_id(engine, [record.user_id])
            if user is not None:
                await repo.mark_rotated(conn, record.id, now)
                await repo.audit(
                    conn, kind=AuditKind.TOKEN_REFRESHED, user_id=user.id, client=ctx.client
                )
                return await open_session(ctx, conn, user, record.family_id)
    if reused:
        log.warning("refresh token reused: family revoked")
    raise DomainError(
        ErrorCode.INVALID_TOKEN, "Invalid refresh token: sign in again.", "refreshToken"
    )


async def logout(ctx: Context, *, refresh_token: str, all_sessions: bool) -> int:
    """Sign out: revoke the token's family (or every family of the user) and deny the current
    access token until it expires. Returns how many refresh tokens were revoked.

    Raises:
        DomainError: INVALID_TOKEN for an unknown refresh token.
    """
    now = ctx.services.security.now()
    async with ctx.services.database.primary.begin() as conn:
        record = await repo.refresh_token_for_update(conn, refresh_hash(refresh_token))
        if record is None or (ctx.user is not None and ctx.user.user_id != record.user_id):
            raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid refresh token.", "refreshToken")
        if all_sessions:
            revoked = await repo.revoke_user_families(conn, record.user_id, now)
        else:
            revoked = await repo.revoke_family(conn, record.family_id, now)
        await repo.audit(
            conn,
            kind=AuditKind.LOGOUT,
            user_id=record.user_id,
            client=ctx.client,
            detail={"allSessions": all_sessions},
        )
    if ctx.user is not None:
        remaining = int((ctx.user.expires_at - now).total_seconds()) + 1
        await ctx.services.security.denylist.add(ctx.user.jti, remaining)
    return revoked


async def me(ctx: Context) -> User:
    """The signed-in user.

    Raises:
        DomainError: when no valid access token came with the request, or the account is gone.
    """
    principal = require_user(ctx)
    (user,) = await repo.users_by_id(ctx.services.database.read, [principal.user_id])
    if user is None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid token: the account no longer exists.")
    return user


async def audit_log(ctx: Context, *, first: int | None, before: int | None) -> list[AuditEvent]:
    """The signed-in user's security events, newest first.

    Raises:
        DomainError: without a signed-in user, or for a page size outside 1..100.
    """
    principal = require_user(ctx)
    size = page_size(first)
    return await repo.audit_events(
        ctx.services.database.read, user_id=principal.user_id, limit=size, before_id=before
    )
