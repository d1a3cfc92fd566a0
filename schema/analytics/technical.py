"""The `technical` query: indicator series aligned to an instrument's candles."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.analytics import indicators
from domain.analytics.indicators import IndicatorKind, IndicatorParams, IndicatorRequest
from resolvers import analytics
from schema.context import Info, ctx
from schema.markets.arguments import From, Limit, To
from schema.markets.charts import chart_of
from schema.markets.types import Chart, Interval

strawberry.enum(
    indicators.IndicatorKind,
    description=(
        "Technical indicators, computed with TA-Lib's conventions (Wilder smoothing for RSI, "
        "ATR and ADX; EMAs seeded with the SMA; the same warm-up). VOLATILITY is the "
        "annualised standard deviation of log returns; BETA is against KSE100; VWAP restarts "
        "each day on intraday candles and is rolling over `period` days on daily ones."
    ),
)


@strawberry.input(
    description=(
        "One indicator and its parameters; omitted parameters take the indicator's default, "
        "and a parameter the indicator does not take is an error."
    )
)
class IndicatorInput:
    kind: IndicatorKind = strawberry.field(description="Which indicator.")
    period: int | None = strawberry.field(default=None, description="Look-back in candles.")
    fast_period: int | None = strawberry.field(default=None, description="MACD/ADOSC fast.")
    slow_period: int | None = strawberry.field(default=None, description="MACD/ADOSC slow.")
    signal_period: int | None = strawberry.field(default=None, description="MACD signal.")
    std_dev: float | None = strawberry.field(default=None, description="BBANDS width in std devs.")
    k_period: int | None = strawberry.field(default=None, description="STOCH/STOCHRSI %K.")
    d_period: int | None = strawberry.field(default=None, description="STOCH/STOCHRSI %D.")
    acceleration: float | None = strawberry.field(default=None, description="SAR step.")
    maximum: float | None = strawberry.field(default=None, description="SAR maximum step.")

    def to_domain(self) -> IndicatorRequest:
        """The domain request."""
        return IndicatorRequest(
            self.kind,
            IndicatorParams(
                period=self.period,
                fast_period=self.fast_period,
                slow_period=self.slow_period,
                signal_period=self.signal_period,
                std_dev=self.std_dev,
                k_period=self.k_period,
                d_period=self.d_period,
                acceleration=self.acceleration,
                maximum=self.maximum,
            ),
        )


@strawberry.type(description="A parameter an indicator was computed with.")
class IndicatorParameter:
    name: str = strawberry.field(description="Parameter name, e.g. `period`.")
    value: float = strawberry.field(description="Its value.")


@strawberry.type(description="One output line of an indicator, aligned to the candles.")
class IndicatorSeries:
    kind: IndicatorKind = strawberry.field(description="The indicator.")
    label: str = strawberry.field(description="Readable name, e.g. `MACD(12,26,9)`.")
    output: str = strawberry.field(
        description="Which line: `value`, or e.g. `macd`/`signal`/`histogram`, `upper`/`lower`."
    )
    parameters: list[IndicatorParameter] = strawberry.field(description="Resolved parameters.")
    values: list[float | None] = strawberry.field(
        description="One value per candle (null during the warm-up)."
    )


@strawberry.type(description="Candles and the indicator series computed over them.")
class TechnicalAnalysis:
    result: strawberry.Private[analytics.Technical]
    series: list[IndicatorSeries] = strawberry.field(description="The requested series.")

    @strawberry.field(description="The candles.")
    async def chart(self, info: Info) -> Chart:
        # Loaded and mapped only when asked for: long charts cost more than the indicators.
        return chart_of(await analytics.technical_chart(ctx(info), self.result), ctx(info))


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        description=(
            "Technical indicators over a symbol's candles (the same window rules as `chart`). "
            "Each series has one value per candle; values are null while an indicator warms up."
        )
    )
    async def technical(
        self,
        info: Info,
        symbol: Annotated[str, strawberry.argument(description="Ticker symbol, any case.")],
        interval: Annotated[Interval, strawberry.argument(description="Candle width.")],
        indicators: Annotated[
            list[IndicatorInput], strawberry.argument(description="1 to 20 indicators.")
        ],
        from_: From = None,
        to: To = None,
        limit: Limit = None,
        adjusted: Annotated[
            bool, strawberry.argument(description="Back-adjusted prices (see `chart`).")
        ] = False,
    ) -> TechnicalAnalysis:
        result = await analytics.technical(
            ctx(info),
            symbol=symbol,
            interval=interval,
            start=from_,
            end=to,
            limit=limit,
            adjusted=adjusted,
            requests=[i.to_domain() for i in indicators],
        )
        series = [
            IndicatorSeries(
                kind=r.kind,
                label=r.label,
                output=name,
                parameters=[IndicatorParameter(name=k, value=v) for k, v in r.params.items()],
                values=values,
            )
            for r in result.results
            for name, values in r.outputs.items()
        ]
        return TechnicalAnalysis(result=result, series=series)
