"""The rate limiter's pipelined Redis client, against the real server (and a silent peer)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from db.redis_wire import (
    Address,
    IncompleteReplyError,
    WireRedis,
    pack,
    parse_reply,
    parse_url,
)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def wire() -> AsyncIterator[WireRedis]:
    client = WireRedis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def test_urls_are_read_as_redis_py_reads_them() -> None:
    assert parse_url("redis://127.0.0.1:6379/14") == Address("127.0.0.1", 6379, db=14)
    assert parse_url("rediss://u:p%40ss@cache.internal/2") == Address(
        "cache.internal", 6379, db=2, username="u", password="p@ss", tls=True
    )
    assert parse_url("redis://:secret@host") == Address("host", password="secret")
    assert parse_url("unix:///run/redis.sock?db=3") == Address(path="/run/redis.sock", db=3)
    with pytest.raises(ValueError, match="not a Redis URL"):
        parse_url("http://host")


def test_replies_are_parsed_whole_or_not_at_all() -> None:
    reply = bytearray(b"*3\r\n:1\r\n$4\r\n12.5\r\n$-1\r\n+OK\r\n")
    assert parse_reply(reply) == ([1, b"12.5", None], len(reply) - 5)
    assert parse_reply(reply, len(reply) - 5) == ("OK", len(reply))
    error, _ = parse_reply(bytearray(b"-NOSCRIPT No matching script\r\n"))
    assert isinstance(error, NoScriptError)
    for cut in range(1, 15):
        with pytest.raises(IncompleteReplyError):
            parse_reply(bytearray(b"*2\r\n:1\r\n$4\r\n12.5\r\n")[:cut])
    assert pack(("EVALSHA", "ab", 1, 0.5, b"k")) == (
        b"*5\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$1\r\n1\r\n$3\r\n0.5\r\n$1\r\nk\r\n"
    )


async def test_scripts_run_in_the_configured_database(wire: WireRedis) -> None:
    key = f"test-wire:{uuid.uuid4()}"
    sha = await wire.script_load("redis.call('SET', KEYS[1], ARGV[1]) return {1, ARGV[1]}")
    assert await wire.evalsha(sha, 1, key, "v") == [1, b"v"]
    other = Redis.from_url(REDIS_URL)
    try:
        assert await other.get(key) == b"v"  # database 15, as the URL says
        await other.delete(key)
    finally:
        await other.aclose()


async def test_concurrent_calls_share_the_connection_and_get_their_own_replies(
    wire: WireRedis,
) -> None:
    sha = await wire.script_load("return ARGV[1]")
    replies = await asyncio.gather(*(wire.evalsha(sha, 0, str(n)) for n in range(500)))
    assert replies == [str(n).encode() for n in range(500)]


async def test_server_errors_are_redis_py_errors(wire: WireRedis) -> None:
    with pytest.raises(NoScriptError):
        await wire.evalsha("0" * 40, 0)
    with pytest.raises(ResponseError, match="unknown command"):
        await wire.execute("NOSUCHCOMMAND")
    assert await wire.execute("PING") == "PONG"  # the connection is still good


async def test_no_server_is_a_connection_error() -> None:
    client = WireRedis.from_url("redis://127.0.0.1:1/0", timeout=0.5)
    with pytest.raises(RedisConnectionError):
        await client.execute("PING")
    await client.aclose()


async def test_a_silent_server_times_out_and_the_client_connects_again() -> None:
    connections: list[asyncio.StreamWriter] = []
    answer = asyncio.Event()

    async def peer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.readuntil(b"PING\r\n")
        if answer.is_set():
            writer.write(b"+PONG\r\n")
            await writer.drain()
        await reader.read()  # until the client hangs up

    server = await asyncio.start_server(peer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = WireRedis.from_url(f"redis://127.0.0.1:{port}", timeout=0.1)
    try:
        with pytest.raises(RedisTimeoutError):
            await client.execute("PING")
        answer.set()
        assert await client.execute("PING") == "PONG"
        assert len(connections) == 2  # the silent connection was dropped
    finally:
        await client.aclose()
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()
