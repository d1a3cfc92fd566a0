"""/metrics in the Prometheus text format: live fan-out, WebSocket and ingest counters."""

from __future__ import annotations

from resolvers.context import Services
from subscriptions.live import LiveMarket


def _line(name: str, value: float, labels: str = "") -> str:
    return f"psx_{name}{{{labels}}} {value}" if labels else f"psx_{name} {value}"


def render_metrics(services: Services, live: LiveMarket | None) -> str:
    """The counters of this process, one sample per line."""
    lines: list[str] = []
    hub = services.hub
    if hub is not None:
        stats = hub.stats
        lines += [
            _line("hub_subscribers", hub.subscribers),
            _line("hub_messages_received_total", stats.received),
            _line("hub_messages_delivered_total", stats.delivered),
            _line("hub_messages_conflated_total", stats.conflated),
            _line("hub_resyncs_total", stats.resyncs),
            _line("hub_stuck_disconnects_total", stats.stuck_disconnects),
            _line("hub_publish_errors_total", stats.publish_errors),
        ]
    ingester = live.ingester if live is not None else None
    if ingester is not None:
        s = ingester.stats
        lines += [
            _line("ingest_ticks_total", s.accepted, 'result="accepted"'),
            *(
                _line("ingest_ticks_total", n, f'result="rejected",reason="{r.value}"')
                for r, n in sorted(s.rejected.items())
            ),
            _line("ingest_batches_total", s.batches),
            _line("ingest_bars_flushed_total", s.flushed_bars),
            _line("ingest_flush_errors_total", s.flush_errors),
            _line("ingest_halts_total", s.halts),
        ]
    return "\n".join(lines) + "\n"
