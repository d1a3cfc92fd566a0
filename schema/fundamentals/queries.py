"""Root query fields of fundamentals."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import fundamentals
from schema.context import Info, ctx
from schema.fundamentals.types import Fundamentals


@strawberry.type
class FundamentalQueries:
    @strawberry.field(
        description=(
            "A company's financial statements and ratios (P/E, P/B, yield, ROE, growth, ...) at "
            "its latest price. An unknown symbol is an UNKNOWN_SYMBOL error."
        )
    )
    async def fundamentals(
        self,
        info: Info,
        symbol: Annotated[
            str, strawberry.argument(description="Ticker symbol, any case, e.g. `OGDC`.")
        ],
    ) -> Fundamentals:
        return Fundamentals.from_domain(await fundamentals.fundamentals(ctx(info), symbol))
