"""Feeds: where live trades come from. One interface, chosen by configuration."""

from __future__ import annotations

from typing import Protocol

from subscriptions.ingest import Ingester


class Feed(Protocol):
    """A source of trades that hands them to the ingester until cancelled."""

    name: str

    async def run(self, ingester: Ingester) -> None:
        """Feed trades forever (returns only when the source is exhausted)."""
        ...
