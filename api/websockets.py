"""WebSocket transport details: text frames, and sending shared results without re-encoding.

strawberry sends whatever `encode_json` returns; ours returns bytes (fast for HTTP), which
would go out as binary frames, and browsers' graphql-ws clients expect text. The adapter here
always sends text. The protocol handlers send a subscription's `next` message by joining the
already encoded JSON of a shared result (see `schema/execution.py`) with the operation id,
so a message to thousands of subscribers is encoded once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from schema.execution import encoded_data


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends every message as a text frame."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        """Encode with orjson, send as text."""
        await self.send_text(orjson.dumps(message).decode())

    async def send_text(self, text: str) -> None:
        """Send an already encoded message."""
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


def _prepared(message: Mapping[str, Any], data_type: str) -> str | None:
    """The message's text from a shared result's encoding, when it is a plain data message."""
    if message.get("type") != data_type:
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or len(payload) != 1 or "data" not in payload:
        return None
    data = encoded_data(payload["data"])
    if data is None:
        return None
    op_id = orjson.dumps(message["id"]).decode()
    return f'{{"id":{op_id},"type":"{data_type}","payload":{{"data":{data}}}}}'


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws, sending shared results without re-encoding them."""

    async def send_message(self, message: Any) -> None:
        """Send one protocol message."""
        text = _prepared(message, "next")
        if text is not None and isinstance(self.websocket, TextWebSocketAdapter):
            await self.websocket.send_text(text)
        else:
            await self.websocket.send_json(message)


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """The legacy graphql-ws (subscriptions-transport-ws) protocol, likewise."""

    async def send_message(self, message: Any) -> None:
        """Send one protocol message."""
        text = _prepared(message, "data")
        if text is not None and isinstance(self.websocket, TextWebSocketAdapter):
            await self.websocket.send_text(text)
        else:
            await self.websocket.send_json(message)
