"""The `news` subscription: new articles as they are imported."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import news
from schema.context import Info, ctx
from schema.errors import graphql_error
from schema.news.types import NewsArticle


@strawberry.type
class NewsSubscriptions:
    @strawberry.subscription(
        description=(
            "New articles and announcements as they are stored: about any of `symbols`, or "
            "every new article when omitted. Each article is sent once."
        )
    )
    async def news(
        self,
        info: Info,
        symbols: Annotated[
            list[str] | None,
            strawberry.argument(description="Ticker symbols, any case, 1 to 20; all if omitted."),
        ] = None,
    ) -> AsyncGenerator[NewsArticle, None]:
        try:
            stream = await news.news_stream(ctx(info), symbols)
        except DomainError as err:
            raise graphql_error(err) from err
        async for article in stream:
            yield NewsArticle.from_domain(article)
