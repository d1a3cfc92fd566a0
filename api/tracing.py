"""OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set.

The SDK is an optional dependency (`pip install psx-analytics[otel]`) imported only here and
only when an endpoint is configured, so the default server never loads it. When on, each HTTP
request is a server span (api/observability.py) and each GraphQL operation a child span named
after the operation (schema/observability.py), exported over OTLP/HTTP in batches.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from api.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Tracing:
    """The tracer the app's spans come from, and its provider (to flush or shut down)."""

    tracer: Any
    provider: Any

    def http_span(self, method: str, route: str, request_id: str) -> AbstractContextManager[Any]:
        """A server span for one HTTP request."""
        from opentelemetry.trace import SpanKind

        return self.tracer.start_as_current_span(  # type: ignore[no-any-return]
            f"{method} {route}",
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "http.route": route,
                "psx.request_id": request_id,
            },
        )


def otlp_exporter(endpoint: str) -> Any:
    """The OTLP/HTTP span exporter for an endpoint (its /v1/traces path)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found,unused-ignore]
        OTLPSpanExporter,
    )

    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


def tracing_from_settings(settings: Settings) -> Tracing | None:
    """Tracing when an endpoint is configured and the `otel` extra is installed, else None."""
    if not settings.otel_endpoint:
        return None
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        exporter = otlp_exporter(settings.otel_endpoint)
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but the `otel` extra is not installed")
        return None
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider.get_tracer("psx-analytics"), provider)


@contextmanager
def no_span() -> Iterator[None]:
    """What a request runs in when tracing is off."""
    yield
