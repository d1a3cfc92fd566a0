"""The fan-out hub: one upstream subscription per channel per process, many local subscribers.

Each message is decoded once into a `SharedEvent` and offered to the mailbox of every local
subscription of its channel. A mailbox holds at most `depth` pending events per channel and
drops a channel's oldest beyond that (latest wins), so offering never blocks, a slow
subscriber never delays the others, and memory is bounded by the channels a subscription
follows. A subscription that has not taken its
pending events for `stuck_after` seconds is told to go (its `on_stuck` callback closes the
WebSocket), so a dead client cannot hold its resources forever.

Relays: waking a subscriber's task for each message, and walking its stream's generators, is
most of what a subscriber costs. A transport that can send an event's shared result itself
sets a `Relay` on the subscription's mailbox. When an event arrives for a mailbox whose
subscriber is idle (waiting, nothing pending, nothing of its own in flight), the hub wakes one
such subscriber per share key, which executes the event as usual, and holds the event for the
others; the execution hands its result to them (`SharedEvent.release`) and their relays send
it in one loop, no task woken. Anything else (an error, a failure, an executor that went
away: the watchdog releases what waited a second) offers the held event to their mailboxes,
first in line, and they take the usual path.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Hashable,
    Iterable,
    Iterator,
    Sequence,
)
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from broadcaster import BroadcastBackend

from subscriptions.backends import RESYNC

log = logging.getLogger(__name__)

T = TypeVar("T")

Resync = Callable[[Sequence[str]], Awaitable[Sequence[tuple[str, bytes]]]]

# How long a relayed event may wait for its executor before the watchdog offers it instead.
RELAY_TIMEOUT = 1.0


class Relay(abc.ABC):
    """A subscription's way to receive an event's shared result without its task waking.

    A transport subclasses it (`deliver` sends the result and calls `settle` once sent) and
    sets it on the subscription's mailbox while its task waits for the next event. `key` says
    which subscriptions share a result: the hub relays an event to one subscription's relay
    only when another subscription with the same key executes it.
    """

    __slots__ = ("_settled", "key", "pending")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.pending = 0  # events relayed here and not yet sent
        self._settled: asyncio.Event | None = None

    @abc.abstractmethod
    def deliver(self, result: str) -> None:
        """Send `result` (an event's shared result); call `settle` once it is sent or lost."""

    def settle(self) -> None:
        """One relayed event is done with (sent, lost, or handed back to the mailbox)."""
        self.pending -= 1
        if self.pending == 0 and self._settled is not None:
            self._settled.set()

    async def settled(self) -> None:
        """Wait until every relayed event is sent: the subscriber's messages keep their order."""
        while self.pending:
            if self._settled is None:
                self._settled = asyncio.Event()
            self._settled.clear()
            await self._settled.wait()


_Held = list[tuple["Mailbox", Relay]]


@dataclass(eq=False, slots=True)
class SharedEvent:
    """One message as every subscriber of its channel sees it, decoded once.

    `view` memoises what subscribers derive from it (the GraphQL object, say), so that work
    is also done once per event and process, not once per subscriber.
    """

    channel: str
    data: Any
    received_at: float
    _views: dict[str, Any] = field(default_factory=dict)
    seq: int = 0  # the hub's count of events when this one arrived: later ones are newer
    # Subscriptions holding this event for its result, by share key (see `Relay`).
    relays: dict[Hashable, _Held] | None = None

    async def view(self, name: str, build: Callable[[], Awaitable[T]]) -> T:
        """The memoised result of `build` under `name`; concurrent callers share one build."""
        found = self._views.get(name)
        if found is None:
            found = asyncio.ensure_future(build())
            self._views[name] = found
        result: T = await found
        return result

    def release(self, key: Hashable, result: str | None) -> None:
        """Hand the result executed under `key` to the subscriptions holding this event.

        `None` (no result to share: errors, a failure, nobody executed it) offers them the
        event itself, first in their mailboxes, and they take the usual path.
        """
        relays = self.relays
        held = relays.pop(key, None) if relays else None
        if held is None:
            return
        for box, relay in held:
            if result is None or box.closed:
                relay.settle()
                box.offer_first(self)
            else:
                box.count_delivered()
                relay.deliver(result)


@dataclass(slots=True)
class HubStats:
    """Counters for /metrics."""

    received: int = 0
    delivered: int = 0
    conflated: int = 0
    resyncs: int = 0
    stuck_disconnects: int = 0
    publish_errors: int = 0


class Mailbox:
    """A subscription's pending events, oldest first, at most `depth` per channel.

    A subscriber that keeps up receives every message. One that falls behind loses the oldest
    pending messages of a channel first (latest wins), so what it holds is bounded by
    `depth` × its channels, and what it receives next is always the newest state.
    """

    def __init__(self, hub: Hub, channels: frozenset[str], depth: int) -> None:
        self.channels = channels
        self._hub = hub
        self._depth = depth
        self._queue: deque[SharedEvent] = deque()
        self._by_channel: dict[str, deque[SharedEvent]] = {}
        self._ready = asyncio.Event()
        self._closed = False
        self.waiting_since: float | None = None  # monotonic time the oldest pending arrived
        self.on_stuck: Callable[[], Coroutine[Any, Any, None]] | None = None
        self.relay: Relay | None = None  # set by the transport while the subscriber waits
        self.parked = False  # the subscriber waits in `get` with nothing pending
        self._latest: dict[str, int] = {}  # per channel, the newest event offered or held

    @property
    def closed(self) -> bool:
        """Whether the subscription's stream has been ended."""
        return self._closed

    def count_delivered(self) -> None:
        """Count an event delivered by the subscription's relay."""
        self._hub.stats.delivered += 1

    def hold(self, event: SharedEvent) -> None:
        """Note an event relayed to this subscription (its result comes through the relay)."""
        self._latest[event.channel] = event.seq

    def offer(self, event: SharedEvent) -> None:
        """Take an event; past `depth` pending on its channel, drop that channel's oldest."""
        self._latest[event.channel] = event.seq
        self.parked = False
        if not self._queue:
            self.waiting_since = time.monotonic()
        mine = self._by_channel.setdefault(event.channel, deque())
        mine.append(event)
        self._queue.append(event)
        if len(mine) > self._depth:
            self._queue.remove(mine.popleft())
            self._hub.stats.conflated += 1
        self._ready.set()

    def offer_first(self, event: SharedEvent) -> None:
        """Take a relayed event back, ahead of what came after it.

        When a newer event of its channel has come since (pending, or already taken), that
        one wins: this one is dropped as conflated, as `offer` would have done.
        """
        if self._latest.get(event.channel, 0) > event.seq:
            self._hub.stats.conflated += 1
            return
        self.parked = False
        if not self._queue:
            self.waiting_since = time.monotonic()
        self._by_channel.setdefault(event.channel, deque()).appendleft(event)
        self._queue.appendleft(event)
        self._ready.set()

    async def get(self) -> SharedEvent:
        """The next event, waiting for one."""
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            self.parked = True
            try:
                await self._ready.wait()
            finally:
                self.parked = False
        event = self._queue.popleft()
        self._by_channel[event.channel].popleft()
        self.waiting_since = time.monotonic() if self._queue else None
        self._hub.stats.delivered += 1
        return event

    def close(self) -> None:
        """End the subscription's stream (after what is pending)."""
        self._closed = True
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[SharedEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[SharedEvent]:
        while True:
            try:
                yield await self.get()
            except StopAsyncIteration:
                return


class Hub:
    """Fans messages from one backend out to local mailboxes."""

    def __init__(
        self,
        backend: BroadcastBackend,
        *,
        resync: Resync | None = None,
        stuck_after: float = 10.0,
        depth: int = 8,
    ) -> None:
        self._backend = backend
        self._depth = depth
        self._resync = resync
        self._stuck_after = stuck_after
        self._mailboxes: dict[str, set[Mailbox]] = {}
        self._relayed: deque[tuple[float, SharedEvent]] = deque()
        self._seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self.stats = HubStats()

    async def start(self) -> None:
        """Connect the backend and start the listener and the stuck-subscriber watchdog."""
        await self._backend.connect()
        self._tasks = [
            asyncio.create_task(self._listen(), name="hub-listener"),
            asyncio.create_task(self._watch(), name="hub-watchdog"),
        ]

    async def stop(self) -> None:
        """End every subscription and disconnect."""
        for boxes in self._mailboxes.values():
            for box in boxes:
                box.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._backend.disconnect()

    @property
    def subscribers(self) -> int:
        """Live mailboxes (a subscription holds one)."""
        return len({id(b) for boxes in self._mailboxes.values() for b in boxes})

    async def publish(self, channel: str, message: bytes) -> None:
        """Publish to every process's subscribers of the channel."""
        try:
            await self._backend.publish(channel, message)
        except Exception:
            self.stats.publish_errors += 1
            raise

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish a batch of messages, pipelined where the backend can."""
        if not messages:
            return
        try:
            many = getattr(self._backend, "publish_many", None)
            if many is not None:
                await many(messages)
            else:
                for channel, message in messages:
                    await self._backend.publish(channel, message)
        except Exception:
            self.stats.publish_errors += 1
            raise

    @contextlib.asynccontextmanager
    async def subscribe(self, channels: Iterable[str]) -> AsyncIterator[Mailbox]:
        """A mailbox receiving the channels' messages for the duration of the block."""
        box = Mailbox(self, frozenset(channels), self._depth)
        opening = _OPENING.get()
        if opening is not None:
            opening.append(box)
        async with self._lock:
            for channel in box.channels:
                boxes = self._mailboxes.setdefault(channel, set())
                if not boxes:
                    await self._backend.subscribe(channel)
                boxes.add(box)
        try:
            yield box
        finally:
            box.close()
            async with self._lock:
                for channel in box.channels:
                    boxes = self._mailboxes.get(channel, set())
                    boxes.discard(box)
                    if not boxes:
                        self._mailboxes.pop(channel, None)
                        with contextlib.suppress(Exception):
                            await self._backend.unsubscribe(channel)

    def dispatch(self, channel: str, message: bytes | str) -> None:
        """Offer one message to every local mailbox of its channel."""
        boxes = self._mailboxes.get(channel)
        if not boxes:
            return
        self._seq += 1
        event = SharedEvent(channel, orjson.loads(message), time.time(), seq=self._seq)
        self.stats.received += 1
        held: dict[Hashable, _Held] | None = None
        for box in boxes:
            relay = box.relay
            if relay is None or relay.pending or not box.parked:
                box.offer(event)
                continue
            if held is None:
                held = {}
            group = held.get(relay.key)
            if group is None:
                held[relay.key] = []
                box.offer(event)  # this one executes it, and its result goes to the group
            else:
                relay.pending += 1
                box.hold(event)
                group.append((box, relay))
        if held is not None:
            event.relays = {key: group for key, group in held.items() if group}
            if event.relays:
                self._relayed.append((time.monotonic(), event))

    async def _listen(self) -> None:
        while True:
            event = await self._backend.next_published()
            try:
                if event.channel == RESYNC:
                    await self._resync_all()
                else:
                    self.dispatch(event.channel, event.message)
            except Exception:
                log.exception("hub could not dispatch a message on %s", event.channel)

    async def _resync_all(self) -> None:
        """After a reconnection, offer every subscribed channel's latest state."""
        self.stats.resyncs += 1
        if self._resync is None:
            return
        for channel, message in await self._resync(list(self._mailboxes)):
            self.dispatch(channel, message)

    def _release_overdue(self) -> None:
        """Offer relayed events whose executor went away (or never ran) to their holders."""
        limit = time.monotonic() - RELAY_TIMEOUT
        relayed = self._relayed
        while relayed and (not relayed[0][1].relays or relayed[0][0] < limit):
            _, event = relayed.popleft()
            for key in list(event.relays or ()):
                event.release(key, None)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self._stuck_after / 4))
            self._release_overdue()
            limit = time.monotonic() - self._stuck_after
            stuck = {
                box
                for boxes in self._mailboxes.values()
                for box in boxes
                if box.waiting_since is not None and box.waiting_since < limit
            }
            for box in stuck:
                box.waiting_since = None
                self.stats.stuck_disconnects += 1
                log.warning("subscriber stuck for %.0f s: disconnecting it", self._stuck_after)
                if box.on_stuck is not None:
                    asyncio.create_task(box.on_stuck())  # noqa: RUF006 - fire and forget
                box.close()


_OPENING: ContextVar[list[Mailbox] | None] = ContextVar("psx_opening_mailboxes", default=None)


@contextlib.contextmanager
def opening_mailboxes() -> Iterator[list[Mailbox]]:
    """Collect the mailboxes that subscriptions open inside the block, in this task.

    Yields:
        The list the hub appends each new mailbox to.
    """
    opened: list[Mailbox] = []
    token = _OPENING.set(opened)
    try:
        yield opened
    finally:
        _OPENING.reset(token)
