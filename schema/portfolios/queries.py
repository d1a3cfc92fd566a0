"""Root queries of portfolios: `portfolios` and `portfolio(id)`."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from resolvers import portfolios
from schema.context import Info, ctx
from schema.permissions import IsAuthenticated
from schema.portfolios.types import Portfolio
from schema.portfolios.watchlists import WatchlistQueries


@strawberry.type
class PortfolioQueries(WatchlistQueries):
    @strawberry.field(
        description="Your portfolios, oldest first.", permission_classes=[IsAuthenticated]
    )
    async def portfolios(self, info: Info) -> list[Portfolio]:
        return [Portfolio(view=v) for v in await portfolios.my_portfolios(ctx(info))]

    @strawberry.field(
        description="One of your portfolios (null for an unknown id or another user's).",
        permission_classes=[IsAuthenticated],
    )
    async def portfolio(
        self, info: Info, id: Annotated[uuid.UUID, strawberry.argument(description="Its id.")]
    ) -> Portfolio | None:
        view = await portfolios.portfolio(ctx(info), id)
        return None if view is None else Portfolio(view=view)
