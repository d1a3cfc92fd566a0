"""The GraphQL endpoint: strawberry's ASGI view with our context and JSON encoder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.base import BaseRequestProtocol
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from api.edge import API_KEY_HEADER, API_KEY_PRINCIPAL, MEDIA_KEY
from api.edge_responses import GRAPHQL_RESPONSE_JSON, OUTCOME_HEADER
from api.graphiql import graphiql_response
from api.settings import Settings
from api.websockets import LegacyWSHandler, TextWebSocketAdapter, TransportWSHandler
from domain.accounts.users import Client
from domain.errors import DomainError, ErrorCode
from resolvers.accounts import authenticate
from resolvers.api_keys import authenticate_key
from resolvers.context import Context, Principal, Services, make_context


class _TransportWSWithoutLane(TransportWSHandler):
    """strawberry's own loop for every message (PSX_WS_FAST_LANE=off); the same frames."""

    fast_lane = False


class _LegacyWSWithoutLane(LegacyWSHandler):
    """strawberry's own loop for every message (PSX_WS_FAST_LANE=off); the same frames."""

    fast_lane = False


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
        # Points a subscription message costs its caller (api/ws_metering.py).
        self.subscription_message_cost = settings.subscription_message_cost
        if not settings.ws_fast_lane:
            self.graphql_transport_ws_handler_class = _TransportWSWithoutLane
            self.graphql_ws_handler_class = _LegacyWSWithoutLane

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        """A fresh context (and loaders) for each operation, with the caller's identity.

        Over HTTP the edge has authenticated an `X-API-Key` already (api/edge.py) and left its
        principal in the scope. A WebSocket's context lives as long as the connection: an
        `X-API-Key` on the upgrade request is looked up here (a bad one is refused at
        `connection_init`), else the user is set from the `connection_init` payload by
        `on_ws_connect`.
        """
        services: Services = request.app.state.services
        client = Client(
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        user, error = None, None
        header = request.headers.get("authorization")
        key = request.headers.get(API_KEY_HEADER)
        if isinstance(request, Request):
            user = request.scope.get("state", {}).get(API_KEY_PRINCIPAL)
            if user is None and key is not None:  # not through the edge
                user, error = await _key_principal(services, key)
            elif user is None and header:
                user, error = await _principal(services, header)
        elif key is not None:
            user, error = await _key_principal(services, key)
        context = make_context(
            services, request=request, response=response, user=user, auth_error=error, client=client
        )
        # The response cache reads what the answer was built from after execution.
        request.scope.setdefault("state", {})["psx_context"] = context
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket from `connection_init`'s payload; a bad token or key closes
        it (4403 for graphql-transport-ws, `connection_error` for graphql-ws).

        The token goes in `authorization` (`Bearer …`) or `token`, an API key in `apiKey` (or
        the upgrade request's `X-API-Key` header); one of them, not several. Without any the
        connection is anonymous (public market data only).
        """
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        raw = params.get("authorization") or params.get("Authorization") or params.get("token")
        key = params.get("apiKey")
        by_header = context.request.headers.get(API_KEY_HEADER) is not None
        if context.auth_error is not None:  # the upgrade request's X-API-Key
            raise ConnectionRejectionError({"message": context.auth_error.message})
        if sum(map(bool, (raw, key, by_header))) > 1:
            raise ConnectionRejectionError(
                {"message": "Send one credential: a token, `apiKey` or `X-API-Key`."}
            )
        if key:
            user, error = await _key_principal(context.services, str(key))
            if error is not None:
                raise ConnectionRejectionError({"message": error.message})
            context.user = user
        elif raw:
            header = raw if " " in str(raw) else f"Bearer {raw}"
            user, error = await _principal(context.services, str(header))
            if error is not None:
                raise ConnectionRejectionError({"message": error.message})
            context.user = user
        return cast("UnsetType", UNSET)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """GraphiQL only for a GET naming no document: a hash-only GET is an operation."""
        params = request.query_params
        if params.get("extensions") or params.get("documentId"):
            return False
        return super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request) -> Response:  # noqa: ARG002
        """Our GraphiQL page: self-hosted assets and a strict CSP (api/graphiql.py)."""
        return graphiql_response()

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """The response, and its outcome for the edge's status code (`api.edge.status_for`).

        A request error (validation, variable coercion: no data, no error path) has no `data`
        entry under graphql-response+json, as the GraphQL spec says of errors before execution.
        """
        response = await super().process_result(request, result)
        errors = result.errors or []
        if result.data is None and errors and all(e.path is None for e in errors):
            outcome = "request-error"
            if request.scope.get("state", {}).get(MEDIA_KEY) == GRAPHQL_RESPONSE_JSON:
                response.pop("data", None)
        else:
            outcome = "partial" if errors else "ok"
        context = request.scope.get("state", {}).get("psx_context")
        if context is not None and isinstance(context.response, Response):
            context.response.headers[OUTCOME_HEADER.decode()] = outcome
        return response

    def encode_json(self, data: object) -> bytes:
        """orjson: several times faster than the standard library on large results."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        """orjson for request bodies too."""
        return orjson.loads(data)


async def _key_principal(
    services: Services, key: str
) -> tuple[Principal | None, DomainError | None]:
    """The owner of an API key, or the reason it is refused."""
    try:
        return await authenticate_key(services, key), None
    except DomainError as err:
        return None, err


async def _principal(
    services: Services, header: str
) -> tuple[Principal | None, DomainError | None]:
    """The user of an `Authorization` header, or the reason it is refused."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, DomainError(ErrorCode.INVALID_TOKEN, "Invalid token: use `Bearer <token>`.")
    try:
        return await authenticate(services.security, token.strip(), services.security.now()), None
    except DomainError as err:
        return None, err
