"""API keys: long-lived credentials a user creates for scripts and partner integrations.

A key reads `psx_<prefix>_<secret>`: `prefix` is 8 hex digits, public, shown in listings so
people tell their keys apart; `secret` is `secrets.token_urlsafe(32)` (256 bits). Only the
SHA-256 of the whole key is stored, and the key itself is shown once, when it is created. A
lookup by that hash (a unique index) finds it; no comparison of secrets happens in Python.

A request with a key acts as the key's owner with the owner's current role. The key may also
carry a persisted-query policy (`KeyPolicy`), which the API edge applies to its requests.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.accounts.roles import Role
from domain.errors import DomainError, ErrorCode

PREFIX = "psx"
MAX_NAME = 80
# psx_ + 8 hex + _ + 43 characters of token_urlsafe(32).
KEY_PATTERN = re.compile(r"psx_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")


class KeyPolicy(enum.StrEnum):
    """Which documents a key's requests may send (the values of `api.persisted.ClientPolicy`)."""

    ALLOW_ANY = "allow_any"
    ALLOW_APQ = "allow_apq"
    TRUSTED_ONLY = "trusted_only"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key as its owner sees it: never the secret, never its hash."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str
    policy: KeyPolicy | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    def usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """What authenticating a key needs: the key and its owner's current state."""

    key: ApiKey
    role: Role
    owner_deleted: bool


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """The key a request authenticated with (on its principal).

    `relaxes`: the owner's tier lets the key's policy be more permissive than the server's
    rules (`Entitlements.relaxed_key_policy`); otherwise the stricter of the two applies.
    """

    id: uuid.UUID
    prefix: str
    name: str
    policy: KeyPolicy | None
    relaxes: bool


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly made key: the text the user gets once, its public prefix and stored hash."""

    text: str
    prefix: str
    digest: str


def new_key() -> NewKey:
    """A random key in the `psx_<prefix>_<secret>` format."""
    prefix = secrets.token_hex(4)
    text = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(text, prefix, key_hash(text))


def key_hash(text: str) -> str:
    """The stored form of a key: SHA-256 hex of the whole key text."""
    return hashlib.sha256(text.encode()).hexdigest()


def check_format(text: str) -> str:
    """The key text trimmed, when it has the shape of one of our keys.

    Raises:
        DomainError: INVALID_TOKEN when it does not (no lookup is needed to say so).
    """
    stripped = text.strip()
    if not KEY_PATTERN.fullmatch(stripped):
        raise DomainError(
            ErrorCode.INVALID_TOKEN, "Invalid API key: not a PSX key (`psx_<prefix>_<secret>`)."
        )
    return stripped


def check_key_name(name: str) -> str:
    """A key's name, trimmed: 1 to 80 characters.

    Raises:
        DomainError: INVALID on `input.name`.
    """
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= MAX_NAME:
        raise DomainError(
            ErrorCode.INVALID, f"A key's name is 1 to {MAX_NAME} characters.", "input.name"
        )
    return cleaned


def check_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    """An expiry in the future with a time zone (None: the key does not expire).

    Raises:
        DomainError: INVALID on `input.expiresAt`.
    """
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise DomainError(
            ErrorCode.INVALID, "Give the expiry with a time zone (e.g. `Z`).", "input.expiresAt"
        )
    if expires_at <= now:
        raise DomainError(ErrorCode.INVALID, "The expiry must be in the future.", "input.expiresAt")
    return expires_at


def check_count(usable: int, cap: int) -> None:
    """Refuse a new key when the user holds `cap` usable keys already.

    Raises:
        DomainError: TOO_LARGE (no field: no input is at fault).
    """
    if usable >= cap:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"Your plan allows {cap} API keys; revoke one first."
        )


def check_usable(found: KeyOwner | None, now: datetime) -> KeyOwner:
    """The key and owner when the key may authenticate a request at `now`.

    Raises:
        DomainError: INVALID_TOKEN naming the problem (unknown, revoked, expired, or the
            account is gone).
    """
    if found is None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid API key: unknown key.")
    if found.key.revoked_at is not None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid API key: revoked.")
    if found.key.expires_at is not None and found.key.expires_at <= now:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid API key: expired.")
    if found.owner_deleted:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Invalid API key: the account no longer exists.")
    return found
