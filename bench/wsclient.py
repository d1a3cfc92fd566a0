"""A lean graphql-transport-ws subscriber for the fan-out bench.

The bench's clients share this machine's two cores with the server they measure. A client on
the `websockets` library spends about twice the server's CPU per message (a task wake-up, a
`wait_for` timer and the library's frame assembly per message), so at 2,000 subscribers the
clients, not the server, saturated the cores. This client is an `asyncio.Protocol`: frames are
parsed straight from `data_received` (server frames are unmasked; RFC 6455 section 5.2), the
receive time is taken once per read, and nothing is scheduled per message.

`--client websockets` in bench/fanout.py keeps the library client for a cross-check: both
count the same messages.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from datetime import datetime
from typing import Any

import orjson

_OP_TEXT, _OP_CLOSE, _OP_PING, _OP_PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (clients must mask; the mask need not be secret here)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return header + mask + masked


class Subscriber(asyncio.Protocol):
    """One connection with one `quotes` subscription; tallies into the shared `out`."""

    def __init__(
        self, host: str, path: str, subscribe: bytes, start_at: float, out: dict[str, Any]
    ) -> None:
        self._host, self._path, self._subscribe = host, path, subscribe
        self._start_at = start_at
        self._out = out
        self._buffer = bytearray()
        self._upgraded = False
        self._acked = False
        self._last_trades: dict[str, int] = {}
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not isinstance(transport, asyncio.Transport):
            raise TypeError("a stream transport was expected")
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET {self._path} HTTP/1.1\r\nHost: {self._host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self._out["errors"] += 1
            self._out.setdefault("first_error", repr(exc))
        if not self.closed.done():
            self.closed.set_result(None)

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(opcode, payload))

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[: self._buffer.find(b"\r\n")])
            if b" 101 " not in status:
                raise ConnectionError(f"upgrade refused: {status!r}")
            del self._buffer[: end + 4]
            self._upgraded = True
            self._send(_OP_TEXT, b'{"type":"connection_init"}')
        buf = self._buffer
        pos = 0
        while len(buf) - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            n = second & 0x7F
            head = 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n = struct.unpack_from("!H", buf, pos + 2)[0]
                head = 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n = struct.unpack_from("!Q", buf, pos + 2)[0]
                head = 10
            if len(buf) - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            opcode = first & 0x0F
            if opcode == _OP_TEXT:
                self._message(payload, now)
            elif opcode == _OP_PING:
                self._send(_OP_PONG, payload)
            elif opcode == _OP_CLOSE:
                self._out["errors"] += 1
                self._out.setdefault("first_error", f"closed by the server: {payload!r}")
                if self.transport is not None:
                    self.transport.close()
        del buf[:pos]

    def _message(self, raw: bytes, now: float) -> None:
        message = orjson.loads(raw)
        kind = message.get("type")
        if kind != "next":
            if kind == "connection_ack" and not self._acked:
                self._acked = True
                self._send(_OP_TEXT, self._subscribe)
                self._out["connected"] += 1
            elif kind == "ping":
                self._send(_OP_TEXT, b'{"type":"pong"}')
            elif kind == "error":
                self._out["errors"] += 1
                self._out.setdefault("first_error", repr(message))
            return
        quote = message["payload"]["data"]["quotes"]
        symbol, trades = quote["symbol"], quote["trades"]
        previous = self._last_trades.get(symbol)
        self._last_trades[symbol] = trades
        if now < self._start_at:
            return
        out = self._out
        out["received"] += 1
        if previous is not None and trades > previous + 1:
            out["gaps"] += trades - previous - 1
        published = quote["publishedAt"]
        if published:
            out["latencies"].append((now - datetime.fromisoformat(published).timestamp()) * 1000)


async def subscribe(
    host: str,
    port: int,
    path: str,
    query: str,
    symbols: list[str],
    start_at: float,
    stop_at: float,
    out: dict[str, Any],
) -> None:
    """Hold one subscription until `stop_at`, tallying what arrives into `out`."""
    payload = {"query": query, "variables": {"symbols": symbols}}
    message = orjson.dumps({"type": "subscribe", "id": "1", "payload": payload})
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.create_connection(
            lambda: Subscriber(host, path, message, start_at, out), host, port
        )
    except OSError as exc:
        out["errors"] += 1
        out.setdefault("first_error", repr(exc))
        return
    try:
        await asyncio.wait_for(asyncio.shield(protocol.closed), max(0.0, stop_at - time.time()))
    except TimeoutError:
        pass
    finally:
        transport.close()
