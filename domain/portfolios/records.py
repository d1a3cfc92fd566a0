"""A portfolio and a watchlist as stored: who owns them and the rules a ledger is kept by."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.portfolios.inputs import BASE_CURRENCY
from domain.portfolios.ledger import PortfolioPolicy


@dataclass(frozen=True, slots=True)
class Portfolio:
    """A user's portfolio; its figures all come from replaying its ledger under `policy`.

    `ledger_version` changes with every change to the ledger (a key for cached replays).
    """

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    policy: PortfolioPolicy
    created_at: datetime
    base_currency: str = BASE_CURRENCY
    ledger_version: int = 0


@dataclass(frozen=True, slots=True)
class Watchlist:
    """A user's named list of symbols, in the order they were added."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    symbols: tuple[str, ...]
    created_at: datetime
