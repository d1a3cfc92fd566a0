"""GraphQL types of portfolios: the portfolio, its positions, lots, ledger entries, payloads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Self

import strawberry

from domain.portfolios import holdings, ledger, positions
from resolvers import portfolio_analytics as analytics
from resolvers import portfolios
from resolvers.portfolio_views import PortfolioView
from schema.pagination import PageInfo
from schema.payloads import UserError
from schema.portfolios.analytics import AllocationSlice, Performance, Risk
from schema.portfolios.enums import AllocationKey, CostMethod, PerformanceRange, TransactionType
from schema.scalars import Long


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(description="Shares of one symbol acquired together.")
class Lot:
    acquired: date = strawberry.field(description="Trade date of the purchase (pooled: first).")
    quantity: Long = strawberry.field(description="Shares left in the lot.")
    cost: Decimal = strawberry.field(description="What they cost in all, charges included.")
    unit_cost: Decimal = strawberry.field(description="Cost per share, to four decimals.")

    @classmethod
    def from_domain(cls, lot: holdings.Lot) -> Lot:
        """Map a domain lot."""
        return cls(
            acquired=lot.acquired,
            quantity=Long(lot.quantity),
            cost=lot.cost,
            unit_cost=lot.unit_cost,
        )


@strawberry.type(description="One holding valued at the latest quote.")
class Position:
    symbol: str = strawberry.field(description="PSX symbol.")
    quantity: Long = strawberry.field(description="Shares held (0 for a closed position).")
    average_cost: Decimal | None = strawberry.field(description="Cost per share held.")
    cost_basis: Decimal = strawberry.field(description="Cost of the shares held, rupees.")
    price: float | None = strawberry.field(description="Latest price (null: no quote).")
    previous_close: float | None = strawberry.field(description="The previous close (LDCP).")
    market_value: Decimal | None = strawberry.field(description="Shares × price, rupees.")
    unrealised_pnl: Decimal | None = strawberry.field(description="Market value less cost.")
    unrealised_pnl_pct: float | None = strawberry.field(description="Of the cost, in percent.")
    realised_pnl: Decimal = strawberry.field(description="Gains realised by sales, rupees.")
    dividends: Decimal = strawberry.field(description="Dividends received net of tax, rupees.")
    weight: float | None = strawberry.field(description="Share of the portfolio's value (0-1).")
    day_change: Decimal | None = strawberry.field(description="Shares × (price − LDCP).")
    day_change_pct: float | None = strawberry.field(description="Price change today, percent.")
    lots: list[Lot] = strawberry.field(description="Open lots, oldest first.")

    @classmethod
    def from_domain(cls, p: positions.Position) -> Position:
        """Map a domain position."""
        return cls(
            symbol=p.symbol,
            quantity=Long(p.quantity),
            average_cost=p.average_cost,
            cost_basis=p.cost_basis,
            price=_float(p.price),
            previous_close=_float(p.previous_close),
            market_value=p.market_value,
            unrealised_pnl=p.unrealised_pnl,
            unrealised_pnl_pct=p.unrealised_pnl_pct,
            realised_pnl=p.realised_pnl,
            dividends=p.dividends,
            weight=p.weight,
            day_change=p.day_change,
            day_change_pct=p.day_change_pct,
            lots=[Lot.from_domain(lot) for lot in p.lots],
        )


@strawberry.type(description="The portfolio's totals at the latest quotes.")
class PortfolioSummary:
    total_value: Decimal = strawberry.field(description="Holdings plus cash, rupees.")
    holdings_value: Decimal = strawberry.field(description="Holdings (unpriced at cost).")
    cash: Decimal | None = strawberry.field(description="Cash (null: the portfolio keeps none).")
    cost_basis: Decimal = strawberry.field(description="Cost of the shares held.")
    unrealised_pnl: Decimal = strawberry.field(description="Of the priced holdings.")
    realised_pnl: Decimal = strawberry.field(description="Gains realised by every sale.")
    dividends: Decimal = strawberry.field(description="Dividends received net of tax.")
    day_change: Decimal = strawberry.field(description="Today's change of the priced holdings.")
    unpriced: list[str] = strawberry.field(description="Holdings with no quote (at cost).")

    @classmethod
    def from_domain(cls, v: positions.Valuation) -> PortfolioSummary:
        """Map a domain valuation."""
        return cls(
            total_value=v.total_value,
            holdings_value=v.holdings_value,
            cash=v.cash,
            cost_basis=v.cost_basis,
            unrealised_pnl=v.unrealised_pnl,
            realised_pnl=v.realised_pnl,
            dividends=v.dividends,
            day_change=v.day_change,
            unpriced=list(v.unpriced),
        )


@strawberry.type(description="One ledger entry.")
class Transaction:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    type: TransactionType = strawberry.field(description="What it records.")
    trade_date: date = strawberry.field(description="Trade date (ex-date for entitlements).")
    settlement_date: date = strawberry.field(
        description="Settlement date (T+2, T+1 from 9 Feb 2026)."
    )
    symbol: str | None = strawberry.field(description="The symbol (null for cash moves).")
    quantity: Long = strawberry.field(description="Shares (0 where it takes none).")
    price: Decimal = strawberry.field(description="Price a share (dividend: Rs a share).")
    amount: Decimal = strawberry.field(description="Cash amount of a deposit, withdrawal or fee.")
    ratio: Decimal | None = strawberry.field(description="New shares per old share (SPLIT).")
    fees: Decimal = strawberry.field(description="Commission, CDC and levies, rupees.")
    taxes: Decimal = strawberry.field(description="Sales tax, CVT or withholding, rupees.")
    gross: Decimal = strawberry.field(description="Principal before charges.")
    cash_effect: Decimal = strawberry.field(description="Change in the portfolio's cash.")
    note: str = strawberry.field(description="The note given.")
    corporate_action_id: int | None = strawberry.field(
        description="The market corporate action it was generated from."
    )

    @classmethod
    def from_domain(cls, tx: ledger.Transaction) -> Transaction:
        """Map a domain entry."""
        return cls(
            id=strawberry.ID(str(tx.id)),
            type=tx.type,
            trade_date=tx.trade_date,
            settlement_date=tx.settlement_date,
            symbol=tx.symbol,
            quantity=Long(tx.quantity),
            price=tx.price,
            amount=tx.amount,
            ratio=tx.ratio,
            fees=tx.fees,
            taxes=tx.taxes,
            gross=tx.gross,
            cash_effect=tx.cash_effect,
            note=tx.note,
            corporate_action_id=tx.corporate_action_id,
        )


@strawberry.type(description="An entry and its cursor.")
class TransactionEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the next page.")
    node: Transaction = strawberry.field(description="The entry.")


@strawberry.type(description="A page of a ledger, newest first.")
class TransactionConnection:
    edges: list[TransactionEdge] = strawberry.field(description="Entries with cursors.")
    nodes: list[Transaction] = strawberry.field(description="The entries of the page.")
    page_info: PageInfo = strawberry.field(description="Where the page sits.")
    total_count: int = strawberry.field(description="Entries matching the filter.")


RangeArg = Annotated[PerformanceRange, strawberry.argument(description="The window, ending today.")]
BenchmarkArg = Annotated[
    str | None, strawberry.argument(description="Index code to compare with (default KSE100).")
]


@strawberry.type(description="A portfolio: its rules, and everything derived from its ledger.")
class Portfolio:
    view: strawberry.Private[PortfolioView]

    @strawberry.field(description="The portfolio's id.")
    def id(self) -> uuid.UUID:
        return self.view.portfolio.id

    @strawberry.field(description="Its name, unique among yours.")
    def name(self) -> str:
        return self.view.portfolio.name

    @strawberry.field(description="The currency it is kept in (PKR).")
    def base_currency(self) -> str:
        return self.view.portfolio.base_currency

    @strawberry.field(description="How sales are matched against purchases.")
    def cost_method(self) -> CostMethod:
        return self.view.portfolio.policy.cost_method

    @strawberry.field(description="Whether it keeps a cash balance fed by deposits.")
    def tracks_cash(self) -> bool:
        return self.view.portfolio.policy.tracks_cash

    @strawberry.field(description="Filer status: dividend withholding 15% (filer) or 30%.")
    def filer(self) -> bool:
        return self.view.portfolio.policy.filer

    @strawberry.field(description="When it was created.")
    def created_at(self) -> datetime:
        return self.view.portfolio.created_at

    @strawberry.field(description="Holdings valued at the latest quotes, by symbol.")
    async def positions(
        self,
        include_closed: Annotated[
            bool, strawberry.argument(description="Also list symbols sold out.")
        ] = False,
    ) -> list[Position]:
        valuation = await self.view.valuation(include_closed=include_closed)
        return [Position.from_domain(p) for p in valuation.positions]

    @strawberry.field(description="Totals at the latest quotes.")
    async def summary(self) -> PortfolioSummary:
        return PortfolioSummary.from_domain(await self.view.valuation())

    @strawberry.field(description="The ledger, newest first, filtered.")
    async def transactions(
        self,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, 1 to 100 (default 20).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor of the entry to start after.")
        ] = None,
        symbol: Annotated[str | None, strawberry.argument(description="Only this symbol.")] = None,
        type: Annotated[
            TransactionType | None, strawberry.argument(description="Only this type.")
        ] = None,
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="Traded on or after.")
        ] = None,
        to: Annotated[date | None, strawberry.argument(description="Traded on or before.")] = None,
    ) -> TransactionConnection:
        page = await portfolios.transactions(
            self.view,
            portfolios.TransactionFilter(symbol=symbol, type=type, start=from_, end=to),
            first=first,
            after=after,
        )
        nodes = [Transaction.from_domain(t) for t in page.items]
        return TransactionConnection(
            edges=[
                TransactionEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=PageInfo.from_page(page),
            total_count=page.total,
        )

    @strawberry.field(
        description=(
            "Returns, P&L, income, costs and contributions over a window, with a benchmark "
            "(null before the first entry)."
        )
    )
    async def performance(
        self, range: RangeArg = PerformanceRange.Y1, benchmark: BenchmarkArg = None
    ) -> Performance | None:
        perf = await analytics.portfolio_performance(self.view, range, benchmark)
        return None if perf is None else Performance.from_domain(perf)

    @strawberry.field(
        description=(
            "Risk of the daily returns over a window: volatility, Sharpe, Sortino, drawdown, "
            "beta and alpha against the benchmark, VaR/CVaR, concentration, liquidity."
        )
    )
    async def risk(
        self,
        range: RangeArg = PerformanceRange.Y1,
        confidence: Annotated[
            float, strawberry.argument(description="VaR confidence, a fraction (default 0.95).")
        ] = 0.95,
        risk_free_rate: Annotated[
            float | None,
            strawberry.argument(
                description=(
                    "Annual risk-free rate, a fraction (default: the server's SBP policy rate"
                    " setting, 0.105 unless configured)."
                )
            ),
        ] = None,
        benchmark: BenchmarkArg = None,
    ) -> Risk | None:
        report = await analytics.portfolio_risk(
            self.view,
            range,
            confidence=confidence,
            risk_free_rate=risk_free_rate,
            benchmark=benchmark,
        )
        return None if report is None else Risk.from_domain(report)

    @strawberry.field(description="The value by sector or instrument, largest first, cash last.")
    async def allocation(
        self, by: Annotated[AllocationKey, strawberry.argument(description="Grouping.")]
    ) -> list[AllocationSlice]:
        return [AllocationSlice.from_domain(s) for s in await analytics.allocation(self.view, by)]


@strawberry.type(description="The result of createPortfolio.")
class CreatePortfolioPayload:
    portfolio: Portfolio | None = strawberry.field(description="The new portfolio.")
    errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The result of renamePortfolio.")
class RenamePortfolioPayload:
    portfolio: Portfolio | None = strawberry.field(description="The renamed portfolio.")
    errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The result of deletePortfolio.")
class DeletePortfolioPayload:
    deleted_id: uuid.UUID | None = strawberry.field(description="The deleted portfolio's id.")
    errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.interface(description="What a change to a ledger returns.")
class LedgerPayload:
    portfolio: Portfolio | None = strawberry.field(description="The portfolio after the change.")
    added: list[Transaction] = strawberry.field(description="Entries written.")
    deleted_ids: list[strawberry.ID] = strawberry.field(description="Entries deleted.")
    errors: list[UserError] = strawberry.field(
        description="Why it was refused (then nothing changed)."
    )

    @classmethod
    def of(cls, change: portfolios.LedgerChange) -> Self:
        """The payload of a change that was written."""
        return cls(
            portfolio=Portfolio(view=change.view),
            added=[Transaction.from_domain(t) for t in change.added],
            deleted_ids=[strawberry.ID(str(i)) for i in change.deleted],
            errors=[],
        )

    @classmethod
    def refused(cls, error: UserError) -> Self:
        """The payload of a refused change."""
        return cls(portfolio=None, added=[], deleted_ids=[], errors=[error])


@strawberry.type(description="The result of recordTransaction.")
class RecordTransactionPayload(LedgerPayload):
    pass


@strawberry.type(description="The result of deleteTransaction.")
class DeleteTransactionPayload(LedgerPayload):
    pass


@strawberry.type(description="The result of addPosition.")
class AddPositionPayload(LedgerPayload):
    pass


@strawberry.type(description="The result of updatePosition.")
class UpdatePositionPayload(LedgerPayload):
    pass


@strawberry.type(description="The result of removePosition.")
class RemovePositionPayload(LedgerPayload):
    pass


@strawberry.type(description="The result of applyCorporateActions.")
class ApplyCorporateActionsPayload(LedgerPayload):
    pass


@strawberry.type(description="The result of importTransactions.")
class ImportTransactionsPayload(LedgerPayload):
    pass
