"""GraphQL types of a portfolio's performance, risk and allocation.

Returns and ratios are fractions (0.125 = 12.5%) as Float; money is Decimal.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from domain.portfolios import exposures, performance, returns, risk
from resolvers import portfolio_analytics as analytics
from schema.portfolios.enums import VarMethod


@strawberry.type(description="One session of the window.")
class PerformancePoint:
    day: date = strawberry.field(description="The session.")
    value: Decimal = strawberry.field(description="Value at the close, rupees.")
    holdings_value: Decimal = strawberry.field(description="Holdings at the close.")
    cash: Decimal | None = strawberry.field(description="Cash at the close (where kept).")
    flow: Decimal = strawberry.field(description="External flow at the open (in > 0).")
    daily_return: float | None = strawberry.field(description="The session's return.")
    cumulative_return: float = strawberry.field(description="Chained from the window's start.")


@strawberry.type(description="A calendar month's (month 1-12) or year's (month null) return.")
class PeriodReturn:
    year: int = strawberry.field(description="Year.")
    month: int | None = strawberry.field(description="Month, or null for the year.")
    value: float = strawberry.field(description="Compounded return.")

    @classmethod
    def from_domain(cls, p: returns.PeriodReturn) -> PeriodReturn:
        """Map a domain period return."""
        return cls(year=p.year, month=p.month, value=p.value)


@strawberry.type(description="P&L of a symbol or sector over the window.")
class Contribution:
    key: str | None = strawberry.field(description="Symbol or sector code (null: not known).")
    pnl: Decimal = strawberry.field(description="P&L over the window, rupees.")
    contribution: float | None = strawberry.field(
        description="P&L over the modified Dietz capital base."
    )

    @classmethod
    def from_domain(cls, c: performance.Contribution) -> Contribution:
        """Map a domain contribution."""
        return cls(key=c.key, pnl=c.pnl, contribution=c.contribution)


@strawberry.type(description="The benchmark at one session's close.")
class BenchmarkPoint:
    day: date = strawberry.field(description="The session.")
    level: float | None = strawberry.field(description="Its level (latest on or before).")
    daily_return: float | None = strawberry.field(description="The session's return.")
    cumulative_return: float = strawberry.field(description="Chained from the window's start.")


@strawberry.type(description="The benchmark over the same sessions.")
class BenchmarkPerformance:
    code: str = strawberry.field(description="Index code.")
    total_return: float = strawberry.field(description="Over the window.")
    annualised_return: float | None = strawberry.field(description="Over windows past a year.")
    series: list[BenchmarkPoint] = strawberry.field(description="By session.")
    monthly: list[PeriodReturn] = strawberry.field(description="By calendar month.")
    yearly: list[PeriodReturn] = strawberry.field(description="By calendar year.")

    @classmethod
    def from_domain(cls, b: performance.BenchmarkPerformance) -> BenchmarkPerformance:
        """Map a domain benchmark."""
        return cls(
            code=b.code,
            total_return=b.total_return,
            annualised_return=b.annualised_return,
            series=[
                BenchmarkPoint(
                    day=p.day,
                    level=None if p.level is None else float(p.level),
                    daily_return=p.daily_return,
                    cumulative_return=p.cumulative_return,
                )
                for p in b.series
            ],
            monthly=[PeriodReturn.from_domain(p) for p in b.monthly],
            yearly=[PeriodReturn.from_domain(p) for p in b.yearly],
        )


@strawberry.type(
    description=(
        "A window's performance (PSX.md §7): TWR chains daily returns with flows at the open; "
        "MWR is the XIRR of the flows; modified Dietz weighs flows by the days left."
    )
)
class Performance:
    start: date = strawberry.field(description="First session of the window.")
    end: date = strawberry.field(description="Last session of the window.")
    start_value: Decimal = strawberry.field(description="Value at the close before the window.")
    end_value: Decimal = strawberry.field(description="Value at the last close.")
    net_flows: Decimal = strawberry.field(description="Money put in less taken out.")
    pnl: Decimal = strawberry.field(description="End − start − net flows.")
    twr: float = strawberry.field(description="Time-weighted return.")
    twr_annualised: float | None = strawberry.field(description="Annualised (windows past a year).")
    mwr: float | None = strawberry.field(description="Money-weighted return (annual XIRR).")
    modified_dietz: float | None = strawberry.field(description="Modified Dietz return.")
    realised_pnl: Decimal = strawberry.field(description="Gains of the window's sales.")
    unrealised_pnl: Decimal = strawberry.field(description="Of the holdings at the end.")
    dividends_gross: Decimal = strawberry.field(description="Dividends before withholding.")
    dividends_net: Decimal = strawberry.field(description="Dividends after withholding.")
    dividend_tax: Decimal = strawberry.field(description="Withholding tax on dividends.")
    fees: Decimal = strawberry.field(description="Fees of the window.")
    taxes: Decimal = strawberry.field(description="Taxes of the window (withholding included).")
    other_pnl: Decimal = strawberry.field(description="P&L tied to no symbol (fees, charges).")
    series: list[PerformancePoint] = strawberry.field(description="By session.")
    monthly: list[PeriodReturn] = strawberry.field(description="By calendar month.")
    yearly: list[PeriodReturn] = strawberry.field(description="By calendar year.")
    by_position: list[Contribution] = strawberry.field(description="P&L by symbol.")
    by_sector: list[Contribution] = strawberry.field(description="P&L by sector.")
    benchmark: BenchmarkPerformance | None = strawberry.field(description="The benchmark.")

    @classmethod
    def from_domain(cls, p: performance.Performance) -> Performance:
        """Map a domain performance."""
        return cls(
            start=p.start,
            end=p.end,
            start_value=p.start_value,
            end_value=p.end_value,
            net_flows=p.net_flows,
            pnl=p.pnl,
            twr=p.twr,
            twr_annualised=p.twr_annualised,
            mwr=p.mwr,
            modified_dietz=p.modified_dietz,
            realised_pnl=p.realised_pnl,
            unrealised_pnl=p.unrealised_pnl,
            dividends_gross=p.dividends_gross,
            dividends_net=p.dividends_net,
            dividend_tax=p.dividend_tax,
            fees=p.fees,
            taxes=p.taxes,
            other_pnl=p.other_pnl,
            series=[
                PerformancePoint(
                    day=s.day,
                    value=s.value,
                    holdings_value=s.holdings_value,
                    cash=s.cash,
                    flow=s.flow,
                    daily_return=s.daily_return,
                    cumulative_return=s.cumulative_return,
                )
                for s in p.series
            ],
            monthly=[PeriodReturn.from_domain(r) for r in p.monthly],
            yearly=[PeriodReturn.from_domain(r) for r in p.yearly],
            by_position=[Contribution.from_domain(c) for c in p.by_position],
            by_sector=[Contribution.from_domain(c) for c in p.by_sector],
            benchmark=None
            if p.benchmark is None
            else BenchmarkPerformance.from_domain(p.benchmark),
        )


@strawberry.type(description="The worst fall from a peak of wealth, and how long it lasted.")
class Drawdown:
    max_drawdown: float = strawberry.field(description="Lowest wealth / running peak − 1.")
    peak: date | None = strawberry.field(description="Session of the peak before it.")
    trough: date | None = strawberry.field(description="Session of the trough.")
    recovery: date | None = strawberry.field(description="Back at the peak (null: not yet).")
    duration_sessions: int = strawberry.field(description="Sessions from peak to recovery.")
    duration_days: int | None = strawberry.field(description="Calendar days of it.")
    longest_sessions: int = strawberry.field(description="Longest episode, sessions.")
    longest_days: int | None = strawberry.field(description="Longest episode, calendar days.")


@strawberry.type(description="Correlations of the holdings' daily returns (adjusted closes).")
class Correlation:
    symbols: list[str] = strawberry.field(description="Row and column order.")
    matrix: list[list[float | None]] = strawberry.field(description="Pearson correlations.")
    sessions: int = strawberry.field(description="Sessions they were measured on.")


@strawberry.type(description="VaR and CVaR at one confidence and horizon (√h scaling).")
class ValueAtRisk:
    method: VarMethod = strawberry.field(description="How it was estimated.")
    confidence: float = strawberry.field(description="Confidence, a fraction.")
    horizon_days: int = strawberry.field(description="Horizon in sessions.")
    var: float = strawberry.field(description="VaR as a return (negative: a loss).")
    cvar: float = strawberry.field(description="Expected shortfall as a return.")
    var_amount: Decimal = strawberry.field(description="VaR as a loss in rupees.")
    cvar_amount: Decimal = strawberry.field(description="CVaR as a loss in rupees.")


@strawberry.type(description="A sector's share of the holdings.")
class SectorWeight:
    sector: str | None = strawberry.field(description="Sector code (null: not known).")
    value: Decimal = strawberry.field(description="Value, rupees.")
    weight: float = strawberry.field(description="Share of the holdings.")


@strawberry.type(description="How concentrated the holdings are.")
class Concentration:
    largest_symbol: str = strawberry.field(description="The largest holding.")
    largest_weight: float = strawberry.field(description="Its share of the holdings.")
    hhi: float = strawberry.field(description="Herfindahl index of the weights.")
    effective_holdings: float = strawberry.field(description="1 / HHI.")
    sectors: list[SectorWeight] = strawberry.field(description="Weights by sector.")


@strawberry.type(description="Sessions to sell a holding at a share of its daily volume.")
class LiquidityRow:
    symbol: str = strawberry.field(description="The holding.")
    quantity: int = strawberry.field(description="Shares held.")
    average_volume: float | None = strawberry.field(description="Average daily volume.")
    days_to_liquidate: float | None = strawberry.field(description="Sessions to sell it all.")


@strawberry.type(description="How quickly the holdings could be sold.")
class Liquidity:
    participation: float = strawberry.field(description="Share of daily volume a sale takes.")
    rows: list[LiquidityRow] = strawberry.field(description="By holding.")
    days_to_liquidate: float | None = strawberry.field(description="Of the slowest holding.")


@strawberry.type(
    description=(
        "Risk of the daily returns (empyrical/quantstats conventions, PSX.md §7), annualised "
        "with the sessions a year; the risk-free rate is converted per session."
    )
)
class Risk:
    sessions: int = strawberry.field(description="Daily returns measured.")
    periods_per_year: float = strawberry.field(description="Sessions a year used.")
    risk_free_rate: float = strawberry.field(description="Annual risk-free rate used.")
    annual_volatility: float | None = strawberry.field(description="std · √n.")
    sharpe: float | None = strawberry.field(description="Sharpe ratio.")
    sortino: float | None = strawberry.field(description="Sortino ratio.")
    alpha: float | None = strawberry.field(description="Annualised alpha to the benchmark.")
    beta: float | None = strawberry.field(description="Beta to the benchmark.")
    drawdown: Drawdown | None = strawberry.field(description="Drawdown statistics.")
    correlation: Correlation = strawberry.field(description="Of the holdings.")
    value_at_risk: list[ValueAtRisk] = strawberry.field(description="At the confidence asked.")
    concentration: Concentration | None = strawberry.field(description="Of the holdings.")
    liquidity: Liquidity = strawberry.field(description="Of the holdings.")

    @classmethod
    def from_domain(cls, r: risk.RiskReport) -> Risk:
        """Map a domain risk report."""
        d = r.drawdown
        c = r.concentration
        return cls(
            sessions=r.sessions,
            periods_per_year=r.periods_per_year,
            risk_free_rate=r.risk_free_rate,
            annual_volatility=r.annual_volatility,
            sharpe=r.sharpe,
            sortino=r.sortino,
            alpha=r.alpha,
            beta=r.beta,
            drawdown=None
            if d is None
            else Drawdown(
                max_drawdown=d.max_drawdown,
                peak=d.peak,
                trough=d.trough,
                recovery=d.recovery,
                duration_sessions=d.duration_sessions,
                duration_days=d.duration_days,
                longest_sessions=d.longest_sessions,
                longest_days=d.longest_days,
            ),
            correlation=Correlation(
                symbols=list(r.correlation.symbols),
                matrix=[list(row) for row in r.correlation.matrix],
                sessions=r.correlation.sessions,
            ),
            value_at_risk=[
                ValueAtRisk(
                    method=v.method,
                    confidence=v.confidence,
                    horizon_days=v.horizon_days,
                    var=v.var,
                    cvar=v.cvar,
                    var_amount=v.var_amount,
                    cvar_amount=v.cvar_amount,
                )
                for v in r.value_at_risk
            ],
            concentration=None if c is None else _concentration(c),
            liquidity=Liquidity(
                participation=r.liquidity.participation,
                rows=[
                    LiquidityRow(
                        symbol=x.symbol,
                        quantity=x.quantity,
                        average_volume=x.average_volume,
                        days_to_liquidate=x.days_to_liquidate,
                    )
                    for x in r.liquidity.rows
                ],
                days_to_liquidate=r.liquidity.days_to_liquidate,
            ),
        )


def _concentration(c: exposures.Concentration) -> Concentration:
    return Concentration(
        largest_symbol=c.largest_symbol,
        largest_weight=c.largest_weight,
        hhi=c.hhi,
        effective_holdings=c.effective_holdings,
        sectors=[SectorWeight(sector=s.sector, value=s.value, weight=s.weight) for s in c.sectors],
    )


@strawberry.type(description="A share of the portfolio's value.")
class AllocationSlice:
    key: str | None = strawberry.field(description="Sector code or symbol (null for cash).")
    name: str = strawberry.field(description="Sector or company name, or Cash.")
    value: Decimal = strawberry.field(description="Value, rupees (unpriced holdings at cost).")
    weight: float = strawberry.field(description="Share of the portfolio's value.")
    cash: bool = strawberry.field(description="Whether this is the cash balance.")

    @classmethod
    def from_domain(cls, s: analytics.AllocationSlice) -> AllocationSlice:
        """Map an allocation slice."""
        return cls(key=s.key, name=s.name, value=s.value, weight=s.weight, cash=s.cash)
