"""Subscriptions pay per message: a connection's frames are charged to its caller's bucket.

A subscription pays its estimated cost to start (schema/budget.py). What it streams is
metered per connection: every data message sent is counted (one integer increment on the send
path, whichever path sends it: strawberry's, the fast lane or a relay; protocol messages such
as acks, pings and errors are free), and every `METER_EVERY`
seconds the count times `PSX_SUBSCRIPTION_MESSAGE_COST` is taken from the caller's bucket in
one call. When the bucket cannot pay, each of the connection's operations ends with a
THROTTLED error (the protocol's `error` message) and the socket stays open: the client may
subscribe again once its bucket has refilled (the start is refused with THROTTLED until
then).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLFormattedError

log = logging.getLogger(__name__)

METER_EVERY = 5.0  # seconds between charges


class MessageMeter:
    """Charges a connection's data messages to its caller's bucket now and then."""

    def __init__(
        self,
        limiter: Any,
        context: Any,
        sent: Callable[[], int],
        *,
        cost_per_message: float,
        on_exhausted: Callable[[str], Awaitable[None]],
        every: float = METER_EVERY,
    ) -> None:
        self._limiter = limiter
        self._context = context
        self._sent = sent
        self._cost = cost_per_message
        self._on_exhausted = on_exhausted
        self._every = every
        self._charged = sent()
        self._task: asyncio.Task[None] | None = None
        self.points = 0  # charged so far (for tests and metrics)

    def start(self) -> None:
        """Start charging (once)."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="ws-meter")

    async def stop(self) -> None:
        """Stop charging (what was sent since the last charge is not charged)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def charge(self) -> bool:
        """Charge what was sent since the last charge; False when the bucket could not pay."""
        sent = self._sent()
        points = math.ceil((sent - self._charged) * self._cost)
        self._charged = sent
        if points <= 0:
            return True
        throttle = await self._limiter.reserve(self._context, points)
        self.points += points
        if throttle.allowed:
            return True
        await self._on_exhausted(
            f"Throttled: this connection's subscriptions sent {points} points' worth of "
            f"messages and your plan's bucket holds {int(throttle.available)}; "
            f"subscribe again in {throttle.retry_after(points)} s."
        )
        return False

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.charge()
            except Exception:
                log.exception("could not charge a connection's subscription messages")


class MeteredMixin:
    """Charges the connection's messages to its caller (api/ws_metering.py)."""

    _meter: MessageMeter | None = None
    # Each protocol's handler ends the connection's operations its own way.
    _throttled: Callable[[str], Awaitable[None]]
    # Set by strawberry's handler classes this is mixed into.
    context: Any
    view: Any
    websocket: Any

    def _start_meter(self) -> None:
        if self._meter is not None:
            return
        request = getattr(self.context, "request", None)
        state = getattr(getattr(request, "app", None), "state", None)
        limiter = getattr(state, "rate_limiter", None)
        cost = getattr(self.view, "subscription_message_cost", 0.0)
        if limiter is None or cost <= 0 or not hasattr(self.websocket, "sent"):
            return
        socket = self.websocket
        self._meter = MessageMeter(
            limiter,
            self.context,
            lambda: socket.sent,
            cost_per_message=cost,
            on_exhausted=self._throttled,
            every=METER_EVERY,
        )
        self._meter.start()

    async def _stop_meter(self) -> None:
        if self._meter is not None:
            await self._meter.stop()


def throttled_error(message: str) -> GraphQLFormattedError:
    return {"message": message, "extensions": {"code": "THROTTLED"}}
