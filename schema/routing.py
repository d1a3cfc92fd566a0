"""Which database an operation reads from when a read replica is configured.

Queries read from the replica (`Database.read`). A mutation reads from the primary too, so its
payload shows what it wrote, and records its user as a recent writer: that user's queries then
read from the primary for PSX_READ_YOUR_WRITES_SECONDS (5), longer than a healthy replica
lags. The record is per process; a user whose next request reaches another process reads from
the replica there (replica lag is then the only staleness, usually well under a second).
Subscriptions keep the replica: they stream live data, not the user's writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from db.engine import Database


class ReadYourWrites(SchemaExtension):
    """Points an operation's `services.database` at the primary where it must read it."""

    def on_execute(self) -> Iterator[None]:
        """Route the operation, run it, and note a mutation's user as a recent writer."""
        ec = self.execution_context
        context: Any = ec.context
        services: Any = getattr(context, "services", None)
        database = getattr(services, "database", None)
        if not isinstance(database, Database) or not database.replicated:
            yield
            return
        operation = ec.operation_type
        user = getattr(context, "user", None)
        who = getattr(user, "user_id", None)
        mutation = operation is OperationType.MUTATION
        if not mutation and (
            operation is OperationType.SUBSCRIPTION
            or who is None
            or not database.writers.recent(who)
        ):
            yield
            return
        context.services = replace(services, database=database.on_primary())
        try:
            yield
        finally:
            context.services = services  # a WebSocket's context outlives the operation
            if mutation and who is not None:
                database.writers.wrote(who)
