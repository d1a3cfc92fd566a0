"""GraphQL types of accounts: users, tokens, audit events, mutation payloads."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.accounts import roles
from domain.accounts import users as domain
from domain.accounts.roles import Role
from domain.accounts.users import AuditKind
from resolvers.accounts import Session
from schema.payloads import UserError

strawberry.enum(roles.Role, description="Role tier: what the account may use.")
strawberry.enum(domain.AuditKind, description="Kinds of security events.")


@strawberry.type(description="A signed-in account.")
class User:
    id: uuid.UUID = strawberry.field(description="Account id.")
    email: str = strawberry.field(description="Email address (as registered).")
    display_name: str = strawberry.field(description="Name shown to people.")
    role: Role = strawberry.field(description="Role tier.")
    created_at: datetime = strawberry.field(description="When the account was created (UTC).")

    @classmethod
    def from_domain(cls, u: domain.User) -> User:
        """Map a domain user."""
        return cls(
            id=u.id,
            email=u.email,
            display_name=u.display_name,
            role=u.role,
            created_at=u.created_at,
        )


@strawberry.type(
    description=(
        "Tokens of a session. Send `accessToken` as `Authorization: Bearer …` (or in "
        "`connection_init`'s payload over WebSocket); exchange `refreshToken` with "
        "`refreshToken` before the access token expires. A refresh token works once."
    )
)
class AuthTokens:
    access_token: str = strawberry.field(description="JWT access token (15 minutes).")
    access_token_expires_at: datetime = strawberry.field(description="When it expires (UTC).")
    refresh_token: str = strawberry.field(description="Opaque refresh token (7 days, single use).")
    refresh_token_expires_at: datetime = strawberry.field(description="When it expires (UTC).")
    token_type: str = strawberry.field(description="Always `Bearer`.")
    user: User = strawberry.field(description="The signed-in account.")

    @classmethod
    def from_session(cls, s: Session) -> AuthTokens:
        """Map a session."""
        return cls(
            access_token=s.access_token,
            access_token_expires_at=s.access_expires_at,
            refresh_token=s.refresh_token,
            refresh_token_expires_at=s.refresh_expires_at,
            token_type="Bearer",  # noqa: S106 - the scheme name
            user=User.from_domain(s.user),
        )


@strawberry.type(description="A security event of the account.")
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="Event id (pass to `before` to page).")
    kind: AuditKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When (UTC).")
    ip: str | None = strawberry.field(description="Client IP address.")
    user_agent: str | None = strawberry.field(description="Client user agent.")

    @classmethod
    def from_domain(cls, e: domain.AuditEvent) -> AuditEvent:
        """Map a domain event."""
        return cls(
            id=strawberry.ID(str(e.id)), kind=e.kind, at=e.at, ip=e.ip, user_agent=e.user_agent
        )


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Email address; it signs you in.")
    password: str = strawberry.field(
        description="At least 8 characters (64 and more welcome); common passwords are refused."
    )
    display_name: str = strawberry.field(description="Name shown to people, 1 to 80 characters.")


@strawberry.type(description="Result of `register`: the account signed in, or errors.")
class RegisterPayload:
    tokens: AuthTokens | None = strawberry.field(description="The new session.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(
    description=(
        "The account has two-factor: pass `challengeToken` and a code from the authenticator "
        "(or a recovery code) to `verifyTwoFactor`."
    )
)
class TwoFactorChallenge:
    challenge_token: str = strawberry.field(description="Challenge token (5 minutes, single use).")
    expires_at: datetime = strawberry.field(description="When it expires (UTC).")


@strawberry.type(
    description="Result of `login`: a session, a two-factor challenge, or errors (one of them)."
)
class LoginPayload:
    tokens: AuthTokens | None = strawberry.field(description="The new session.")
    challenge: TwoFactorChallenge | None = strawberry.field(
        description="Set instead of `tokens` when the account has two-factor."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="A new authenticator secret (in force once confirmed).")
class TwoFactorEnrollment:
    secret: str = strawberry.field(description="Base32 secret for manual entry.")
    otpauth_uri: str = strawberry.field(description="otpauth:// URI to show as a QR code.")


@strawberry.type(description="Result of `enableTwoFactor`.")
class EnableTwoFactorPayload:
    enrollment: TwoFactorEnrollment | None = strawberry.field(description="The new secret.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(
    description="Result of `confirmTwoFactor` and `regenerateRecoveryCodes`: recovery codes."
)
class RecoveryCodesPayload:
    recovery_codes: list[str] | None = strawberry.field(
        description="Ten single-use recovery codes. Shown once: store them safely."
    )
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `disableTwoFactor`.")
class DisableTwoFactorPayload:
    disabled: bool = strawberry.field(description="True when two-factor is now off.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `refreshToken`: the next pair of tokens, or errors.")
class RefreshTokenPayload:
    tokens: AuthTokens | None = strawberry.field(description="The renewed session.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `logout`.")
class LogoutPayload:
    revoked_sessions: int = strawberry.field(description="Refresh tokens revoked.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")
