"""The cost budget of an operation: refused over the maximum, reserved and refunded.

`CostExtension` estimates each operation (schema/cost.py) before it runs and refuses it over
the maximum (MAX_COST_EXCEEDED). With a `Budget` (api/ratelimit.py keeps one per caller in
Redis or in process) the estimate is reserved first (THROTTLED when the bucket cannot pay)
and the difference to the actual cost refunded after execution; `extensions.cost` reports
both, Shopify style.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType as StrawberryOperationType

from schema.cost import MAX_QUERY_COST, actual_cost, estimate_cost


@dataclass(slots=True)
class OperationCost:
    """The cost of one operation: estimated before it runs, actual once it has.

    `throttle` is the bucket's state after the operation, when a budget is kept.
    """

    requested: int
    actual: int | None = None
    throttle: Throttle | None = None

    def extension(self) -> dict[str, Any]:
        """`extensions.cost` of the response, as Shopify words it."""
        out: dict[str, Any] = {
            "requestedQueryCost": self.requested,
            "actualQueryCost": self.actual,
        }
        if self.throttle is not None:
            out["throttleStatus"] = {
                "maximumAvailable": float(self.throttle.maximum),
                "currentlyAvailable": round(self.throttle.available, 1),
                "restoreRate": round(self.throttle.restore_rate, 2),
            }
        return out


@dataclass(frozen=True, slots=True)
class Throttle:
    """A bucket after a reservation: whether it was granted, and what is left."""

    allowed: bool
    maximum: int
    available: float
    restore_rate: float  # points a second
    policy: str  # the tier's name in RateLimit-Policy

    def retry_after(self, cost: int) -> int:
        """Whole seconds until `cost` points are available again."""
        missing = max(cost - self.available, 0.0)
        return max(1, math.ceil(missing / self.restore_rate)) if missing else 0


class Budget(Protocol):
    """A store of cost points per caller (api/ratelimit.py keeps it in Redis or memory)."""

    async def reserve(self, context: Any, cost: int) -> Throttle:
        """Take `cost` points from the caller's bucket, or none if it has fewer."""

    async def refund(
        self, context: Any, points: int, after: Throttle | None = None
    ) -> Throttle | None:
        """Give `points` back (the estimate minus the actual cost); `after` is the bucket as
        the reservation left it."""


def cost_error(message: str, code: str, cost: OperationCost) -> GraphQLError:
    """A request error that names its code and carries the cost."""
    return GraphQLError(message, extensions={"code": code, "cost": cost.extension()})


class CostExtension(SchemaExtension):
    """Estimates each operation, refuses it over `max_cost`, and keeps the caller's budget.

    The estimate is stored on the context (`context.cost`, read by the access log). With a
    budget, it is returned in `extensions.cost`, reserved before execution (THROTTLED, nothing
    runs, when the bucket holds fewer points) and the unused part refunded after it.
    """

    max_cost: int = MAX_QUERY_COST
    budget: Budget | None = None
    # Its `get_results` adds nothing to a subscription's messages: the WebSocket fast lane
    # may send them as executed (schema/execution.py, `results_pass_through`).
    leaves_stream_results = True

    def __init__(self, *, execution_context: Any = None) -> None:
        self._cost: OperationCost | None = None
        if execution_context is not None:
            self.execution_context = execution_context

    async def on_execute(self) -> Any:
        """Estimate, check, reserve; run; refund the difference to the actual cost."""
        ec = self.execution_context
        document = ec.graphql_document
        if document is None:
            yield
            return
        schema = ec.schema._schema
        variables = ec.variables
        cost = OperationCost(estimate_cost(schema, document, ec.operation_name, variables))
        self._cost = cost
        context = ec.context
        if hasattr(context, "cost"):
            context.cost = cost
        if cost.requested > self.max_cost:
            error = cost_error(
                f"The operation's estimated cost {cost.requested} is over the "
                f"maximum {self.max_cost}: ask for smaller pages or fewer fields.",
                "MAX_COST_EXCEEDED",
                cost,
            )
            _refuse(ec, error)
            yield
            return
        budget = self.budget
        if budget is None:
            yield
            cost.actual = self._actual(ec)
            return
        throttle = await budget.reserve(context, cost.requested)
        cost.throttle = throttle
        if not throttle.allowed:
            message = (
                f"Throttled: the operation costs {cost.requested} points and "
                f"{int(throttle.available)} are available; retry in "
                f"{throttle.retry_after(cost.requested)} s."
                if cost.requested <= throttle.maximum
                else f"Throttled: the operation costs {cost.requested} points, more than your "
                f"plan's bucket holds ({throttle.maximum}): ask for less."
            )
            _refuse(ec, cost_error(message, "THROTTLED", cost))
            yield
            return
        if ec.operation_type is StrawberryOperationType.SUBSCRIPTION:
            # A subscription pays its estimate to start: what it streams is not refunded.
            yield
            cost.actual = cost.requested
            return
        # An operation that fails (a timeout) keeps its estimate charged.
        yield
        cost.actual = self._actual(ec)
        unused = cost.requested - cost.actual
        if unused > 0:
            cost.throttle = await budget.refund(context, unused, throttle) or throttle

    def _actual(self, ec: Any) -> int:
        result = ec.result
        data = getattr(result, "data", None)
        if ec.graphql_document is None or not isinstance(data, dict):
            return 0
        return actual_cost(
            ec.schema._schema, ec.graphql_document, data, ec.operation_name, ec.variables
        )

    def get_results(self) -> dict[str, Any]:
        """`extensions.cost` of the response, when callers are rate-limited (the budget's
        state is what clients pace themselves by; without one, bodies stay as they were)."""
        if self._cost is None or self.budget is None:
            return {}
        if self.execution_context.operation_type is StrawberryOperationType.SUBSCRIPTION:
            return {}  # paid at the start; every message would carry the same stale figure
        return {"cost": self._cost.extension()}


def _refuse(ec: Any, error: GraphQLError) -> None:
    """Answer with `error` and run nothing.

    A query or mutation skips execution when its result is set; a subscription's start
    ignores that, so the error is raised there (strawberry sends it as the stream's only
    result, and the stream ends).
    """
    if ec.operation_type is StrawberryOperationType.SUBSCRIPTION:
        raise error
    ec.result = ExecutionResult(data=None, errors=[error])


def cost_extension(
    max_cost: int = MAX_QUERY_COST, budget: Budget | None = None
) -> Callable[..., SchemaExtension]:
    """A factory of `CostExtension` with its maximum and budget (one extension per request)."""

    class Configured(CostExtension):
        pass

    Configured.max_cost = max_cost
    Configured.budget = budget
    return Configured
