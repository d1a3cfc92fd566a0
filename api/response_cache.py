"""A response cache for public market-data queries, invalidated by the data in each answer.

graphql-core spends milliseconds walking a large answer (a `quotes` of 50 symbols is ~700
fields), so the same document with the same variables is answered from stored bytes while
nothing in it has changed. Each entry remembers the version of every quote it read, the
reference-data version and the 52-week-range epoch; a hit checks those against the quote
store (one batched read) and the in-process caches. A tick to any symbol in the answer, a
change of reference data or a reload of the ranges makes the entry stale.

Only anonymous POSTs (no Authorization, no API key) of queries whose root fields are all listed
in `CACHEABLE_ROOTS` are cached, and only answers without errors (an error carries its request's
id) that no resolver marked unsafe (charts, market status).

With rate limiting on, a hit is charged like the operation it replays: its actual cost is taken
from the caller's bucket, and `extensions.cost` and the RateLimit headers are the caller's
now, not those stored with the answer. A hit the bucket cannot pay goes on to the app, which
refuses it (THROTTLED, 429) as it would any operation.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.responses import Response

from domain.accounts.users import Client
from resolvers.context import Context, Services
from schema.budget import OperationCost

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CACHEABLE_ROOTS = frozenset(
    {"quote", "quotes", "instrument", "instruments", "indices", "index", "sectors", "heatmap"}
)
CONTEXT_KEY = "psx_context"
MAX_BODY = 64 * 1024
# Headers of the caller's bucket, written afresh on every hit.
RATE_HEADERS = frozenset({b"ratelimit", b"ratelimit-policy", b"retry-after"})


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored answer and what it was built from."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    symbols: tuple[str, ...]
    versions: tuple[int, ...]
    reference_version: int
    ranges_epoch: int
    cost: OperationCost | None  # the operation's, when callers are rate-limited
    payload: dict[str, Any] | None  # the body parsed, to re-write `extensions.cost`


@dataclass(slots=True)
class _Caller:
    """What the rate limiter reads of a request (resolvers' Context has the same fields)."""

    client: Client
    user: None = None
    response: Response = field(default_factory=Response)


@lru_cache(maxsize=1024)
def cacheable_document(query: str, operation_name: str | None) -> bool:
    """True when the operation is a query whose root fields are all cacheable."""
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return False
    selections = operations[0].selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOTS for s in selections)


class ResponseCache:
    """An LRU of entries keyed by the request body (and the Accept header)."""

    def __init__(self, app: ASGIApp, *, max_entries: int = 2048) -> None:
        self.app = app
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def _fresh(self, entry: Entry, services: Services) -> bool:
        if services.ranges.epoch != entry.ranges_epoch:
            return False
        if (await services.reference.get()).version != entry.reference_version:
            return False
        current = await services.quotes.versions(entry.symbols)
        return all(
            (c if c is not None else -1) == v for c, v in zip(current, entry.versions, strict=True)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve from the cache when fresh, else run the app and keep a cacheable answer."""
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        if b"authorization" in headers or b"x-api-key" in headers:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        key = hashlib.sha256(headers.get(b"accept", b"") + b"\0" + body).digest()
        services: Services = scope["app"].state.services
        entry = self._entries.get(key)
        if entry is not None and await self._fresh(entry, services):
            answer = await self._charged(entry, scope)
            if answer is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                response_headers, response_body = answer
                await send(
                    {
                        "type": "http.response.start",
                        "status": entry.status,
                        "headers": [*response_headers, (b"x-cache", b"hit")],
                    }
                )
                await send({"type": "http.response.body", "body": response_body})
                return
        self.misses += 1
        reference_version = (await services.reference.get()).version
        ranges_epoch = services.ranges.epoch
        captured: dict[str, Any] = {"body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, _replay(body), capture)
        context: Context | None = scope.get("state", {}).get(CONTEXT_KEY)
        if (
            context is None
            or context.cache.unsafe
            or captured.get("status") != 200
            or len(body) > MAX_BODY
            or not _cacheable_body(body)
        ):
            return
        payload = _answer_without_errors(captured["body"])
        # The ranges loaded for the first time while answering (epoch 0 to 1) are the ones the
        # answer used; a reload during the request leaves no way to tell which it used.
        if ranges_epoch not in (0, services.ranges.epoch) or payload is None:
            return
        ranges_epoch = services.ranges.epoch
        seen = context.cache.quote_versions
        cost = (
            context.cost if context.cost is not None and context.cost.actual is not None else None
        )
        self._entries[key] = Entry(
            status=200,
            headers=[
                (k, v)
                for k, v in captured["headers"]
                if k.lower() != b"content-length" and k.lower() not in RATE_HEADERS
            ]
            + [(b"content-length", str(len(captured["body"])).encode())],
            body=captured["body"],
            symbols=tuple(seen),
            versions=tuple(seen.values()),
            reference_version=reference_version,
            ranges_epoch=ranges_epoch,
            cost=cost,
            payload=payload if cost is not None else None,
        )
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def _charged(
        self, entry: Entry, scope: Scope
    ) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """The headers and body of a hit, charged to the caller; None when it cannot pay."""
        limiter = getattr(scope["app"].state, "rate_limiter", None)
        if limiter is None or entry.cost is None or entry.payload is None:
            return entry.headers, entry.body
        address = scope.get("client")
        caller = _Caller(Client(ip=address[0] if address else None))
        spent = entry.cost.actual or 0
        throttle = await limiter.reserve(caller, spent)
        if not throttle.allowed:
            return None
        cost = OperationCost(entry.cost.requested, spent, throttle)
        extensions = {**entry.payload.get("extensions", {}), "cost": cost.extension()}
        body = orjson.dumps({**entry.payload, "extensions": extensions})
        rate = [
            (name.encode(), value.encode())
            for name, value in caller.response.headers.items()
            if name.encode() in RATE_HEADERS
        ]
        headers = [(k, v) for k, v in entry.headers if k.lower() != b"content-length"]
        return [*headers, *rate, (b"content-length", str(len(body)).encode())], body


def _answer_without_errors(body: bytes) -> dict[str, Any] | None:
    """The response body parsed, unless it has errors (they carry the request's id)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or payload.get("errors"):
        return None
    return payload


def _cacheable_body(body: bytes) -> bool:
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        return False
    name = request.get("operationName")
    return cacheable_document(request["query"], name if isinstance(name, str) else None)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
