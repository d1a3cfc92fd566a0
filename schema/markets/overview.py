"""GraphQL types of the market overview: indices, sectors, heatmap."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.markets import snapshots as snap
from domain.markets.bars import Interval
from domain.markets.reference import ReferenceData
from resolvers import markets
from schema.context import Info, ctx
from schema.markets.arguments import From, Limit, To
from schema.markets.charts import chart_of
from schema.markets.types import Chart, Instrument
from schema.scalars import Long

strawberry.enum(
    snap.HeatmapGrouping,
    description="SECTOR: the whole market by sector; INDEX: one index's members by sector.",
)


@strawberry.type(description="An index member's weight and its effect on today's move.")
class IndexConstituent:
    symbol: str = strawberry.field(description="Member symbol.")
    instrument: Instrument = strawberry.field(description="The member instrument.")
    weight: float = strawberry.field(description="Share of the index's free-float cap, percent.")
    point_contribution: float = strawberry.field(
        description="Index points this member added (or took) since the previous close."
    )
    change_percent: float = strawberry.field(description="The member's change in percent.")


@strawberry.type(name="Index", description="A market index such as KSE100.")
class MarketIndex:
    code: str = strawberry.field(description="Index code, e.g. `KSE100`.")
    name: str = strawberry.field(description="Index name.")
    shariah: bool = strawberry.field(description="True for Shariah-compliant indices.")
    level: float = strawberry.field(description="Current level.")
    previous_close: float = strawberry.field(description="Level at the previous close.")
    change: float = strawberry.field(description="Points since the previous close.")
    change_percent: float = strawberry.field(description="Percent since the previous close.")
    updated_at: datetime | None = strawberry.field(description="Last member update (UTC).")
    constituents: list[IndexConstituent] = strawberry.field(description="Members, heaviest first.")
    _view: strawberry.Private[snap.IndexView]

    @strawberry.field(description="Candles of the index level.")
    async def chart(
        self,
        info: Info,
        interval: Annotated[Interval, strawberry.argument(description="Candle width.")],
        from_: From = None,
        to: To = None,
        limit: Limit = None,
    ) -> Chart:
        result = await markets.index_chart(
            ctx(info), index=self._view.index, interval=interval, start=from_, end=to, limit=limit
        )
        return chart_of(result, ctx(info))

    @classmethod
    def from_domain(cls, v: snap.IndexView, ref: ReferenceData) -> MarketIndex:
        """Map a domain index view."""
        return cls(
            code=v.index.code,
            name=v.index.name,
            shariah=v.index.shariah,
            level=round(float(v.level), 2),
            previous_close=round(float(v.prev_level), 2),
            change=round(float(v.change), 2),
            change_percent=round(float(v.change_percent), 4),
            updated_at=v.updated_at,
            constituents=[
                IndexConstituent(
                    symbol=c.instrument.symbol,
                    instrument=Instrument.from_domain(c.instrument, ref),
                    weight=round(float(c.weight), 4),
                    point_contribution=round(float(c.point_contribution), 4),
                    change_percent=round(float(c.change_percent), 4),
                )
                for c in v.constituents
            ],
            _view=v,
        )


@strawberry.type(description="A sector's day.")
class SectorSummary:
    code: str = strawberry.field(description="Sector code.")
    name: str = strawberry.field(description="Sector name.")
    change_percent: float = strawberry.field(
        description="Market-cap-weighted change since the previous close, percent."
    )
    advancers: int = strawberry.field(description="Members up on the day.")
    decliners: int = strawberry.field(description="Members down on the day.")
    unchanged: int = strawberry.field(description="Members unchanged.")
    volume: Long = strawberry.field(description="Shares traded.")
    turnover: float = strawberry.field(description="Value traded (PKR).")
    market_cap: float = strawberry.field(description="Market capitalisation (PKR).")
    instrument_count: int = strawberry.field(description="Quoted members.")

    @classmethod
    def from_domain(cls, v: snap.SectorView) -> SectorSummary:
        """Map a domain sector view."""
        return cls(
            code=v.sector.code,
            name=v.sector.name,
            change_percent=round(float(v.change_percent), 4),
            advancers=v.advancers,
            decliners=v.decliners,
            unchanged=v.unchanged,
            volume=Long(v.volume),
            turnover=float(v.turnover),
            market_cap=float(v.market_cap),
            instrument_count=v.instruments,
        )


@strawberry.type(description="One heatmap tile.")
class HeatmapTile:
    symbol: str = strawberry.field(description="Symbol.")
    name: str = strawberry.field(description="Company name.")
    weight: float = strawberry.field(description="Tile size: market capitalisation (PKR).")
    change_percent: float = strawberry.field(description="Tile colour: change in percent.")
    last: float = strawberry.field(description="Last price.")
    volume: Long = strawberry.field(description="Shares traded.")


@strawberry.type(description="Heatmap tiles under one heading.")
class HeatmapGroup:
    key: str = strawberry.field(description="Group key (sector code).")
    name: str = strawberry.field(description="Group name.")
    weight: float = strawberry.field(description="Total market cap of the group (PKR).")
    change_percent: float = strawberry.field(description="Cap-weighted change, percent.")
    tiles: list[HeatmapTile] = strawberry.field(description="Tiles, largest first.")

    @classmethod
    def from_domain(cls, g: snap.HeatmapGroup) -> HeatmapGroup:
        """Map a domain heatmap group."""
        return cls(
            key=g.key,
            name=g.name,
            weight=float(g.market_cap),
            change_percent=round(float(g.change_percent), 4),
            tiles=[
                HeatmapTile(
                    symbol=t.instrument.symbol,
                    name=t.instrument.name,
                    weight=float(t.market_cap),
                    change_percent=round(float(t.change_percent), 4),
                    last=float(t.last),
                    volume=Long(t.volume),
                )
                for t in g.tiles
            ],
        )
