"""A user's preferences: typed, validated, with defaults for a new account."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import DomainError, ErrorCode
from domain.markets.bars import Interval

MAX_WATCHLIST = 50


class Theme(enum.StrEnum):
    """The colour theme of the user's apps."""

    LIGHT = "LIGHT"
    DARK = "DARK"
    SYSTEM = "SYSTEM"


class AlertDelivery(enum.StrEnum):
    """Where fired alerts go besides the `alerts` subscription and `alertEvents`."""

    IN_APP = "IN_APP"
    EMAIL = "EMAIL"
    IN_APP_AND_EMAIL = "IN_APP_AND_EMAIL"


@dataclass(frozen=True, slots=True)
class UserSettings:
    """Everything a user can set."""

    default_interval: Interval = Interval.D1
    watchlist: tuple[str, ...] = ()
    alert_delivery: AlertDelivery = AlertDelivery.IN_APP
    time_zone: str = "Asia/Karachi"
    theme: Theme = Theme.SYSTEM


def check_time_zone(name: str) -> str:
    """An IANA time zone name as given.

    Raises:
        DomainError: INVALID naming `input.timeZone`.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(
            ErrorCode.INVALID, f"Unknown time zone '{name}' (use an IANA name).", "input.timeZone"
        ) from exc
    return name


def check_watchlist(symbols: list[str], known: set[str]) -> tuple[str, ...]:
    """Upper-cased, de-duplicated symbols in the order given.

    Raises:
        DomainError: TOO_LARGE or UNKNOWN_SYMBOL naming `input.watchlist`.
    """
    wanted = tuple(dict.fromkeys(s.strip().upper() for s in symbols))
    if len(wanted) > MAX_WATCHLIST:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"At most {MAX_WATCHLIST} symbols.", "input.watchlist"
        )
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise DomainError(
            ErrorCode.UNKNOWN_SYMBOL,
            f"Unknown symbol(s): {', '.join(unknown)}.",
            "input.watchlist",
        )
    return wanted
