"""GraphQL types of backtests: a stored run, its metrics, equity curve, trades and taxes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import cast

import strawberry
from strawberry.scalars import JSON

from domain.backtests import metrics, results
from domain.backtests.results import ExitReason
from resolvers import backtests
from resolvers.backtests import BacktestRun, RunDetails
from schema.context import Info, ctx
from schema.pagination import PageInfo
from schema.payloads import UserError
from schema.scalars import Long

strawberry.enum(
    ExitReason,
    description=(
        "Why a trade closed: its exit rule (SIGNAL), a stop (STOP_LOSS, TAKE_PROFIT), a "
        "rebalance that sold it all, or the end of the run (END: sold at the last close)."
    ),
)


@strawberry.type(
    description=(
        "A run's statistics, as backtesting.py defines them (PSX.md §6), with sessions a year "
        "measured from the calendar and CAGR over calendar years. Percents are percents "
        "(12.5 = 12.5%); null where undefined (no trades, no losses, too few bars)."
    )
)
class BacktestMetrics:
    start: datetime = strawberry.field(description="The first session's bar.")
    end: datetime = strawberry.field(description="The last session's bar.")
    duration_days: int = strawberry.field(description="Calendar days from start to end.")
    sessions: int = strawberry.field(description="Sessions simulated.")
    sessions_per_year: float = strawberry.field(description="Sessions a year used to annualise.")
    equity_final: Decimal = strawberry.field(description="Equity after the last session.")
    equity_peak: Decimal = strawberry.field(description="The highest equity at a close.")
    total_return_pct: float = strawberry.field(description="Final equity over initial cash.")
    buy_and_hold_return_pct: float | None = strawberry.field(
        description="Equal-weight buy and hold of the symbols, first to last close."
    )
    annual_return_pct: float | None = strawberry.field(
        description="(1 + geometric mean daily return)^sessionsPerYear - 1."
    )
    cagr_pct: float | None = strawberry.field(
        description="Compound annual growth over calendar years."
    )
    annual_volatility_pct: float | None = strawberry.field(
        description="backtesting.py's annualised volatility of daily returns."
    )
    sharpe: float | None = strawberry.field(
        description="(Annual return - risk-free rate) / annual volatility."
    )
    sortino: float | None = strawberry.field(
        description="(Annual return - risk-free rate) / annualised downside deviation."
    )
    calmar: float | None = strawberry.field(description="Annual return / |max drawdown|.")
    max_drawdown_pct: float = strawberry.field(
        description="Deepest fall from a running peak (0 or negative)."
    )
    avg_drawdown_pct: float | None = strawberry.field(
        description="Mean depth of the drawdown episodes (negative)."
    )
    max_drawdown_bars: int = strawberry.field(description="Longest drawdown, in sessions.")
    max_drawdown_days: int = strawberry.field(description="Longest drawdown, in calendar days.")
    avg_drawdown_bars: float | None = strawberry.field(
        description="Mean drawdown length, in sessions."
    )
    avg_drawdown_days: float | None = strawberry.field(
        description="Mean drawdown length, in calendar days."
    )
    trades: int = strawberry.field(description="Closed trades.")
    win_rate_pct: float | None = strawberry.field(description="Trades with net P&L above 0.")
    best_trade_pct: float | None = strawberry.field(description="Best trade's net return.")
    worst_trade_pct: float | None = strawberry.field(description="Worst trade's net return.")
    avg_trade_pct: float | None = strawberry.field(
        description="Geometric mean of the trades' net returns."
    )
    max_trade_bars: int | None = strawberry.field(description="Longest trade, in sessions.")
    avg_trade_bars: float | None = strawberry.field(description="Mean trade length, in sessions.")
    profit_factor: float | None = strawberry.field(
        description="Sum of winning returns / |sum of losing returns|."
    )
    expectancy_pct: float | None = strawberry.field(
        description="Arithmetic mean of the trades' net returns."
    )
    sqn: float | None = strawberry.field(
        description="System quality number: √N · mean(P&L) / std(P&L)."
    )
    kelly: float | None = strawberry.field(
        description="Kelly criterion: W - (1 - W) / (average win / average loss)."
    )
    exposure_time_pct: float = strawberry.field(description="Sessions with a position held.")
    total_costs: Decimal = strawberry.field(description="Trading costs paid, rupees.")
    total_tax: Decimal = strawberry.field(description="Capital-gains tax charged, rupees.")
    benchmark_return_pct: float | None = strawberry.field(
        description="KSE100's return over the run."
    )
    alpha_pct: float | None = strawberry.field(
        description="Return - rf - beta · (KSE100 return - rf), as backtesting.py's alpha."
    )
    beta: float | None = strawberry.field(description="Beta of daily log returns against KSE100.")

    @classmethod
    def from_domain(cls, m: metrics.Metrics) -> BacktestMetrics:
        """Map the engine's metrics."""
        return cls(
            start=m.start,
            end=m.end,
            duration_days=m.duration_days,
            sessions=m.sessions,
            sessions_per_year=m.sessions_per_year,
            equity_final=m.equity_final,
            equity_peak=m.equity_peak,
            total_return_pct=m.total_return_pct,
            buy_and_hold_return_pct=m.buy_and_hold_return_pct,
            annual_return_pct=m.annual_return_pct,
            cagr_pct=m.cagr_pct,
            annual_volatility_pct=m.annual_volatility_pct,
            sharpe=m.sharpe,
            sortino=m.sortino,
            calmar=m.calmar,
            max_drawdown_pct=m.max_drawdown_pct,
            avg_drawdown_pct=m.avg_drawdown_pct,
            max_drawdown_bars=m.max_drawdown_bars,
            max_drawdown_days=m.max_drawdown_days,
            avg_drawdown_bars=m.avg_drawdown_bars,
            avg_drawdown_days=m.avg_drawdown_days,
            trades=m.trades,
            win_rate_pct=m.win_rate_pct,
            best_trade_pct=m.best_trade_pct,
            worst_trade_pct=m.worst_trade_pct,
            avg_trade_pct=m.avg_trade_pct,
            max_trade_bars=m.max_trade_bars,
            avg_trade_bars=m.avg_trade_bars,
            profit_factor=m.profit_factor,
            expectancy_pct=m.expectancy_pct,
            sqn=m.sqn,
            kelly=m.kelly,
            exposure_time_pct=m.exposure_time_pct,
            total_costs=m.total_costs,
            total_tax=m.total_tax,
            benchmark_return_pct=m.benchmark_return_pct,
            alpha_pct=m.alpha_pct,
            beta=m.beta,
        )


@strawberry.type(description="The book at a session's close.")
class EquityPoint:
    ts: datetime = strawberry.field(description="The session's daily bar (its first open).")
    equity: Decimal = strawberry.field(
        description="Cash plus positions at the close, less tax owed."
    )
    cash: Decimal = strawberry.field(description="Cash after the session.")
    exposure_pct: float = strawberry.field(description="Positions over equity, percent.")
    drawdown_pct: float = strawberry.field(
        description="Fall from the running peak of equity, percent (0 or negative)."
    )

    @classmethod
    def from_domain(cls, p: results.EquityPoint) -> EquityPoint:
        """Map an equity point."""
        return cls(
            ts=p.ts,
            equity=p.equity,
            cash=p.cash,
            exposure_pct=p.exposure_pct,
            drawdown_pct=p.drawdown_pct,
        )


@strawberry.type(description="A position from its first buy to the sale that left it flat.")
class BacktestTrade:
    symbol: str = strawberry.field(description="Ticker symbol.")
    entry_ts: datetime = strawberry.field(description="The bar of the first buy.")
    exit_ts: datetime = strawberry.field(description="The bar of the last sale.")
    entry_price: Decimal = strawberry.field(
        description="Average buy price (the fill price unless rebalancing resized it)."
    )
    exit_price: Decimal = strawberry.field(description="Average sale price.")
    quantity: Long = strawberry.field(description="Shares bought in all.")
    gross_pnl: Decimal = strawberry.field(description="Sales less purchases, rupees.")
    costs: Decimal = strawberry.field(description="Costs of both sides, rupees.")
    net_pnl: Decimal = strawberry.field(description="Gross P&L less costs, rupees.")
    return_pct: float = strawberry.field(
        description="Net P&L over what the purchases cost (costs included), percent."
    )
    bars_held: int = strawberry.field(description="Sessions from the entry bar to the exit bar.")
    exit_reason: ExitReason = strawberry.field(description="Why it closed.")

    @classmethod
    def from_domain(cls, t: results.Trade) -> BacktestTrade:
        """Map a trade."""
        return cls(
            symbol=t.symbol,
            entry_ts=t.entry_ts,
            exit_ts=t.exit_ts,
            entry_price=t.entry_price,
            exit_price=t.exit_price,
            quantity=Long(t.quantity),
            gross_pnl=t.gross_pnl,
            costs=t.costs,
            net_pnl=t.net_pnl,
            return_pct=t.return_pct,
            bars_held=t.bars_held,
            exit_reason=t.exit_reason,
        )


@strawberry.type(description="Capital-gains tax on a tax year's net realised gain.")
class BacktestTax:
    tax_year: int = strawberry.field(description="The tax year, named by its end (1 Jul-30 Jun).")
    ts: datetime = strawberry.field(description="The session it was charged at.")
    net_gain: Decimal = strawberry.field(description="Net realised gain of the year, rupees.")
    tax: Decimal = strawberry.field(description="Tax charged (0 for a net loss), rupees.")

    @classmethod
    def from_domain(cls, t: results.TaxCharge) -> BacktestTax:
        """Map a tax charge."""
        return cls(tax_year=t.tax_year, ts=t.ts, net_gain=t.net_gain, tax=t.tax)


@strawberry.type(description="A stored backtest run: what was asked and what it produced.")
class Backtest:
    run: strawberry.Private[BacktestRun]

    @strawberry.field(description="Run id (use with `backtest`).")
    def id(self) -> uuid.UUID:
        return self.run.id

    @strawberry.field(description="Its name.")
    def name(self) -> str:
        return self.run.name

    @strawberry.field(description="When it ran.")
    def created_at(self) -> datetime:
        return self.run.created_at

    @strawberry.field(description="The symbols traded, as given (or as the screen listed them).")
    def symbols(self) -> list[str]:
        return list(self.run.symbols)

    @strawberry.field(name="from", description="The first session simulated.")
    def from_(self) -> date:
        return self.run.first_day

    @strawberry.field(description="The last session simulated.")
    def to(self) -> date:
        return self.run.last_day

    @strawberry.field(description="Statistics of the run.")
    def metrics(self) -> BacktestMetrics:
        return BacktestMetrics.from_domain(self.run.metrics)

    @strawberry.field(description="The book at every session's close, with its drawdown.")
    async def equity_curve(self, info: Info) -> list[EquityPoint]:
        details = await self._details(info)
        return [EquityPoint.from_domain(p) for p in details.equity] if details else []

    @strawberry.field(description="Closed trades in the order they closed.")
    async def trades(self, info: Info) -> list[BacktestTrade]:
        details = await self._details(info)
        return [BacktestTrade.from_domain(t) for t in details.trades] if details else []

    @strawberry.field(description="Capital-gains tax charged, by tax year (empty without tax).")
    async def taxes(self, info: Info) -> list[BacktestTax]:
        details = await self._details(info)
        return [BacktestTax.from_domain(t) for t in details.taxes] if details else []

    @strawberry.field(
        description="The strategy as given, defaults filled in (StrategyInput as JSON)."
    )
    def strategy(self) -> JSON:
        return cast(JSON, self.run.request.get("strategy"))

    @strawberry.field(
        description=(
            "The settings as given, defaults filled in (BacktestSettingsInput as JSON; null: "
            "all defaults)."
        )
    )
    def settings(self) -> JSON | None:
        return cast(JSON | None, self.run.request.get("settings"))

    @strawberry.field(description="Daily bars the engine read, warm-up included.")
    def bars(self) -> int:
        return self.run.bars

    @strawberry.field(description="Milliseconds spent reading the bars and running the engine.")
    def elapsed_ms(self) -> int:
        return self.run.elapsed_ms

    async def _details(self, info: Info) -> RunDetails | None:
        """The curve, trades and taxes (a list read without them fetches them here)."""
        if self.run.details is None:
            found = await backtests.backtest(ctx(info), self.run.id)
            if found is not None:
                self.run = found
        return self.run.details


@strawberry.type(description="A backtest with its cursor.")
class BacktestEdge:
    cursor: str = strawberry.field(description="Opaque cursor for `after`.")
    node: Backtest = strawberry.field(description="The run.")


@strawberry.type(description="A page of your backtests, newest first.")
class BacktestConnection:
    edges: list[BacktestEdge] = strawberry.field(description="Runs with cursors.")
    nodes: list[Backtest] = strawberry.field(description="The runs of the page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")
    total_count: int = strawberry.field(description="Your runs in all.")


@strawberry.type(description="The result of `runBacktest`.")
class RunBacktestPayload:
    backtest: Backtest | None = strawberry.field(description="The stored run.")
    errors: list[UserError] = strawberry.field(description="Why it did not run.")
