"""Role tiers and what each may use (the entitlement table partners pay for)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    """A user's tier; ADMIN also administers users."""

    USER = "USER"
    PREMIUM = "PREMIUM"
    PROFESSIONAL = "PROFESSIONAL"
    INSTITUTIONAL = "INSTITUTIONAL"
    ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Entitlements:
    """Limits of a tier."""

    max_alerts: int
    max_portfolios: int
    max_backtest_bars: int
    rate_budget_per_minute: int  # cost points per minute
    max_subscription_symbols: int
    max_subscriptions: int
    max_saved_screens: int
    max_watchlists: int
    max_watchlist_symbols: int  # symbols on one watchlist
    max_api_keys: int  # usable (not revoked, not expired) API keys
    # A key's persisted-query policy may be more permissive than the server's rules.
    relaxed_key_policy: bool


ENTITLEMENTS: dict[Role, Entitlements] = {
    Role.USER: Entitlements(10, 2, 50_000, 1_000, 20, 5, 10, 5, 50, 2, False),
    Role.PREMIUM: Entitlements(100, 10, 500_000, 5_000, 50, 10, 50, 20, 200, 5, False),
    Role.PROFESSIONAL: Entitlements(500, 50, 2_000_000, 20_000, 100, 20, 200, 50, 500, 20, True),
    Role.INSTITUTIONAL: Entitlements(
        5_000, 500, 10_000_000, 100_000, 100, 50, 1_000, 200, 1_000, 100, True
    ),
    Role.ADMIN: Entitlements(
        5_000, 500, 10_000_000, 100_000, 100, 50, 1_000, 200, 1_000, 100, True
    ),
}

# Anonymous clients (no token) get the USER tier's market-data limits.
ANONYMOUS = ENTITLEMENTS[Role.USER]
