"""Signing keys from configuration (never from a token's header).

PSX_JWT_KEYS holds a key set as JSON:
`{"current": "2026-11", "keys": {"2026-11": {"alg": "HS256", "secret": "<base64, 32+ bytes>"},
"2026-05": {"alg": "EdDSA", "private": "<PEM>", "public": "<PEM>"}}}`; tokens are signed with
`current` and verified with any listed key, so keys rotate by adding the new one as current and
dropping the old one after the longest token lifetime. PSX_JWT_SECRET is the one-key shorthand
(base64 of at least 32 random bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import Any

import orjson

from api.settings import Settings
from domain.accounts.tokens import KeySet, SigningKey


def _secret(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("JWT secrets are base64 (e.g. `openssl rand -base64 32`)") from exc


def _key(kid: str, spec: dict[str, Any]) -> SigningKey:
    return SigningKey(
        kid=kid,
        algorithm=str(spec.get("alg", "HS256")),
        secret=_secret(spec["secret"]) if "secret" in spec else b"",
        private=str(spec.get("private", "")),
        public=str(spec.get("public", "")),
    )


def keyset_from_settings(settings: Settings) -> KeySet | None:
    """The configured key set, or None when none is configured.

    Raises:
        ValueError: for a malformed configuration (weak key, unknown algorithm...).
    """
    if settings.jwt_keys:
        doc = orjson.loads(settings.jwt_keys)
        keys = {kid: _key(kid, spec) for kid, spec in doc["keys"].items()}
        if doc["current"] not in keys:
            raise ValueError("PSX_JWT_KEYS: `current` must name one of `keys`")
        return KeySet(keys, doc["current"])
    if settings.jwt_secret:
        key = SigningKey("default", "HS256", secret=_secret(settings.jwt_secret))
        return KeySet({key.kid: key}, key.kid)
    return None


def totp_key_from_settings(settings: Settings) -> bytes:
    """The AES-256 key that encrypts TOTP secrets at rest.

    PSX_TOTP_KEY (base64 of 32 bytes) when set. Otherwise, outside production, a key kept in
    `$PSX_DATA_DIR/totp.key` (made on first use, readable by the owner only), so enrolled
    authenticators survive restarts of a development server.

    Raises:
        ValueError: for a key that is not 32 bytes, or none in production.
    """
    if settings.totp_key:
        key = _secret(settings.totp_key)
    elif settings.production:
        raise ValueError("production needs PSX_TOTP_KEY (base64 of 32 random bytes)")
    else:
        path = settings.data_dir / "totp.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64encode(os.urandom(32)))
            path.chmod(0o600)
        key = _secret(path.read_text().strip())
    if len(key) != 32:
        raise ValueError("the TOTP key must be 32 bytes (AES-256)")
    return key


def reports_key_from_settings(settings: Settings, totp_key: bytes) -> bytes:
    """The HMAC key of statement download links: PSX_REPORTS_KEY (base64, 32+ bytes), else
    one derived from the TOTP key (so links outlive a restart wherever that key does).

    Raises:
        ValueError: for a key shorter than 32 bytes.
    """
    if settings.reports_key:
        key = _secret(settings.reports_key)
        if len(key) < 32:
            raise ValueError("PSX_REPORTS_KEY must be at least 32 bytes")
        return key
    return hmac.new(totp_key, b"psx-reports-links", hashlib.sha256).digest()
