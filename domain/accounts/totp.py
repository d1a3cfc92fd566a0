"""TOTP two-factor (RFC 6238) and recovery codes (ASVS 5.0 6.5).

Codes are 6 digits over 30-second steps; a code from the step before or after is accepted
(clock drift), but never a step at or before the last one accepted (replay). Secrets are
160-bit and stored encrypted (AES-256-GCM, the account id as associated data, so a secret
cannot be moved to another account). Recovery codes are 80-bit, single use, and stored as
argon2id hashes like passwords, since they are short enough to be worth guessing offline.
"""

from __future__ import annotations

import hmac
import os
import secrets
from datetime import datetime

import pyotp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

STEP_SECONDS = 30
WINDOW = 1
RECOVERY_CODES = 10
ISSUER = "PSX Analytics"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read aloud and typed safely


def new_secret() -> str:
    """A fresh 160-bit base32 secret."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI authenticator apps scan."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def step_of(now: datetime) -> int:
    """The 30-second step holding the instant."""
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime, *, last_step: int | None) -> int | None:
    """The step whose code `code` is (within ±1 of now and after `last_step`), or None."""
    cleaned = code.strip().replace(" ", "")
    if len(cleaned) != 6 or not cleaned.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = step_of(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Compare every candidate (no early exit) so timing does not tell which matched.
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), cleaned) and found is None:
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def new_recovery_codes() -> list[str]:
    """Ten codes like `K7QM-2HXD-9PWA-T4NB` (16 characters of a 32-letter alphabet: 80 bits)."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def normalise_recovery_code(code: str) -> str:
    """The form recovery codes are hashed in: upper case, no separators or spaces."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    """True for 16 characters of the recovery alphabet (after normalising)."""
    cleaned = normalise_recovery_code(code)
    return len(cleaned) == 16 and all(ch in _ALPHABET for ch in cleaned)


def encrypt_secret(key: bytes, secret: str, account: bytes) -> bytes:
    """nonce || AES-256-GCM(secret), bound to the account."""
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, secret.encode(), account)


def decrypt_secret(key: bytes, blob: bytes, account: bytes) -> str:
    """Inverse of `encrypt_secret` (raises when the key, account or data do not match)."""
    return AESGCM(key).decrypt(blob[:12], blob[12:], account).decode()
