"""Access and challenge tokens (JWT, RFC 8725 / RFC 9068) and opaque refresh tokens.

Verification trusts nothing in the token's header beyond choosing a key: the `kid` must name a
key of the locally configured set, the algorithm must be the one pinned to that key (`none` and
algorithm confusion are impossible), and `iss`, `aud`, `exp`, `iat`, `sub`, `jti`, the role and
the token type (`typ` in the header) are all required and checked. A two-factor challenge
token has its own type, so it can never be used as an access token, nor the other way round.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from domain.accounts.roles import Role
from domain.errors import DomainError, ErrorCode

ACCESS_TTL = timedelta(minutes=15)
CHALLENGE_TTL = timedelta(minutes=5)
REFRESH_TTL = timedelta(days=7)
ALGORITHMS = frozenset({"HS256", "EdDSA", "RS256"})
MIN_HMAC_KEY_BYTES = 32


class TokenType(enum.StrEnum):
    """The `typ` header: what a token may be used for."""

    ACCESS = "at+jwt"
    TWO_FACTOR = "2fa-challenge+jwt"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key of the set: HS256 uses `secret`; EdDSA/RS256 sign with `private`, verify with
    `public` (PEM)."""

    kid: str
    algorithm: str
    secret: bytes = b""
    private: str = ""
    public: str = ""

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"key {self.kid}: algorithm {self.algorithm} is not allowed")
        if self.algorithm == "HS256" and len(self.secret) < MIN_HMAC_KEY_BYTES:
            raise ValueError(f"key {self.kid}: an HS256 key needs at least 32 random bytes")

    def signing(self) -> Any:
        return self.secret if self.algorithm == "HS256" else self.private

    def verifying(self) -> Any:
        return self.secret if self.algorithm == "HS256" else self.public


@dataclass(frozen=True, slots=True)
class KeySet:
    """The configured keys; new tokens are signed with `current`, any listed key verifies."""

    keys: dict[str, SigningKey]
    current: str
    issuer: str = "psx-analytics"
    audience: str = "psx-analytics-api"


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says."""

    subject: str
    role: Role
    jti: str
    issued_at: datetime
    expires_at: datetime
    type: TokenType


def issue(
    keys: KeySet, *, subject: str, role: Role, typ: TokenType, now: datetime, ttl: timedelta
) -> tuple[str, Claims]:
    """A signed token and its claims."""
    key = keys.keys[keys.current]
    claims = Claims(subject, role, uuid.uuid4().hex, now, now + ttl, typ)
    payload = {
        "iss": keys.issuer,
        "aud": keys.audience,
        "sub": subject,
        "role": role.value,
        "jti": claims.jti,
        "iat": int(now.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    token = jwt.encode(
        payload, key.signing(), algorithm=key.algorithm, headers={"kid": key.kid, "typ": typ.value}
    )
    return token, claims


def _invalid(reason: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_TOKEN, f"Invalid token: {reason}.")


def verify(keys: KeySet, token: str, *, typ: TokenType, now: datetime) -> Claims:
    """The claims of a valid token of type `typ`.

    Raises:
        DomainError: INVALID_TOKEN naming what is wrong (never echoing the token).
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _invalid("malformed") from exc
    key = keys.keys.get(str(header.get("kid", "")))
    if key is None:
        raise _invalid("unknown key")
    if header.get("alg") != key.algorithm:
        raise _invalid("unexpected algorithm")
    if header.get("typ") != typ.value:
        raise _invalid("wrong token type")
    try:
        payload = jwt.decode(
            token,
            key.verifying(),
            algorithms=[key.algorithm],
            audience=keys.audience,
            issuer=keys.issuer,
            leeway=5,
            options={"require": ["iss", "aud", "sub", "exp", "iat", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _invalid("expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise _invalid("wrong audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise _invalid("wrong issuer") from exc
    except jwt.PyJWTError as exc:
        raise _invalid("bad signature or claims") from exc
    try:
        role = Role(payload["role"])
    except (KeyError, ValueError) as exc:
        raise _invalid("bad role") from exc
    issued = datetime.fromtimestamp(int(payload["iat"]), tz=now.tzinfo)
    expires = datetime.fromtimestamp(int(payload["exp"]), tz=now.tzinfo)
    if issued > now + timedelta(seconds=30):
        raise _invalid("issued in the future")
    return Claims(str(payload["sub"]), role, str(payload["jti"]), issued, expires, typ)


def new_refresh_token() -> tuple[str, str]:
    """An opaque 256-bit refresh token and the SHA-256 hash that is all we store."""
    token = secrets.token_urlsafe(32)
    return token, refresh_hash(token)


def refresh_hash(token: str) -> str:
    """The stored form of a refresh token."""
    return hashlib.sha256(token.encode()).hexdigest()
