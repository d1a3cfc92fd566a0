"""Running the app under uvicorn with a graceful shutdown a load balancer can follow.

On SIGTERM/SIGINT: readiness fails first (`/readyz` answers 503 for `drain_seconds`, so a load
balancer stops routing here), then uvicorn stops accepting and closes every WebSocket with
1012 (Service Restart), which graphql-ws clients retry elsewhere, resubscribing their
operations; then the lifespan stops the feed, flushes bars and ends the subscription tasks.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from starlette.applications import Starlette

log = logging.getLogger(__name__)


class GracefulServer(uvicorn.Server):
    """uvicorn.Server that fails readiness before it closes connections."""

    def __init__(self, config: uvicorn.Config, app: Starlette, *, drain_seconds: float) -> None:
        super().__init__(config)
        self._app = app
        self._drain_seconds = drain_seconds

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Fail readiness, wait for the load balancer to notice, then shut down."""
        self._app.state.draining = True
        if self._drain_seconds > 0:
            log.info("draining for %.1f s before closing connections", self._drain_seconds)
            await asyncio.sleep(self._drain_seconds)
        await super().shutdown(sockets)
