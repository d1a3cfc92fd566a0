"""API keys over WebSocket, on a real server: `apiKey` in `connection_init` or `X-API-Key` on
the upgrade request, both protocols; a revoked key refused at `connection_init`; the key's
persisted-query policy applied to its operations."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from api.settings import Environment, Settings
from tests.e2e.conftest import LiveServer, receive, serve_live

QUOTES = "subscription Q($s: [String!]!) { quotes(symbols: $s) { symbol last } }"
DIGEST = hashlib.sha256(QUOTES.encode()).hexdigest()
OTHER = 'subscription { quotes(symbols: ["HUBC"]) { symbol } }'
ME = "query Me { me { email role } }"
REGISTER = (
    "mutation R($input: RegisterInput!) "
    "{ register(input: $input) { tokens { accessToken } errors { code } } }"
)
CREATE = (
    "mutation C($i: CreateApiKeyInput!) "
    "{ createApiKey(input: $i) { apiKey { id } secret errors { code } } }"
)
REVOKE = "mutation R($id: UUID!) { revokeApiKey(id: $id) { errors { code } } }"
ALERT = "mutation A($input: CreateAlertInput!) { createAlert(input: $input) { errors { code } } }"
FOLLOW = "subscription { alerts { symbol condition price } }"


@pytest.fixture
async def server(live_engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A server trusting QUOTES; any other document runs for clients without a policy."""
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
        environment=Environment.TEST, ws_init_timeout=0.5, persisted_documents=(manifest,)
    )
    async with serve_live(live_engine, settings=settings) as live:
        yield live


class Owner:
    """A registered user of the live server, with their token."""

    def __init__(self, http: httpx.AsyncClient, email: str, token: str) -> None:
        self.http = http
        self.email = email
        self.token = token

    async def call(self, query: str, variables: dict[str, Any]) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.token}"},
        )
        return response.json()["data"]

    async def key(self, **extra: Any) -> tuple[str, str]:
        created = (await self.call(CREATE, {"i": {"name": "ws", **extra}}))["createApiKey"]
        assert created["errors"] == []
        return created["apiKey"]["id"], created["secret"]


@pytest.fixture
async def owner(server: LiveServer) -> AsyncIterator[Owner]:
    base = server.url.replace("ws://", "http://").removesuffix("/graphql")
    email = f"keys.{uuid.uuid4().hex[:8]}@example.pk"
    variables = {"input": {"email": email, "password": "a long passphrase", "displayName": "K"}}
    async with httpx.AsyncClient(base_url=base) as http:
        data = (
            await http.post("/graphql", json={"query": REGISTER, "variables": variables})
        ).json()
        yield Owner(http, email, data["data"]["register"]["tokens"]["accessToken"])


def connect(live: LiveServer, protocol: str, key: str | None = None) -> Any:
    headers = {"x-api-key": key} if key else None
    return websockets.connect(live.url, subprotocols=[protocol], additional_headers=headers)  # type: ignore[list-item]


async def init(ws: ClientConnection, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    await ws.send(orjson.dumps({"type": "connection_init", "payload": payload or {}}).decode())
    return await receive(ws)


async def start(ws: ClientConnection, protocol: str, op_id: str, payload: dict[str, Any]) -> None:
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    await ws.send(orjson.dumps({"type": kind, "id": op_id, "payload": payload}).decode())


async def close_code(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
@pytest.mark.parametrize("where", ["connection_init", "header"])
async def test_a_key_authenticates_a_websocket_as_its_owner(
    server: LiveServer, owner: Owner, protocol: str, where: str
) -> None:
    # The owner's alert reaches the connection: only its owner's connections hear of it.
    price = server.last("OGDC")
    level = price + Decimal("0.05")
    alert = {"symbol": "OGDC", "condition": "PRICE_ABOVE", "threshold": str(level)}
    assert (await owner.call(ALERT, {"input": alert}))["createAlert"]["errors"] == []
    _, secret = await owner.key()
    header = secret if where == "header" else None
    payload = {"apiKey": secret} if where == "connection_init" else None
    async with connect(server, protocol, header) as ws:
        assert (await init(ws, payload))["type"] == "connection_ack"
        await start(ws, protocol, "1", {"query": FOLLOW})
        await server.wait_subscribers(1)
        await server.trade("OGDC", str(level + Decimal("0.01")))
        message = await receive(ws)
    assert message["type"] in {"next", "data"}
    assert message["payload"]["data"]["alerts"]["symbol"] == "OGDC"
    await server.trade("OGDC", str(price))  # back where it was for the next test


async def test_a_key_runs_queries_as_its_owner_over_graphql_transport_ws(
    server: LiveServer, owner: Owner
) -> None:
    _, secret = await owner.key()
    async with connect(server, "graphql-transport-ws") as ws:
        assert (await init(ws, {"apiKey": secret}))["type"] == "connection_ack"
        await start(ws, "graphql-transport-ws", "1", {"query": ME})
        message = await receive(ws)
    assert message["type"] == "next"
    assert message["payload"]["data"] == {"me": {"email": owner.email, "role": "USER"}}


async def test_a_revoked_key_is_refused_at_connection_init_by_both_protocols(
    server: LiveServer, owner: Owner
) -> None:
    key_id, secret = await owner.key()
    await owner.call(REVOKE, {"id": key_id})
    async with connect(server, "graphql-transport-ws") as ws:
        await init_only(ws, {"apiKey": secret})
        assert await close_code(ws) == 4403
    async with connect(server, "graphql-transport-ws", secret) as ws:
        await init_only(ws, None)
        assert await close_code(ws) == 4403
    async with connect(server, "graphql-ws") as ws:
        message = await init(ws, {"apiKey": secret})
        assert message == {
            "type": "connection_error",
            "payload": {"message": "Invalid API key: revoked."},
        }


async def init_only(ws: ClientConnection, payload: dict[str, Any] | None) -> None:
    await ws.send(orjson.dumps({"type": "connection_init", "payload": payload or {}}).decode())


async def test_a_key_and_a_token_on_one_websocket_are_refused(
    server: LiveServer, owner: Owner
) -> None:
    _, secret = await owner.key()
    async with connect(server, "graphql-ws", secret) as ws:
        message = await init(ws, {"authorization": f"Bearer {owner.token}"})
    assert message == {
        "type": "connection_error",
        "payload": {"message": "Send one credential: a token, `apiKey` or `X-API-Key`."},
    }


async def test_a_trusted_only_key_runs_trusted_documents_only_over_websocket(
    server: LiveServer, owner: Owner
) -> None:
    _, secret = await owner.key(persistedPolicy="TRUSTED_ONLY")
    price = server.last("OGDC")
    async with connect(server, "graphql-transport-ws") as ws:
        assert (await init(ws, {"apiKey": secret}))["type"] == "connection_ack"
        await start(ws, "graphql-transport-ws", "1", {"query": OTHER})
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
        trusted = {"documentId": f"sha256:{DIGEST}", "variables": {"s": ["OGDC"]}}
        await start(ws, "graphql-transport-ws", "2", trusted)
        await server.wait_subscribers(1)
        await server.trade("OGDC", str(price + 1))
        message = await receive(ws)
    assert (message["id"], message["type"]) == ("2", "next")
    assert message["payload"]["data"]["quotes"] == {"symbol": "OGDC", "last": float(price + 1)}
