"""Root mutations of portfolios. Each runs in one transaction; a refused one writes nothing and
says why on its payload (`input.<field>`, or `portfolioId` / `transactionId`)."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import portfolio_analytics as analytics
from resolvers import portfolio_positions, portfolios
from schema.context import Info, ctx
from schema.permissions import IsAuthenticated
from schema.portfolios.inputs import (
    AddPositionInput,
    CreatePortfolioInput,
    RecordTransactionInput,
    RemovePositionInput,
    RenamePortfolioInput,
    UpdatePositionInput,
    input_error,
)
from schema.portfolios.reports import ReportMutations
from schema.portfolios.types import (
    AddPositionPayload,
    ApplyCorporateActionsPayload,
    CreatePortfolioPayload,
    DeletePortfolioPayload,
    DeleteTransactionPayload,
    ImportTransactionsPayload,
    Portfolio,
    RecordTransactionPayload,
    RemovePositionPayload,
    RenamePortfolioPayload,
    UpdatePositionPayload,
)
from schema.portfolios.watchlists import WatchlistMutations

PortfolioId = Annotated[uuid.UUID, strawberry.argument(description="One of your portfolios.")]


@strawberry.type
class PortfolioMutations(WatchlistMutations, ReportMutations):
    @strawberry.mutation(
        description="Create a portfolio (the plan caps how many).",
        permission_classes=[IsAuthenticated],
    )
    async def create_portfolio(
        self, info: Info, input: CreatePortfolioInput
    ) -> CreatePortfolioPayload:
        try:
            view = await portfolios.create_portfolio(ctx(info), input.to_command())
        except DomainError as err:
            return CreatePortfolioPayload(portfolio=None, errors=[input_error(err)])
        return CreatePortfolioPayload(portfolio=Portfolio(view=view), errors=[])

    @strawberry.mutation(
        description="Rename one of your portfolios.", permission_classes=[IsAuthenticated]
    )
    async def rename_portfolio(
        self, info: Info, portfolio_id: PortfolioId, input: RenamePortfolioInput
    ) -> RenamePortfolioPayload:
        try:
            view = await portfolios.rename_portfolio(ctx(info), portfolio_id, input.name)
        except DomainError as err:
            return RenamePortfolioPayload(portfolio=None, errors=[input_error(err)])
        return RenamePortfolioPayload(portfolio=Portfolio(view=view), errors=[])

    @strawberry.mutation(
        description="Delete one of your portfolios and its ledger.",
        permission_classes=[IsAuthenticated],
    )
    async def delete_portfolio(
        self, info: Info, portfolio_id: PortfolioId
    ) -> DeletePortfolioPayload:
        try:
            deleted = await portfolios.delete_portfolio(ctx(info), portfolio_id)
        except DomainError as err:
            return DeletePortfolioPayload(deleted_id=None, errors=[input_error(err)])
        return DeletePortfolioPayload(deleted_id=deleted, errors=[])

    @strawberry.mutation(
        description=(
            "Add a ledger entry. Refused, with nothing written, when the ledger would not "
            "replay with it: a SELL of more than is held, a split of nothing, cash below zero."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def record_transaction(
        self, info: Info, portfolio_id: PortfolioId, input: RecordTransactionInput
    ) -> RecordTransactionPayload:
        try:
            change = await portfolios.record_transaction(ctx(info), portfolio_id, input.to_domain())
        except DomainError as err:
            return RecordTransactionPayload.refused(input_error(err))
        return RecordTransactionPayload.of(change)

    @strawberry.mutation(
        description="Delete a ledger entry, unless a later entry depends on it.",
        permission_classes=[IsAuthenticated],
    )
    async def delete_transaction(
        self,
        info: Info,
        portfolio_id: PortfolioId,
        transaction_id: Annotated[strawberry.ID, strawberry.argument(description="The entry.")],
    ) -> DeleteTransactionPayload:
        try:
            tx_id = int(transaction_id)
        except ValueError:
            tx_id = -1
        try:
            change = await portfolios.delete_transaction(ctx(info), portfolio_id, tx_id)
        except DomainError as err:
            return DeleteTransactionPayload.refused(input_error(err))
        return DeleteTransactionPayload.of(change)

    @strawberry.mutation(
        description="Record a purchase of a symbol, or an opening balance of shares held.",
        permission_classes=[IsAuthenticated],
    )
    async def add_position(
        self, info: Info, portfolio_id: PortfolioId, input: AddPositionInput
    ) -> AddPositionPayload:
        try:
            change = await portfolio_positions.add_position(
                ctx(info), portfolio_id, input.to_command()
            )
        except DomainError as err:
            return AddPositionPayload.refused(input_error(err))
        return AddPositionPayload.of(change)

    @strawberry.mutation(
        description="Correct a holding's quantity and/or cost through adjusting entries.",
        permission_classes=[IsAuthenticated],
    )
    async def update_position(
        self, info: Info, portfolio_id: PortfolioId, input: UpdatePositionInput
    ) -> UpdatePositionPayload:
        try:
            change = await portfolio_positions.update_position(
                ctx(info), portfolio_id, input.to_command()
            )
        except DomainError as err:
            return UpdatePositionPayload.refused(input_error(err))
        return UpdatePositionPayload.of(change)

    @strawberry.mutation(
        description="Sell a whole position at a price, or delete its entries.",
        permission_classes=[IsAuthenticated],
    )
    async def remove_position(
        self, info: Info, portfolio_id: PortfolioId, input: RemovePositionInput
    ) -> RemovePositionPayload:
        try:
            change = await portfolio_positions.remove_position(
                ctx(info), portfolio_id, input.to_command()
            )
        except DomainError as err:
            return RemovePositionPayload.refused(input_error(err))
        return RemovePositionPayload.of(change)

    @strawberry.mutation(
        description=(
            "Add the dividends, bonus shares and splits of the market's corporate actions gone "
            "ex since the shares were held; an action is never applied twice."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def apply_corporate_actions(
        self, info: Info, portfolio_id: PortfolioId
    ) -> ApplyCorporateActionsPayload:
        try:
            change = await analytics.apply_corporate_actions(ctx(info), portfolio_id)
        except DomainError as err:
            return ApplyCorporateActionsPayload.refused(input_error(err))
        return ApplyCorporateActionsPayload.of(change)

    @strawberry.mutation(
        description=(
            "Import a broker-statement CSV (header: date,type,symbol,quantity,price,amount,"
            "ratio,fees,taxes,settlement_date,note; only date and type required; see the "
            "README). All or nothing: any error, named by line as csv[<line>].<column>, "
            "writes nothing."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def import_transactions(
        self,
        info: Info,
        portfolio_id: PortfolioId,
        csv: Annotated[str, strawberry.argument(description="The file's contents (UTF-8).")],
    ) -> ImportTransactionsPayload:
        try:
            result = await portfolio_positions.import_transactions(ctx(info), portfolio_id, csv)
        except DomainError as err:
            return ImportTransactionsPayload.refused(input_error(err))
        if result.change is None:
            payload = ImportTransactionsPayload.refused(input_error(result.errors[0]))
            payload.errors = [input_error(e) for e in result.errors]
            return payload
        return ImportTransactionsPayload.of(result.change)
