"""Mapping chart results to the GraphQL type."""

from __future__ import annotations

from resolvers.context import Context
from resolvers.markets import Chart as ChartResult
from schema.markets.types import Candle, Chart


def chart_of(result: ChartResult, _ctx: Context) -> Chart:
    """Map a chart result."""
    return Chart(
        symbol=result.symbol,
        interval=result.interval,
        adjusted=result.adjusted,
        candles=[Candle.from_domain(c) for c in result.candles],
        data_source=result.data_source,
    )
