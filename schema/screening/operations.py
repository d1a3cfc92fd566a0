"""Root fields of the screener: `screen`, `screenFields`, saved screens, refresh."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from domain.errors import DomainError
from domain.screening.fields import FIELDS, ScreenField
from domain.screening.filters import NUMERIC_OPERATORS, TEXT_OPERATORS
from resolvers import screening
from schema.context import Info, ctx
from schema.pagination import PageInfo
from schema.payloads import UserError
from schema.permissions import IsAdmin, IsAuthenticated
from schema.screening.types import (
    DeleteScreenPayload,
    SavedScreen,
    SaveScreenInput,
    SaveScreenPayload,
    ScreenConnection,
    ScreenEdge,
    ScreenFieldInfo,
    ScreenFilterInput,
    ScreenRow,
    ScreenSortInput,
)


def _input_error(err: DomainError) -> UserError:
    return UserError(
        field=None if err.field is None else f"input.{err.field}",
        message=err.message,
        code=err.code,
    )


@strawberry.type
class ScreeningQueries:
    @strawberry.field(
        description=(
            "Screen the whole market: instruments whose snapshot (refreshed after each "
            "session's close) matches the filter, sorted (default: market cap, largest first; "
            "ties by symbol) and paged. Pass `savedScreen` instead of a filter to run one of "
            "your saved screens."
        )
    )
    async def screen(
        self,
        info: Info,
        filter: Annotated[
            ScreenFilterInput | None, strawberry.argument(description="What must match.")
        ] = None,
        sort: Annotated[
            list[ScreenSortInput] | None, strawberry.argument(description="Up to 3 sort keys.")
        ] = None,
        saved_screen: Annotated[
            uuid.UUID | None, strawberry.argument(description="Run a saved screen (signed in).")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size, 1 to 100 (default 20).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor of the row to start after.")
        ] = None,
    ) -> ScreenConnection:
        result = await screening.screen(
            ctx(info),
            where=None if filter is None else filter.to_domain(),
            sort=None if sort is None else [k.to_domain() for k in sort],
            saved_id=saved_screen,
            first=first,
            after=after,
        )
        rows = [ScreenRow.from_domain(s) for s in result.page.items]
        return ScreenConnection(
            edges=[
                ScreenEdge(cursor=c, node=r) for c, r in zip(result.page.cursors, rows, strict=True)
            ],
            nodes=rows,
            page_info=PageInfo.from_page(result.page),
            total_count=result.page.total,
            as_of=result.as_of,
        )

    @strawberry.field(description="Every field screens can use, with its meaning and operators.")
    def screen_fields(self) -> list[ScreenFieldInfo]:
        return [
            ScreenFieldInfo(
                field=f,
                group=FIELDS[f].group,
                description=FIELDS[f].description,
                operators=sorted(TEXT_OPERATORS if f.textual else NUMERIC_OPERATORS),
            )
            for f in ScreenField
        ]

    @strawberry.field(
        description="Your saved screens, by name.", permission_classes=[IsAuthenticated]
    )
    async def saved_screens(self, info: Info) -> list[SavedScreen]:
        return [SavedScreen.from_domain(s) for s in await screening.saved_screens(ctx(info))]


@strawberry.type
class ScreeningMutations:
    @strawberry.mutation(
        description="Save a screen under a name, or replace the one of that name (plans cap it).",
        permission_classes=[IsAuthenticated],
    )
    async def save_screen(self, info: Info, input: SaveScreenInput) -> SaveScreenPayload:
        try:
            saved = await screening.save_screen(
                ctx(info),
                name=input.name,
                where=input.filter.to_domain(),
                sort=None if input.sort is None else [k.to_domain() for k in input.sort],
            )
        except DomainError as err:
            return SaveScreenPayload(screen=None, errors=[_input_error(err)])
        return SaveScreenPayload(screen=SavedScreen.from_domain(saved), errors=[])

    @strawberry.mutation(
        description="Delete one of your saved screens.", permission_classes=[IsAuthenticated]
    )
    async def delete_screen(
        self, info: Info, id: Annotated[uuid.UUID, strawberry.argument(description="Its id.")]
    ) -> DeleteScreenPayload:
        try:
            await screening.delete_saved_screen(ctx(info), id)
        except DomainError as err:
            return DeleteScreenPayload(
                deleted_id=None, errors=[UserError(field="id", message=err.message, code=err.code)]
            )
        return DeleteScreenPayload(deleted_id=id, errors=[])

    @strawberry.mutation(
        description="Rebuild the screener snapshot now (administrators); the rows written.",
        permission_classes=[IsAdmin],
    )
    async def refresh_screener(self, info: Info) -> int:
        return await screening.refresh_screener(ctx(info))
