"""Root query fields of market data."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import DomainError
from domain.markets.bars import Interval
from domain.markets.snapshots import HeatmapGrouping
from resolvers import markets
from schema.context import Info, ctx
from schema.errors import graphql_error
from schema.markets.arguments import From, Limit, To
from schema.markets.charts import chart_of
from schema.markets.overview import HeatmapGroup, MarketIndex, SectorSummary
from schema.markets.types import Chart, Instrument, MarketStatus, Quote
from schema.pagination import PageInfo

Symbol = Annotated[str, strawberry.argument(description="Ticker symbol, any case, e.g. `OGDC`.")]


@strawberry.type(description="An instrument in a page of results.")
class InstrumentEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this edge.")
    node: Instrument = strawberry.field(description="The instrument.")


@strawberry.type(description="A page of instruments.")
class InstrumentConnection:
    edges: list[InstrumentEdge] = strawberry.field(description="Instruments with cursors.")
    nodes: list[Instrument] = strawberry.field(description="The instruments of the page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="Matches across all pages.")


@strawberry.type
class MarketQueries:
    @strawberry.field(description="The regular market's state now, with current/next session.")
    async def market_status(self, info: Info) -> MarketStatus:
        status = await markets.market_status(ctx(info))
        return MarketStatus.from_domain(status, await markets.data_source(ctx(info)))

    @strawberry.field(description="One instrument by symbol; null when no such symbol.")
    async def instrument(self, info: Info, symbol: Symbol) -> Instrument | None:
        found = await markets.instrument(ctx(info), symbol)
        if found is None:
            return None
        return Instrument.from_domain(found, await markets.reference(ctx(info)))

    @strawberry.field(
        description=(
            "Instruments, filtered and paged. `search` matches a symbol prefix or the name and "
            "tolerates typos; results are then by relevance, otherwise by symbol."
        )
    )
    async def instruments(
        self,
        info: Info,
        search: Annotated[
            str | None, strawberry.argument(description="Symbol prefix or name words.")
        ] = None,
        sector: Annotated[
            str | None, strawberry.argument(description="Sector code, e.g. `0807`.")
        ] = None,
        index: Annotated[
            str | None, strawberry.argument(description="Members of this index only.")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, 1 to 100 (default 20).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> InstrumentConnection:
        page = await markets.instruments(
            ctx(info), search=search, sector=sector, index=index, first=first, after=after
        )
        ref = await markets.reference(ctx(info))
        nodes = [Instrument.from_domain(i, ref) for i in page.items]
        return InstrumentConnection(
            edges=[
                InstrumentEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=PageInfo.from_page(page),
            total_count=page.total,
        )

    @strawberry.field(
        description="The latest quote of a symbol; an unknown symbol is an UNKNOWN_SYMBOL error."
    )
    async def quote(self, info: Info, symbol: Symbol) -> Quote | None:
        found = await markets.quote(ctx(info), symbol)
        if found is None:
            return None
        return Quote.from_domain(found, await markets.reference(ctx(info)))

    @strawberry.field(
        description=(
            "Quotes of up to 200 symbols in the order asked. An unknown symbol's entry is null "
            "with an UNKNOWN_SYMBOL error whose path points at it."
        )
    )
    async def quotes(
        self,
        info: Info,
        symbols: Annotated[list[str], strawberry.argument(description="Ticker symbols.")],
    ) -> list[Quote | None]:
        found = await markets.quotes(ctx(info), symbols)
        ref = await markets.reference(ctx(info))
        out: list[Quote | None] = []
        for symbol, q in zip(symbols, found, strict=True):
            if isinstance(q, DomainError):
                err = graphql_error(q)
                err.extensions = {**(err.extensions or {}), "symbol": symbol}
                out.append(err)  # type: ignore[arg-type]  # graphql-core raises it in place
            else:
                out.append(None if q is None else Quote.from_domain(q, ref))
        return out

    @strawberry.field(
        description=(
            "OHLCV candles of an instrument: the newest `limit` candles in [from, to). Daily "
            "and longer come from daily bars, intraday from 1-minute bars."
        )
    )
    async def chart(
        self,
        info: Info,
        symbol: Symbol,
        interval: Annotated[Interval, strawberry.argument(description="Candle width.")],
        from_: From = None,
        to: To = None,
        limit: Limit = None,
        adjusted: Annotated[
            bool,
            strawberry.argument(
                description="Back-adjust prices for dividends, bonuses, rights and splits."
            ),
        ] = False,
    ) -> Chart:
        result = await markets.chart(
            ctx(info),
            symbol=symbol,
            interval=interval,
            start=from_,
            end=to,
            limit=limit,
            adjusted=adjusted,
        )
        return chart_of(result, ctx(info))

    @strawberry.field(description="Every index with its live level.")
    async def indices(self, info: Info) -> list[MarketIndex]:
        ref = await markets.reference(ctx(info))
        return [MarketIndex.from_domain(v, ref) for v in await markets.indices(ctx(info))]

    @strawberry.field(description="One index by code, e.g. `KSE100`; null when unknown.")
    async def index(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="Index code.")],
    ) -> MarketIndex | None:
        view = await markets.index(ctx(info), code)
        if view is None:
            return None
        return MarketIndex.from_domain(view, await markets.reference(ctx(info)))

    @strawberry.field(description="Every sector's day: change, breadth, volume, turnover, size.")
    async def sectors(self, info: Info) -> list[SectorSummary]:
        return [SectorSummary.from_domain(v) for v in await markets.sectors(ctx(info))]

    @strawberry.field(description="Market heatmap: tiles sized by market cap, grouped by sector.")
    async def heatmap(
        self,
        info: Info,
        group_by: Annotated[
            HeatmapGrouping, strawberry.argument(description="How tiles are grouped.")
        ] = HeatmapGrouping.SECTOR,
        index: Annotated[
            str | None, strawberry.argument(description="Only this index's members.")
        ] = None,
    ) -> list[HeatmapGroup]:
        groups = await markets.heatmap(ctx(info), group_by=group_by, index_code=index)
        return [HeatmapGroup.from_domain(g) for g in groups]
