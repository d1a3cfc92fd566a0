"""Root fields of alerts: mutations, queries and the `alerts` subscription."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import alerts
from schema.alerts.types import (
    Alert,
    AlertEvent,
    CreateAlertInput,
    CreateAlertPayload,
    DeleteAlertPayload,
    UpdateAlertInput,
    UpdateAlertPayload,
)
from schema.context import Info, ctx
from schema.errors import graphql_error
from schema.payloads import UserError
from schema.permissions import IsAuthenticated, unauthenticated

AlertId = Annotated[uuid.UUID, strawberry.argument(description="Alert id.")]


def _input_error(err: DomainError) -> UserError:
    field = None if err.field is None else ("id" if err.field == "id" else f"input.{err.field}")
    return UserError(field=field, message=err.message, code=err.code)


@strawberry.type
class AlertMutations:
    @strawberry.mutation(
        description="Create a price alert (the plan caps how many).",
        permission_classes=[IsAuthenticated],
    )
    async def create_alert(self, info: Info, input: CreateAlertInput) -> CreateAlertPayload:
        cmd = alerts.NewAlert(
            symbol=input.symbol,
            condition=input.condition,
            threshold=input.threshold,
            period=input.period,
            repeat=input.repeat,
            cooldown_seconds=input.cooldown_seconds,
            pattern=input.pattern,
        )
        try:
            created = await alerts.create_alert(ctx(info), cmd)
        except DomainError as err:
            return CreateAlertPayload(alert=None, errors=[_input_error(err)])
        return CreateAlertPayload(alert=Alert.from_domain(created), errors=[])

    @strawberry.mutation(
        description="Change, pause or rearm one of your alerts.",
        permission_classes=[IsAuthenticated],
    )
    async def update_alert(
        self,
        info: Info,
        id: AlertId,
        input: UpdateAlertInput,
    ) -> UpdateAlertPayload:
        change = alerts.AlertChange(
            threshold=input.threshold,
            period=input.period,
            cooldown_seconds=input.cooldown_seconds,
            active=input.active,
        )
        try:
            updated = await alerts.update_alert(ctx(info), id, change)
        except DomainError as err:
            return UpdateAlertPayload(alert=None, errors=[_input_error(err)])
        return UpdateAlertPayload(alert=Alert.from_domain(updated), errors=[])

    @strawberry.mutation(
        description="Delete one of your alerts.", permission_classes=[IsAuthenticated]
    )
    async def delete_alert(self, info: Info, id: AlertId) -> DeleteAlertPayload:
        try:
            deleted = await alerts.delete_alert(ctx(info), id)
        except DomainError as err:
            return DeleteAlertPayload(deleted_id=None, errors=[_input_error(err)])
        return DeleteAlertPayload(deleted_id=deleted, errors=[])


@strawberry.type
class AlertQueries:
    @strawberry.field(
        description="Your alerts, newest first.", permission_classes=[IsAuthenticated]
    )
    async def alerts(self, info: Info) -> list[Alert]:
        return [Alert.from_domain(a) for a in await alerts.my_alerts(ctx(info))]

    @strawberry.field(
        description="Your alerts that fired, newest first.", permission_classes=[IsAuthenticated]
    )
    async def alert_events(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="How many, 1 to 100 (default 20).")
        ] = None,
        before: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only events older than this id.")
        ] = None,
    ) -> list[AlertEvent]:
        try:
            events = await alerts.my_alert_events(
                ctx(info), first=first, before=None if before is None else int(before)
            )
        except DomainError as err:
            raise graphql_error(err) from err
        return [AlertEvent.from_domain(e) for e in events]


@strawberry.type
class AlertSubscriptions:
    @strawberry.subscription(
        description=(
            "Your alerts as they fire (sign in through `connection_init`'s payload). Nobody "
            "else's alerts are ever sent."
        )
    )
    async def alerts(self, info: Info) -> AsyncGenerator[AlertEvent, None]:
        c = ctx(info)
        if c.user is None:
            raise unauthenticated("Sign in to follow your alerts.")
        try:
            stream = await alerts.alert_stream(c)
        except DomainError as err:
            raise graphql_error(err) from err
        async for event in stream:
            yield AlertEvent.from_message(event.data)
