"""The latest quote of an instrument and the figures derived from it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.markets.prices import circuit_limits


@dataclass(frozen=True, slots=True)
class QuoteState:
    """What the quote store keeps per symbol: the session so far and the book's top.

    `version` grows by one on every change, so caches can tell a stale answer; `seq` is the
    feed's sequence number of the last trade applied (duplicates and replays are told by it);
    `published_at` is the wall-clock instant the ingester stored and published it.
    """

    symbol: str
    last: Decimal
    open: Decimal
    high: Decimal
    low: Decimal
    prev_close: Decimal
    volume: int
    turnover: Decimal
    trades: int
    updated_at: datetime
    version: int = 0
    bid: Decimal | None = None
    ask: Decimal | None = None
    bid_size: int | None = None
    ask_size: int | None = None
    seq: int = 0
    published_at: datetime | None = None

    @property
    def change(self) -> Decimal:
        """Last price minus the previous close."""
        return self.last - self.prev_close

    @property
    def change_percent(self) -> Decimal:
        """Change as a percentage of the previous close."""
        if self.prev_close == 0:
            return Decimal(0)
        return (self.last - self.prev_close) * 100 / self.prev_close

    @property
    def vwap(self) -> Decimal | None:
        """Session volume-weighted average price."""
        if self.volume <= 0:
            return None
        return self.turnover / self.volume

    @property
    def limits(self) -> tuple[Decimal, Decimal]:
        """Lower and upper circuit limits for the session."""
        return circuit_limits(self.prev_close)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe mapping (decimals as strings) for the quote store."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, Decimal):
                out[name] = str(value)
            elif isinstance(value, datetime):
                out[name] = value.isoformat()
            else:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuoteState:
        """Inverse of `to_json`."""

        def dec(name: str) -> Decimal | None:
            value = data.get(name)
            return None if value is None else Decimal(value)

        def req(name: str) -> Decimal:
            return Decimal(data[name])

        return cls(
            symbol=data["symbol"],
            last=req("last"),
            open=req("open"),
            high=req("high"),
            low=req("low"),
            prev_close=req("prev_close"),
            volume=int(data["volume"]),
            turnover=req("turnover"),
            trades=int(data["trades"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            version=int(data.get("version", 0)),
            bid=dec("bid"),
            ask=dec("ask"),
            bid_size=data.get("bid_size"),
            ask_size=data.get("ask_size"),
            seq=int(data.get("seq", 0)),
            published_at=None
            if (p := data.get("published_at")) is None
            else datetime.fromisoformat(p),
        )

    def bumped(self, version: int) -> QuoteState:
        """The same quote under a new version number."""
        return replace(self, version=version)


@dataclass(frozen=True, slots=True)
class PriceRange:
    """High and low over a window (the 52-week range)."""

    high: Decimal
    low: Decimal
