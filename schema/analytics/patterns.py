"""The `patterns` query: candlestick and chart patterns found in an instrument's candles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.analytics import patterns
from resolvers import analytics
from schema.analytics.enums import PatternDirection, PatternKind
from schema.context import Info, ctx
from schema.markets.arguments import From, Limit, To
from schema.markets.types import Candle, Interval


@strawberry.type(description="One occurrence of a pattern.")
class PatternMatch:
    kind: PatternKind = strawberry.field(description="The pattern.")
    direction: PatternDirection = strawberry.field(description="Bullish, bearish or neutral.")
    signal: int = strawberry.field(
        description="TA-Lib's output: +100 bullish, -100 bearish (±200 a confirmed HIKKAKE-style "
        "signal); chart patterns +100/-100, 0 for a level."
    )
    confidence: float | None = strawberry.field(
        description="0 to 1 where it means something (chart patterns); null for candlesticks."
    )
    level: float | None = strawberry.field(
        description="The price level: support/resistance, neckline, trendline, gap edge, extreme."
    )
    start: datetime = strawberry.field(description="Open time of the first candle it spans.")
    end: datetime = strawberry.field(description="Open time of the candle that completes it.")
    candles: list[Candle] = strawberry.field(description="The candles it spans, oldest first.")


@strawberry.type(description="Patterns found in a symbol's candles.")
class PatternAnalysis:
    symbol: str = strawberry.field(description="Ticker symbol.")
    interval: Interval = strawberry.field(description="Candle width.")
    candle_count: int = strawberry.field(description="Candles examined.")
    matches: list[PatternMatch] = strawberry.field(
        description="Matches ordered by the candle that completes them, then kind."
    )


@strawberry.type
class PatternQueries:
    @strawberry.field(
        description=(
            "Candlestick and chart patterns in a symbol's candles (the same window rules as "
            "`chart`; all kinds when `kinds` is omitted). Candlestick signals equal TA-Lib's."
        )
    )
    async def patterns(
        self,
        info: Info,
        symbol: Annotated[str, strawberry.argument(description="Ticker symbol, any case.")],
        interval: Annotated[Interval, strawberry.argument(description="Candle width.")],
        kinds: Annotated[
            list[PatternKind] | None, strawberry.argument(description="Patterns to look for.")
        ] = None,
        from_: From = None,
        to: To = None,
        limit: Limit = None,
        adjusted: Annotated[
            bool, strawberry.argument(description="Back-adjusted prices (see `chart`).")
        ] = False,
    ) -> PatternAnalysis:
        result = await analytics.patterns(
            ctx(info),
            symbol=symbol,
            interval=interval,
            start=from_,
            end=to,
            limit=limit,
            adjusted=adjusted,
            kinds=kinds,
        )
        candles = result.chart.candles
        return PatternAnalysis(
            symbol=result.chart.symbol,
            interval=result.chart.interval,
            candle_count=len(candles),
            matches=[
                PatternMatch(
                    kind=m.kind,
                    direction=m.direction,
                    signal=m.signal,
                    confidence=m.confidence,
                    level=m.level,
                    start=candles[m.start].ts,
                    end=candles[m.end].ts,
                    candles=[Candle.from_domain(c) for c in candles[m.start : m.end + 1]],
                )
                for m in result.matches
            ],
        )


__all__ = ["PatternQueries", "patterns"]
