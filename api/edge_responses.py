"""The answer side of the edge: the status and content type of a GraphQL response by media type,
and HTTP caching of GET queries (Cache-Control by what the answer was built from, ETag, 304).

Public market data (root fields all in the response cache's `CACHEABLE_ROOTS`, anonymous, no
time-dependent resolver) is `public` with a max-age by freshness: 1 s when it read quotes (they
move every tick of a session), 60 s for reference data. Public but time-dependent answers
(charts, market status) are `public, no-cache` (revalidated by ETag); anything sent with
credentials is `private, no-store`; errors are `no-store`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from graphql import FieldNode, OperationDefinitionNode

from api.response_cache import CACHEABLE_ROOTS, CONTEXT_KEY

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# Set by GraphQLApp on each result, read (and removed) here: ok, partial or request-error.
OUTCOME_HEADER = b"x-psx-outcome"
LIVE_MAX_AGE = 1
REFERENCE_MAX_AGE = 60
VARY = b"Accept, Authorization, X-API-Key, Apollographql-Client-Name"


def status_for(media: str, outcome: str) -> int:
    """The HTTP status of a GraphQL response by media type and outcome."""
    if media != GRAPHQL_RESPONSE_JSON:
        return 200
    return {"request-error": 422, "partial": 294}.get(outcome, 200)


class ResponseRewriter:
    """Wraps `send`: the status and content type per the media type, caching for GETs."""

    def __init__(
        self,
        send: Send,
        scope: MutableMapping[str, Any],
        headers: dict[str, str],
        media: str,
        operation: OperationDefinitionNode | None,
        *,
        get: bool,
    ) -> None:
        self._send = send
        self._scope = scope
        self._headers = headers
        self._media = media
        self._operation = operation
        self._get = get
        self._start: Message | None = None
        self._body: list[bytes] = []

    async def send(self, message: Message) -> None:
        """Hold the start, gather the body, then send both rewritten."""
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        await self._finish(self._start, b"".join(self._body))

    async def _finish(self, start: Message, body: bytes) -> None:
        status: int = start["status"]
        headers: list[tuple[bytes, bytes]] = []
        outcome: str | None = None
        content_type = b""
        for k, v in start.get("headers", []):
            key = k.lower()
            if key == OUTCOME_HEADER:
                outcome = v.decode()
            elif key == b"content-type":
                content_type = v
            elif key != b"content-length":
                headers.append((k, v))
        graphql_json = content_type.startswith(JSON.encode())
        if outcome is not None and graphql_json:
            # A batch (no single operation) is 200 whatever each of its results holds.
            if status == 200 and self._operation is not None:
                status = status_for(self._media, outcome)
            content_type = f"{self._media}; charset=utf-8".encode()
        if content_type:
            headers.append((b"content-type", content_type))
        if self._get:
            status, headers, body = self._cache_headers(status, headers, body, outcome)
        headers.append((b"content-length", str(len(body)).encode()))
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})

    def _cache_headers(
        self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, outcome: str | None
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        headers = [(k, v) for k, v in headers if k.lower() not in {b"cache-control", b"vary"}]
        headers.append((b"vary", VARY))
        if status != 200 or outcome != "ok":
            headers.append((b"cache-control", b"no-store"))
            return status, headers, body
        headers.append((b"cache-control", self._cache_control().encode()))
        etag = b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"'
        headers.append((b"etag", etag))
        if _matches(self._headers.get("if-none-match", ""), etag):
            kept = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            return 304, kept, b""
        return status, headers, body

    def _cache_control(self) -> str:
        context = self._scope.get("state", {}).get(CONTEXT_KEY)
        if "authorization" in self._headers or getattr(context, "user", None) is not None:
            return "private, no-store"
        operation = self._operation
        public = operation is not None and all(
            isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOTS
            for s in operation.selection_set.selections
        )
        if not public or context is None or context.cache.unsafe:
            # Public but time-dependent (charts, market status): revalidate by ETag every time.
            return "public, no-cache"
        max_age = LIVE_MAX_AGE if context.cache.quote_versions else REFERENCE_MAX_AGE
        return f"public, max-age={max_age}"


def _matches(if_none_match: str, etag: bytes) -> bool:
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag.decode() in tags
