"""Analytics use cases: technical indicators over an instrument's candles."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from db.repos import markets as repo
from domain.analytics.indicators import (
    IndicatorKind,
    IndicatorRequest,
    IndicatorResult,
    compute,
)
from domain.analytics.patterns import PatternKind, PatternMatch, detect
from domain.errors import DomainError, ErrorCode
from domain.markets.bars import Candle, Interval, candles_per_year
from domain.markets.charts import ChartRequest, trading_day_of
from resolvers import markets
from resolvers.context import Context

MAX_INDICATORS = 20
BENCHMARK = "KSE100"


@dataclass(frozen=True, slots=True)
class ChartArgs:
    """What a chart of the analysed candles asks for."""

    symbol: str
    interval: Interval
    start: datetime | None
    end: datetime | None
    limit: int | None
    adjusted: bool


@dataclass(frozen=True, slots=True)
class Technical:
    """The requested indicator series, aligned to the candles of `args`.

    `chart` holds the candles when they were loaded as such; daily indicators read a float
    frame instead, and `technical_chart` loads the candles only when a client asks for them.
    """

    args: ChartArgs
    results: tuple[IndicatorResult, ...]
    chart: markets.Chart | None = None


async def technical_chart(ctx: Context, result: Technical) -> markets.Chart:
    """The candles the series are aligned to."""
    if result.chart is not None:
        return result.chart
    a = result.args
    return await markets.chart(
        ctx,
        symbol=a.symbol,
        interval=a.interval,
        start=a.start,
        end=a.end,
        limit=a.limit,
        adjusted=a.adjusted,
    )


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


async def _benchmark(ctx: Context, frame: pl.DataFrame, request: ChartRequest) -> pl.Series:
    """KSE100 closes aligned to the frame's candles (null where the index has no candle)."""
    ref = await markets.reference(ctx)
    index = ref.index_by_code[BENCHMARK]
    bench = await markets.index_chart(
        ctx,
        index=index,
        interval=request.interval,
        start=request.start,
        end=request.end,
        limit=None,
    )
    closes = {c.ts: float(c.close) for c in bench.candles}
    return pl.Series(
        "benchmark", [closes.get(ts) for ts in frame["ts"].to_list()], dtype=pl.Float64
    )


async def _frame(ctx: Context, args: ChartArgs) -> tuple[pl.DataFrame, markets.Chart | None]:
    """The candles as the indicators' Float64 frame, and as candles when they were loaded."""
    if args.interval is Interval.D1 and not args.adjusted:
        # The long histories: read floats straight from the database, no Decimal per price.
        inst = await markets.instrument(ctx, args.symbol)
        if inst is None:
            raise DomainError(
                ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{args.symbol}'.", "symbol"
            )
        request = markets.chart_window(
            ctx,
            interval=args.interval,
            start=args.start,
            end=args.end,
            limit=args.limit,
            adjusted=False,
        )
        ctx.cache.unsafe = True  # bars change under the feed and with imports
        frame = await repo.daily_frame(
            ctx.services.database.read,
            instrument_id=inst.id,
            first_day=trading_day_of(request.start),
            last_day=trading_day_of(request.end - timedelta(microseconds=1)),
        )
        return frame.tail(request.limit), None
    chart = await markets.chart(
        ctx,
        symbol=args.symbol,
        interval=args.interval,
        start=args.start,
        end=args.end,
        limit=args.limit,
        adjusted=args.adjusted,
    )
    return candle_frame(chart.candles), chart


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
    args = ChartArgs(symbol, interval, start, end, limit, adjusted)
    frame, chart = await _frame(ctx, args)
    benchmark = None
    if any(r.kind is IndicatorKind.BETA for r in requests):
        window = markets.chart_window(
            ctx, interval=interval, start=start, end=end, limit=limit, adjusted=False
        )
        benchmark = await _benchmark(ctx, frame, window)
    # Indicator maths is CPU work: off the event loop, so other requests keep flowing.
    results = await asyncio.to_thread(
        compute,
        requests,
        frame,
        benchmark_close=benchmark,
        intraday=interval.intraday,
        periods_per_year=candles_per_year(interval),
    )
    return Technical(args, tuple(results), chart)


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
