"""GraphQL types of alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from domain.alerts import rules
from domain.alerts.rules import AlertCondition, AlertRepeat
from schema.analytics.enums import PatternKind
from schema.payloads import UserError

strawberry.enum(
    rules.AlertCondition,
    description=(
        "PRICE_ABOVE/BELOW: the last price crosses `threshold`. CHANGE_PERCENT_ABOVE/BELOW: the "
        "session's change in percent crosses `threshold`. VOLUME_ABOVE_AVERAGE: the session's "
        "volume passes `threshold` times the 20-day average. CROSSES_ABOVE/BELOW_SMA: the price "
        "crosses its `period`-day simple moving average (default 20). RSI_ABOVE/BELOW: the "
        "`period`-day RSI (Wilder, default 14) crosses `threshold`. Indicators use daily closes "
        "with the live price as today's close. PATTERN: `pattern` completes on the daily candle, "
        "evaluated when the day's last session closes (no threshold or period)."
    ),
)
strawberry.enum(
    rules.AlertRepeat,
    description="ONCE: switch off after firing. COOLDOWN: fire again after `cooldownSeconds`.",
)


@strawberry.type(description="A price alert.")
class Alert:
    id: uuid.UUID = strawberry.field(description="Alert id.")
    symbol: str = strawberry.field(description="Watched symbol.")
    condition: AlertCondition = strawberry.field(description="What is watched.")
    threshold: float | None = strawberry.field(description="The level (null for SMA crossings).")
    period: int | None = strawberry.field(description="Indicator period in days.")
    pattern: PatternKind | None = strawberry.field(
        description="The candlestick or chart pattern a PATTERN alert watches for."
    )
    repeat: AlertRepeat = strawberry.field(description="Once, or again after a cooldown.")
    cooldown_seconds: int = strawberry.field(description="Pause before it can fire again.")
    active: bool = strawberry.field(description="False once a ONCE alert fired, or when paused.")
    last_fired_at: datetime | None = strawberry.field(description="When it last fired (UTC).")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")

    @classmethod
    def from_domain(cls, a: rules.Alert) -> Alert:
        """Map a domain alert."""
        return cls(
            id=a.id,
            symbol=a.symbol,
            condition=a.condition,
            threshold=None if a.threshold is None else float(a.threshold),
            period=a.period,
            pattern=a.pattern,
            repeat=a.repeat,
            cooldown_seconds=int(a.cooldown.total_seconds()),
            active=a.active,
            last_fired_at=a.last_fired_at,
            created_at=a.created_at,
        )


@strawberry.type(description="An alert that fired.")
class AlertEvent:
    id: strawberry.ID = strawberry.field(description="Event id (pass to `before` to page).")
    alert_id: uuid.UUID = strawberry.field(description="The alert that fired.")
    symbol: str = strawberry.field(description="Symbol.")
    condition: AlertCondition = strawberry.field(description="The condition met.")
    value: float = strawberry.field(description="The watched value when it fired.")
    price: float = strawberry.field(description="The last price when it fired.")
    message: str = strawberry.field(description="What happened, for people.")
    fired_at: datetime = strawberry.field(description="When (trade time, UTC).")

    @classmethod
    def from_domain(cls, e: rules.AlertEvent) -> AlertEvent:
        """Map a stored event."""
        return cls(
            id=strawberry.ID(str(e.id)),
            alert_id=e.alert_id,
            symbol=e.symbol,
            condition=e.condition,
            value=float(e.value),
            price=float(e.price),
            message=e.message,
            fired_at=e.fired_at,
        )

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> AlertEvent:
        """Map an event published on the user's channel."""
        return cls(
            id=strawberry.ID(str(data["id"])),
            alert_id=uuid.UUID(data["alert_id"]),
            symbol=data["symbol"],
            condition=AlertCondition(data["condition"]),
            value=float(Decimal(data["value"])),
            price=float(Decimal(data["price"])),
            message=data["message"],
            fired_at=datetime.fromisoformat(data["fired_at"]),
        )


@strawberry.input(description="A new alert.")
class CreateAlertInput:
    symbol: str = strawberry.field(description="Symbol to watch, any case.")
    condition: AlertCondition = strawberry.field(description="What to watch.")
    threshold: Decimal | None = strawberry.field(
        default=None, description="The level; required except for SMA crossings and PATTERN."
    )
    period: int | None = strawberry.field(
        default=None, description="Indicator period in days (SMA: 20, RSI: 14 by default)."
    )
    pattern: PatternKind | None = strawberry.field(
        default=None,
        description=(
            "With PATTERN (and only then): the pattern to watch for on the daily candle. "
            "Fixed once created."
        ),
    )
    repeat: AlertRepeat = strawberry.field(
        default=AlertRepeat.ONCE, description="Fire once, or again after a cooldown."
    )
    cooldown_seconds: int | None = strawberry.field(
        default=None, description="With COOLDOWN: seconds before it can fire again (60+, 3600)."
    )


@strawberry.input(description="Changes to an alert; omitted fields stay as they are.")
class UpdateAlertInput:
    threshold: Decimal | None = strawberry.field(default=None, description="New level.")
    period: int | None = strawberry.field(default=None, description="New indicator period.")
    cooldown_seconds: int | None = strawberry.field(default=None, description="New cooldown.")
    active: bool | None = strawberry.field(
        default=None, description="Pause (false) or rearm (true) the alert."
    )


@strawberry.type(description="Result of `createAlert`.")
class CreateAlertPayload:
    alert: Alert | None = strawberry.field(description="The new alert.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `updateAlert`.")
class UpdateAlertPayload:
    alert: Alert | None = strawberry.field(description="The changed alert.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `deleteAlert`.")
class DeleteAlertPayload:
    deleted_id: uuid.UUID | None = strawberry.field(description="Id of the deleted alert.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")
