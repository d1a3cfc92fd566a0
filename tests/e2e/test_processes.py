"""Real OS processes: two API servers and one ingester sharing a Redis of the test's own.

A trade published by the ingester must reach subscribers on every server process, through
Redis pub/sub, with each process subscribing upstream once per channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.conftest import free_port, init, receive, subscribe
from tests.fixtures.redis_server import RedisProcess

SYMBOLS = ["OGDC", "HUBC", "LUCK", "PPL", "MARI", "FFC", "ENGROH", "MCB", "UBL", "SYS"]
QUERY = "subscription Q($s: [String!]!) { quotes(symbols: $s) { symbol trades last } }"


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as sink:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "api.cli", *args], env=env, stdout=sink, stderr=sink
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def tail(log: Path) -> str:
    """The end of a process's log, for a failure message."""
    return log.read_text()[-3000:]


async def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            assert proc.poll() is None, tail(log)
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(tail(log))


async def collect(url: str, seconds: float, ready: asyncio.Event) -> dict[str, set[int]]:
    import websockets

    seen: dict[str, set[int]] = {}
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await init(ws)
        await subscribe(ws, "q", QUERY, {"s": SYMBOLS})
        ready.set()
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message: dict[str, Any] = await receive(ws, within=left)
            except TimeoutError:
                break
            assert message["type"] == "next", message
            quote = message["payload"]["data"]["quotes"]
            seen.setdefault(quote["symbol"], set()).add(quote["trades"])
    return seen


async def test_a_tick_reaches_subscribers_on_every_server_process(
    live_engine: AsyncEngine, redis_process: RedisProcess, tmp_path: Path
) -> None:
    await redis_process.wait_ready()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=live_engine.url.render_as_string(hide_password=False),
        REDIS_URL=f"redis://127.0.0.1:{redis_process.port}/0",
        PSX_AUTO_SEED="false",
        PSX_FEED="none",
    )
    ports = [free_port(), free_port()]
    with (
        process(["serve", "--port", str(ports[0])], env, tmp_path / "a.log") as a,
        process(["serve", "--port", str(ports[1])], env, tmp_path / "b.log") as b,
    ):
        await wait_ready(f"http://127.0.0.1:{ports[0]}", a, tmp_path / "a.log")
        await wait_ready(f"http://127.0.0.1:{ports[1]}", b, tmp_path / "b.log")
        urls = [f"ws://127.0.0.1:{p}/graphql" for p in ports]
        ready = [asyncio.Event(), asyncio.Event()]
        clients = [asyncio.create_task(collect(u, 8, r)) for u, r in zip(urls, ready, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in ready)), 10)
        ingest = ["ingest", "--feed", "simulator", "--flat", "--rate", "200"]
        with process(ingest, env, tmp_path / "ingest.log"):
            on_a, on_b = await asyncio.gather(*clients)
    traded = {s for s in SYMBOLS if on_a.get(s)}
    assert len(traded) >= 5, (on_a, tail(tmp_path / "ingest.log"))
    for symbol in traded:
        # both processes saw the same trades, apart from the very first and last moments
        common = on_a[symbol] & on_b.get(symbol, set())
        assert len(common) >= len(on_a[symbol]) - 2, symbol
