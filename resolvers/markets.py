"""Market-data use cases: status, instruments, quotes, charts, indices, sectors, heatmap."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from db.repos import markets as repo
from domain.errors import DomainError, ErrorCode
from domain.markets.adjustments import adjust, adjustments
from domain.markets.bars import Candle, Interval
from domain.markets.charts import ChartRequest, aggregate_daily, chart_request, trading_day_of
from domain.markets.instruments import DataSource, Index, Instrument
from domain.markets.quotes import QuoteState
from domain.markets.reference import ReferenceData
from domain.markets.sessions import MarketStatus
from domain.markets.sessions import market_status as status_at
from domain.markets.snapshots import (
    HeatmapGroup,
    HeatmapGrouping,
    IndexView,
    Quote,
    SectorView,
    index_view,
    quote_of,
    sector_views,
)
from domain.markets.snapshots import (
    heatmap as heatmap_of,
)
from domain.pagination import Page, page_of
from resolvers.context import Context

MAX_QUOTES = 200
SEARCH_LIMIT = 500


async def market_status(ctx: Context) -> MarketStatus:
    """The market's state now, from the scheduled sessions around today."""
    ctx.cache.unsafe = True  # depends on the clock
    now = ctx.services.clock()
    today = trading_day_of(now)
    sessions = await repo.sessions_between(
        ctx.services.database.read, first_day=today, last_day=today + timedelta(days=14)
    )
    return status_at(now, sessions, halted=ctx.services.halted())


async def instrument(ctx: Context, symbol: str) -> Instrument | None:
    """One instrument by symbol (any case), or None."""
    return await ctx.loaders.instruments_by_symbol.load(symbol.strip().upper())


async def instruments(
    ctx: Context,
    *,
    search: str | None,
    sector: str | None,
    index: str | None,
    first: int | None,
    after: str | None,
) -> Page[Instrument]:
    """Instruments filtered by text, sector and index membership, paged.

    Text search matches a symbol prefix or the name, and tolerates typos (trigrams); results
    are then in relevance order, otherwise in symbol order.

    Raises:
        DomainError: for an unknown sector or index, or bad paging arguments.
    """
    ref = await ctx.services.reference.get()
    found: Sequence[Instrument] = ref.instruments
    if search is not None and search.strip():
        ids = await repo.search_instruments(
            ctx.services.database.read, text_query=search, limit=SEARCH_LIMIT
        )
        found = [ref.instrument_by_id[i] for i in ids if i in ref.instrument_by_id]
    if sector is not None:
        if sector not in ref.sector_by_code:
            raise DomainError(ErrorCode.NOT_FOUND, f"Unknown sector code '{sector}'.", "sector")
        found = [i for i in found if i.sector_code == sector]
    if index is not None:
        idx = ref.index_by_code.get(index.strip().upper())
        if idx is None:
            raise DomainError(ErrorCode.UNKNOWN_INDEX, f"Unknown index '{index}'.", "index")
        members = {m.instrument_id for m in ref.members_by_index.get(idx.id, ())}
        found = [i for i in found if i.id in members]
    return page_of(found, first=first, after=after)


async def _quote(ctx: Context, inst: Instrument) -> Quote | None:
    state, window = await asyncio.gather(
        ctx.loaders.quotes_by_symbol.load(inst.symbol),
        ctx.loaders.ranges_by_instrument.load(inst.id),
    )
    if state is None:
        return None
    return quote_of(inst, state, window)


async def quote(ctx: Context, symbol: str) -> Quote | None:
    """The latest quote of a symbol; None when it has never traded.

    Raises:
        DomainError: UNKNOWN_SYMBOL when no instrument has that symbol.
    """
    inst = await instrument(ctx, symbol)
    if inst is None:
        raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{symbol}'.", "symbol")
    return await _quote(ctx, inst)


async def quotes(ctx: Context, symbols: Sequence[str]) -> list[Quote | DomainError | None]:
    """Quotes in the order asked; an unknown symbol's place holds the error naming it.

    Raises:
        DomainError: when more than MAX_QUOTES symbols are asked for.
    """
    if len(symbols) > MAX_QUOTES:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"At most {MAX_QUOTES} symbols per request.", "symbols"
        )

    async def one(symbol: str) -> Quote | DomainError | None:
        try:
            return await quote(ctx, symbol)
        except DomainError as err:
            return DomainError(err.code, err.message, "symbols")

    return list(await asyncio.gather(*(one(s) for s in symbols)))


@dataclass(frozen=True, slots=True)
class Chart:
    """Candles of one instrument or index."""

    symbol: str
    interval: Interval
    adjusted: bool
    candles: tuple[Candle, ...]
    data_source: DataSource


async def _candles(ctx: Context, *, kind: str, key: int, request: ChartRequest) -> list[Candle]:
    ctx.cache.unsafe = True  # bars change under the feed and with imports
    engine = ctx.services.database.read
    interval = request.interval
    if interval is Interval.H1 and kind == "instrument":
        # The hourly rollup holds exactly these buckets, kept in step with the minutes.
        candles = await repo.hourly_candles(
            engine, instrument_id=key, start=request.start, end=request.end
        )
        if request.adjusted:
            candles = await _adjusted(ctx, key, candles, [trading_day_of(c.ts) for c in candles])
        return candles[-request.limit :]
    if interval.intraday:
        candles = await repo.intraday_candles(
            engine,
            kind=kind,
            key=key,
            start=request.start,
            end=request.end,
            minutes=interval.minutes,
        )
        if request.adjusted and kind == "instrument":
            candles = await _adjusted(ctx, key, candles, [trading_day_of(c.ts) for c in candles])
        return candles[-request.limit :]
    first_day = trading_day_of(request.start)
    last_day = trading_day_of(request.end - timedelta(microseconds=1))
    candles, days = await repo.daily_candles(
        engine, kind=kind, key=key, first_day=first_day, last_day=last_day
    )
    if request.adjusted and kind == "instrument":
        candles = await _adjusted(ctx, key, candles, days)
    return aggregate_daily(candles, days, interval)[-request.limit :]


async def _adjusted(
    ctx: Context, instrument_id: int, candles: list[Candle], days: list[date]
) -> list[Candle]:
    if not days:
        return candles
    engine = ctx.services.database.read
    actions = (await repo.corporate_actions(engine, instrument_ids=[instrument_id]))[instrument_id]
    relevant = [a for a in actions if a.ex_date > days[0]]
    if not relevant:
        return candles
    closes = await repo.closes_before(
        engine, instrument_id=instrument_id, days=[a.ex_date for a in relevant]
    )
    return adjust(candles, days, adjustments(relevant, closes))


def chart_window(
    ctx: Context,
    *,
    interval: Interval,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
    adjusted: bool,
) -> ChartRequest:
    """The validated window of a chart request (range, limit, interval rules)."""
    return chart_request(
        interval=interval,
        start=start,
        end=end,
        limit=limit,
        adjusted=adjusted,
        now=ctx.services.clock(),
        max_limit=ctx.services.max_candles,
    )


async def chart(
    ctx: Context,
    *,
    symbol: str,
    interval: Interval,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
    adjusted: bool,
) -> Chart:
    """OHLCV candles of an instrument; the newest `limit` candles of [start, end).

    Raises:
        DomainError: for an unknown symbol or a bad range or limit, naming the argument.
    """
    inst = await instrument(ctx, symbol)
    if inst is None:
        raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{symbol}'.", "symbol")
    request = chart_window(
        ctx, interval=interval, start=start, end=end, limit=limit, adjusted=adjusted
    )
    candles = await _candles(ctx, kind="instrument", key=inst.id, request=request)
    return Chart(
        symbol=inst.symbol,
        interval=interval,
        adjusted=adjusted,
        candles=tuple(candles),
        data_source=inst.data_source,
    )


async def index_chart(
    ctx: Context,
    *,
    index: Index,
    interval: Interval,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
) -> Chart:
    """Candles of an index's level.

    Raises:
        DomainError: for a bad range or limit.
    """
    request = chart_window(
        ctx, interval=interval, start=start, end=end, limit=limit, adjusted=False
    )
    candles = await _candles(ctx, kind="index", key=index.id, request=request)
    return Chart(
        symbol=index.code,
        interval=interval,
        adjusted=False,
        candles=tuple(candles),
        data_source=await _market_source(ctx),
    )


async def _market_source(ctx: Context) -> DataSource:
    """SIMULATED while any instrument's data is simulated, else the most common source."""
    ref = await ctx.services.reference.get()
    sources = [i.data_source for i in ref.instruments]
    if not sources or DataSource.SIMULATED in sources:
        return DataSource.SIMULATED
    return max(set(sources), key=sources.count)


async def data_source(ctx: Context) -> DataSource:
    """Where the market's data comes from, as one value."""
    return await _market_source(ctx)


async def reference(ctx: Context) -> ReferenceData:
    """The reference-data snapshot of this process."""
    return await ctx.services.reference.get()


async def _all_quotes(ctx: Context, symbols: Sequence[str]) -> dict[str, QuoteState]:
    states = await ctx.loaders.quotes_by_symbol.load_many(list(symbols))
    return {s: q for s, q in zip(symbols, states, strict=True) if q is not None}


async def indices(ctx: Context) -> list[IndexView]:
    """Every index with its level computed from its members' latest quotes."""
    ref = await ctx.services.reference.get()
    quotes_now = await _all_quotes(ctx, [i.symbol for i in ref.instruments])
    return [
        index_view(x, ref.members_by_index.get(x.id, ()), ref.instrument_by_id, quotes_now)
        for x in ref.indices
    ]


async def index(ctx: Context, code: str) -> IndexView | None:
    """One index by code (any case), or None."""
    ref = await ctx.services.reference.get()
    found = ref.index_by_code.get(code.strip().upper())
    if found is None:
        return None
    members = ref.members_by_index.get(found.id, ())
    symbols = [ref.instrument_by_id[m.instrument_id].symbol for m in members]
    quotes_now = await _all_quotes(ctx, symbols)
    return index_view(found, members, ref.instrument_by_id, quotes_now)


async def sectors(ctx: Context) -> list[SectorView]:
    """Every sector with a quoted instrument: change, breadth, volume, turnover, size."""
    ref = await ctx.services.reference.get()
    quotes_now = await _all_quotes(ctx, [i.symbol for i in ref.instruments])
    return sector_views(ref.sectors, ref.instruments, quotes_now)


async def heatmap(
    ctx: Context, *, group_by: HeatmapGrouping, index_code: str | None
) -> list[HeatmapGroup]:
    """Tiles of the whole market, or of one index's members, grouped by sector.

    Raises:
        DomainError: for an unknown index, or INDEX grouping without an index.
    """
    ref = await ctx.services.reference.get()
    universe: Sequence[Instrument] = ref.instruments
    if group_by is HeatmapGrouping.INDEX and index_code is None:
        raise DomainError(ErrorCode.INVALID, "Grouping by INDEX needs `index`.", "index")
    if index_code is not None:
        idx = ref.index_by_code.get(index_code.strip().upper())
        if idx is None:
            raise DomainError(ErrorCode.UNKNOWN_INDEX, f"Unknown index '{index_code}'.", "index")
        members = {m.instrument_id for m in ref.members_by_index.get(idx.id, ())}
        universe = [i for i in universe if i.id in members]
    quotes_now = await _all_quotes(ctx, [i.symbol for i in universe])
    return heatmap_of(ref.sectors, universe, quotes_now)
