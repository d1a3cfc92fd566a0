"""Account upkeep: profile and settings, sign-in sessions, password change and reset, roles,
and deleting an account."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from functools import partial

from db.mail import Mailer, OutboxMailer
from db.repos import accounts as accounts_repo
from db.repos import profiles as repo
from domain.accounts import hashing
from domain.accounts.passwords import check_password
from domain.accounts.roles import Role
from domain.accounts.settings import (
    AlertDelivery,
    Theme,
    UserSettings,
    check_time_zone,
    check_watchlist,
)
from domain.accounts.tokens import new_refresh_token, refresh_hash
from domain.accounts.users import (
    AuditEvent,
    AuditKind,
    SignInSession,
    User,
    check_display_name,
    normalise_email,
)
from domain.errors import DomainError, ErrorCode
from domain.markets.bars import Interval
from domain.pagination import page_size
from resolvers.accounts import Session, me, off_loop, open_session, require_user
from resolvers.context import Context

log = logging.getLogger(__name__)

RESET_TTL = timedelta(minutes=30)
RESET_LIMIT_PER_ACCOUNT = 3
RESET_LIMIT_PER_IP = 20
RESET_WINDOW_SECONDS = 60 * 60
# Sends run after the answer, so their time never tells whether an account exists.
_background: set[asyncio.Task[None]] = set()


def _mailer(ctx: Context) -> Mailer:
    return ctx.services.mailer or OutboxMailer(ctx.services.database.primary)


async def settings(ctx: Context) -> UserSettings:
    """The signed-in user's settings."""
    principal = require_user(ctx)
    return await repo.settings_of(ctx.services.database.read, principal.user_id)


async def update_settings(
    ctx: Context,
    *,
    default_interval: Interval | None,
    watchlist: list[str] | None,
    alert_delivery: AlertDelivery | None,
    time_zone: str | None,
    theme: Theme | None,
) -> UserSettings:
    """Change some settings; the others stay.

    Raises:
        DomainError: for an unknown time zone or symbol, or too long a watchlist.
    """
    principal = require_user(ctx)
    current = await repo.settings_of(ctx.services.database.primary, principal.user_id)
    ref = await ctx.services.reference.get()
    updated = UserSettings(
        default_interval=default_interval or current.default_interval,
        watchlist=current.watchlist
        if watchlist is None
        else check_watchlist(watchlist, set(ref.instrument_by_symbol)),
        alert_delivery=alert_delivery or current.alert_delivery,
        time_zone=current.time_zone if time_zone is None else check_time_zone(time_zone),
        theme=theme or current.theme,
    )
    async with ctx.services.database.primary.begin() as conn:
        await repo.save_settings(conn, principal.user_id, updated)
    return updated


async def update_profile(ctx: Context, *, display_name: str | None) -> User:
    """Change the display name.

    Raises:
        DomainError: INVALID naming `input.displayName`.
    """
    principal = require_user(ctx)
    if display_name is not None:
        try:
            name = check_display_name(display_name)
        except DomainError as err:
            raise DomainError(err.code, err.message, "input.displayName") from err
        async with ctx.services.database.primary.begin() as conn:
            await repo.set_display_name(conn, principal.user_id, name)
            await accounts_repo.audit(
                conn, kind=AuditKind.PROFILE_UPDATED, user_id=principal.user_id, client=ctx.client
            )
    return await me(ctx)


async def sessions(ctx: Context) -> list[SignInSession]:
    """The signed-in user's live sign-ins, most recently used first."""
    principal = require_user(ctx)
    return await repo.sessions_of(
        ctx.services.database.read, principal.user_id, ctx.services.security.now()
    )


async def revoke_session(ctx: Context, session_id: uuid.UUID) -> None:
    """Sign one of the user's sessions out.

    Raises:
        DomainError: NOT_FOUND for a session that is not live or not theirs.
    """
    principal = require_user(ctx)
    async with ctx.services.database.primary.begin() as conn:
        revoked = await repo.revoke_session(
            conn, principal.user_id, session_id, ctx.services.security.now()
        )
        if not revoked:
            raise DomainError(ErrorCode.NOT_FOUND, "No such session.", "id")
        await accounts_repo.audit(
            conn,
            kind=AuditKind.SESSION_REVOKED,
            user_id=principal.user_id,
            client=ctx.client,
            detail={"session": str(session_id)},
        )


async def _check_password(ctx: Context, user_id: uuid.UUID, password: str) -> None:
    async with ctx.services.database.primary.connect() as conn:
        stored = await accounts_repo.password_hash_of(conn, user_id)
    ok = await off_loop(
        ctx.services.security,
        partial(hashing.verify_password, stored or hashing.DUMMY_HASH, password),
    )
    if not ok:
        raise DomainError(
            ErrorCode.INVALID_CREDENTIALS, "The password is not right.", "currentPassword"
        )


async def change_password(ctx: Context, *, current_password: str, new_password: str) -> Session:
    """Change the password; every session ends and a new one is opened for this client.

    Raises:
        DomainError: INVALID_CREDENTIALS (current), WEAK_PASSWORD (new).
    """
    principal = require_user(ctx)
    user = await me(ctx)
    await _check_password(ctx, principal.user_id, current_password)
    check_password(new_password, email=user.email, field="newPassword")
    digest = await off_loop(ctx.services.security, partial(hashing.hash_password, new_password))
    now = ctx.services.security.now()
    async with ctx.services.database.primary.begin() as conn:
        await repo.set_password_hash(conn, principal.user_id, digest)
        await accounts_repo.revoke_user_families(conn, principal.user_id, now)
        await accounts_repo.audit(
            conn, kind=AuditKind.PASSWORD_CHANGED, user_id=principal.user_id, client=ctx.client
        )
        session = await open_session(ctx, conn, user)
    remaining = int((principal.expires_at - now).total_seconds()) + 1
    await ctx.services.security.denylist.add(principal.jti, remaining)
    return session


async def request_password_reset(ctx: Context, *, email: str) -> None:
    """Mail a reset link if the email has an account. The answer, its status and its timing
    are the same whether or not it has one; sends happen after the answer."""
    try:
        normalized = normalise_email(email)
    except DomainError:
        return
    limiter = ctx.services.security.limiter
    if not (
        await limiter.hit(
            f"reset:account:{normalized}",
            limit=RESET_LIMIT_PER_ACCOUNT,
            window_seconds=RESET_WINDOW_SECONDS,
        )
        and await limiter.hit(
            f"reset:ip:{ctx.client.ip or '-'}",
            limit=RESET_LIMIT_PER_IP,
            window_seconds=RESET_WINDOW_SECONDS,
        )
    ):
        return  # silently: a limited request looks like any other
    found = await accounts_repo.credentials_by_email(ctx.services.database.primary, normalized)
    if found is not None:
        # Everything an existing account costs (the token, the audit row, the mail) happens
        # after the answer, so known and unknown addresses take the same time to answer.
        task = asyncio.create_task(_send_reset(ctx, found.user))
        _background.add(task)
        task.add_done_callback(_background.discard)


async def _send_reset(ctx: Context, user: User) -> None:
    token, digest = new_refresh_token()
    try:
        async with ctx.services.database.primary.begin() as conn:
            await repo.add_password_reset(
                conn, user.id, digest, ctx.services.security.now() + RESET_TTL
            )
            await accounts_repo.audit(
                conn, kind=AuditKind.PASSWORD_RESET_REQUESTED, user_id=user.id, client=ctx.client
            )
        body = (
            f"Hello {user.display_name},\n\n"
            "Someone asked to reset the password of your PSX Analytics account. If it was you, "
            f"use this token with `resetPassword` within 30 minutes:\n\n    {token}\n\n"
            "If it was not you, ignore this message: your password stays as it is.\n"
        )
        await _mailer(ctx).send(user.email, "Reset your PSX Analytics password", body)
    except Exception:
        log.exception("password reset mail failed")


async def reset_password(ctx: Context, *, token: str, new_password: str) -> None:
    """Set a new password with a reset token (single use, 30 minutes); every session ends.

    Raises:
        DomainError: INVALID_TOKEN, WEAK_PASSWORD.
    """
    check_password(new_password, field="newPassword")
    digest = await off_loop(ctx.services.security, partial(hashing.hash_password, new_password))
    now = ctx.services.security.now()
    async with ctx.services.database.primary.begin() as conn:
        user_id = await repo.take_password_reset(conn, refresh_hash(token), now)
        if user_id is None:
            raise DomainError(
                ErrorCode.INVALID_TOKEN, "The reset token is not valid or has expired.", "token"
            )
        await repo.set_password_hash(conn, user_id, digest)
        await accounts_repo.revoke_user_families(conn, user_id, now)
        await accounts_repo.audit(
            conn, kind=AuditKind.PASSWORD_RESET, user_id=user_id, client=ctx.client
        )


async def delete_account(ctx: Context, *, password: str) -> None:
    """Delete the signed-in account: personal data goes, every session ends, the audit trail
    stays (anonymous).

    Raises:
        DomainError: INVALID_CREDENTIALS for a wrong password.
    """
    principal = require_user(ctx)
    try:
        await _check_password(ctx, principal.user_id, password)
    except DomainError as err:
        raise DomainError(err.code, err.message, "password") from err
    now = ctx.services.security.now()
    async with ctx.services.database.primary.begin() as conn:
        await repo.anonymise_user(conn, principal.user_id, now)
        await accounts_repo.audit(
            conn, kind=AuditKind.ACCOUNT_DELETED, user_id=principal.user_id, client=ctx.client
        )
    remaining = int((principal.expires_at - now).total_seconds()) + 1
    await ctx.services.security.denylist.add(principal.jti, remaining)
    log.info("account deleted: %s", principal.user_id)


def require_admin(ctx: Context) -> uuid.UUID:
    """The signed-in admin's id.

    Raises:
        DomainError: when the caller is not signed in (INVALID_CREDENTIALS) or not an admin
            (UNSUPPORTED is not used: the schema maps this to FORBIDDEN).
    """
    principal = require_user(ctx)
    if principal.role is not Role.ADMIN:
        raise PermissionError("Only administrators may do this.")
    return principal.user_id


async def set_user_role(ctx: Context, *, user_id: uuid.UUID, role: Role) -> User:
    """Change a user's role (administrators only); it applies from their next token refresh.

    Raises:
        DomainError: NOT_FOUND for an unknown user.
        PermissionError: when the caller is not an administrator.
    """
    admin = require_admin(ctx)
    async with ctx.services.database.primary.begin() as conn:
        user = await repo.set_role(conn, user_id, role)
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such user.", "userId")
        await accounts_repo.audit(
            conn,
            kind=AuditKind.ROLE_CHANGED,
            user_id=user_id,
            client=ctx.client,
            detail={"role": role.value, "by": str(admin)},
        )
    return user


async def audit_log_of(
    ctx: Context, *, user_id: uuid.UUID, first: int | None, before: int | None
) -> list[AuditEvent]:
    """Any user's security events (administrators only).

    Raises:
        PermissionError: when the caller is not an administrator.
    """
    require_admin(ctx)
    size = page_size(first)
    return await accounts_repo.audit_events(
        ctx.services.database.read, user_id=user_id, limit=size, before_id=before
    )
