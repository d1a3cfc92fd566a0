"""Request ids, HTTP metrics and the access log: a pure ASGI middleware and the operation observer.

Every HTTP request and WebSocket gets an id: the client's `X-Request-Id` when it is sane
(8 to 128 of `A-Z a-z 0-9 . _ : -`), else a fresh one. It is returned in the response's
`X-Request-Id`, set on the logging context (every log line of the request carries it) and
put in each GraphQL error's `extensions.requestId` (schema/observability.py).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.metrics import Metrics
from api.tracing import Tracing
from resolvers.loaders import batch_observer
from schema.observability import OperationReport, request_id_var

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{8,128}")
# Routes by path; anything else is one label, so scanners cannot grow the series.
ROUTES = frozenset({"/", "/graphql", "/healthz", "/readyz", "/metrics"})

access_log = logging.getLogger("psx.access")


def request_id_of(headers: Any) -> str:
    """The client's id when sane, else a new one."""
    for key, value in headers:
        if key == HEADER:
            if _SANE.fullmatch(value):
                return str(value.decode())
            break
    return os.urandom(16).hex()


class ObservabilityMiddleware:
    """Assigns request ids, counts HTTP requests and their latency, and open WebSockets."""

    def __init__(self, app: ASGIApp, metrics: Metrics, tracing: Tracing | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.tracing = tracing
        # The label children by (route, status): `labels()` costs more than the increment.
        self._requests: dict[tuple[str, int], Any] = {}
        self._durations: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap one HTTP request or WebSocket connection."""
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope.get("headers", ()))
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        batches = batch_observer.set(self.metrics.batch)
        try:
            if kind == "websocket":
                await self._websocket(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            batch_observer.reset(batches)
            request_id_var.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Counted on the way in (the client's connect), not by wrapping `send`: a wrapper there
        # would be one more coroutine on every message to every subscriber.
        gauge = self.metrics.websockets
        counted = False

        async def counting() -> Message:
            nonlocal counted
            message = await receive()
            if message["type"] == "websocket.connect" and not counted:
                counted = True
                gauge.inc()
            return message

        try:
            await self.app(scope, counting, send)
        finally:
            if counted:
                gauge.dec()

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500
        raw_id = request_id.encode()

        async def tagging(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != HEADER]
                headers.append((HEADER, raw_id))
                message["headers"] = headers
            await send(message)

        path = scope.get("path", "")
        route = path if path in ROUTES else "other"
        try:
            if self.tracing is None:
                await self.app(scope, receive, tagging)
            else:
                with self.tracing.http_span(scope.get("method", ""), route, request_id) as span:
                    await self.app(scope, receive, tagging)
                    span.set_attribute("http.response.status_code", status)
        finally:
            counter = self._requests.get((route, status))
            if counter is None:
                counter = self._requests[route, status] = self.metrics.http_requests.labels(
                    route, str(status)
                )
            counter.inc()
            duration = self._durations.get(route)
            if duration is None:
                duration = self._durations[route] = self.metrics.http_duration.labels(route)
            duration.observe(time.perf_counter() - started)


class OperationLog:
    """The schema extension's observer: Prometheus families and one access log line each."""

    def __init__(self, metrics: Metrics, tracing: Tracing | None = None) -> None:
        self.metrics = metrics
        # Read by the schema extension: a span per operation when tracing is on.
        self.tracer = tracing.tracer if tracing is not None else None

    def operation(self, report: OperationReport) -> None:
        """Record the operation and log it (name, type, cost, duration, status, client)."""
        self.metrics.operation(report)
        if not access_log.isEnabledFor(logging.INFO):
            return
        status = "error" if report.error_codes else "ok"
        access_log.info(
            "%s %s %s %.1fms",
            report.type,
            report.name,
            status,
            report.duration * 1000,
            extra={
                "operation": report.name,
                "operation_type": report.type,
                "status": status,
                "duration_ms": round(report.duration * 1000, 2),
                "cost": report.cost,
                "client": report.client,
                "error_codes": report.error_codes,
            },
        )
