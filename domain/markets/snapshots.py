"""Market views computed from the latest quotes: quote figures, indices, sectors, heatmap."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.markets.instruments import Index, IndexConstituent, Instrument, Sector
from domain.markets.quotes import PriceRange, QuoteState


@dataclass(frozen=True, slots=True)
class Quote:
    """A quote as the API shows it: the stored state plus derived figures."""

    instrument: Instrument
    state: QuoteState
    high52w: Decimal
    low52w: Decimal

    @property
    def market_cap(self) -> Decimal:
        """Last price times shares outstanding."""
        return self.state.last * self.instrument.shares_outstanding


def quote_of(instrument: Instrument, state: QuoteState, window: PriceRange | None) -> Quote:
    """Combine the stored quote with the 52-week range, folding in today's high and low."""
    high = state.high if window is None else max(window.high, state.high)
    low = state.low if window is None else min(window.low, state.low)
    return Quote(instrument=instrument, state=state, high52w=high, low52w=low)


def _ff_cap(instrument: Instrument, member: IndexConstituent) -> Decimal:
    return instrument.shares_outstanding * instrument.free_float_pct * member.cap_factor


@dataclass(frozen=True, slots=True)
class ConstituentView:
    """A member's share of an index and its effect on today's move."""

    instrument: Instrument
    weight: Decimal
    point_contribution: Decimal
    change_percent: Decimal


@dataclass(frozen=True, slots=True)
class IndexView:
    """An index level computed from its members' quotes and the divisor."""

    index: Index
    level: Decimal
    prev_level: Decimal
    updated_at: datetime | None
    constituents: tuple[ConstituentView, ...]

    @property
    def change(self) -> Decimal:
        """Points moved since the previous close."""
        return self.level - self.prev_level

    @property
    def change_percent(self) -> Decimal:
        """Percent moved since the previous close."""
        if self.prev_level == 0:
            return Decimal(0)
        return self.change * 100 / self.prev_level


def index_view(
    index: Index,
    members: Sequence[IndexConstituent],
    instruments: Mapping[int, Instrument],
    quotes: Mapping[str, QuoteState],
) -> IndexView:
    """Level = Σ(price × shares × free float × cap) / divisor, for now and the previous close.

    Members without a quote are left out of both levels, so the change stays consistent.
    """
    caps: list[tuple[Instrument, Decimal, QuoteState]] = []
    for m in members:
        inst = instruments.get(m.instrument_id)
        q = quotes.get(inst.symbol) if inst else None
        if inst is None or q is None:
            continue
        caps.append((inst, _ff_cap(inst, m), q))
    now_cap = sum((c * q.last for _, c, q in caps), Decimal(0))
    prev_cap = sum((c * q.prev_close for _, c, q in caps), Decimal(0))
    views = tuple(
        sorted(
            (
                ConstituentView(
                    instrument=inst,
                    weight=(c * q.last * 100 / now_cap) if now_cap else Decimal(0),
                    point_contribution=c * (q.last - q.prev_close) / index.divisor,
                    change_percent=q.change_percent,
                )
                for inst, c, q in caps
            ),
            key=lambda v: v.weight,
            reverse=True,
        )
    )
    updated = max((q.updated_at for _, _, q in caps), default=None)
    return IndexView(
        index=index,
        level=now_cap / index.divisor,
        prev_level=prev_cap / index.divisor,
        updated_at=updated,
        constituents=views,
    )


@dataclass(frozen=True, slots=True)
class SectorView:
    """A sector's day: cap-weighted change, breadth, activity and size."""

    sector: Sector
    change_percent: Decimal
    advancers: int
    decliners: int
    unchanged: int
    volume: int
    turnover: Decimal
    market_cap: Decimal
    instruments: int


def sector_views(
    sectors: Sequence[Sector],
    instruments: Sequence[Instrument],
    quotes: Mapping[str, QuoteState],
) -> list[SectorView]:
    """One view per sector that has at least one quoted instrument, in code order."""
    acc: dict[str, list[tuple[Instrument, QuoteState]]] = {}
    for inst in instruments:
        q = quotes.get(inst.symbol)
        if q is not None:
            acc.setdefault(inst.sector_code, []).append((inst, q))
    out: list[SectorView] = []
    for sector in sectors:
        rows = acc.get(sector.code)
        if not rows:
            continue
        cap = sum((i.shares_outstanding * q.last for i, q in rows), Decimal(0))
        prev = sum((i.shares_outstanding * q.prev_close for i, q in rows), Decimal(0))
        out.append(
            SectorView(
                sector=sector,
                change_percent=(cap - prev) * 100 / prev if prev else Decimal(0),
                advancers=sum(1 for _, q in rows if q.last > q.prev_close),
                decliners=sum(1 for _, q in rows if q.last < q.prev_close),
                unchanged=sum(1 for _, q in rows if q.last == q.prev_close),
                volume=sum(q.volume for _, q in rows),
                turnover=sum((q.turnover for _, q in rows), Decimal(0)),
                market_cap=cap,
                instruments=len(rows),
            )
        )
    return out


class HeatmapGrouping(enum.StrEnum):
    """How heatmap tiles are grouped."""

    SECTOR = "SECTOR"
    INDEX = "INDEX"


@dataclass(frozen=True, slots=True)
class HeatmapTile:
    """One instrument's tile: sized by market cap, coloured by change."""

    instrument: Instrument
    market_cap: Decimal
    change_percent: Decimal
    last: Decimal
    volume: int


@dataclass(frozen=True, slots=True)
class HeatmapGroup:
    """Tiles under one heading (a sector, or an index's members by sector)."""

    key: str
    name: str
    market_cap: Decimal
    change_percent: Decimal
    tiles: tuple[HeatmapTile, ...]


def heatmap(
    sectors: Sequence[Sector],
    instruments: Sequence[Instrument],
    quotes: Mapping[str, QuoteState],
) -> list[HeatmapGroup]:
    """Tiles grouped by sector, largest group and tile first."""
    names = {s.code: s.name for s in sectors}
    by_sector: dict[str, list[tuple[HeatmapTile, Decimal]]] = {}
    for inst in instruments:
        q = quotes.get(inst.symbol)
        if q is None:
            continue
        tile = HeatmapTile(
            instrument=inst,
            market_cap=q.last * inst.shares_outstanding,
            change_percent=q.change_percent,
            last=q.last,
            volume=q.volume,
        )
        by_sector.setdefault(inst.sector_code, []).append(
            (tile, q.prev_close * inst.shares_outstanding)
        )
    groups = []
    for code, rows in by_sector.items():
        cap = sum((t.market_cap for t, _ in rows), Decimal(0))
        prev = sum((p for _, p in rows), Decimal(0))
        groups.append(
            HeatmapGroup(
                key=code,
                name=names.get(code, code),
                market_cap=cap,
                change_percent=(cap - prev) * 100 / prev if prev else Decimal(0),
                tiles=tuple(sorted((t for t, _ in rows), key=lambda t: t.market_cap, reverse=True)),
            )
        )
    return sorted(groups, key=lambda g: g.market_cap, reverse=True)
