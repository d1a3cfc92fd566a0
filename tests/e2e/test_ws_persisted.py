"""Persisted documents over WebSocket: APQ hashes, documentIds, and trusted-only clients."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection

from api.settings import Environment, Settings
from tests.e2e.conftest import LiveServer, init, receive, serve_live

QUOTES = "subscription Q($s: [String!]!) { quotes(symbols: $s) { symbol last } }"
DIGEST = hashlib.sha256(QUOTES.encode()).hexdigest()
OTHER = 'subscription { quotes(symbols: ["HUBC"]) { symbol } }'


@pytest.fixture
async def server(live_engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[LiveServer]:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        orjson.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": DIGEST, "name": "Q", "type": "subscription", "body": QUOTES}],
            }
        ).decode()
    )
    settings = Settings(
        environment=Environment.TEST,
        ws_init_timeout=0.5,
        persisted_documents=(manifest,),
        persisted_policies="psx-mobile=trusted_only",
    )
    async with serve_live(live_engine, settings=settings) as live:
        yield live


def connect(
    live: LiveServer, client: str | None = None, protocol: str = "graphql-transport-ws"
) -> Any:
    headers = {"apollographql-client-name": client} if client else None
    return websockets.connect(live.url, subprotocols=[protocol], additional_headers=headers)  # type: ignore[list-item]


async def send(ws: ClientConnection, kind: str, op_id: str, payload: dict[str, Any]) -> None:
    await ws.send(orjson.dumps({"type": kind, "id": op_id, "payload": payload}).decode())


async def test_a_trusted_document_runs_by_its_document_id(server: LiveServer) -> None:
    price = server.last("OGDC")
    async with connect(server, "psx-mobile") as ws:
        await init(ws)
        await send(
            ws, "subscribe", "1", {"documentId": f"sha256:{DIGEST}", "variables": {"s": ["OGDC"]}}
        )
        await server.wait_subscribers(1)
        await server.trade("OGDC", str(price + 1))
        message = await receive(ws)
    assert message["type"] == "next"
    assert message["payload"]["data"]["quotes"] == {"symbol": "OGDC", "last": float(price + 1)}


async def test_a_trusted_only_client_is_refused_other_documents_and_stays_connected(
    server: LiveServer,
) -> None:
    price = server.last("OGDC")
    async with connect(server, "psx-mobile") as ws:
        await init(ws)
        await send(ws, "subscribe", "1", {"query": OTHER})
        refused = await receive(ws)
        assert refused == {
            "id": "1",
            "type": "error",
            "payload": [
                {
                    "message": "This client may only send trusted documents.",
                    "extensions": {"code": "TRUSTED_DOCUMENT_REQUIRED"},
                }
            ],
        }
        assert server.hub.subscribers == 0  # nothing was subscribed
        # The same connection can still run its trusted document (the same text is trusted).
        await send(ws, "subscribe", "2", {"query": QUOTES, "variables": {"s": ["OGDC"]}})
        await server.wait_subscribers(1)
        await server.trade("OGDC", str(price + 1))
        assert (await receive(ws))["id"] == "2"


async def test_apq_over_websocket_misses_then_registers_then_hits(server: LiveServer) -> None:
    query = 'subscription { quotes(symbols: ["PSO"]) { symbol } }'
    digest = hashlib.sha256(query.encode()).hexdigest()
    apq = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    price = server.last("PSO")
    async with connect(server) as ws:
        await init(ws)
        await send(ws, "subscribe", "1", {"extensions": apq})
        miss = await receive(ws)
        assert miss["type"] == "error"
        assert miss["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        await send(ws, "subscribe", "2", {"query": query, "extensions": apq})
        await server.wait_subscribers(1)
        await ws.send('{"type":"complete","id":"2"}')
    async with connect(server) as ws:
        await init(ws)
        await send(ws, "subscribe", "3", {"extensions": apq})
        await server.wait_subscribers(1)
        await server.trade("PSO", str(price + 1))
        hit = await receive(ws)
    assert (hit["id"], hit["type"]) == ("3", "next")
    assert hit["payload"]["data"]["quotes"] == {"symbol": "PSO"}


async def test_a_hash_that_does_not_match_its_query_is_refused(server: LiveServer) -> None:
    apq = {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}
    async with connect(server) as ws:
        await init(ws)
        await send(ws, "subscribe", "1", {"query": OTHER, "extensions": apq})
        refused = await receive(ws)
    assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_the_legacy_protocol_resolves_document_ids_too(server: LiveServer) -> None:
    price = server.last("OGDC")
    async with connect(server, "psx-mobile", "graphql-ws") as ws:
        await init(ws)
        await send(ws, "start", "1", {"query": OTHER})
        refused = await receive(ws)
        assert refused["type"] == "error"
        assert refused["payload"]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        await send(
            ws, "start", "2", {"documentId": f"sha256:{DIGEST}", "variables": {"s": ["OGDC"]}}
        )
        await server.wait_subscribers(1)
        await server.trade("OGDC", str(price + 1))
        message = await receive(ws)
    assert (message["id"], message["type"]) == ("2", "data")
