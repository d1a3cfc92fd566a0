"""Watchlists in GraphQL: the type, `watchlists`, and the mutations (create, rename, delete,
add to, remove from)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from domain.errors import DomainError
from domain.portfolios import records
from resolvers import watchlists
from schema.context import Info, ctx
from schema.payloads import UserError
from schema.permissions import IsAuthenticated
from schema.portfolios.inputs import input_error


@strawberry.type(description="A named list of symbols you follow.")
class Watchlist:
    id: uuid.UUID = strawberry.field(description="Its id.")
    name: str = strawberry.field(description="Its name, unique among yours.")
    symbols: list[str] = strawberry.field(description="Symbols in the order added.")
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_domain(cls, w: records.Watchlist) -> Watchlist:
        """Map a domain watchlist."""
        return cls(id=w.id, name=w.name, symbols=list(w.symbols), created_at=w.created_at)


@strawberry.input(description="A new watchlist.")
class CreateWatchlistInput:
    name: str = strawberry.field(description="1 to 80 characters, unique among yours.")
    symbols: list[str] = strawberry.field(
        default_factory=list,
        description="Symbols to start with (the plan caps how many a watchlist holds).",
    )


@strawberry.input(description="A watchlist's new name.")
class RenameWatchlistInput:
    name: str = strawberry.field(description="1 to 80 characters, unique among yours.")


@strawberry.type(description="The result of a watchlist mutation.")
class WatchlistPayload:
    watchlist: Watchlist | None = strawberry.field(description="The watchlist after it.")
    errors: list[UserError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The result of deleteWatchlist.")
class DeleteWatchlistPayload:
    deleted_id: uuid.UUID | None = strawberry.field(description="The deleted watchlist's id.")
    errors: list[UserError] = strawberry.field(description="Why it was refused.")


WatchlistId = Annotated[uuid.UUID, strawberry.argument(description="One of your watchlists.")]
Symbols = Annotated[list[str], strawberry.argument(description="PSX symbols.")]


def _payload(w: records.Watchlist) -> WatchlistPayload:
    return WatchlistPayload(watchlist=Watchlist.from_domain(w), errors=[])


def _refused(err: DomainError) -> WatchlistPayload:
    return WatchlistPayload(watchlist=None, errors=[input_error(err)])


@strawberry.type
class WatchlistQueries:
    @strawberry.field(
        description="Your watchlists, oldest first.", permission_classes=[IsAuthenticated]
    )
    async def watchlists(self, info: Info) -> list[Watchlist]:
        return [Watchlist.from_domain(w) for w in await watchlists.my_watchlists(ctx(info))]


@strawberry.type
class WatchlistMutations:
    @strawberry.mutation(
        description="Create a watchlist (the plan caps how many).",
        permission_classes=[IsAuthenticated],
    )
    async def create_watchlist(self, info: Info, input: CreateWatchlistInput) -> WatchlistPayload:
        cmd = watchlists.NewWatchlist(name=input.name, symbols=tuple(input.symbols))
        try:
            return _payload(await watchlists.create_watchlist(ctx(info), cmd))
        except DomainError as err:
            return _refused(err)

    @strawberry.mutation(
        description="Rename one of your watchlists.", permission_classes=[IsAuthenticated]
    )
    async def rename_watchlist(
        self, info: Info, watchlist_id: WatchlistId, input: RenameWatchlistInput
    ) -> WatchlistPayload:
        try:
            return _payload(await watchlists.rename_watchlist(ctx(info), watchlist_id, input.name))
        except DomainError as err:
            return _refused(err)

    @strawberry.mutation(
        description="Delete one of your watchlists.", permission_classes=[IsAuthenticated]
    )
    async def delete_watchlist(
        self, info: Info, watchlist_id: WatchlistId
    ) -> DeleteWatchlistPayload:
        try:
            deleted = await watchlists.delete_watchlist(ctx(info), watchlist_id)
        except DomainError as err:
            return DeleteWatchlistPayload(deleted_id=None, errors=[input_error(err)])
        return DeleteWatchlistPayload(deleted_id=deleted, errors=[])

    @strawberry.mutation(
        description="Add symbols to one of your watchlists (the plan caps how many it holds).",
        permission_classes=[IsAuthenticated],
    )
    async def add_to_watchlist(
        self, info: Info, watchlist_id: WatchlistId, symbols: Symbols
    ) -> WatchlistPayload:
        try:
            return _payload(await watchlists.add_to_watchlist(ctx(info), watchlist_id, symbols))
        except DomainError as err:
            return _refused(err)

    @strawberry.mutation(
        description="Remove symbols from one of your watchlists.",
        permission_classes=[IsAuthenticated],
    )
    async def remove_from_watchlist(
        self, info: Info, watchlist_id: WatchlistId, symbols: Symbols
    ) -> WatchlistPayload:
        try:
            return _payload(
                await watchlists.remove_from_watchlist(ctx(info), watchlist_id, symbols)
            )
        except DomainError as err:
            return _refused(err)
