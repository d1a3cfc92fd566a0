"""Data retention: how long each kind of data is kept, and where a kind's cut-off falls.

A policy maps each kind to a number of days, or to None (kept for ever). Cut-offs fall on the
exchange's midnight, so a trading day is never split: 1-minute bars are rolled into daily
bars by whole days before they go.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from domain.markets.sessions import PKT


class RetentionKind(enum.StrEnum):
    """The kinds of data that age out."""

    MINUTE_BARS = "minute_bars"  # instruments' 1-minute bars (rolled into daily bars first)
    INDEX_MINUTE_BARS = "index_minute_bars"  # indices' 1-minute levels (likewise)
    AUDIT_EVENTS = "audit_events"  # the security audit log
    ALERT_EVENTS = "alert_events"  # fired alerts
    MAIL_OUTBOX = "mail_outbox"  # mail already sent (unsent mail is never removed)
    NEWS = "news"  # news articles and announcements
    SEARCH_OUTBOX = "search_outbox"  # search-index work that kept failing


DEFAULT_POLICY: Mapping[RetentionKind, int | None] = {
    RetentionKind.MINUTE_BARS: 400,
    RetentionKind.INDEX_MINUTE_BARS: 400,
    RetentionKind.AUDIT_EVENTS: 730,
    RetentionKind.ALERT_EVENTS: 365,
    RetentionKind.MAIL_OUTBOX: 30,
    RetentionKind.NEWS: None,
    RetentionKind.SEARCH_OUTBOX: None,  # its rows are work still to do: reindex rather than drop
}


class PolicyError(ValueError):
    """A retention setting that cannot be read; the message names the part at fault."""


def parse_policy(text: str) -> dict[RetentionKind, int | None]:
    """The default policy with the overrides of `text` applied.

    `text` is a comma-separated list of `kind=days` (`minute_bars=90,news=off`); `off` keeps
    a kind for ever. At least one day is kept of anything that is removed.

    Raises:
        PolicyError: for an unknown kind, a malformed entry or fewer than 1 day.
    """
    policy = dict(DEFAULT_POLICY)
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, value = entry.partition("=")
        if not sep:
            raise PolicyError(f"retention entry {entry!r}: expected kind=days")
        try:
            kind = RetentionKind(name.strip())
        except ValueError:
            known = ", ".join(k.value for k in RetentionKind)
            raise PolicyError(f"unknown retention kind {name.strip()!r} (known: {known})") from None
        value = value.strip().lower()
        if value in {"off", "never", "forever"}:
            policy[kind] = None
            continue
        try:
            days = int(value)
        except ValueError:
            raise PolicyError(
                f"retention of {kind.value}: {value!r} is not a number of days"
            ) from None
        if days < 1:
            raise PolicyError(f"retention of {kind.value}: keep at least 1 day")
        policy[kind] = days
    return policy


def cutoff(now: datetime, days: int) -> datetime:
    """The instant before which data of a kind kept `days` days goes: the exchange's midnight
    starting the oldest day that is kept."""
    today = now.astimezone(PKT).date()
    return datetime.combine(today - timedelta(days=days - 1), time(0), tzinfo=PKT)
