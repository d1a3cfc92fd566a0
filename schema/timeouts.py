"""The execution timeout: an operation that runs too long is cancelled with a TIMEOUT error.

OWASP's GraphQL cheat sheet prefers an application-level timeout; PostgreSQL's
statement_timeout (db/engine.py, PSX_STATEMENT_TIMEOUT) bounds each statement underneath it.
Cancelling execution cancels the resolvers in flight (and their database calls); the
operation answers with no data and one error whose `extensions.code` is TIMEOUT. Its
estimated cost stays charged (schema/budget.py refunds only operations that finished).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

DEFAULT_TIMEOUT = 10.0


class ExecutionTimeout(SchemaExtension):
    """Cancels execution after `seconds` (subscriptions are not bounded: they stream)."""

    seconds: float = DEFAULT_TIMEOUT

    async def on_execute(self) -> AsyncIterator[None]:
        """Run the operation under `asyncio.timeout`."""
        try:
            async with asyncio.timeout(self.seconds):
                yield
        except TimeoutError:
            raise GraphQLError(
                f"The operation ran for more than {self.seconds:g} s and was stopped.",
                extensions={"code": "TIMEOUT"},
            ) from None


def execution_timeout(seconds: float = DEFAULT_TIMEOUT) -> Callable[..., SchemaExtension]:
    """A factory of `ExecutionTimeout` with its limit (one extension per request)."""

    class Configured(ExecutionTimeout):
        pass

    Configured.seconds = seconds
    return Configured
