"""Root query fields of accounts."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import accounts
from schema.accounts.types import AuditEvent, User
from schema.context import Info, ctx
from schema.permissions import IsAuthenticated


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in account.", permission_classes=[IsAuthenticated])
    async def me(self, info: Info) -> User:
        return User.from_domain(await accounts.me(ctx(info)))

    @strawberry.field(
        description="Your security events (sign-ins, refreshes, sign-outs...), newest first.",
        permission_classes=[IsAuthenticated],
    )
    async def audit_log(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="How many, 1 to 100 (default 20).")
        ] = None,
        before: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only events older than this event id."),
        ] = None,
    ) -> list[AuditEvent]:
        events = await accounts.audit_log(
            ctx(info), first=first, before=None if before is None else int(before)
        )
        return [AuditEvent.from_domain(e) for e in events]
