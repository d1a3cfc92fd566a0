"""The fan-out hub: one upstream subscription per channel per process, many local subscribers.

Each message is decoded once into a `SharedEvent` and offered to the mailbox of every local
subscription of its channel. A mailbox holds at most `depth` pending events per channel and
drops a channel's oldest beyond that (latest wins), so offering never blocks, a slow
subscriber never delays the others, and memory is bounded by the channels a subscription
follows. A subscription that has not taken its
pending events for `stuck_after` seconds is told to go (its `on_stuck` callback closes the
WebSocket), so a dead client cannot hold its resources forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from broadcaster import BroadcastBackend

from subscriptions.backends import RESYNC

log = logging.getLogger(__name__)

T = TypeVar("T")

Resync = Callable[[Sequence[str]], Awaitable[Sequence[tuple[str, bytes]]]]


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

    async def view(self, name: str, build: Callable[[], Awaitable[T]]) -> T:
        """The memoised result of `build` under `name`; concurrent callers share one build."""
        found = self._views.get(name)
        if found is None:
            found = asyncio.ensure_future(build())
            self._views[name] = found
        result: T = await found
        return result


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

    def offer(self, event: SharedEvent) -> None:
        """Take an event; past `depth` pending on its channel, drop that channel's oldest."""
        if not self._queue:
            self.waiting_since = time.monotonic()
        mine = self._by_channel.setdefault(event.channel, deque())
        mine.append(event)
        self._queue.append(event)
        if len(mine) > self._depth:
            self._queue.remove(mine.popleft())
            self._hub.stats.conflated += 1
        self._ready.set()

    async def get(self) -> SharedEvent:
        """The next event, waiting for one."""
        while not self._queue:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
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
        event = SharedEvent(channel, orjson.loads(message), time.time())
        self.stats.received += 1
        for box in boxes:
            box.offer(event)

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

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self._stuck_after / 4))
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
