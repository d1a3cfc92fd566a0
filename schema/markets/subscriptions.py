"""Root subscription fields of market data: quotes, indices, market status, candles.

Every subscriber of a message receives the same GraphQL object (built once per message and
process, see `schema/execution.py`), so identical selections are executed once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from typing import Annotated, TypeVar

import strawberry

from domain.errors import DomainError
from domain.markets.bars import Interval
from resolvers import live, markets
from schema.context import Info, ctx
from schema.errors import graphql_error
from schema.execution import shared
from schema.markets.overview import MarketIndex
from schema.markets.types import Candle, MarketStatus, Quote

T = TypeVar("T")


@strawberry.type(description="A live candle: the one forming now, or one that just closed.")
class CandleUpdate:
    symbol: str = strawberry.field(description="Ticker symbol.")
    interval: Interval = strawberry.field(description="Candle width.")
    candle: Candle = strawberry.field(description="The candle (its `ts` is when it opens).")
    closed: bool = strawberry.field(
        description="True once the candle's time is over: its values are final."
    )


async def _opened(stream: Awaitable[AsyncIterator[T]]) -> AsyncIterator[T]:
    """Await a stream's validation, turning a domain error into a typed GraphQL error."""
    try:
        return await stream
    except DomainError as err:
        raise graphql_error(err) from err


@strawberry.type
class MarketSubscriptions:
    @strawberry.subscription(
        description=(
            "The quote of each symbol every time it trades (the same `Quote` as the query). A "
            "client that falls behind receives the latest quote of each symbol, never a backlog."
        )
    )
    async def quotes(
        self,
        info: Info,
        symbols: Annotated[
            list[str],
            strawberry.argument(
                description="Ticker symbols, any case: 1 to 20, 50 or 100 by plan."
            ),
        ],
    ) -> AsyncGenerator[Quote, None]:
        stream = await _opened(live.quote_stream(ctx(info), symbols))
        ref = await markets.reference(ctx(info))
        async for item in stream:
            yield await item.view_of_event(
                "gql", lambda q, event: shared(Quote.from_domain(q, ref), event)
            )

    @strawberry.subscription(description="Index level updates as members trade.")
    async def indices(
        self,
        info: Info,
        codes: Annotated[
            list[str] | None,
            strawberry.argument(description="Index codes such as `KSE100`; all when omitted."),
        ] = None,
    ) -> AsyncGenerator[MarketIndex, None]:
        stream = await _opened(live.index_stream(ctx(info), codes))
        ref = await markets.reference(ctx(info))
        async for item in stream:
            yield await item.view_of_event(
                "gql", lambda v, event: shared(MarketIndex.from_domain(v, ref), event)
            )

    @strawberry.subscription(
        description="The market's state now, then each change (open, break, halt, close)."
    )
    async def market_status(self, info: Info) -> AsyncGenerator[MarketStatus, None]:
        stream = await _opened(live.status_stream(ctx(info)))
        source = await markets.data_source(ctx(info))
        async for status in stream:
            yield MarketStatus.from_domain(status, source)

    @strawberry.subscription(
        description=(
            "The forming candle of a symbol after each trade, and each candle as it closes. "
            "M1 to H1 are aligned to the session's open like `chart`; D1 is today's candle."
        )
    )
    async def candles(
        self,
        info: Info,
        symbol: Annotated[str, strawberry.argument(description="Ticker symbol, any case.")],
        interval: Annotated[
            Interval, strawberry.argument(description="Candle width: M1 to H1, or D1.")
        ] = Interval.M1,
    ) -> AsyncGenerator[CandleUpdate, None]:
        stream = await _opened(live.candle_stream(ctx(info), symbol, interval))
        async for update in stream:
            yield CandleUpdate(
                symbol=update.symbol,
                interval=update.interval,
                candle=Candle.from_domain(update.candle),
                closed=update.closed,
            )
