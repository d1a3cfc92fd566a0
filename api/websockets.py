"""WebSocket transport details: text frames, shared results sent as they were encoded, and a
fast lane for subscriptions whose results are shared.

strawberry sends whatever `encode_json` returns; ours returns bytes (fast for HTTP), which
would go out as binary frames, and browsers' graphql-ws clients expect text. The adapter here
always sends text. A subscription's data message is the already encoded JSON of a shared
result (see `schema/execution.py`) joined with the operation id, so a message to thousands of
subscribers is encoded once.

The fast lane: once a subscription has sent its first result the usual way, the handler reads
the subscription's source events itself (`SharedStream`) and sends each event's shared result
straight to the socket, stepping over graphql-core's per-subscription `map_async_iterable`,
strawberry's per-result hooks and the message dicts: about a quarter of the server's time per
delivered message (bench/README.md). Whatever it cannot send as is (an event nobody has
executed for this selection yet, a result with errors, a failure, the end of the stream) it
hands back to strawberry's path, which sends it exactly as it would have. The loops below are
strawberry's (0.341), with that step added; with `fast_lane` off the handlers are strawberry's
own, and the tests compare the frames of both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import (
    CompleteMessage,
    ErrorMessage,
    StartMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from api.ws_metering import MeteredMixin, throttled_error
from api.ws_persisted import PersistedWebSocketMixin, error_payload
from api.ws_relays import SocketRelay, data_frame
from schema.execution import (
    FastLane,
    SharedStream,
    encoded_data,
    offer_fast_lane,
    results_pass_through,
)
from subscriptions.hub import Mailbox, opening_mailboxes

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends every message as a text frame, counting data messages (they are paid for)."""

    sent = 0  # data messages (`next`, `data`) sent: subscriptions pay per message

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
    return data_frame(orjson.dumps(message["id"]).decode(), data_type, data)


_Relaying = tuple[Mailbox, SocketRelay] | None


def _clean(result: ExecutionResult) -> bool:
    """A result after which the fast lane may take over: no errors, nothing extra."""
    return not result.errors and not result.extensions


class _FastLaneMixin:
    """What both protocols' handlers share: whether to offer the lane, and the lane's loop."""

    # Tests turn it off to compare with strawberry's own path.
    fast_lane: ClassVar[bool] = True
    # Set by strawberry's handler classes this is mixed into.
    websocket: Any
    schema: Any

    def _lane_open(self) -> bool:
        return (
            self.fast_lane
            and isinstance(self.websocket, TextWebSocketAdapter)
            and results_pass_through(self.schema)
        )

    def _relaying(
        self,
        lane: FastLane,
        boxes: list[Mailbox],
        op_id: str,
        data_type: str,
        operation: Operation[Any, Any] | None,
    ) -> _Relaying:
        """The relay of a subscription in the lane that follows one mailbox, else None."""
        if lane.stream is None or len(boxes) != 1:
            return None
        relay = SocketRelay(lane.stream.key, self.websocket, op_id, data_type, operation)
        return boxes[0], relay

    async def _send_shared(
        self,
        op_id: str,
        data_type: str,
        stream: SharedStream,
        operation: Operation[Any, Any] | None,
        relaying: _Relaying,
    ) -> None:
        """Send the stream's shared results until an event needs strawberry's path.

        While it waits for the next event, the subscription's relay (if any) is on its mailbox,
        so the hub may hand it results directly; what it sends itself waits for those first.

        Args:
            op_id: The operation id, JSON-encoded once for all its messages.
            data_type: The protocol's data message type (`next` or `data`).
            stream: The subscription's source events.
            operation: graphql-transport-ws's operation (None for the legacy protocol): as in
                strawberry, nothing more is sent once it has completed.
            relaying: The subscription's mailbox and relay.
        """
        socket: TextWebSocketAdapter = self.websocket
        box, relay = relaying if relaying is not None else (None, None)
        if box is not None:
            box.relay = relay
        try:
            while stream.shared:
                data = await stream.next_encoded()
                if relay is not None and relay.pending:
                    await relay.settled()
                if data is None:
                    return
                if operation is None or not operation.completed:
                    socket.sent += 1
                    await socket.send_text(data_frame(op_id, data_type, data))
        except BaseException:
            if relay is not None:
                relay.open = False  # stopped or failed: nothing more goes out through it
            raise
        finally:
            if box is not None and box.relay is relay:
                box.relay = None


class TransportWSHandler(
    PersistedWebSocketMixin,
    MeteredMixin,
    _FastLaneMixin,
    BaseGraphQLTransportWSHandler[Any, Any],
):
    """graphql-transport-ws, with shared results sent as encoded and the fast lane."""

    async def handle(self) -> None:
        """The connection's life, and its meter's."""
        try:
            await super().handle()
        finally:
            await self._stop_meter()

    async def _throttled(self, message: str) -> None:
        """End every operation of the connection with THROTTLED (the socket stays open)."""
        for op_id, operation in list(self.operations.items()):
            operation.completed = True
            await self.send_message(
                {"id": op_id, "type": "error", "payload": [throttled_error(message)]}
            )
            await self.cleanup_operation(op_id)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Resolve a persisted document (APQ, documentId, the client's policy) first."""
        if self.connection_acknowledged and message["id"] not in self.operations:
            payload, error = await self.persisted_payload(message.get("payload"))
            if error is not None:
                await self.send_message(
                    {"id": message["id"], "type": "error", "payload": [error_payload(error)]}
                )
                return
            if payload is not None:
                message = {**message, "payload": payload}  # type: ignore[typeddict-item]
            self._start_meter()
        await super().handle_subscribe(message)

    async def send_message(self, message: Any) -> None:
        """Send one protocol message."""
        text = _prepared(message, "next")
        if message.get("type") == "next" and isinstance(self.websocket, TextWebSocketAdapter):
            self.websocket.sent += 1
        if text is not None and isinstance(self.websocket, TextWebSocketAdapter):
            await self.websocket.send_text(text)
        else:
            await self.websocket.send_json(message)

    async def _send_result_stream(
        self, operation: Operation[Any, Any], result_source: StreamResult
    ) -> None:
        """strawberry's loop over an operation's results, with the fast lane in between."""
        if not self._lane_open():
            await super()._send_result_stream(operation, result_source)
            return
        # The first step sets the subscription up.
        with offer_fast_lane() as lane, opening_mailboxes() as boxes:
            result = await anext(result_source, None)
        if isinstance(result, PreExecutionError):
            await self._handle_pre_execution_error(operation, result)
            return
        op_id = orjson.dumps(operation.id).decode()
        relaying = self._relaying(lane, boxes, op_id, "next", operation)
        while result is not None:
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            await operation.send_next(result)
            if lane.stream is not None and lane.stream.shared and _clean(result):
                await self._send_shared(op_id, "next", lane.stream, operation, relaying)
            result = await anext(result_source, None)


class LegacyWSHandler(
    PersistedWebSocketMixin, MeteredMixin, _FastLaneMixin, BaseGraphQLWSHandler[Any, Any]
):
    """The legacy graphql-ws (subscriptions-transport-ws) protocol, likewise."""

    async def handle(self) -> None:
        """The connection's life, and its meter's."""
        try:
            await super().handle()
        finally:
            await self._stop_meter()

    async def _throttled(self, message: str) -> None:
        """End every operation of the connection with THROTTLED (the socket stays open)."""
        for op_id in list(self.tasks):
            await self.send_message(
                ErrorMessage(type="error", id=op_id, payload=throttled_error(message))
            )
            await self.cleanup_operation(op_id)

    async def handle_start(self, message: StartMessage) -> None:
        """Resolve a persisted document (APQ, documentId, the client's policy) first."""
        if self.connection_acknowledged:
            payload, error = await self.persisted_payload(message.get("payload"))
            if error is not None:
                await self.send_message(
                    ErrorMessage(type="error", id=message["id"], payload=error_payload(error))
                )
                return
            if payload is not None:
                message = {**message, "payload": payload}  # type: ignore[typeddict-item]
            self._start_meter()
        await super().handle_start(message)

    async def send_message(self, message: Any) -> None:
        """Send one protocol message."""
        text = _prepared(message, "data")
        if message.get("type") == "data" and isinstance(self.websocket, TextWebSocketAdapter):
            self.websocket.sent += 1
        if text is not None and isinstance(self.websocket, TextWebSocketAdapter):
            await self.websocket.send_text(text)
        else:
            await self.websocket.send_json(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        """strawberry's loop over an operation's results, with the fast lane in between."""
        if not self._lane_open():
            await super().handle_async_results(operation_id, query, operation_name, variables)
            return
        try:
            result_source = await self.schema.subscribe(
                query=query,
                variable_values=variables,
                operation_name=operation_name,
                context_value=self.context,
                root_value=self.root_value,
            )
            self.subscriptions[operation_id] = result_source
            # The first step sets the subscription up.
            with offer_fast_lane() as lane, opening_mailboxes() as boxes:
                result = await anext(result_source, None)
            if isinstance(result, PreExecutionError):
                assert result.errors  # noqa: S101 - strawberry's own invariant
                await self.send_message(
                    ErrorMessage(type="error", id=operation_id, payload=result.errors[0].formatted)
                )
                return
            op_id = orjson.dumps(operation_id).decode()
            relaying = self._relaying(lane, boxes, op_id, "data", None)
            while result is not None:
                await self.send_data_message(result, operation_id)
                if lane.stream is not None and lane.stream.shared and _clean(result):
                    await self._send_shared(op_id, "data", lane.stream, None, relaying)
                result = await anext(result_source, None)
            await self.send_message(CompleteMessage(type="complete", id=operation_id))
        except asyncio.CancelledError:
            # As strawberry does: a stopped operation ends with `complete`.
            await self.send_message(CompleteMessage(type="complete", id=operation_id))
        finally:
            self.subscriptions.pop(operation_id, None)
            self.tasks.pop(operation_id, None)
