"""Two-factor use cases: enable, confirm, sign in with a code, disable, new recovery codes.

Signing in to an account with two-factor takes two steps: `login` answers a challenge token
(its own token type, 5 minutes, good for nothing else), and `verifyTwoFactor` exchanges it
with a code from the authenticator (or a recovery code) for a session. Code attempts are
limited per account and counted per field, like passwords.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection

from db.repos import accounts as repo
from domain.accounts import hashing, totp
from domain.accounts.tokens import TokenType, verify
from domain.accounts.users import AuditKind
from domain.errors import DomainError, ErrorCode
from resolvers.accounts import Session, off_loop, open_session, require_user
from resolvers.context import Context

CODE_LIMIT_PER_ACCOUNT = 5
CODE_LIMIT_PER_IP = 50
CODE_WINDOW_SECONDS = 15 * 60
BAD_CODE = "The code is not valid."


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A new secret for the authenticator app (not in force until confirmed)."""

    secret: str
    uri: str


async def _limited(ctx: Context, user_id: uuid.UUID) -> None:
    limiter = ctx.services.security.limiter
    account_ok = await limiter.hit(
        f"2fa:account:{user_id}", limit=CODE_LIMIT_PER_ACCOUNT, window_seconds=CODE_WINDOW_SECONDS
    )
    ip_ok = await limiter.hit(
        f"2fa:ip:{ctx.client.ip or '-'}",
        limit=CODE_LIMIT_PER_IP,
        window_seconds=CODE_WINDOW_SECONDS,
    )
    if not (account_ok and ip_ok):
        raise DomainError(
            ErrorCode.RATE_LIMITED, "Too many code attempts; try again in 15 minutes.", "code"
        )


def _account(user_id: uuid.UUID) -> bytes:
    return user_id.bytes


async def _check_code(
    ctx: Context, conn: AsyncConnection, user_id: uuid.UUID, code: str, *, recovery: bool
) -> str | None:
    """Spend a valid code of the account: 'totp' or 'recovery', or None when it is not valid."""
    state = await repo.two_factor_for_update(conn, user_id)
    if state is None or not state.enabled or state.secret is None:
        return None
    security = ctx.services.security
    secret = totp.decrypt_secret(security.totp_key, state.secret, _account(user_id))
    step = totp.matching_step(secret, code, security.now(), last_step=state.last_step)
    if step is not None and await repo.accept_step(conn, user_id, step):
        return "totp"
    if recovery and totp.looks_like_recovery_code(code):
        cleaned = totp.normalise_recovery_code(code)
        for code_id, stored in await repo.unused_recovery_codes(conn, user_id):
            if await off_loop(security, partial(hashing.verify_password, stored, cleaned)):
                await repo.use_recovery_code(conn, code_id, security.now())
                return "recovery"
    return None


async def verify_two_factor(ctx: Context, *, challenge_token: str, code: str) -> Session:
    """Finish a two-factor sign-in.

    Raises:
        DomainError: INVALID_TOKEN (challenge), INVALID_CREDENTIALS (code), RATE_LIMITED.
    """
    security = ctx.services.security
    try:
        claims = verify(
            security.keys, challenge_token, typ=TokenType.TWO_FACTOR, now=security.now()
        )
        user_id = uuid.UUID(claims.subject)
    except (DomainError, ValueError) as exc:
        raise DomainError(
            ErrorCode.INVALID_TOKEN,
            "The sign-in challenge is not valid; sign in again.",
            "challengeToken",
        ) from exc
    if await security.denylist.contains(claims.jti):
        raise DomainError(
            ErrorCode.INVALID_TOKEN,
            "The sign-in challenge was used; sign in again.",
            "challengeToken",
        )
    await _limited(ctx, user_id)
    engine = ctx.services.database.primary
    async with engine.begin() as conn:
        factor = await _check_code(ctx, conn, user_id, code, recovery=True)
        if factor is not None:
            (user,) = await repo.users_by_id(engine, [user_id])
            if user is not None:
                kind = (
                    AuditKind.RECOVERY_CODE_USED
                    if factor == "recovery"
                    else (AuditKind.LOGIN_SUCCEEDED)
                )
                await repo.audit(
                    conn, kind=kind, user_id=user_id, client=ctx.client, detail={"factor": factor}
                )
                session = await open_session(ctx, conn, user)
                remaining = int((claims.expires_at - security.now()).total_seconds()) + 1
                await security.denylist.add(claims.jti, remaining)
                return session
        await repo.audit(conn, kind=AuditKind.TWO_FACTOR_FAILED, user_id=user_id, client=ctx.client)
    raise DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CODE, "code")


async def enable_two_factor(ctx: Context) -> Enrollment:
    """Start enrolling an authenticator: a new secret, in force once a code confirms it.

    Raises:
        DomainError: INVALID when two-factor is already on.
    """
    principal = require_user(ctx)
    security = ctx.services.security
    async with ctx.services.database.primary.begin() as conn:
        state = await repo.two_factor_for_update(conn, principal.user_id)
        if state is None:
            raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid token: the account is gone.")
        if state.enabled:
            raise DomainError(ErrorCode.INVALID, "Two-factor is already on; disable it first.")
        secret = totp.new_secret()
        blob = totp.encrypt_secret(security.totp_key, secret, _account(principal.user_id))
        await repo.set_pending_secret(conn, principal.user_id, blob)
    return Enrollment(secret, totp.provisioning_uri(secret, state.email or ""))


async def _new_codes(ctx: Context, conn: AsyncConnection, user_id: uuid.UUID) -> list[str]:
    codes = totp.new_recovery_codes()
    security = ctx.services.security
    hashes = [
        await off_loop(security, partial(hashing.hash_password, totp.normalise_recovery_code(c)))
        for c in codes
    ]
    await repo.replace_recovery_codes(conn, user_id, hashes)
    return codes


async def confirm_two_factor(ctx: Context, *, code: str) -> list[str]:
    """Turn two-factor on with a first code; returns the recovery codes (shown once).

    Raises:
        DomainError: INVALID when nothing is being enrolled, INVALID_CREDENTIALS for a bad code.
    """
    principal = require_user(ctx)
    await _limited(ctx, principal.user_id)
    security = ctx.services.security
    async with ctx.services.database.primary.begin() as conn:
        state = await repo.two_factor_for_update(conn, principal.user_id)
        if state is None or state.pending is None:
            raise DomainError(ErrorCode.INVALID, "Call enableTwoFactor first.")
        secret = totp.decrypt_secret(security.totp_key, state.pending, _account(principal.user_id))
        step = totp.matching_step(secret, code, security.now(), last_step=None)
        if step is None:
            raise DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CODE, "code")
        await repo.enable_two_factor(conn, principal.user_id, step)
        codes = await _new_codes(ctx, conn, principal.user_id)
        await repo.audit(
            conn, kind=AuditKind.TWO_FACTOR_ENABLED, user_id=principal.user_id, client=ctx.client
        )
    return codes


async def _reauthenticate(
    ctx: Context, conn: AsyncConnection, user_id: uuid.UUID, password: str, code: str
) -> None:
    """Check the password and a current code before a change to the factors (ASVS 7.5.1)."""
    stored = await repo.password_hash_of(conn, user_id)
    security = ctx.services.security
    ok = await off_loop(
        security, lambda: hashing.verify_password(stored or hashing.DUMMY_HASH, password)
    )
    if not ok:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "The password is not right.", "password")
    if await _check_code(ctx, conn, user_id, code, recovery=False) is None:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, BAD_CODE, "code")


async def disable_two_factor(ctx: Context, *, password: str, code: str) -> None:
    """Turn two-factor off (password and a current code required).

    Raises:
        DomainError: INVALID_CREDENTIALS naming the wrong one, RATE_LIMITED.
    """
    principal = require_user(ctx)
    await _limited(ctx, principal.user_id)
    async with ctx.services.database.primary.begin() as conn:
        await _reauthenticate(ctx, conn, principal.user_id, password, code)
        await repo.disable_two_factor(conn, principal.user_id)
        await repo.audit(
            conn, kind=AuditKind.TWO_FACTOR_DISABLED, user_id=principal.user_id, client=ctx.client
        )


async def regenerate_recovery_codes(ctx: Context, *, password: str, code: str) -> list[str]:
    """A new set of recovery codes; the old set stops working.

    Raises:
        DomainError: INVALID_CREDENTIALS naming the wrong one, RATE_LIMITED.
    """
    principal = require_user(ctx)
    await _limited(ctx, principal.user_id)
    async with ctx.services.database.primary.begin() as conn:
        await _reauthenticate(ctx, conn, principal.user_id, password, code)
        codes = await _new_codes(ctx, conn, principal.user_id)
        await repo.audit(
            conn,
            kind=AuditKind.RECOVERY_CODES_REGENERATED,
            user_id=principal.user_id,
            client=ctx.client,
        )
    return codes
