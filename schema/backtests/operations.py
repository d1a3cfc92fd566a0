"""Root fields of backtests: `runBacktest`, `backtest(id)` and `backtests`."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import backtests
from schema.backtests.inputs import RunBacktestInput, input_error
from schema.backtests.types import Backtest, BacktestConnection, BacktestEdge, RunBacktestPayload
from schema.context import Info, asks_for, ctx
from schema.pagination import PageInfo
from schema.permissions import IsAuthenticated

# Fields of a run that a list reads only when they are asked for.
_DETAILS = frozenset({"equityCurve", "trades", "taxes"})


@strawberry.type
class BacktestQueries:
    @strawberry.field(
        description="One of your backtests (null for an unknown id or another user's run).",
        permission_classes=[IsAuthenticated],
    )
    async def backtest(
        self, info: Info, id: Annotated[uuid.UUID, strawberry.argument(description="Its id.")]
    ) -> Backtest | None:
        run = await backtests.backtest(ctx(info), id)
        return None if run is None else Backtest(run=run)

    @strawberry.field(
        description="Your backtests, newest first.", permission_classes=[IsAuthenticated]
    )
    async def backtests(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, 1 to 100 (default 20).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor of the run to start after.")
        ] = None,
    ) -> BacktestConnection:
        page = await backtests.backtests(
            ctx(info),
            first=first,
            after=after,
            details=asks_for(info.selected_fields, _DETAILS),
        )
        nodes = [Backtest(run=r) for r in page.items]
        return BacktestConnection(
            edges=[
                BacktestEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=PageInfo.from_page(page),
            total_count=page.total,
        )


@strawberry.type
class BacktestMutations:
    @strawberry.mutation(
        description=(
            "Run a long-only strategy over daily bars and store the run. Signals on a bar "
            "fill at the next bar's open (or its own close with `fill: CLOSE`), in whole "
            "shares, never beyond the day's circuit band, with PSX costs unless `costs: "
            "false`; prices are back-adjusted for corporate actions; indicators are warmed up "
            "on the bars before `from`. Your plan bounds symbols × bars."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def run_backtest(self, info: Info, input: RunBacktestInput) -> RunBacktestPayload:
        try:
            run = await backtests.run_backtest(ctx(info), input.to_domain())
        except DomainError as err:
            return RunBacktestPayload(backtest=None, errors=[input_error(err)])
        return RunBacktestPayload(backtest=Backtest(run=run), errors=[])
