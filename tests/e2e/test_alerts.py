"""Alerts end to end: created over HTTP, fired by trades in the ingest pipeline, pushed over
WebSocket to their owner only, and kept in the owner's history."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
import orjson

from tests.e2e.conftest import LiveServer, init, receive, subscribe

REGISTER = """
mutation R($input: RegisterInput!) { register(input: $input) { tokens { accessToken } errors { code } } }
"""
CREATE = """
mutation C($input: CreateAlertInput!) {
  createAlert(input: $input) { alert { id symbol condition threshold active } errors { field code message } }
}
"""
FOLLOW = "subscription { alerts { symbol condition price value message } }"


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )
    return response.json()


async def new_user(http: httpx.AsyncClient) -> str:
    body = {
        "query": REGISTER,
        "variables": {
            "input": {
                "email": f"alerts.{uuid.uuid4().hex[:8]}@example.pk",
                "password": "a long enough passphrase",
                "displayName": "Alert Tester",
            }
        },
    }
    data = (await http.post("/graphql", json=body)).json()
    token: str = data["data"]["register"]["tokens"]["accessToken"]
    return token


async def test_an_alert_fires_once_and_only_its_owner_hears_of_it(live: LiveServer) -> None:
    base = live.url.replace("ws://", "http://").removesuffix("/graphql")
    price = live.last("OGDC")
    level = price + Decimal("0.05")
    async with httpx.AsyncClient(base_url=base) as http:
        owner, other = await new_user(http), await new_user(http)
        created = await gql(
            http,
            CREATE,
            {"input": {"symbol": "ogdc", "condition": "PRICE_ABOVE", "threshold": str(level)}},
            owner,
        )
        assert created["data"]["createAlert"]["errors"] == []
        assert created["data"]["createAlert"]["alert"]["active"] is True
        async with live.connect() as mine, live.connect() as theirs:
            for ws, token in ((mine, owner), (theirs, other)):
                payload = {"authorization": f"Bearer {token}"}
                await ws.send(
                    orjson.dumps({"type": "connection_init", "payload": payload}).decode()
                )
                assert (await receive(ws))["type"] == "connection_ack"
                await subscribe(ws, "a", FOLLOW)
            await live.wait_subscribers(2)
            await live.trade("OGDC", str(price + Decimal("0.03")))
            await live.trade("OGDC", str(level + Decimal("0.01")))  # crosses: fires
            await live.trade("OGDC", str(price))
            await live.trade("OGDC", str(level + Decimal("0.02")))  # crosses again: ONCE, so no
            event = (await receive(mine))["payload"]["data"]["alerts"]
            assert event["symbol"] == "OGDC"
            assert event["condition"] == "PRICE_ABOVE"
            assert Decimal(str(event["price"])) == level + Decimal("0.01")
            for ws in (mine, theirs):
                try:
                    extra = await receive(ws, within=0.5)
                except TimeoutError:
                    continue
                raise AssertionError(f"unexpected message {extra}")
        mine_list = await gql(
            http, "{ alerts { active lastFiredAt } alertEvents { symbol } }", {}, owner
        )
        assert mine_list["data"]["alerts"][0]["active"] is False
        assert mine_list["data"]["alertEvents"] == [{"symbol": "OGDC"}]
        theirs_list = await gql(http, "{ alerts { id } alertEvents { symbol } }", {}, other)
        assert theirs_list["data"] == {"alerts": [], "alertEvents": []}


async def test_following_alerts_needs_a_signed_in_connection(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "a", FOLLOW)
        message = await receive(ws)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_alert_input_errors_name_the_field(live: LiveServer) -> None:
    base = live.url.replace("ws://", "http://").removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base) as http:
        token = await new_user(http)
        bad = await gql(
            http,
            CREATE,
            {"input": {"symbol": "NOPE", "condition": "PRICE_ABOVE", "threshold": "10"}},
            token,
        )
        assert bad["data"]["createAlert"]["errors"] == [
            {"field": "input.symbol", "code": "UNKNOWN_SYMBOL", "message": "Unknown symbol 'NOPE'."}
        ]
        anonymous = (
            await http.post(
                "/graphql",
                json={
                    "query": CREATE,
                    "variables": {
                        "input": {"symbol": "OGDC", "condition": "PRICE_ABOVE", "threshold": "1"}
                    },
                },
            )
        ).json()
        assert anonymous["data"] is None
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
