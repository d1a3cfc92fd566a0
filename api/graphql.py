"""The GraphQL endpoint: strawberry's ASGI view with our context and JSON encoder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from api.settings import Settings
from api.websockets import LegacyWSHandler, TextWebSocketAdapter, TransportWSHandler
from resolvers.context import Context, Services, make_context


class GraphQLApp(GraphQL[Context, None]):
    """GraphQL over HTTP and WebSocket with a per-request `Context`."""

    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self, schema: strawberry.Schema, *, graphiql: bool, settings: Settings | None = None
    ) -> None:
        settings = settings or Settings()
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
            # graphql-ws's reference server waits 3 s for connection_init; strawberry's 60 s
            # default lets idle sockets pile up.
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout),
            max_subscriptions_per_connection=settings.ws_max_subscriptions,
            keep_alive=True,
            keep_alive_interval=12,
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """A fresh context (and loaders) for each operation."""
        services: Services = request.app.state.services
        context = make_context(services, request=request, response=response)
        # The response cache reads what the answer was built from after execution.
        request.scope.setdefault("state", {})["psx_context"] = context
        return context

    def encode_json(self, data: object) -> bytes:
        """orjson: several times faster than the standard library on large results."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        """orjson for request bodies too."""
        return orjson.loads(data)
