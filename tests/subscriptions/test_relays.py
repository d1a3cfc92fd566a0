"""Relays: idle subscribers of one share key are handed the result one of them executes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from subscriptions.backends import MemoryBackend
from subscriptions.hub import RELAY_TIMEOUT, Hub, Mailbox, Relay, SharedEvent


class Recording(Relay):
    """A relay that records what it is handed, sent at once."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.got: list[str] = []

    def deliver(self, result: str) -> None:
        self.got.append(result)
        self.settle()


class Later(Relay):
    """A relay whose sends finish only when the test says (a client that is behind)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.got: list[str] = []

    def deliver(self, result: str) -> None:
        self.got.append(result)  # settled by the test


@pytest.fixture
async def hub() -> AsyncIterator[Hub]:
    h = Hub(MemoryBackend(), stuck_after=0.4, depth=4)
    await h.start()
    yield h
    await h.stop()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def waiting(box: Mailbox) -> asyncio.Task[SharedEvent]:
    """The subscriber's task, parked in `get`."""
    task = asyncio.create_task(box.get())
    await settle()
    assert box.parked
    return task


async def test_one_idle_subscriber_per_key_executes_and_the_others_get_its_result(
    hub: Hub,
) -> None:
    async with (
        hub.subscribe(["quotes:OGDC"]) as a,
        hub.subscribe(["quotes:OGDC"]) as b,
        hub.subscribe(["quotes:OGDC"]) as c,
    ):
        relays = {box: Recording("k") for box in (a, b, c)}
        tasks = {}
        for box, relay in relays.items():
            box.relay = relay
            tasks[box] = await waiting(box)
        delivered = hub.stats.delivered
        hub.dispatch("quotes:OGDC", b'{"n":1}')
        await settle()
        woken = [box for box, task in tasks.items() if task.done()]
        assert len(woken) == 1  # the executor: it takes the event the usual way
        event = tasks[woken[0]].result()
        held = [box for box in (a, b, c) if box is not woken[0]]
        assert all(relays[box].pending == 1 for box in held)
        event.release("k", '{"quotes":1}')
        assert [relays[box].got for box in held] == [['{"quotes":1}'], ['{"quotes":1}']]
        assert all(relays[box].pending == 0 for box in held)
        assert not any(tasks[box].done() for box in held)  # no task woken for them
        assert hub.stats.delivered - delivered == 3
        for task in tasks.values():
            task.cancel()


async def test_each_share_key_has_its_own_executor(hub: Hub) -> None:
    async with (
        hub.subscribe(["quotes:OGDC"]) as a,
        hub.subscribe(["quotes:OGDC"]) as b,
    ):
        a.relay, b.relay = Recording("x"), Recording("y")
        ta, tb = await waiting(a), await waiting(b)
        hub.dispatch("quotes:OGDC", b'{"n":1}')
        await settle()
        assert ta.done() and tb.done()  # different selections: each executes its own
        assert ta.result() is tb.result()


def roles(tasks: dict[Mailbox, asyncio.Task[SharedEvent]]) -> tuple[Mailbox, Mailbox]:
    """(the subscriber that was woken to execute the event, the one holding it)."""
    woken = [box for box, task in tasks.items() if task.done()]
    held = [box for box, task in tasks.items() if not task.done()]
    assert (len(woken), len(held)) == (1, 1)
    return woken[0], held[0]


async def test_a_result_that_cannot_be_shared_reaches_them_the_usual_way(hub: Hub) -> None:
    async with (
        hub.subscribe(["quotes:OGDC"]) as a,
        hub.subscribe(["quotes:OGDC"]) as b,
    ):
        a.relay, b.relay = Recording("k"), Recording("k")
        tasks = {a: await waiting(a), b: await waiting(b)}
        hub.dispatch("quotes:OGDC", b'{"n":1}')
        await settle()
        executor, held = roles(tasks)
        event = tasks[executor].result()
        event.release("k", None)  # the execution had errors
        await settle()
        assert tasks[held].done() and tasks[held].result() is event
        assert held.relay is not None and held.relay.pending == 0


async def test_a_subscriber_with_a_send_in_flight_gets_the_next_events_in_its_mailbox(
    hub: Hub,
) -> None:
    async with (
        hub.subscribe(["quotes:OGDC"]) as a,
        hub.subscribe(["quotes:OGDC"]) as b,
    ):
        relays = {a: Later("k"), b: Later("k")}
        a.relay, b.relay = relays[a], relays[b]
        tasks = {a: await waiting(a), b: await waiting(b)}
        hub.dispatch("quotes:OGDC", b'{"n":1}')
        await settle()
        executor, held = roles(tasks)
        tasks[executor].result().release("k", "one")
        assert relays[held].got == ["one"] and relays[held].pending == 1  # still sending
        again = await waiting(executor)
        hub.dispatch("quotes:OGDC", b'{"n":2}')
        await settle()
        # Not handed #2 while #1 is in flight: its own task takes #2, after #1 (the lane
        # waits for `settled` before it sends).
        assert tasks[held].done() and tasks[held].result().data == {"n": 2}
        assert again.done() and again.result().data == {"n": 2}
        assert relays[held].got == ["one"]
        relays[held].settle()
        await asyncio.wait_for(relays[held].settled(), 1)


async def test_an_event_whose_executor_went_away_is_offered_to_the_others(hub: Hub) -> None:
    async with contextlib.AsyncExitStack() as stack:
        boxes = [await stack.enter_async_context(hub.subscribe(["quotes:OGDC"])) for _ in "ab"]
        for box in boxes:
            box.relay = Recording("k")
        tasks = {box: await waiting(box) for box in boxes}
        hub.dispatch("quotes:OGDC", b'{"n":1}')
        await settle()
        executor, held = roles(tasks)
        executor.close()  # its subscriber leaves without executing the event
        got = await asyncio.wait_for(tasks[held], RELAY_TIMEOUT + 3)
        assert got.data == {"n": 1}
        assert held.relay is not None and held.relay.pending == 0


async def test_a_held_event_given_back_after_a_newer_one_of_its_channel_is_dropped(
    hub: Hub,
) -> None:
    async with (
        hub.subscribe(["quotes:OGDC"]) as a,
        hub.subscribe(["quotes:OGDC"]) as b,
    ):
        a.relay, b.relay = Recording("k"), Recording("k")
        tasks = {a: await waiting(a), b: await waiting(b)}
        hub.dispatch("quotes:OGDC", b'{"n":1}')
        await settle()
        executor, held = roles(tasks)
        first = tasks[executor].result()
        again = await waiting(executor)
        # The holder is busy with #1 (its relay has not sent it): #2 goes to its mailbox.
        hub.dispatch("quotes:OGDC", b'{"n":2}')
        await settle()
        assert tasks[held].done() and tasks[held].result().data == {"n": 2}
        conflated = hub.stats.conflated
        first.release("k", None)  # #1 comes back after #2 was taken: the latest wins
        assert hub.stats.conflated - conflated == 1
        after = asyncio.create_task(held.get())
        await settle()
        assert not after.done()  # nothing stale is waiting for it
        after.cancel()
        again.cancel()
