"""Pub/sub backends for the hub, on broadcaster's backend interface.

broadcaster's own Redis backend neither reconnects nor resubscribes (GRAPHQL.md section 6:
a Redis drop kills its listener silently), so `ResilientRedisBackend` owns its reader task:
it reconnects with jittered backoff, resubscribes every channel, and then reports a
`RESYNC` event so the hub can send each subscriber the latest state it may have missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from typing import Any

from broadcaster import BroadcastBackend, Event
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RESYNC = ""  # channel name of the event a backend emits after it reconnected


class MemoryBackend(BroadcastBackend):
    """In-process pub/sub: one process only (the default without REDIS_URL)."""

    def __init__(self, url: str = "memory://") -> None:  # noqa: ARG002 - the interface
        self._subscribed: set[str] = set()
        self._published: asyncio.Queue[Event] = asyncio.Queue()

    async def connect(self) -> None:
        """Nothing to connect."""

    async def disconnect(self) -> None:
        """Nothing to release."""

    async def subscribe(self, channel: str) -> None:
        """Start receiving a channel."""
        self._subscribed.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        """Stop receiving a channel."""
        self._subscribed.discard(channel)

    async def publish(self, channel: str, message: Any) -> None:
        """Queue a message for the subscribed channels."""
        self._published.put_nowait(Event(channel, message))

    async def next_published(self) -> Event:
        """The next message of a subscribed channel."""
        while True:
            event = await self._published.get()
            if event.channel in self._subscribed:
                return event


class ResilientRedisBackend(BroadcastBackend):
    """Redis pub/sub that survives Redis restarts.

    One connection for publishing (a pool) and one PubSub connection read by a single task.
    On a connection error the task waits (0.1 s doubling to 5 s, with jitter), reconnects,
    resubscribes to every channel it holds, and emits a `RESYNC` event.
    """

    def __init__(self, url: str, *, max_backoff: float = 5.0) -> None:
        self._url = url
        self._max_backoff = max_backoff
        self._publisher: Redis = Redis.from_url(url, socket_timeout=2.0)
        self._channels: set[str] = set()
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.reconnects = 0

    async def connect(self) -> None:
        """Start the reader task (it connects, and reconnects, by itself)."""
        self._reader = asyncio.create_task(self._read_forever(), name="redis-pubsub-reader")

    async def disconnect(self) -> None:
        """Stop reading and close both connections."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._close_pubsub()
        await self._publisher.aclose()

    async def subscribe(self, channel: str) -> None:
        """Add a channel; it is subscribed now if connected, else on reconnection."""
        async with self._lock:
            self._channels.add(channel)
            if self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        """Drop a channel."""
        async with self._lock:
            self._channels.discard(channel)
            if self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        """Publish one message (raises when Redis is down: the caller counts it)."""
        await self._publisher.publish(channel, message)

    async def publish_many(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish a batch in one pipelined round trip."""
        async with self._publisher.pipeline(transaction=False) as pipe:
            for channel, message in messages:
                pipe.publish(channel, message)
            await pipe.execute()

    async def next_published(self) -> Event:
        """The next message, or a `RESYNC` event after a reconnection."""
        return await self._queue.get()

    async def _close_pubsub(self) -> None:
        if self._pubsub is not None:
            pubsub, self._pubsub = self._pubsub, None
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _open(self) -> PubSub:
        client = Redis.from_url(self._url, socket_timeout=None, socket_connect_timeout=2.0)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        # The PubSub owns the client's connection; closing it closes both.
        async with self._lock:
            await pubsub.ping()
            if self._channels:
                await pubsub.subscribe(*self._channels)
            self._pubsub = pubsub
        return pubsub

    async def _read_forever(self) -> None:
        backoff = 0.1
        first = True
        while True:
            try:
                pubsub = await self._open()
                if not first:
                    self.reconnects += 1
                    log.warning(
                        "redis pub/sub reconnected; resubscribed %d channels", len(self._channels)
                    )
                    self._queue.put_nowait(Event(RESYNC, ""))
                first = False
                backoff = 0.1
                while True:
                    message = await pubsub.get_message(timeout=5.0)
                    if message is None:
                        await pubsub.ping()
                        continue
                    if message.get("type") == "message":
                        channel = message["channel"]
                        if isinstance(channel, bytes):
                            channel = channel.decode()
                        self._queue.put_nowait(Event(channel, message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning(
                    "redis pub/sub lost (%s); retrying in %.1f s", type(exc).__name__, backoff
                )
                await self._close_pubsub()
                await asyncio.sleep(backoff * random.uniform(0.5, 1.5))  # noqa: S311 - jitter
                backoff = min(backoff * 2, self._max_backoff)
