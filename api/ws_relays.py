"""Relays of the WebSocket transport: shared results handed to a waiting subscriber, sent inline.

See `subscriptions.hub.Relay` for when the hub relays an event, and `SocketRelay` for how
the result goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from subscriptions.hub import Relay

if TYPE_CHECKING:
    from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation

    from api.websockets import TextWebSocketAdapter


def data_frame(op_id: str, data_type: str, data: str) -> str:
    """The text of a data message, from the JSON of its id and of its `data`.

    Both paths build data messages of shared results here, so they cannot differ.
    """
    return f'{{"id":{op_id},"type":"{data_type}","payload":{{"data":{data}}}}}'


class _Resume:
    """Awaits the rest of a coroutine that has already run up to its first suspension."""

    __slots__ = ("_step", "_waiting")

    def __init__(self, step: Coroutine[Any, Any, None], waiting: Any) -> None:
        self._step = step
        self._waiting = waiting

    def __await__(self) -> Generator[Any, Any, None]:
        waiting = self._waiting
        while True:
            try:
                sent = yield waiting
            except BaseException as exc:  # cancellation included: the coroutine decides
                try:
                    waiting = self._step.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting = self._step.send(sent)
                except StopIteration:
                    return


_FINISHING: set[asyncio.Future[None]] = set()


class SocketRelay(Relay):
    """Sends the results relayed to a subscription (`subscriptions.hub.Relay`) on its socket.

    The send runs inline, in the loop of the execution that produced the result: uvicorn's send
    completes without suspending unless the socket's buffer is full, so for a subscriber that
    keeps up, a message costs the frame and the write. A send that does suspend (a slow
    client) finishes in a task of its own, and until it has, the hub offers that subscriber's
    events to its mailbox, where they conflate.
    """

    __slots__ = ("_data_type", "_op_id", "_operation", "_socket", "open")

    relayed = 0  # results sent through relays, across all sockets (for tests and metrics)

    def __init__(
        self,
        key: str,
        socket: TextWebSocketAdapter,
        op_id: str,
        data_type: str,
        operation: Operation[Any, Any] | None,
    ) -> None:
        super().__init__(key)
        self._socket = socket
        self._op_id = op_id
        self._data_type = data_type
        self._operation = operation
        self.open = True

    def deliver(self, result: str) -> None:
        """Send one result now, or finish sending it in a task when the socket is full."""
        operation = self._operation
        if not self.open or (operation is not None and operation.completed):
            self.settle()
            return
        SocketRelay.relayed += 1
        self._socket.sent += 1
        step = self._socket.send_text(data_frame(self._op_id, self._data_type, result))
        try:
            waiting = step.send(None)
        except StopIteration:
            self.settle()
            return
        except Exception:  # the socket went away: the subscriber's own task finds out
            self.settle()
            return
        task = asyncio.ensure_future(self._finish(step, waiting))
        _FINISHING.add(task)
        task.add_done_callback(_FINISHING.discard)

    async def _finish(self, step: Coroutine[Any, Any, None], waiting: Any) -> None:
        try:
            with contextlib.suppress(Exception):  # the socket went away
                await _Resume(step, waiting)
        finally:
            self.settle()
