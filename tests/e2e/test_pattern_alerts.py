"""Pattern alerts end to end: created over HTTP, evaluated by the ingester when the session
closes on the daily candle its trades made, pushed over WebSocket to their owner only, and
stored once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import httpx
import orjson
from sqlalchemy import text

from db.repos import markets as market_repo
from domain.markets.prices import circuit_limits
from domain.markets.sessions import PKT
from tests.e2e.conftest import DEMO_END, LiveServer, receive, subscribe
from tests.e2e.test_alerts import gql, new_user

FRIDAY = date(2026, 11, 20)
CREATE = """
mutation C($input: CreateAlertInput!) {
  createAlert(input: $input) {
    alert { id symbol condition pattern threshold period active }
    errors { field code message }
  }
}
"""
FOLLOW = "subscription { alerts { alertId symbol condition value price message firedAt } }"


async def thursday_bar(live: LiveServer, symbol: str) -> tuple[Decimal, Decimal]:
    """The symbol's high and close on the last demo day (the day before the live session)."""
    async with live.services.database.primary.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT b.high, b.close FROM daily_bars b JOIN instruments i"
                    " ON i.id = b.instrument_id WHERE i.symbol = :s AND b.day = :d"
                ),
                {"s": symbol, "d": DEMO_END},
            )
        ).one()
    return row.high, row.close


async def no_message(*sockets: object) -> None:
    for ws in sockets:
        try:
            extra = await receive(ws, within=0.5)  # type: ignore[arg-type]
        except TimeoutError:
            continue
        raise AssertionError(f"unexpected message {extra}")


async def test_a_gap_up_at_the_close_fires_its_owners_pattern_alert_once(
    live: LiveServer,
) -> None:
    base = live.url.replace("ws://", "http://").removesuffix("/graphql")
    high, close = await thursday_bar(live, "HUBC")
    # Every trade of the session above Thursday's high: the daily candle's low gaps over it.
    prices = [(high + Decimal(step)).quantize(Decimal("0.01")) for step in ("0.10", "0.35", "0.2")]
    _, upper = circuit_limits(close)
    assert max(prices) <= upper, "the demo's Thursday leaves no room for a gap up"
    async with httpx.AsyncClient(base_url=base) as http:
        owner, other = await new_user(http), await new_user(http)
        mine_created = await gql(
            http,
            CREATE,
            {
                "input": {
                    "symbol": "hubc",
                    "condition": "PATTERN",
                    "pattern": "GAP_UP",
                    "repeat": "COOLDOWN",
                    "cooldownSeconds": 60,
                }
            },
            owner,
        )
        created = mine_created["data"]["createAlert"]
        assert created["errors"] == []
        assert {k: v for k, v in created["alert"].items() if k != "id"} == {
            "symbol": "HUBC",
            "condition": "PATTERN",
            "pattern": "GAP_UP",
            "threshold": None,
            "period": None,
            "active": True,
        }
        theirs_created = await gql(
            http,
            CREATE,
            {"input": {"symbol": "HUBC", "condition": "PATTERN", "pattern": "GAP_DOWN"}},
            other,
        )
        assert theirs_created["data"]["createAlert"]["errors"] == []
        async with live.connect() as mine, live.connect() as theirs:
            for ws, token in ((mine, owner), (theirs, other)):
                payload = {"authorization": f"Bearer {token}"}
                await ws.send(
                    orjson.dumps({"type": "connection_init", "payload": payload}).decode()
                )
                assert (await receive(ws))["type"] == "connection_ack"
                await subscribe(ws, "a", FOLLOW)
            await live.wait_subscribers(2)
            for price in prices:
                await live.trade("HUBC", str(price))
            assert live.ingester.stats.rejected.total() == 0
            await live.ingester.tick_clock()  # still in session: patterns wait for the close
            await no_message(mine, theirs)

            live.clock.at = datetime(2026, 11, 20, 16, 31, tzinfo=PKT)  # after the last session
            await live.ingester.tick_clock()

            event = (await receive(mine))["payload"]["data"]["alerts"]
            sessions = await market_repo.sessions_between(
                live.services.database.primary, first_day=FRIDAY, last_day=FRIDAY
            )
            closed_at = max(s.close_at for s in sessions)
            fired_at = datetime.fromisoformat(event.pop("firedAt"))
            assert event == {
                "alertId": created["alert"]["id"],
                "symbol": "HUBC",
                "condition": "PATTERN",
                "value": 100.0,
                "price": float(prices[-1]),
                "message": (
                    f"HUBC: bullish GAP_UP on the daily candle of 2026-11-20 (close {prices[-1]})"
                ),
            }
            assert fired_at == closed_at  # the candle's close, not the moment it was evaluated
            await no_message(mine, theirs)

            # The same close evaluated again (a restart after the close) adds nothing.
            await live.ingester.end_of_day(FRIDAY)
            await no_message(mine, theirs)

        mine_list = await gql(
            http, "{ alerts { active lastFiredAt } alertEvents { symbol condition } }", {}, owner
        )
        assert mine_list["data"]["alertEvents"] == [{"symbol": "HUBC", "condition": "PATTERN"}]
        assert mine_list["data"]["alerts"][0]["active"] is True  # COOLDOWN: rearms
        assert datetime.fromisoformat(mine_list["data"]["alerts"][0]["lastFiredAt"]) == closed_at
        theirs_list = await gql(
            http, "{ alerts { pattern active lastFiredAt } alertEvents { symbol } }", {}, other
        )
        assert theirs_list["data"] == {
            "alerts": [{"pattern": "GAP_DOWN", "active": True, "lastFiredAt": None}],
            "alertEvents": [],
        }


async def test_pattern_alert_input_errors_name_the_field(live: LiveServer) -> None:
    base = live.url.replace("ws://", "http://").removesuffix("/graphql")
    async with httpx.AsyncClient(base_url=base) as http:
        token = await new_user(http)
        cases = [
            (
                {"symbol": "HUBC", "condition": "PATTERN"},
                "input.pattern",
                "Pattern alerts need the pattern to watch for.",
            ),
            (
                {"symbol": "HUBC", "condition": "PATTERN", "pattern": "DOJI", "threshold": "1"},
                "input.threshold",
                "Pattern alerts take no threshold.",
            ),
            (
                {"symbol": "HUBC", "condition": "PRICE_ABOVE", "threshold": "1", "pattern": "DOJI"},
                "input.pattern",
                "Only PATTERN alerts take a pattern.",
            ),
        ]
        for given, field, message in cases:
            answer = await gql(http, CREATE, {"input": given}, token)
            assert answer["data"]["createAlert"] == {
                "alert": None,
                "errors": [{"field": field, "code": "INVALID", "message": message}],
            }
        listed = await gql(http, "{ alerts { id } }", {}, token)
        assert listed["data"]["alerts"] == []
