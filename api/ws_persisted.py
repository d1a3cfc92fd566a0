"""Persisted documents over WebSocket: APQ hashes, `documentId`s and client policies.

A `subscribe` (graphql-transport-ws) or `start` (legacy graphql-ws) message may name its
document as HTTP requests do (`extensions.persistedQuery.sha256Hash`, `documentId`), and a
client whose policy is `trusted_only` (by the `apollographql-client-name` header of the
WebSocket handshake, or by the connection's API key) may run trusted documents only. A refused
or unknown document is answered with the protocol's `error` message for that operation, with
the same message and code as over HTTP (PersistedQueryNotFound, TRUSTED_DOCUMENT_REQUIRED...),
and the connection stays open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, GraphQLFormattedError

from api.edge import operation_of
from api.persisted import PersistedDocuments, PersistedError


class PersistedWebSocketMixin:
    """Resolves an operation message's document before the protocol handler runs it."""

    # Set by strawberry's handler classes this is mixed into.
    context: Any
    connection_acknowledged: bool

    def _documents(self) -> PersistedDocuments | None:
        request = getattr(self.context, "request", None)
        app = getattr(request, "app", None)
        documents = getattr(getattr(app, "state", None), "persisted", None)
        return documents if isinstance(documents, PersistedDocuments) else None

    async def persisted_payload(
        self, payload: object
    ) -> tuple[dict[str, Any] | None, PersistedError | None]:
        """The payload with its `query` resolved, or None and the error to answer with.

        Payloads that name no persisted document, from clients allowed any document, pass as
        they are.
        """
        documents = self._documents()
        if documents is None or not isinstance(payload, dict):
            return (payload if isinstance(payload, dict) else None), None
        request = self.context.request
        headers: Mapping[str, str] = getattr(request, "headers", {})
        user = getattr(self.context, "user", None)
        key = getattr(user, "api_key", None)
        try:
            resolved = await documents.resolve(
                payload, headers.get("apollographql-client-name"), key
            )
        except PersistedError as err:
            return None, err
        if resolved.query is None:
            return payload, None  # no document at all: the protocol handler says so
        if resolved.register is not None:
            try:
                operation_of(resolved.query, None)
            except GraphQLError:
                pass  # not stored: the handler reports the syntax error
            else:
                await documents.store.put(resolved.register, resolved.query)
        return {**payload, "query": resolved.query}, None


def error_payload(error: PersistedError) -> GraphQLFormattedError:
    """The GraphQL error answering a refused or unknown document."""
    return {"message": error.message, "extensions": {"code": error.code}}
