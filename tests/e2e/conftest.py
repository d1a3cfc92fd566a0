"""A real server over TCP (uvicorn) with a live hub and an ingester the tests drive.

The feed is the test itself: it hands ticks to the ingester, which stores, publishes and rolls
them exactly as a feed's would. The database is a small demo set of its own, because the
ingester writes bars and the other tests read them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
import uvicorn
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection

from api.app import create_app
from api.server import GracefulServer
from api.settings import Environment, Settings
from db.cache import MemoryQuoteStore
from db.engine import Database, make_engine
from db.migrate import migrate
from db.quotes import prime_quotes
from db.reference import RangeCache, ReferenceCache
from db.seed import seed_demo
from domain.markets.sessions import PKT
from domain.markets.ticks import Tick
from resolvers.context import Services
from subscriptions.alerts import AlertEngine
from subscriptions.backends import MemoryBackend
from subscriptions.hub import Hub
from subscriptions.ingest import Ingester
from subscriptions.live import quote_resync
from tests.conftest import fresh_database

DEMO_END = date(2026, 11, 19)  # Thursday; the live tests trade on Friday 20 Nov
FRIDAY_10AM = datetime(2026, 11, 20, 10, 0, tzinfo=PKT)
DEMO_END_CLOSE = datetime(2026, 11, 19, 16, 0, tzinfo=PKT)


class ManualClock:
    """A clock the tests move by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
async def live_engine() -> AsyncIterator[AsyncEngine]:
    """A database of its own: one year of daily bars, two sessions of minute bars."""
    url = await fresh_database(f"psx_live_{os.getpid()}")
    eng = make_engine(url)
    await migrate(eng)
    await seed_demo(eng, seed=11, end=DEMO_END, years=1, minute_sessions=2)
    yield eng
    await eng.dispose()


@dataclass
class LiveServer:
    """A running server and the handles a test drives it with."""

    url: str
    services: Services
    hub: Hub
    ingester: Ingester
    clock: ManualClock
    server: GracefulServer
    seq: int = 0

    async def trade(self, symbol: str, price: str, volume: int = 100, *, after: float = 1) -> None:
        """Hand one trade to the ingester, `after` seconds past the previous one."""
        self.clock.at += timedelta(seconds=after)
        self.seq += 1
        await self.ingester.ingest([Tick(symbol, Decimal(price), volume, self.clock.at, self.seq)])

    async def wait_subscribers(self, count: int) -> None:
        """Wait until `count` subscriptions are registered with the hub."""
        for _ in range(500):
            if self.hub.subscribers >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"{self.hub.subscribers} subscribers, expected {count}")

    def last(self, symbol: str) -> Decimal:
        return self.ingester.states[symbol].last

    def connect(self, protocol: str = "graphql-transport-ws") -> Any:
        return websockets.connect(self.url, subprotocols=[protocol])  # type: ignore[list-item]


async def forget_live_bars(engine: AsyncEngine) -> None:
    """Delete the bars earlier tests' ingesters wrote after the demo data."""
    async with engine.begin() as conn:
        for table in ("minute_bars", "index_minute_bars"):
            await conn.execute(text(f"DELETE FROM {table} WHERE ts >= :t"), {"t": DEMO_END_CLOSE})
        for table in ("daily_bars", "index_daily_bars"):
            await conn.execute(text(f"DELETE FROM {table} WHERE day > :d"), {"d": DEMO_END})


@contextlib.asynccontextmanager
async def serve_live(
    engine: AsyncEngine,
    *,
    hub: Hub | None = None,
    settings: Settings | None = None,
    drain_seconds: float = 0.0,
) -> AsyncIterator[LiveServer]:
    """Start hub, ingester and uvicorn; stop them all afterwards."""
    clock = ManualClock(FRIDAY_10AM)
    await forget_live_bars(engine)
    store = MemoryQuoteStore()
    await prime_quotes(engine, store, force=True)
    hub = hub or Hub(MemoryBackend(), resync=quote_resync(store), stuck_after=2.0)
    await hub.start()
    alert_engine = AlertEngine(engine, hub, check_every=0)
    ingester = Ingester(
        engine=engine,
        store=store,
        hub=hub,
        clock=clock.now,
        flush_every=3600,
        on_trades=alert_engine.on_trades,
        on_close=alert_engine.on_close,
    )
    await ingester.start()
    services = Services(
        database=Database(primary=engine, read=engine),
        quotes=store,
        reference=ReferenceCache(engine),
        ranges=RangeCache(engine, today=lambda: clock.now().date()),
        clock=clock.now,
        halted=ingester.halted,
        hub=hub,
    )
    settings = settings or Settings(
        environment=Environment.TEST, ws_init_timeout=0.5, ws_max_subscriptions=3
    )
    app = create_app(settings, services=services)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws_per_message_deflate=False,
    )
    server = GracefulServer(config, app, drain_seconds=drain_seconds)
    task = asyncio.create_task(server.serve())
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield LiveServer(f"ws://127.0.0.1:{port}/graphql", services, hub, ingester, clock, server)
    finally:
        server.should_exit = True
        await task
        await ingester.stop()
        await hub.stop()


@pytest.fixture
async def live(live_engine: AsyncEngine) -> AsyncIterator[LiveServer]:
    async with serve_live(live_engine) as server:
        yield server


async def receive(ws: ClientConnection, within: float = 5.0) -> dict[str, Any]:
    """The next message, decoded; pings are answered and skipped."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), within)
        assert isinstance(raw, str), "graphql-ws clients in browsers need text frames"
        message: dict[str, Any] = orjson.loads(raw)
        if message.get("type") == "ping":
            await ws.send(orjson.dumps({"type": "pong"}).decode())
            continue
        if message.get("type") == "ka":
            continue
        return message


async def init(ws: ClientConnection) -> None:
    await ws.send(orjson.dumps({"type": "connection_init"}).decode())
    assert (await receive(ws))["type"] == "connection_ack"


async def subscribe(
    ws: ClientConnection, op_id: str, query: str, variables: dict[str, Any] | None = None
) -> None:
    payload = {"query": query, "variables": variables or {}}
    await ws.send(orjson.dumps({"type": "subscribe", "id": op_id, "payload": payload}).decode())
