"""Password rules (NIST SP 800-63B, OWASP ASVS 5.0 V6.2).

At least 8 characters, up to 1,024 (far more than anyone types, few enough that hashing one
cannot be used to exhaust the server); no composition rules; never truncated; common and
breached-looking passwords are refused; the email's local part and the app's name too.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from domain.errors import DomainError, ErrorCode

MIN_LENGTH = 8
MAX_LENGTH = 1024


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case)."""
    text = resources.files("domain.accounts").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password(password: str, *, email: str = "", field: str = "password") -> None:
    """Refuse a password that breaks the rules, naming the input field.

    Raises:
        DomainError: WEAK_PASSWORD with the reason.
    """
    length = len(password)
    if length < MIN_LENGTH:
        raise DomainError(ErrorCode.WEAK_PASSWORD, f"Use at least {MIN_LENGTH} characters.", field)
    if length > MAX_LENGTH:
        raise DomainError(ErrorCode.WEAK_PASSWORD, f"Use at most {MAX_LENGTH} characters.", field)
    lowered = password.lower()
    local = email.split("@", 1)[0].lower()
    if (
        lowered in common_passwords()
        or len(set(password)) <= 2
        or (len(local) >= 4 and local in lowered)
        or "psxanalytics" in lowered.replace(" ", "")
    ):
        raise DomainError(
            ErrorCode.WEAK_PASSWORD,
            "This password is too common or too easy to guess; choose another.",
            field,
        )
