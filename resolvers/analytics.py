"""Analytics use cases: technical indicators over an instrument's candles."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from domain.analytics.indicators import (
    IndicatorKind,
    IndicatorRequest,
    IndicatorResult,
    compute,
)
from domain.analytics.patterns import PatternKind, PatternMatch, detect
from domain.errors import DomainError, ErrorCode
from domain.markets.bars import Candle, Interval, candles_per_year
from domain.markets.charts import ChartRequest
from resolvers import markets
from resolvers.context import Context

MAX_INDICATORS = 20
BENCHMARK = "KSE100"


@dataclass(frozen=True, slots=True)
class Technical:
    """Candles and the requested indicator series aligned to them."""

    chart: markets.Chart
    results: tuple[IndicatorResult, ...]


def candle_frame(candles: Sequence[Candle]) -> pl.DataFrame:
    """Candles as the Float64 frame the indicators read."""
    return pl.DataFrame(
        {
            "ts": [c.ts for c in candles],
            "open": [float(c.open) for c in candles],
            "high": [float(c.high) for c in candles],
            "low": [float(c.low) for c in candles],
            "close": [float(c.close) for c in candles],
            "volume": [float(c.volume) for c in candles],
            "turnover": [float(c.turnover) for c in candles],
        },
        schema={
            "ts": pl.Datetime("us", "UTC"),
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
            "volume": pl.Float64,
            "turnover": pl.Float64,
        },
    )


async def _benchmark(ctx: Context, chart: markets.Chart, request: ChartRequest) -> pl.Series:
    """KSE100 closes aligned to the chart's candles (null where the index has no candle)."""
    ref = await markets.reference(ctx)
    index = ref.index_by_code[BENCHMARK]
    bench = await markets.index_chart(
        ctx,
        index=index,
        interval=chart.interval,
        start=request.start,
        end=request.end,
        limit=None,
    )
    closes = {c.ts: float(c.close) for c in bench.candles}
    return pl.Series("benchmark", [closes.get(c.ts) for c in chart.candles], dtype=pl.Float64)


async def technical(
    ctx: Context,
    *,
    symbol: str,
    interval: Interval,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
    adjusted: bool,
    requests: Sequence[IndicatorRequest],
) -> Technical:
    """Candles of a symbol with indicator series computed over them.

    Raises:
        DomainError: for a bad symbol, range or limit (as `chart`), no or too many indicators,
            or a bad indicator parameter (naming `indicators[i].param`).
    """
    if not requests:
        raise DomainError(ErrorCode.INVALID, "Ask for at least one indicator.", "indicators")
    if len(requests) > MAX_INDICATORS:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"At most {MAX_INDICATORS} indicators per request.", "indicators"
        )
    chart = await markets.chart(
        ctx, symbol=symbol, interval=interval, start=start, end=end, limit=limit, adjusted=adjusted
    )
    benchmark = None
    if any(r.kind is IndicatorKind.BETA for r in requests):
        window = markets.chart_window(
            ctx, interval=interval, start=start, end=end, limit=limit, adjusted=False
        )
        benchmark = await _benchmark(ctx, chart, window)
    frame = candle_frame(chart.candles)
    # Indicator maths is CPU work: off the event loop, so other requests keep flowing.
    results = await asyncio.to_thread(
        compute,
        requests,
        frame,
        benchmark_close=benchmark,
        intraday=interval.intraday,
        periods_per_year=candles_per_year(interval),
    )
    return Technical(chart, tuple(results))


@dataclass(frozen=True, slots=True)
class Patterns:
    """Candles and the pattern matches found in them."""

    chart: markets.Chart
    matches: tuple[PatternMatch, ...]


async def patterns(
    ctx: Context,
    *,
    symbol: str,
    interval: Interval,
    start: datetime | None,
    end: datetime | None,
    limit: int | None,
    adjusted: bool,
    kinds: Sequence[PatternKind] | None,
) -> Patterns:
    """Candlestick and chart patterns in a symbol's candles.

    Raises:
        DomainError: for a bad symbol, range or limit (as `chart`).
    """
    chart = await markets.chart(
        ctx, symbol=symbol, interval=interval, start=start, end=end, limit=limit, adjusted=adjusted
    )
    frame = candle_frame(chart.candles)
    found = await asyncio.to_thread(
        detect, frame, kinds or None, bars_per_year=round(candles_per_year(interval))
    )
    return Patterns(chart, tuple(found))
