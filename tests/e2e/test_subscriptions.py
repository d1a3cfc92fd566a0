"""GraphQL subscriptions over a real WebSocket against a real server (uvicorn on TCP)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed

from api.settings import Environment, Settings
from domain.accounts.roles import Role
from domain.accounts.tokens import TokenType, issue
from domain.markets.sessions import PKT
from domain.markets.ticks import Tick, TickRejection
from schema.execution import SharedEventExecutor
from tests.e2e.conftest import LiveServer, init, receive, serve_live, subscribe

QUOTES = """
subscription Quotes($symbols: [String!]!) {
  quotes(symbols: $symbols) { symbol last volume trades change prevClose updatedAt }
}
"""


def up(price: Decimal, ticks: int) -> str:
    return str(price + Decimal("0.01") * ticks)


async def test_quotes_arrive_for_each_trade_in_order(live: LiveServer) -> None:
    ogdc, hubc = live.last("OGDC"), live.last("HUBC")
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "q", QUOTES, {"symbols": ["ogdc", "HUBC"]})
        await live.wait_subscribers(1)
        await live.trade("OGDC", up(ogdc, 1), 500)
        await live.trade("HUBC", up(hubc, -2), 100)
        await live.trade("OGDC", up(ogdc, 3), 200)
        got = [await receive(ws) for _ in range(3)]
    assert [m["type"] for m in got] == ["next"] * 3
    quotes = [m["payload"]["data"]["quotes"] for m in got]
    assert [(q["symbol"], q["last"]) for q in quotes] == [
        ("OGDC", float(up(ogdc, 1))),
        ("HUBC", float(up(hubc, -2))),
        ("OGDC", float(up(ogdc, 3))),
    ]
    # the first trade of Friday opens a new session: LDCP is Thursday's close
    assert quotes[2]["prevClose"] == float(ogdc)
    assert (quotes[2]["volume"], quotes[2]["trades"]) == (700, 2)
    assert quotes[2]["change"] == pytest.approx(0.03)


async def test_unknown_symbols_are_a_typed_error_naming_them(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "q", QUOTES, {"symbols": ["OGDC", "NOPE", "ZZZ"]})
        message = await receive(ws)
        assert message["type"] in {"next", "error"}
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors == [
            {
                "message": "Unknown symbol(s): NOPE, ZZZ.",
                "extensions": {"code": "UNKNOWN_SYMBOL", "field": "symbols"},
            }
        ]
        assert (await receive(ws))["type"] == "complete" or message["type"] == "error"
    assert live.hub.subscribers == 0


async def test_legacy_graphql_ws_protocol_streams_data(live: LiveServer) -> None:
    price = live.last("LUCK")
    async with live.connect("graphql-ws") as ws:
        await ws.send(orjson.dumps({"type": "connection_init"}).decode())
        assert (await receive(ws))["type"] == "connection_ack"
        payload = {"query": QUOTES, "variables": {"symbols": ["LUCK"]}}
        await ws.send(orjson.dumps({"type": "start", "id": "1", "payload": payload}).decode())
        await live.wait_subscribers(1)
        await live.trade("LUCK", up(price, 5))
        message = await receive(ws)
    assert message["type"] == "data"
    assert message["payload"]["data"]["quotes"]["last"] == float(up(price, 5))


async def closed_with(ws: object, within: float = 5.0) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), within)  # type: ignore[attr-defined]
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def drained_until_closed(ws: Any) -> int:
    """Read what is buffered until the close frame; its code."""
    while True:
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed as closed:
            frame = closed.rcvd
            break
    assert frame is not None
    return frame.code


async def test_subscribe_before_connection_init_closes_4401(live: LiveServer) -> None:
    async with live.connect() as ws:
        await subscribe(ws, "q", QUOTES, {"symbols": ["OGDC"]})
        assert await closed_with(ws) == 4401


async def test_no_connection_init_in_time_closes_4408(live: LiveServer) -> None:
    async with live.connect() as ws:
        assert await closed_with(ws, within=3) == 4408


async def test_a_second_connection_init_closes_4429(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await ws.send(orjson.dumps({"type": "connection_init"}).decode())
        assert await closed_with(ws) == 4429


async def test_a_duplicate_subscription_id_closes_4409(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "same", QUOTES, {"symbols": ["OGDC"]})
        await subscribe(ws, "same", QUOTES, {"symbols": ["HUBC"]})
        assert await closed_with(ws) == 4409


async def test_an_invalid_message_closes_4400(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await ws.send('{"type": "subscribe", "id": 7}')
        assert await closed_with(ws) == 4400


async def test_subscriptions_per_connection_are_capped(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        for i in range(3):
            await subscribe(ws, f"s{i}", QUOTES, {"symbols": ["OGDC"]})
        await live.wait_subscribers(3)
        await subscribe(ws, "s3", QUOTES, {"symbols": ["OGDC"]})
        message = await receive(ws)
    assert message["type"] == "error"
    assert message["id"] == "s3"
    assert message["payload"][0]["message"] == "Subscription limit reached"


async def test_symbols_per_subscription_are_capped(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "q", QUOTES, {"symbols": [f"S{i}" for i in range(21)]})
        message = await receive(ws)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"] == {"code": "TOO_LARGE", "field": "symbols"}


async def test_identical_subscribers_share_one_execution_per_trade(live: LiveServer) -> None:
    price = live.last("MARI")
    sockets = [live.connect() for _ in range(3)]
    conns = [await s.__aenter__() for s in sockets]
    try:
        for i, ws in enumerate(conns):
            await init(ws)
            # different symbol lists, same selection: the MARI executions are shared
            await subscribe(ws, "q", QUOTES, {"symbols": ["MARI"] + (["OGDC"] if i else [])})
        await live.wait_subscribers(3)
        before = SharedEventExecutor.executions
        await live.trade("MARI", up(price, 1))
        await live.trade("MARI", up(price, 2))
        got = [[await receive(ws) for _ in range(2)] for ws in conns]
        assert SharedEventExecutor.executions - before == 2
    finally:
        for s in sockets:
            await s.__aexit__(None, None, None)
    payloads = [[m["payload"] for m in mine] for mine in got]
    assert payloads[0] == payloads[1] == payloads[2]
    assert payloads[0][1]["data"]["quotes"]["last"] == float(up(price, 2))


async def test_index_levels_follow_member_trades(live: LiveServer) -> None:
    price = live.last("OGDC")
    async with live.connect() as ws:
        await init(ws)
        await subscribe(
            ws, "i", 'subscription { indices(codes: ["kse100"]) { code level change } }'
        )
        await live.wait_subscribers(1)
        await live.trade("OGDC", up(price, 50))
        first = (await receive(ws))["payload"]["data"]["indices"]
        await live.trade("OGDC", up(price, -50))
        second = (await receive(ws))["payload"]["data"]["indices"]
    assert first["code"] == second["code"] == "KSE100"
    assert first["level"] > second["level"]
    assert first["change"] > second["change"]


async def test_unknown_index_is_a_typed_error(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "i", 'subscription { indices(codes: ["KSE999"]) { code } }')
        message = await receive(ws)
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"] == {"code": "UNKNOWN_INDEX", "field": "codes"}


async def test_market_status_is_sent_at_once_then_on_each_change(live: LiveServer) -> None:
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "m", "subscription { marketStatus { state } }")
        first = await receive(ws)
        await live.wait_subscribers(1)
        live.clock.at = live.clock.at.replace(hour=12, minute=5)  # Friday's break
        await live.ingester.tick_clock()
        second = await receive(ws)
    assert first["payload"]["data"]["marketStatus"]["state"] == "OPEN"
    assert second["payload"]["data"]["marketStatus"]["state"] == "BREAK"


async def test_candles_build_the_bucket_from_stored_and_live_minutes(live: LiveServer) -> None:
    price = live.last("PPL")
    live.clock.at = live.clock.at.replace(hour=10, minute=2, second=0)  # bucket 10:02-10:07
    await live.trade("PPL", up(price, 4), 100)
    await live.ingester.flush(include_forming=True)  # the 10:02 minute is now stored
    query = 'subscription { candles(symbol: "PPL", interval: M5) { closed candle { ts open high low close volume trades } } }'
    async with live.connect() as ws:
        await init(ws)
        await subscribe(ws, "c", query)
        await live.wait_subscribers(1)
        await live.trade("PPL", up(price, 9), 50, after=60)  # 10:03
        forming = (await receive(ws))["payload"]["data"]["candles"]
        live.clock.at = live.clock.at.replace(minute=7, second=0)
        await live.trade("PPL", up(price, 2), 10, after=1)  # 10:07: a new bucket
        closed = (await receive(ws))["payload"]["data"]["candles"]
        after = (await receive(ws))["payload"]["data"]["candles"]
    assert forming["closed"] is False
    assert forming["candle"]["ts"].startswith("2026-11-20T05:02:00")  # 10:02 PKT
    assert forming["candle"]["open"] == float(up(price, 4))
    assert forming["candle"]["high"] == float(up(price, 9))
    assert (forming["candle"]["volume"], forming["candle"]["trades"]) == (150, 2)
    assert closed["closed"] is True and closed["candle"] == forming["candle"]
    assert after["closed"] is False
    assert after["candle"]["ts"].startswith("2026-11-20T05:07:00")
    assert after["candle"]["volume"] == 10


async def test_ingest_rejects_bad_ticks_and_stores_none_of_them(live: LiveServer) -> None:
    price = live.last("HUBC")
    at = live.clock.at + timedelta(seconds=1)
    rejected_before = sum(live.ingester.stats.rejected.values())
    stored = await live.ingester.ingest(
        [
            Tick("NOPE", Decimal("10.00"), 100, at, 1),
            Tick("HUBC", price + Decimal("0.005"), 100, at, 1),
            Tick("HUBC", price * 2, 100, at, 2),
            Tick("HUBC", price, 100, at.replace(hour=20), 3),
            Tick("HUBC", price, 0, at, 4),
        ]
    )
    assert stored == []
    rejected = live.ingester.stats.rejected
    assert sum(rejected.values()) - rejected_before == 5
    assert {
        TickRejection.UNKNOWN_SYMBOL,
        TickRejection.OFF_TICK,
        TickRejection.OUTSIDE_LIMITS,
        TickRejection.OUTSIDE_SESSION,
        TickRejection.BAD_VOLUME,
    } <= set(rejected)
    assert (await live.services.quotes.get_many(["HUBC"]))[0].last == price  # type: ignore[union-attr]


async def test_bars_are_flushed_once_even_when_written_again(live: LiveServer) -> None:
    symbol = "FFC"
    price = live.last(symbol)
    live.clock.at = live.clock.at.replace(hour=11, minute=0, second=5)
    await live.trade(symbol, up(price, 1), 100, after=0)
    await live.trade(symbol, up(price, 2), 100, after=60)  # closes the 11:00 bar
    live.clock.at += timedelta(minutes=1)
    await live.ingester.flush()
    await live.ingester.flush(include_forming=True)
    await live.ingester.flush(include_forming=True)  # a restart's rewrite replaces, never adds
    engine = live.services.database.primary
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT b.ts, b.close, b.volume FROM minute_bars b JOIN instruments i"
                    " ON i.id = b.instrument_id WHERE i.symbol = :s AND b.ts >= :t ORDER BY b.ts"
                ),
                {"s": symbol, "t": live.clock.at.replace(minute=0, second=0)},
            )
        ).all()
        daily = await conn.scalar(
            text(
                "SELECT count(*) FROM daily_bars b JOIN instruments i ON i.id = b.instrument_id"
                " WHERE i.symbol = :s AND b.day = :d"
            ),
            {"s": symbol, "d": live.clock.at.astimezone(PKT).date()},
        )
    assert [(r.ts.astimezone(PKT).strftime("%H:%M"), r.close, r.volume) for r in rows] == [
        ("11:00", Decimal(up(price, 1)), 100),
        ("11:01", Decimal(up(price, 2)), 100),
    ]
    assert daily == 1
    async with engine.connect() as conn:
        hour = (
            await conn.execute(
                text(
                    "SELECT b.ts, b.close, b.volume FROM hourly_bars b JOIN instruments i"
                    " ON i.id = b.instrument_id WHERE i.symbol = :s AND b.ts >= :t"
                ),
                {"s": symbol, "t": live.clock.at.replace(hour=10, minute=0)},
            )
        ).one()
    # Friday's first session opens at 09:17: the 10:17 hour holds both minutes, rolled up.
    assert (hour.ts.astimezone(PKT).strftime("%H:%M"), hour.close, hour.volume) == (
        "10:17",
        Decimal(up(price, 2)),
        200,
    )


async def test_shutdown_fails_readiness_first_then_closes_sockets_1012(
    live_engine: AsyncEngine,
) -> None:
    async with serve_live(live_engine, drain_seconds=2.0) as server:
        base = server.url.replace("ws://", "http://").removesuffix("/graphql")
        async with server.connect() as ws, httpx.AsyncClient(base_url=base) as http:
            await init(ws)
            await subscribe(ws, "q", QUOTES, {"symbols": ["OGDC"]})
            await server.wait_subscribers(1)
            assert (await http.get("/readyz")).status_code == 200
            server.server.should_exit = True
            statuses = []
            for _ in range(8):
                await asyncio.sleep(0.05)
                statuses.append((await http.get("/readyz")).status_code)
            assert statuses[-1] == 503  # the load balancer sees it while sockets stay open
            assert ws.state.name == "OPEN"
            assert await closed_with(ws, within=5) == 1012  # clients retry elsewhere


async def test_a_client_that_stops_reading_is_conflated_then_disconnected_1013(
    live_engine: AsyncEngine,
) -> None:
    # Large messages (about 3 kB), so the slow client's socket buffers fill quickly.
    details = " ".join(f"i{n}: instrument {{ name sector {{ code name }} }}" for n in range(12))
    wide = QUOTES.replace("updatedAt }", f"updatedAt {details} }}")
    async with serve_live(live_engine) as server:  # stuck_after is 2 s here
        price = server.last("OGDC")
        tiny = socket.socket()
        tiny.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        tiny.connect(("127.0.0.1", int(server.url.split(":")[2].split("/")[0])))
        fast_got = 0

        async def keep_up(ws: Any) -> None:
            nonlocal fast_got
            while True:
                await receive(ws, within=30)
                fast_got += 1

        async with (
            websockets.connect(
                server.url, sock=tiny, subprotocols=["graphql-transport-ws"]
            ) as slow,  # type: ignore[list-item]
            server.connect() as fast,
        ):
            for ws in (slow, fast):
                await init(ws)
                await subscribe(ws, "q", wide, {"symbols": ["OGDC"]})
            await server.wait_subscribers(2)
            reader = asyncio.create_task(keep_up(fast))
            slow.transport.pause_reading()  # the client stops reading: its TCP window fills
            sent = 0
            for batch in range(1000):
                ticks = []
                for i in range(4):  # bursts within the mailbox depth
                    server.seq += 1
                    server.clock.at += timedelta(milliseconds=1)
                    step = Decimal("0.01") * ((batch + i) % 5)
                    ticks.append(Tick("OGDC", price + step, 100, server.clock.at, server.seq))
                await server.ingester.ingest(ticks)
                sent += len(ticks)
                for _ in range(2000):  # a client that keeps up: it has read what was sent
                    if fast_got == sent:
                        break
                    await asyncio.sleep(0.001)
            reader.cancel()
            assert fast_got == sent  # the client that keeps up misses nothing
            assert server.hub.stats.conflated > 0  # the stuck one got the latest, not a backlog
            await asyncio.sleep(3)  # past stuck_after
            assert server.hub.stats.stuck_disconnects >= 1
            slow.transport.resume_reading()
            assert await drained_until_closed(slow) == 1013


async def test_a_bad_token_in_connection_init_closes_4403(live: LiveServer) -> None:
    async with live.connect() as ws:
        payload = {"authorization": "Bearer not-a-token"}
        await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
        assert await closed_with(ws) == 4403


async def test_a_valid_token_in_connection_init_is_accepted(live: LiveServer) -> None:
    token, _ = issue(
        live.services.security.keys,
        subject=str(uuid.uuid4()),
        role=Role.PREMIUM,
        typ=TokenType.ACCESS,
        now=datetime.now(UTC),
        ttl=timedelta(minutes=15),
    )
    async with live.connect() as ws:
        await ws.send(
            orjson.dumps({"type": "connection_init", "payload": {"token": token}}).decode()
        )
        assert (await receive(ws))["type"] == "connection_ack"


async def test_live_subscriptions_per_connection_follow_the_plan(live_engine: AsyncEngine) -> None:
    settings = Settings(environment=Environment.TEST, ws_max_subscriptions=50)
    async with serve_live(live_engine, settings=settings) as server:
        async with server.connect() as ws:
            await init(ws)
            for i in range(5):  # anonymous clients get the USER plan: 5 streams
                await subscribe(ws, f"s{i}", QUOTES, {"symbols": ["OGDC"]})
            await server.wait_subscribers(5)
            await subscribe(ws, "s5", QUOTES, {"symbols": ["OGDC"]})
            message = await receive(ws)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["message"] == "Your plan allows 5 live subscriptions per connection."
        assert errors[0]["extensions"]["code"] == "TOO_LARGE"
