"""The WebSocket fast lane sends exactly the frames strawberry's own path sends.

Two kinds of server, over real TCP sockets:
- the application with its live market (quotes through the hub), where two subscribers of one
  selection receive each trade once through each path (one executes it, the other is sent the
  shared result), and their frames must be byte for byte the same;
- a small schema whose events the test controls (clean ones, ones whose field fails, a failing
  source, the end of the stream, unshared events, documents the lane does not key), run once
  with the fast lane and once without: the frames must be the same, and the lane must have
  sent what it should and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
import strawberry
import uvicorn
import websockets
from graphql import DirectiveLocation
from strawberry.asgi import GraphQL
from strawberry.directive import DirectiveValue
from strawberry.extensions import SchemaExtension
from websockets.asyncio.client import ClientConnection

from api.ratelimit import make_rate_limiter
from api.websockets import (
    LegacyWSHandler,
    SocketRelay,
    TextWebSocketAdapter,
    TransportWSHandler,
)
from schema import build_schema
from schema import schema as app_schema
from schema.execution import SharedEventExecutor, SharedStream, results_pass_through, shared
from tests.e2e.conftest import LiveServer, free_port, init, receive, subscribe

QUOTES = """
subscription Quotes($symbols: [String!]!) {
  quotes(symbols: $symbols) { symbol last volume trades change prevClose updatedAt }
}
"""


async def raw(ws: ClientConnection, within: float = 5.0) -> str:
    """The next frame's text, as sent (keep-alives skipped)."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), within)
        assert isinstance(frame, str)
        if orjson.loads(frame).get("type") not in {"ka", "ping"}:
            return frame


async def start(
    ws: ClientConnection, protocol: str, op_id: str, query: str, variables: Any
) -> None:
    """connection_init, then subscribe (or the legacy protocol's start)."""
    await ws.send('{"type":"connection_init"}')
    assert orjson.loads(await raw(ws))["type"] == "connection_ack"
    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    payload = {"query": query, "variables": variables}
    await ws.send(orjson.dumps({"type": kind, "id": op_id, "payload": payload}).decode())


# --- the application's own schema, live quotes ------------------------------------------------


def lane_sent() -> int:
    """Results the lane sent: relayed by the hub while a subscriber waited, or sent by its own
    task when it had not come back to wait yet."""
    return SharedStream.sent + SocketRelay.relayed


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_both_paths_send_the_same_bytes_for_each_trade(
    live: LiveServer, protocol: str
) -> None:
    price = live.last("OGDC")
    async with live.connect(protocol) as a, live.connect(protocol) as b:
        for ws in (a, b):
            await start(ws, protocol, "q", QUOTES, {"symbols": ["OGDC"]})
        await live.wait_subscribers(2)
        executions, sent = SharedEventExecutor.executions, lane_sent()
        frames: dict[str, list[str]] = {"a": [], "b": []}
        for step in range(1, 5):
            await live.trade("OGDC", str(price + step), 100)
            frames["a"].append(await raw(a))
            frames["b"].append(await raw(b))
    # Each trade was executed once. The first reached both subscribers the usual way (it sets
    # their streams up); each later one went to one subscriber the usual way (the one that
    # executed it) and to the other through the fast lane: relayed by the hub while that
    # subscriber waited, or sent by its own task when it had not come back to wait yet.
    assert SharedEventExecutor.executions - executions == 4
    assert lane_sent() - sent == 3
    assert frames["a"] == frames["b"]
    kind = "next" if protocol == "graphql-transport-ws" else "data"
    last = orjson.loads(frames["a"][-1])
    assert (last["id"], last["type"]) == ("q", kind)
    assert last["payload"]["data"]["quotes"]["last"] == float(price + 4)


async def test_unsubscribing_in_the_fast_lane_completes_and_frees_the_stream(
    live: LiveServer,
) -> None:
    price = live.last("HUBC")
    async with live.connect() as a, live.connect() as b:
        for ws in (a, b):
            await init(ws)
            await subscribe(ws, "q", QUOTES, {"symbols": ["HUBC"]})
        await live.wait_subscribers(2)
        for step in (1, 2):  # the second trade reaches one of them through the fast lane
            await live.trade("HUBC", str(price + step))
            await receive(a), await receive(b)
        sent = lane_sent()
        await live.trade("HUBC", str(price + 3))
        await receive(a), await receive(b)
        assert lane_sent() - sent == 1
        await a.send('{"type":"complete","id":"q"}')
        for _ in range(200):
            if live.hub.subscribers == 1:
                break
            await asyncio.sleep(0.01)
        assert live.hub.subscribers == 1
        await live.trade("HUBC", str(price + 4))
        assert (await receive(b))["payload"]["data"]["quotes"]["last"] == float(price + 4)
        with pytest.raises(TimeoutError):
            await receive(a, within=0.3)


async def test_many_subscribers_get_every_trade_in_order_with_the_same_bytes(
    live: LiveServer,
) -> None:
    price = live.last("OGDC")
    async with contextlib.AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(live.connect()) for _ in range(6)]
        for ws in sockets:
            await init(ws)
            await subscribe(ws, "q", QUOTES, {"symbols": ["OGDC"]})
        await live.wait_subscribers(6)
        await live.trade("OGDC", str(price + 1), 100)
        for ws in sockets:  # the first trade sets each stream up
            await raw(ws)
        sent, executions = lane_sent(), SharedEventExecutor.executions
        relayed = SocketRelay.relayed
        frames: list[list[str]] = [[] for _ in sockets]
        for step in range(2, 12):
            await live.trade("OGDC", str(price + step), 100)
            for i, ws in enumerate(sockets):
                frames[i].append(await raw(ws))
    # Each trade executed once, and sent to the five others without strawberry's path.
    assert SharedEventExecutor.executions - executions == 10
    assert lane_sent() - sent == 50
    assert SocketRelay.relayed - relayed > 0  # handed over by the hub, no task woken
    assert all(f == frames[0] for f in frames)
    trades = [orjson.loads(f)["payload"]["data"]["quotes"]["trades"] for f in frames[0]]
    assert trades == sorted(trades) and len(set(trades)) == 10


def test_the_application_schema_lets_clean_results_through() -> None:
    assert results_pass_through(app_schema)
    # Rate limited as in production: the cost extension adds nothing to streamed messages.
    limited = build_schema(production=True, budget=make_rate_limiter(None))
    assert results_pass_through(limited)


# --- a schema whose events the test controls --------------------------------------------------


@strawberry.type
class Tick:
    n: int
    bad: strawberry.Private[bool] = False

    @strawberry.field
    def value(self) -> int | None:
        if self.bad:
            raise ValueError(f"tick {self.n} is bad")
        return self.n * 10


END = object()
STOP = object()  # in a script: the first subscriber unsubscribes


@dataclass
class Feed:
    """One event source for every subscriber, as the hub is: each gets the same objects."""

    queues: list[asyncio.Queue[Any]] = field(default_factory=list)
    closed: int = 0

    def publish(self, item: Any) -> None:
        for queue in self.queues:
            queue.put_nowait(item)


@strawberry.type
class ToyQuery:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class ToySubscription:
    @strawberry.subscription
    async def ticks(self, info: strawberry.Info) -> AsyncGenerator[Tick, None]:
        feed: Feed = info.context["feed"]
        queue: asyncio.Queue[Any] = asyncio.Queue()
        feed.queues.append(queue)
        try:
            while (item := await queue.get()) is not END:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            feed.queues.remove(queue)
            feed.closed += 1


TOY = strawberry.Schema(
    query=ToyQuery, subscription=ToySubscription, execution_context_class=SharedEventExecutor
)


class ToyApp(GraphQL[Any, None]):
    """The toy schema behind the application's WebSocket handlers."""

    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, feed: Feed, schema: strawberry.Schema = TOY) -> None:
        super().__init__(schema)
        self.feed = feed

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"request": request, "response": response, "feed": self.feed}


@contextlib.asynccontextmanager
async def serve(app: ToyApp) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        ws_per_message_deflate=False,
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        await task


@contextlib.contextmanager
def fast_lane(on: bool) -> Iterator[None]:
    before = (TransportWSHandler.fast_lane, LegacyWSHandler.fast_lane)
    TransportWSHandler.fast_lane = LegacyWSHandler.fast_lane = on
    try:
        yield
    finally:
        TransportWSHandler.fast_lane, LegacyWSHandler.fast_lane = before


@dataclass
class Run:
    frames: list[list[str]]  # per subscriber, every frame it received
    sent: int  # frames the fast lane sent
    closed: int  # source streams that ran their `finally`


async def run(
    script: list[tuple[Any, int]],
    *,
    lane: bool,
    protocol: str = "graphql-transport-ws",
    query: str = "subscription { ticks { n value } }",
    queries: list[str] | None = None,
    schema: strawberry.Schema = TOY,
) -> Run:
    """Subscribe (two subscribers, or one per query), then publish each item of the script
    and read that many frames from each subscriber."""
    feed = Feed()
    queries = queries or [query, query]
    subscribers = len(queries)
    stop = "complete" if protocol == "graphql-transport-ws" else "stop"
    with fast_lane(lane):
        async with serve(ToyApp(feed, schema)) as url:
            conns = [
                await websockets.connect(url, subprotocols=[protocol])  # type: ignore[list-item]
                for _ in range(subscribers)
            ]
            try:
                for ws, document in zip(conns, queries, strict=True):
                    await start(ws, protocol, "t", document, {})
                for _ in range(500):
                    if len(feed.queues) == subscribers:
                        break
                    await asyncio.sleep(0.01)
                sent = SharedStream.sent
                frames: list[list[str]] = [[] for _ in conns]
                listening = list(range(subscribers))
                for item, count in script:
                    if item is STOP:  # the first subscriber unsubscribes
                        await conns[0].send(orjson.dumps({"type": stop, "id": "t"}).decode())
                        frames[0].extend([await raw(conns[0]) for _ in range(count)])
                        listening.remove(0)
                        for _ in range(500):
                            if feed.closed == 1:
                                break
                            await asyncio.sleep(0.01)
                        assert feed.closed == 1  # its source ran its `finally` at once
                        continue
                    feed.publish(item)
                    for i in listening:
                        frames[i].extend([await raw(conns[i]) for _ in range(count)])
                sent = SharedStream.sent - sent
            finally:
                for ws in conns:
                    await ws.close()
    return Run(frames, sent, feed.closed)


def ticks(*numbers: int, bad: frozenset[int] = frozenset()) -> list[tuple[Any, int]]:
    """Shared events, one frame each."""
    return [(shared(Tick(n=n, bad=n in bad)), 1) for n in numbers]


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_clean_results_field_errors_a_failing_source_match_the_normal_path(
    protocol: str,
) -> None:
    failure = RuntimeError("the feed broke")
    script = [*ticks(1, 2, 3, 4, 5, bad=frozenset({3})), (failure, 2)]  # the error, then complete
    fast = await run(script, lane=True, protocol=protocol)
    normal = await run(script, lane=False, protocol=protocol)
    assert fast.frames == normal.frames
    assert fast.frames[0] == fast.frames[1]
    # Tick 1 set the streams up; 2 and 5 reached the second subscriber through the fast lane;
    # 3 failed a field (errors go the usual way) and so 4 went the usual way too.
    assert (fast.sent, normal.sent) == (2, 0)
    kinds = [orjson.loads(f)["type"] for f in fast.frames[0]]
    data = "next" if protocol == "graphql-transport-ws" else "data"
    assert kinds == [data] * 6 + ["complete"]
    messages = [orjson.loads(f)["payload"] for f in fast.frames[0][:-1]]
    assert messages[2]["errors"][0]["message"] == "tick 3 is bad"
    assert messages[2]["data"] == {"ticks": {"n": 3, "value": None}}
    assert messages[4] == {"data": {"ticks": {"n": 5, "value": 50}}}
    assert messages[5]["errors"][0]["message"] == "the feed broke"
    assert (fast.closed, normal.closed) == (2, 2)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_the_end_of_a_stream_in_the_fast_lane_completes_it(protocol: str) -> None:
    script = [*ticks(1, 2, 3), (END, 1)]
    fast = await run(script, lane=True, protocol=protocol)
    normal = await run(script, lane=False, protocol=protocol)
    assert fast.frames == normal.frames
    assert orjson.loads(fast.frames[1][-1]) == {"id": "t", "type": "complete"}
    assert (fast.sent, normal.sent) == (2, 0)
    assert fast.closed == 2


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_unsubscribing_in_the_fast_lane_matches_the_normal_path(protocol: str) -> None:
    # The legacy protocol answers `stop` with `complete`; graphql-transport-ws sends nothing.
    answer = 1 if protocol == "graphql-ws" else 0
    script = [*ticks(1, 2, 3), (STOP, answer), *ticks(4, 5)]
    fast = await run(script, lane=True, protocol=protocol)
    normal = await run(script, lane=False, protocol=protocol)
    assert fast.frames == normal.frames
    assert len(fast.frames[0]) == 3 + answer
    assert [orjson.loads(f)["payload"]["data"]["ticks"]["n"] for f in fast.frames[1]] == [
        1, 2, 3, 4, 5,
    ]  # fmt: skip
    # 2 and 3 reached the second subscriber through the fast lane; alone, it executes 4 and 5.
    assert (fast.sent, normal.sent) == (2, 0)
    assert fast.closed == normal.closed == 2


async def test_unshared_events_stay_on_the_normal_path() -> None:
    # The same object reaches both subscribers but is not marked shared: each executes it.
    script = [(Tick(n=n), 1) for n in range(1, 5)]
    fast = await run(script, lane=True)
    normal = await run(script, lane=False)
    assert fast.frames == normal.frames
    assert fast.sent == 0


async def test_a_root_fragment_stays_on_the_normal_path() -> None:
    query = "subscription { ...T } fragment T on ToySubscription { ticks { n value } }"
    script = ticks(1, 2, 3)
    fast = await run(script, lane=True, query=query)
    normal = await run(script, lane=False, query=query)
    assert fast.frames == normal.frames
    assert orjson.loads(fast.frames[0][-1])["payload"] == {"data": {"ticks": {"n": 3, "value": 30}}}
    assert fast.sent == 0


@strawberry.directive(locations=[DirectiveLocation.FIELD], description="Shift a tick's number.")
def shift(value: DirectiveValue[Tick], by: int) -> Tick:
    return Tick(n=value.n + by, bad=value.bad)


SHIFTING = strawberry.Schema(
    query=ToyQuery,
    subscription=ToySubscription,
    execution_context_class=SharedEventExecutor,
    directives=[shift],
)


async def test_a_directive_on_the_root_field_is_not_shared_across_its_arguments() -> None:
    # A custom directive rewrites the event itself: subscribers asking for different shifts
    # must not share an execution, and the fast lane leaves root directives alone.
    queries = [f"subscription {{ ticks @shift(by: {by}) {{ n }} }}" for by in (1, 2)]
    script = ticks(1, 2, 3)
    fast = await run(script, lane=True, queries=queries, schema=SHIFTING)
    normal = await run(script, lane=False, queries=queries, schema=SHIFTING)
    assert fast.frames == normal.frames
    numbers = [[orjson.loads(f)["payload"]["data"]["ticks"]["n"] for f in m] for m in fast.frames]
    assert numbers == [[2, 3, 4], [3, 4, 5]]
    assert fast.sent == 0


async def test_fragments_and_directives_inside_the_selection_are_keyed() -> None:
    query = "subscription { ticks { ...V n @skip(if: false) } } fragment V on Tick { value }"
    script = ticks(1, 2, 3)
    fast = await run(script, lane=True, query=query)
    normal = await run(script, lane=False, query=query)
    assert fast.frames == normal.frames
    assert fast.sent == 2


class Stamp(SchemaExtension):
    """Adds something to every result: the lane must leave such schemas alone."""

    def get_results(self) -> dict[str, Any]:
        return {"stamp": 1}


async def test_a_schema_whose_extensions_add_results_gets_no_fast_lane() -> None:
    stamped = strawberry.Schema(
        query=ToyQuery,
        subscription=ToySubscription,
        execution_context_class=SharedEventExecutor,
        extensions=[Stamp],
    )
    assert not results_pass_through(stamped)
    assert results_pass_through(TOY)
    feed = Feed()
    async with serve(ToyApp(feed, stamped)) as url:
        conns = [
            await websockets.connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
            for _ in range(2)
        ]
        try:
            for ws in conns:
                await start(ws, "graphql-transport-ws", "t", "subscription { ticks { n } }", {})
            for _ in range(500):
                if len(feed.queues) == 2:
                    break
                await asyncio.sleep(0.01)
            sent = SharedStream.sent
            got = []
            for item, _ in ticks(1, 2):
                feed.publish(item)
                got.extend([orjson.loads(await raw(ws)) for ws in conns])
            assert SharedStream.sent == sent
        finally:
            for ws in conns:
                await ws.close()
    assert all(m["payload"]["extensions"] == {"stamp": 1} for m in got)
