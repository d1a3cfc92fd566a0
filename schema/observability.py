"""Per-operation observability: name, type, duration, errors, cost and sampled resolver timings.

The extension reports each operation to an `OperationObserver` (api/metrics.py records it in
Prometheus and writes the access log line), adds the request id to every error's extensions,
and times resolvers only in a sampled share of operations: graphql-core runs an extension's
`resolve` around every field, default ones included, which a large list pays for per item.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import FieldNode, GraphQLResolveInfo, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.utils.await_maybe import AwaitableOrValue

# The current request's id: set by the ASGI middleware (api/observability.py), read by the
# JSON log formatter and by the extension below.
request_id_var: ContextVar[str | None] = ContextVar("psx_request_id", default=None)

# How many of a sampled operation's slowest fields are reported.
SLOWEST_FIELDS = 5


@dataclass(slots=True)
class OperationReport:
    """What one operation did, for metrics and the access log."""

    name: str
    type: str
    duration: float
    error_codes: list[str]
    client: str | None
    user_id: str | None
    cost: int | None
    request_id: str | None
    resolver_timings: list[tuple[str, float]] = field(default_factory=list)
    root_fields: list[str] = field(default_factory=list)


class OperationObserver(Protocol):
    """Receives every operation's report (api/metrics.py)."""

    def operation(self, report: OperationReport) -> None:
        """Record one operation."""
        ...


def _client_name(context: Any) -> str | None:
    # An API key names its client trustworthily: `key:<prefix>` (the prefix is public, and a
    # label value of its own for each key; api/metrics.py bounds the label's values).
    key = getattr(getattr(context, "user", None), "api_key", None)
    if key is not None:
        return f"key:{key.prefix}"
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    name = headers.get("apollographql-client-name") or headers.get("x-client-name")
    return str(name) if name else None


def _cost(context: Any) -> int | None:
    cost = getattr(context, "cost", None)
    if cost is None:
        return None
    value = getattr(cost, "actual", None)
    if value is None:
        value = getattr(cost, "requested", None)
    return int(value) if isinstance(value, int) else None


def _root_fields(execution_context: Any) -> list[str]:
    graphql_document = getattr(execution_context, "graphql_document", None)
    if graphql_document is None:
        return []
    name = execution_context.operation_name
    for d in graphql_document.definitions:
        if not isinstance(d, OperationDefinitionNode):
            continue
        if name is None or (d.name is not None and d.name.value == name):
            return [s.name.value for s in d.selection_set.selections if isinstance(s, FieldNode)]
    return []


class ObservabilityExtension(SchemaExtension):
    """Reports the operation; its `observer` is set by `observability_extension`."""

    observer: OperationObserver | None = None

    def on_operation(self) -> Iterator[None]:
        """Time the operation (in a span when tracing is on), then tag errors and report."""
        tracer = getattr(self.observer, "tracer", None)
        if tracer is None:
            yield from self._observe()
            return
        with tracer.start_as_current_span("graphql.operation") as span:
            yield from self._observe()
            ctx = self.execution_context
            name = ctx.operation_name or "anonymous"
            span.update_name(f"graphql {name}")
            span.set_attribute("graphql.operation.name", name)
            errors = getattr(ctx.result, "errors", None)
            span.set_attribute("graphql.errors", len(errors or ()))

    def _observe(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        request_id = request_id_var.get()
        result = ctx.result
        errors = getattr(result, "errors", None) or []
        codes: list[str] = []
        for error in errors:
            extensions = dict(error.extensions or {})
            if request_id is not None:
                extensions["requestId"] = request_id
            error.extensions = extensions
            codes.append(str(extensions.get("code") or "ERROR"))
        observer = self.observer
        if observer is None:
            return
        try:
            kind = ctx.operation_type.value
        except Exception:  # a document that did not parse has no operation type
            kind = "unknown"
        context = ctx.context
        user = getattr(context, "user", None)
        report = OperationReport(
            name=ctx.operation_name or "anonymous",
            type=kind,
            duration=time.perf_counter() - started,
            error_codes=codes,
            client=_client_name(context),
            user_id=str(user.user_id) if user is not None else None,
            cost=_cost(context),
            request_id=request_id,
            resolver_timings=self._timings(),
            root_fields=_root_fields(ctx) if kind == "subscription" else [],
        )
        observer.operation(report)

    def _timings(self) -> list[tuple[str, float]]:
        return []


class TimedObservabilityExtension(ObservabilityExtension):
    """The sampled variant: also times every resolver and reports the slowest fields."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._slowest: dict[str, float] = {}

    def _record(self, info: GraphQLResolveInfo[Any], started: float) -> None:
        elapsed = time.perf_counter() - started
        key = f"{info.parent_type.name}.{info.field_name}"
        if elapsed > self._slowest.get(key, 0.0):
            self._slowest[key] = elapsed

    def resolve(
        self,
        _next: Callable[..., Any],
        root: Any,
        info: GraphQLResolveInfo[Any],
        *args: Any,
        **kwargs: Any,
    ) -> AwaitableOrValue[object]:
        """Time the field; an awaitable result is timed until it completes."""
        started = time.perf_counter()
        value = _next(root, info, *args, **kwargs)
        if hasattr(value, "__await__"):

            async def timed() -> object:
                try:
                    return await value
                finally:
                    self._record(info, started)

            return timed()
        self._record(info, started)
        result: object = value
        return result

    def _timings(self) -> list[tuple[str, float]]:
        ranked = sorted(self._slowest.items(), key=lambda kv: kv[1], reverse=True)
        return ranked[:SLOWEST_FIELDS]


def observability_extension(
    observer: OperationObserver | None, *, sample_rate: float = 0.02
) -> Callable[[], ObservabilityExtension]:
    """A factory of per-operation extensions; `sample_rate` of them time resolvers."""
    plain = type("BoundObservability", (ObservabilityExtension,), {"observer": observer})
    timed = type("BoundTimedObservability", (TimedObservabilityExtension,), {"observer": observer})
    draw = random.random

    def make() -> ObservabilityExtension:
        extension: ObservabilityExtension = timed() if draw() < sample_rate else plain()
        return extension

    return make
