"""Time-limited download links of statements: an HMAC-SHA256 over the object's key and the
link's expiry, so a link cannot be pointed at another key or made to live longer."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

# `<user id>/<report id>.<csv|pdf>`: the owner is part of what is signed.
KEY = re.compile(r"[0-9a-f]{32}/[0-9a-f]{32}\.(csv|pdf)")


def signature(secret: bytes, key: str, expires: int) -> str:
    """The link's signature (hex)."""
    return hmac.new(secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def link_is_valid(secret: bytes, key: str, expires: str, given: str, *, now: datetime) -> bool:
    """Whether a link's signature is the key's and expiry's, and it has not expired."""
    if not KEY.fullmatch(key) or not expires.isdigit():
        return False
    expected = signature(secret, key, int(expires))
    return hmac.compare_digest(expected, given) and now.timestamp() < int(expires)


def owner_of(key: str) -> str:
    """The owning user's id (hex) of a key."""
    return key.split("/", 1)[0]
