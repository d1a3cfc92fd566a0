"""The fan-out hub: conflation, stuck subscribers, and surviving a Redis restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from subscriptions.backends import MemoryBackend, ResilientRedisBackend
from subscriptions.hub import Hub, SharedEvent
from tests.fixtures.redis_server import RedisProcess


async def next_event(box: AsyncIterator[SharedEvent], within: float = 5.0) -> SharedEvent:
    return await asyncio.wait_for(anext(box), within)


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    h = Hub(MemoryBackend(), stuck_after=0.4, depth=4)
    await h.start()
    yield h
    await h.stop()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_each_subscriber_gets_each_message_once_and_in_order(hub: Hub) -> None:
    async with (
        hub.subscribe(["quotes:OGDC"]) as a,
        hub.subscribe(["quotes:OGDC", "quotes:HUBC"]) as b,
    ):
        for i in range(3):
            await hub.publish("quotes:OGDC", orjson.dumps({"n": i}))
            await settle()
            assert (await next_event(aiter(a))).data == {"n": i}
            assert (await next_event(aiter(b))).data == {"n": i}
        await hub.publish("quotes:HUBC", orjson.dumps({"n": 9}))
        assert (await next_event(aiter(b))).data == {"n": 9}
    assert hub.subscribers == 0


async def test_every_subscriber_shares_one_decoded_event(hub: Hub) -> None:
    async with hub.subscribe(["quotes:OGDC"]) as a, hub.subscribe(["quotes:OGDC"]) as b:
        await hub.publish("quotes:OGDC", b'{"n":1}')
        first, second = await next_event(aiter(a)), await next_event(aiter(b))
        assert first is second
        built = 0

        async def build() -> int:
            nonlocal built
            built += 1
            return 42

        assert await asyncio.gather(first.view("x", build), second.view("x", build)) == [42, 42]
        assert built == 1


async def test_a_slow_subscriber_gets_the_latest_per_channel_not_a_backlog(hub: Hub) -> None:
    async with (
        hub.subscribe(["quotes:OGDC", "quotes:HUBC"]) as slow,
        hub.subscribe(["quotes:OGDC"]) as fast,
    ):
        before = hub.stats.conflated
        for i in range(100):
            await hub.publish("quotes:OGDC", orjson.dumps({"n": i}))
            await settle()
            assert (await next_event(aiter(fast))).data == {"n": i}  # never held back
        await hub.publish("quotes:HUBC", b'{"n":"h"}')
        await settle()
        got = [(await next_event(aiter(slow))).data for _ in range(5)]
        assert got == [{"n": 96}, {"n": 97}, {"n": 98}, {"n": 99}, {"n": "h"}]
        assert hub.stats.conflated - before == 96


async def test_a_burst_within_the_depth_loses_nothing(hub: Hub) -> None:
    async with hub.subscribe(["quotes:OGDC", "quotes:HUBC"]) as box:
        for i in range(4):
            await hub.publish("quotes:OGDC", orjson.dumps({"n": i}))
            await hub.publish("quotes:HUBC", orjson.dumps({"h": i}))
        await settle()
        got = [(await next_event(aiter(box))).data for _ in range(8)]
    assert got == [m for i in range(4) for m in ({"n": i}, {"h": i})]


async def test_a_stuck_subscriber_is_told_to_go_and_its_stream_ends(hub: Hub) -> None:
    told = asyncio.Event()

    async def on_stuck() -> None:
        told.set()

    async with hub.subscribe(["quotes:OGDC"]) as box:
        box.on_stuck = on_stuck
        await hub.publish("quotes:OGDC", b"{}")
        await asyncio.wait_for(told.wait(), 5)
        # the pending event is still delivered, then the stream ends
        assert [e.data async for e in box] == [{}]
    assert hub.stats.stuck_disconnects >= 1


async def test_subscribers_resume_after_redis_restarts_with_the_latest_state(
    redis_process: RedisProcess,
) -> None:
    await redis_process.wait_ready()
    url = f"redis://127.0.0.1:{redis_process.port}/0"
    latest = {"quotes:OGDC": b'{"n":"latest"}'}

    async def resync(channels: object) -> list[tuple[str, bytes]]:
        return [(c, latest[c]) for c in channels if c in latest]  # type: ignore[attr-defined]

    backend = ResilientRedisBackend(url, max_backoff=0.3)
    hub = Hub(backend, resync=resync)
    await hub.start()
    try:
        async with hub.subscribe(["quotes:OGDC"]) as box:
            stream = aiter(box)
            await asyncio.sleep(0.3)  # the reader subscribes
            await hub.publish("quotes:OGDC", b'{"n":1}')
            assert (await next_event(stream)).data == {"n": 1}

            redis_process.stop()
            with pytest.raises(Exception):  # noqa: B017, PT011 - publishing fails while down
                await hub.publish("quotes:OGDC", b'{"n":2}')
            redis_process.start()
            await redis_process.wait_ready()

            # without reconnecting anything ourselves: first the resync, then live messages
            assert (await next_event(stream, 10)).data == {"n": "latest"}
            assert backend.reconnects == 1
            for _ in range(50):
                try:
                    await hub.publish("quotes:OGDC", b'{"n":3}')
                    break
                except Exception:
                    await asyncio.sleep(0.1)
            assert (await next_event(stream)).data == {"n": 3}
    finally:
        await hub.stop()
