"""The HTTP edge of /graphql: GraphQL over HTTP (media types, limits, status codes), persisted
queries, and HTTP caching of GET queries. It sits in front of the response cache and strawberry.

Status codes follow the GraphQL-over-HTTP draft of 2026 for `application/graphql-response+json`
(document parse error 400, malformed request or validation failure 422, data with errors 294),
and the earlier draft's `application/json` rules for legacy clients (200 for every GraphQL
response but a document that does not parse, which is 400 as the 2026 draft says). Apollo's
PersistedQueryNotFound/NotSupported stay HTTP 200 for both, as Apollo Server sends them, so
every Apollo Client version retries. README says where this differs from the `graphql-http`
audit suite.

A request the edge accepts is handed on as a full request (the document text put in), so the
response cache and strawberry never see hashes.

An `X-API-Key` header is authenticated here, before anything else is read: a malformed,
unknown, revoked or expired key is a 401 (code UNAUTHENTICATED) naming the problem, never an
anonymous request; a key together with an `Authorization` header is a 400 (RFC 6750 section
3.1: one request, one way of sending credentials). An accepted key's principal is left in the
scope's state for the GraphQL context (api/graphql.py), and the key's persisted-query policy
applies (api/persisted.py).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
)

from api.edge_responses import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    ResponseRewriter,
    status_for,
)
from api.persisted import NO_CACHE, PersistedDocuments, PersistedError
from domain.accounts.api_keys import KeyIdentity
from domain.errors import DomainError
from resolvers.api_keys import authenticate_key
from resolvers.context import Principal

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MEDIA_KEY = "psx_media"
# The principal of the request's API key, for the GraphQL context.
API_KEY_PRINCIPAL = "psx_api_key_principal"
API_KEY_HEADER = "x-api-key"


class EdgeError(Exception):
    """An answer the edge gives without running the operation."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        error: dict[str, Any] = {"message": message}
        if code:
            error["extensions"] = {"code": code}
        self.errors = errors or [error]


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header, or None when neither is acceptable.

    No Accept, `*/*` and `application/*` mean `application/json` (what legacy clients expect);
    between the two types the higher q wins, and graphql-response+json on a tie.
    """
    if not accept or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for item in accept.split(","):
        kind, *params = (p.strip() for p in item.split(";"))
        kind = kind.lower()
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if kind == GRAPHQL_RESPONSE_JSON:
            candidate = (q, 2, GRAPHQL_RESPONSE_JSON)
        elif kind == JSON:
            candidate = (q, 1, JSON)
        elif kind in {"*/*", "application/*"}:
            candidate = (q, 0, JSON)
        else:
            continue
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


@lru_cache(maxsize=1024)
def _parsed(query: str) -> DocumentNode | GraphQLError:
    try:
        return parse(query)
    except GraphQLError as err:
        return err


def operation_of(query: str, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs, or None when the name does not pick exactly one.

    Raises:
        GraphQLError: the document does not parse.
    """
    document = _parsed(query)
    if isinstance(document, GraphQLError):
        raise document
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


class Edge:
    """ASGI middleware for the /graphql route (HTTP only; WebSockets pass straight through)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        documents: PersistedDocuments,
        max_body_bytes: int = 1 << 20,
        batch_max: int = 0,
    ) -> None:
        self.app = app
        self.documents = documents
        self.max_body_bytes = max_body_bytes
        self.batch_max = batch_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check, resolve and forward a request; fix up the status and caching of its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        method = scope["method"]
        query_params = _query_params(scope) if method == "GET" else {}
        if method == "GET" and _wants_ide(query_params, headers.get("accept", "")):
            await self.app(scope, receive, send)
            return
        media = negotiate(headers.get("accept"))
        # Shared by the forwarded scope: GraphQLApp reads the media type and leaves its context.
        scope.setdefault("state", {})[MEDIA_KEY] = media
        try:
            if method not in {"GET", "POST"}:
                raise EdgeError(405, "GraphQL takes GET and POST.", headers={"allow": "GET, POST"})
            if media is None:
                raise EdgeError(
                    406, f"Accept {GRAPHQL_RESPONSE_JSON} or {JSON}.", code="NOT_ACCEPTABLE"
                )
            key = await _api_key(scope, headers)
            forwarded, operation = await self._prepare(
                scope, receive, headers, query_params, media, key
            )
        except (EdgeError, PersistedError) as err:
            await _respond_error(err, media or JSON, send)
            return
        new_scope, new_receive = forwarded
        await self.app(
            new_scope,
            new_receive,
            ResponseRewriter(send, scope, headers, media, operation, get=method == "GET").send,
        )

    async def _prepare(
        self,
        scope: Scope,
        receive: Receive,
        headers: dict[str, str],
        query_params: dict[str, str],
        media: str,
        key: KeyIdentity | None,
    ) -> tuple[tuple[Scope, Receive], OperationDefinitionNode | None]:
        client = headers.get("apollographql-client-name")
        if scope["method"] == "GET":
            params = _decode_get(query_params)
            query, operation = await self._resolve(params, client, key, media, get=True)
            if query == params.get("query"):
                return (scope, receive), operation
            rebuilt = {k: v for k, v in query_params.items() if k != "documentId"}
            rebuilt["query"] = query
            query_string = urllib.parse.urlencode(rebuilt).encode()
            return ({**scope, "query_string": query_string}, receive), operation
        content_type = headers.get("content-type", "")
        kind, *ct_params = (p.strip().lower() for p in content_type.split(";"))
        charset = next((p.partition("=")[2] for p in ct_params if p.startswith("charset=")), "")
        if kind != JSON or charset.strip('"') not in {"", "utf-8"}:
            raise EdgeError(415, f"POST a {JSON} body (UTF-8).", code="UNSUPPORTED_MEDIA_TYPE")
        body = await self._read_body(receive, headers)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise EdgeError(
                400, "Unable to parse request body as JSON.", code="BAD_REQUEST"
            ) from exc
        if isinstance(payload, list):
            return (scope, _replay(await self._batch(payload, client, key, media))), None
        if not isinstance(payload, dict):
            raise _malformed("The request body must be a JSON object.", media)
        _check_params(payload, media)
        query, operation = await self._resolve(payload, client, key, media, get=False)
        if query == payload.get("query"):
            return (scope, _replay(body)), operation
        payload = {k: v for k, v in payload.items() if k != "documentId"}
        payload["query"] = query
        new_body = orjson.dumps(payload)
        new_headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        new_headers.append((b"content-length", str(len(new_body)).encode()))
        return ({**scope, "headers": new_headers}, _replay(new_body)), operation

    async def _resolve(
        self,
        params: dict[str, Any],
        client: str | None,
        key: KeyIdentity | None,
        media: str,
        *,
        get: bool,
    ) -> tuple[str, OperationDefinitionNode | None]:
        resolved = await self.documents.resolve(params, client, key)
        if resolved.query is None:
            raise _malformed("No GraphQL query found in the request.", media)
        name = params.get("operationName")
        try:
            operation = operation_of(resolved.query, name if isinstance(name, str) else None)
        except GraphQLError as err:
            raise EdgeError(400, err.message, errors=[dict(err.formatted)]) from err
        if operation is None:
            message = (
                f"Unknown operation named '{name}'."
                if name
                else "Must provide operation name if query contains multiple operations."
            )
            raise EdgeError(
                status_for(media, "request-error"), message, code="GRAPHQL_VALIDATION_FAILED"
            )
        if get and operation.operation is not OperationType.QUERY:
            raise EdgeError(
                405,
                f"A {operation.operation.value} cannot be sent by GET: use POST.",
                code="METHOD_NOT_ALLOWED",
                headers={"allow": "POST"},
            )
        if resolved.register is not None:
            await self.documents.store.put(resolved.register, resolved.query)
        return resolved.query, operation

    async def _batch(
        self, items: list[Any], client: str | None, key: KeyIdentity | None, media: str
    ) -> bytes:
        if self.batch_max <= 0:
            raise EdgeError(400, "Batching is not enabled.", code="BATCHING_NOT_ENABLED")
        if len(items) > self.batch_max:
            raise EdgeError(400, f"At most {self.batch_max} operations in a batch.")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise _malformed("Each operation of a batch must be a JSON object.", media)
            _check_params(item, media)
            query, _ = await self._resolve(item, client, key, media, get=False)
            out.append({**{k: v for k, v in item.items() if k != "documentId"}, "query": query})
        return orjson.dumps(out)

    async def _read_body(self, receive: Receive, headers: dict[str, str]) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _too_large(self.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


async def _api_key(scope: Scope, headers: dict[str, str]) -> KeyIdentity | None:
    """Authenticate the request's `X-API-Key` (None without one); the principal goes in the
    scope's state.

    Raises:
        EdgeError: 401 for a key that does not authenticate, 400 for a key and a token.
    """
    text = headers.get(API_KEY_HEADER)
    if text is None:
        return None
    if "authorization" in headers:
        raise EdgeError(
            400,
            "Send either `Authorization` or `X-API-Key`, not both.",
            code="BAD_REQUEST",
        )
    try:
        principal: Principal = await authenticate_key(scope["app"].state.services, text)
    except DomainError as err:
        raise EdgeError(
            401,
            err.message,
            code="UNAUTHENTICATED",
            headers={"www-authenticate": 'ApiKey realm="psx", header="X-API-Key"'},
        ) from err
    scope.setdefault("state", {})[API_KEY_PRINCIPAL] = principal
    return principal.api_key


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _query_params(scope: Scope) -> dict[str, str]:
    pairs = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"))
    return {k: v for k, v in pairs if v != ""}  # an empty value means the parameter is absent


def _wants_ide(params: dict[str, str], accept: str) -> bool:
    """A browser opening /graphql (no document named at all) gets GraphiQL."""
    if params.keys() & {"query", "extensions", "documentId"}:
        return False
    return "text/html" in accept or "*/*" in accept


def _decode_get(params: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(params)
    for key, label in (("variables", "Variables"), ("extensions", "Extensions")):
        if key in params:
            try:
                out[key] = orjson.loads(params[key])
            except orjson.JSONDecodeError as exc:
                raise EdgeError(400, f"{label} are invalid JSON.", code="BAD_REQUEST") from exc
            if not isinstance(out[key], dict):
                raise EdgeError(400, f"{label} must be a JSON object.", code="BAD_REQUEST")
    return out


def _check_params(params: dict[str, Any], media: str) -> None:
    for key, kinds in (("variables", dict), ("extensions", dict), ("operationName", str)):
        value = params.get(key)
        if value is not None and not isinstance(value, kinds):
            raise _malformed(f"`{key}` must be a {kinds.__name__} or null.", media)


def _malformed(message: str, media: str) -> EdgeError:
    return EdgeError(422 if media == GRAPHQL_RESPONSE_JSON else 400, message, code="BAD_REQUEST")


def _too_large(limit: int) -> EdgeError:
    return EdgeError(413, f"The request body is over {limit} bytes.", code="PAYLOAD_TOO_LARGE")


async def _respond_error(err: EdgeError | PersistedError, media: str, send: Send) -> None:
    if isinstance(err, PersistedError):
        status = err.status or (422 if media == GRAPHQL_RESPONSE_JSON else 400)
        errors: list[dict[str, Any]] = [{"message": err.message, "extensions": {"code": err.code}}]
        extra = err.headers
    else:
        status, errors, extra = err.status, err.errors, err.headers
    # 406/413/415 are not GraphQL responses of a negotiated type: plain application/json.
    kind = media if status not in {406, 413, 415} else JSON
    body = orjson.dumps({"errors": errors})
    headers = [
        (b"content-type", f"{kind}; charset=utf-8".encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", extra.pop("cache-control", NO_CACHE).encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
