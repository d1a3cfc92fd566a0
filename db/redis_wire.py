"""A small pipelined Redis client for one hot path: the rate limiter's EVALSHA per request.

redis-py's asyncio client takes a connection from its pool, packs the command through several
layers and reads the reply through a stream reader for every call; on the rate limiter's path
(one script call before each operation runs) that is most of the cost. This client keeps one
connection as an `asyncio.Protocol`: a command is written at once (calls from concurrent
requests share the connection, pipelined), replies are parsed where they arrive and matched to
callers in order, and the caller resumes one loop iteration later.

It speaks RESP2 and knows only what the limiter needs (`evalsha`, `script_load`, `execute`).
Errors are redis-py's exceptions, so callers handle both clients alike: a reply error is
`ResponseError` (`NoScriptError` for NOSCRIPT), a lost or refused connection
`ConnectionError`, and a reply slower than `timeout` is `TimeoutError` and drops the
connection (every call waiting on it fails; the next call connects again). URLs are
redis-py's: `redis://[[user]:password@]host[:port][/db]`, `rediss://` (TLS), `unix:///path`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from typing import cast
from urllib.parse import parse_qs, unquote, urlsplit

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Reply = None | int | bytes | str | ResponseError | list["Reply"]
Arg = bytes | str | int | float


@dataclass(frozen=True, slots=True)
class Address:
    """Where the server is and how to sign in, from a Redis URL."""

    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None  # a unix socket
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_url(url: str) -> Address:
    """An `Address` from a redis://, rediss:// or unix:// URL.

    Raises:
        ValueError: another scheme, or a database number that is not an integer.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"not a Redis URL (redis://, rediss://, unix://): {parts.scheme!r}")
    query = parse_qs(parts.query)
    db_text = (query.get("db") or [""])[0]
    if parts.scheme != "unix":
        db_text = db_text or parts.path.lstrip("/")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return Address(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        path=parts.path if parts.scheme == "unix" else None,
        db=int(db_text) if db_text else 0,
        username=username,
        password=password,
        tls=parts.scheme == "rediss",
    )


def pack(args: tuple[Arg, ...]) -> bytes:
    """One command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, bytes):
            data = arg
        elif isinstance(arg, str):
            data = arg.encode()
        elif isinstance(arg, float):
            data = repr(arg).encode()
        else:
            data = str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class IncompleteReplyError(Exception):
    """The buffer ends inside a reply."""


def _line(buffer: bytearray, start: int) -> tuple[bytes, int]:
    end = buffer.find(b"\r\n", start)
    if end < 0:
        raise IncompleteReplyError
    return bytes(buffer[start:end]), end + 2


def parse_reply(buffer: bytearray, start: int = 0) -> tuple[Reply, int]:
    """The reply that starts at `start`, and where the next one starts.

    Raises:
        IncompleteReplyError: the buffer does not hold the whole reply yet.
    """
    if start >= len(buffer):
        raise IncompleteReplyError
    kind = buffer[start]
    line, at = _line(buffer, start + 1)
    if kind == 0x2B:  # + simple string
        return line.decode(), at
    if kind == 0x2D:  # - error
        text = line.decode(errors="replace")
        error = NoScriptError(text) if text.startswith("NOSCRIPT") else ResponseError(text)
        return error, at
    if kind == 0x3A:  # : integer
        return int(line), at
    if kind == 0x24:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, at
        if len(buffer) < at + size + 2:
            raise IncompleteReplyError
        return bytes(buffer[at : at + size]), at + size + 2
    if kind == 0x2A:  # * array
        count = int(line)
        if count < 0:
            return None, at
        items: list[Reply] = []
        for _ in range(count):
            item, at = parse_reply(buffer, at)
            items.append(item)
        return items, at
    raise RedisConnectionError(f"unexpected byte {kind!r} in a Redis reply")


class _Connection(asyncio.Protocol):
    """One connection: commands written in order, replies handed to callers in order."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiting: deque[asyncio.Future[Reply]] = deque()
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        at = 0
        try:
            while self.waiting and at < len(self.buffer):
                reply, at = parse_reply(self.buffer, at)
                future = self.waiting.popleft()
                if not future.done():  # a caller that timed out is skipped, in order
                    future.set_result(reply)
        except IncompleteReplyError:
            pass
        except RedisConnectionError as exc:
            self.fail(exc)
            return
        del self.buffer[:at]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(RedisConnectionError(f"connection to Redis lost: {exc or 'closed'}"))

    def fail(self, error: Exception) -> None:
        """Fail every caller still waiting and drop the connection."""
        self.lost = True
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class WireRedis:
    """A pipelined client on one connection (see the module's docstring)."""

    def __init__(self, address: Address, *, timeout: float = 0.25) -> None:
        self.address = address
        self.timeout = timeout
        self._connection: _Connection | None = None
        self._connecting = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 0.25) -> WireRedis:
        """A client of the server at `url`; it connects on its first command."""
        return cls(parse_url(url), timeout=timeout)

    async def execute(self, *args: Arg) -> Reply:
        """Send one command and return its reply.

        Raises:
            ResponseError: the server answered with an error (NoScriptError for NOSCRIPT).
            ConnectionError: no connection could be made, or it was lost.
            TimeoutError: no reply within `timeout` (the connection is dropped).
        """
        connection = self._connection
        if connection is None or connection.lost:
            connection = await self._connect()
        return await self._send(connection, pack(args))

    async def _send(self, connection: _Connection, command: bytes) -> Reply:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reply] = loop.create_future()
        transport = connection.transport
        if transport is None or transport.is_closing():
            raise RedisConnectionError("connection to Redis lost")
        connection.waiting.append(future)
        transport.write(command)
        timer = loop.call_later(self.timeout, self._expire, connection, future)
        try:
            reply = await future
        finally:
            timer.cancel()
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    def _expire(self, connection: _Connection, future: asyncio.Future[Reply]) -> None:
        if not future.done():
            connection.fail(RedisTimeoutError(f"no reply from Redis within {self.timeout} s"))

    async def _connect(self) -> _Connection:
        async with self._connecting:
            current = self._connection
            if current is not None and not current.lost:
                return current
            loop = asyncio.get_running_loop()
            address = self.address
            try:
                async with asyncio.timeout(self.timeout):
                    if address.path is not None:
                        _, connection = await loop.create_unix_connection(_Connection, address.path)
                    else:
                        context = ssl.create_default_context() if address.tls else None
                        _, connection = await loop.create_connection(
                            _Connection, address.host, address.port, ssl=context
                        )
            except (OSError, TimeoutError) as exc:
                raise RedisConnectionError(f"cannot connect to Redis: {exc}") from exc
            if address.password is not None:
                auth: tuple[Arg, ...] = ("AUTH", address.password)
                if address.username is not None:
                    auth = ("AUTH", address.username, address.password)
                await self._send(connection, pack(auth))
            if address.db:
                await self._send(connection, pack(("SELECT", address.db)))
            self._connection = connection
            return connection

    async def evalsha(self, sha: str, numkeys: int, *keys_and_args: Arg) -> Reply:
        """EVALSHA of a loaded script."""
        return await self.execute("EVALSHA", sha, numkeys, *keys_and_args)

    async def script_load(self, script: str) -> str:
        """Load a script; its SHA1."""
        reply = await self.execute("SCRIPT", "LOAD", script)
        return reply.decode() if isinstance(reply, bytes) else str(reply)

    async def aclose(self) -> None:
        """Close the connection (callers still waiting fail)."""
        connection, self._connection = self._connection, None
        if connection is not None and connection.transport is not None:
            connection.transport.close()
            connection.lost = True
