"""Users, sign-in sessions (refresh-token families) and audit events as plain data."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.accounts.roles import Role
from domain.errors import DomainError, ErrorCode

MAX_DISPLAY_NAME = 80
MAX_EMAIL = 254


@dataclass(frozen=True, slots=True)
class User:
    """An account as the API shows it (the password hash stays in the database layer)."""

    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Credentials:
    """What signing in checks: the user and their password hash."""

    user: User
    password_hash: str
    two_factor: bool = False


@dataclass(frozen=True, slots=True)
class TwoFactorState:
    """An account's two-factor state (secrets still encrypted)."""

    email: str | None
    secret: bytes | None
    pending: bytes | None
    enabled: bool
    last_step: int | None


@dataclass(frozen=True, slots=True)
class RefreshRecord:
    """One stored refresh token of a family."""

    id: uuid.UUID
    family_id: uuid.UUID
    user_id: uuid.UUID
    expires_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request comes from, for sessions and the audit log."""

    ip: str | None = None
    user_agent: str | None = None


class AuditKind(enum.StrEnum):
    """Security events written to the audit log."""

    REGISTER = "REGISTER"
    LOGIN_SUCCEEDED = "LOGIN_SUCCEEDED"
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGIN_LIMITED = "LOGIN_LIMITED"
    TOKEN_REFRESHED = "TOKEN_REFRESHED"  # noqa: S105 - an event name
    REFRESH_REUSED = "REFRESH_REUSED"
    LOGOUT = "LOGOUT"
    TWO_FACTOR_CHALLENGED = "TWO_FACTOR_CHALLENGED"
    TWO_FACTOR_FAILED = "TWO_FACTOR_FAILED"
    TWO_FACTOR_ENABLED = "TWO_FACTOR_ENABLED"
    TWO_FACTOR_DISABLED = "TWO_FACTOR_DISABLED"
    RECOVERY_CODE_USED = "RECOVERY_CODE_USED"
    RECOVERY_CODES_REGENERATED = "RECOVERY_CODES_REGENERATED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105 - an event name
    PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED"  # noqa: S105 - an event name
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - an event name
    SESSION_REVOKED = "SESSION_REVOKED"
    PROFILE_UPDATED = "PROFILE_UPDATED"
    ROLE_CHANGED = "ROLE_CHANGED"
    ACCOUNT_DELETED = "ACCOUNT_DELETED"
    API_KEY_CREATED = "API_KEY_CREATED"
    API_KEY_REVOKED = "API_KEY_REVOKED"


@dataclass(frozen=True, slots=True)
class SignInSession:
    """An active sign-in (a refresh-token family) as its owner sees it."""

    id: uuid.UUID
    signed_in_at: datetime
    last_used_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One security event."""

    id: int
    user_id: uuid.UUID | None
    kind: AuditKind
    ip: str | None
    user_agent: str | None
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def normalise_email(email: str, *, field_name: str = "email") -> str:
    """The form emails are compared in: trimmed, lower case.

    Raises:
        DomainError: INVALID when it does not look like an address.
    """
    cleaned = email.strip().lower()
    local, at, domain = cleaned.partition("@")
    if not at or not local or "." not in domain or len(cleaned) > MAX_EMAIL or " " in cleaned:
        raise DomainError(ErrorCode.INVALID, "Enter a valid email address.", field_name)
    return cleaned


def check_display_name(name: str) -> str:
    """A trimmed display name of 1 to 80 characters.

    Raises:
        DomainError: INVALID naming `displayName`.
    """
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_DISPLAY_NAME:
        raise DomainError(
            ErrorCode.INVALID,
            f"Display names have 1 to {MAX_DISPLAY_NAME} characters.",
            "displayName",
        )
    return cleaned


def mask_email(email: str) -> str:
    """An email safe for logs: `j***@example.com`."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
