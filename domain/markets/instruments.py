"""Reference data of the market: sectors, instruments, indices and their members."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class ListingStatus(enum.StrEnum):
    """Whether an instrument trades on the regular market."""

    LISTED = "LISTED"
    SUSPENDED = "SUSPENDED"
    DEFAULTER = "DEFAULTER"
    DELISTED = "DELISTED"


class DataSource(enum.StrEnum):
    """Where an instrument's market data comes from."""

    SIMULATED = "SIMULATED"
    PSX_CLOSING = "PSX_CLOSING"
    CSV = "CSV"
    PSX_DPS = "PSX_DPS"
    FEED = "FEED"


class InstrumentKind(enum.StrEnum):
    """What kind of security a symbol is."""

    EQUITY = "EQUITY"
    ETF = "ETF"
    REIT = "REIT"
    CLOSED_END_FUND = "CLOSED_END_FUND"


@dataclass(frozen=True, slots=True)
class Sector:
    """A PSX sector with its official four-digit code."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Instrument:
    """A listed security."""

    id: int
    symbol: str
    name: str
    sector_code: str
    kind: InstrumentKind
    shares_outstanding: int
    free_float_pct: Decimal
    face_value: Decimal
    lot_size: int
    listing_status: ListingStatus
    listed_on: date | None
    data_source: DataSource = DataSource.SIMULATED

    @property
    def free_float_shares(self) -> int:
        """Shares available to trade: outstanding times the free-float fraction."""
        return int(self.shares_outstanding * self.free_float_pct)


@dataclass(frozen=True, slots=True)
class Index:
    """A market index computed from free-float market capitalisation and a divisor."""

    id: int
    code: str
    name: str
    base_value: Decimal
    base_date: date
    divisor: Decimal
    shariah: bool


@dataclass(frozen=True, slots=True)
class IndexConstituent:
    """An instrument's membership of an index; `cap_factor` scales capped weights."""

    index_id: int
    instrument_id: int
    cap_factor: Decimal


class CorporateActionKind(enum.StrEnum):
    """Entitlements that change the price series on their ex-date."""

    CASH_DIVIDEND = "CASH_DIVIDEND"
    BONUS = "BONUS"
    RIGHT = "RIGHT"
    SPLIT = "SPLIT"


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """A corporate action; `value` is Rs per share (dividend), percent (bonus, right) or
    new shares per old share (split); `price` is the subscription price of a right."""

    id: int
    instrument_id: int
    kind: CorporateActionKind
    ex_date: date
    value: Decimal
    price: Decimal | None
    description: str
