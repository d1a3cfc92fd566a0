"""Subscriptions pay per message: a connection whose messages empty its bucket is throttled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api import ws_metering
from api.settings import Environment, Settings
from tests.e2e.conftest import LiveServer, init, receive, serve_live

QUOTES = "subscription Q($s: [String!]!) { quotes(symbols: $s) { symbol last } }"


@pytest.fixture
async def server(
    live_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LiveServer]:
    monkeypatch.setattr(ws_metering, "METER_EVERY", 0.05)
    settings = Settings(
        environment=Environment.TEST,
        ws_init_timeout=0.5,
        rate_limit=True,
        rate_limit_tiers="USER=40:0.001",  # 40 points, refilled far too slowly to matter
        subscription_message_cost=10,
    )
    async with serve_live(live_engine, settings=settings) as live:
        yield live


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_messages_are_charged_until_the_bucket_is_empty_then_throttled(
    server: LiveServer, protocol: str
) -> None:
    price = server.last("OGDC")
    async with server.connect(protocol) as ws:
        await init(ws)
        kind = "subscribe" if protocol == "graphql-transport-ws" else "start"

        def start(op_id: str) -> str:
            payload = {"query": QUOTES, "variables": {"s": ["OGDC"]}}
            return orjson.dumps({"type": kind, "id": op_id, "payload": payload}).decode()

        await ws.send(start("1"))
        await server.wait_subscribers(1)
        received = 0
        throttled = None
        for step in range(1, 12):
            await server.trade("OGDC", str(price + step))
            message = await receive(ws)
            if message["type"] == "error":
                throttled = message
                break
            received += 1
            await asyncio.sleep(0.08)  # a charge falls between messages
        assert throttled is not None, "ten points a message must run out a 40-point bucket"
        payload = throttled["payload"]
        error = payload[0] if isinstance(payload, list) else payload
        assert error["extensions"]["code"] == "THROTTLED"
        assert error["message"].startswith("Throttled: this connection's subscriptions sent")
        assert 1 <= received <= 5  # the start (1 point) and 10 a message: about 4 messages
        # The operation has ended and nothing more arrives for it; the socket stays open,
        # and what is left in the bucket still pays for a new start.
        for _ in range(100):
            if server.hub.subscribers == 0:
                break
            await asyncio.sleep(0.01)
        assert server.hub.subscribers == 0
        await ws.send(start("2"))
        for _ in range(1500):  # generous: the machine may be busy
            if server.hub.subscribers == 1:
                break
            await asyncio.sleep(0.01)
        assert server.hub.subscribers == 1
        await server.trade("OGDC", str(price + 20))
        message = await receive(ws)
        while message.get("id") == "1":  # the legacy protocol completes the throttled one
            message = await receive(ws)
        assert message["id"] == "2"
        assert message["type"] in {"next", "data"}
