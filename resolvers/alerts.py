"""Alert use cases: create, change, delete, list mine, my fired alerts, follow mine live."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from db.repos import alerts as repo
from domain.accounts.roles import ENTITLEMENTS
from domain.alerts.rules import (
    MIN_COOLDOWN,
    Alert,
    AlertCondition,
    AlertEvent,
    AlertRepeat,
    check_alert_input,
)
from domain.analytics.patterns import PatternKind
from domain.errors import DomainError, ErrorCode
from domain.pagination import page_size
from resolvers.accounts import require_user
from resolvers.context import Context
from subscriptions import channels
from subscriptions.hub import Hub, SharedEvent


@dataclass(frozen=True, slots=True)
class NewAlert:
    """What `createAlert` asks for."""

    symbol: str
    condition: AlertCondition
    threshold: Decimal | None
    period: int | None
    repeat: AlertRepeat
    cooldown_seconds: int | None
    pattern: PatternKind | None = None


@dataclass(frozen=True, slots=True)
class AlertChange:
    """What `updateAlert` may change (None leaves a value as it is)."""

    threshold: Decimal | None = None
    period: int | None = None
    cooldown_seconds: int | None = None
    active: bool | None = None


def _cooldown(repeat: AlertRepeat, seconds: int | None) -> timedelta:
    if repeat is AlertRepeat.ONCE:
        if seconds not in (None, 0):
            raise DomainError(
                ErrorCode.INVALID, "One-shot alerts have no cooldown.", "cooldownSeconds"
            )
        return timedelta(0)
    chosen = timedelta(seconds=3600 if seconds is None else seconds)
    if chosen < MIN_COOLDOWN:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            f"Cooldowns are at least {int(MIN_COOLDOWN.total_seconds())} seconds.",
            "cooldownSeconds",
        )
    return chosen


async def create_alert(ctx: Context, cmd: NewAlert) -> Alert:
    """Create an alert for the signed-in user.

    Raises:
        DomainError: for an unknown symbol, bad threshold/period/pattern/cooldown, or the
            tier's cap.
    """
    user = require_user(ctx)
    symbol = cmd.symbol.strip().upper()
    ref = await ctx.services.reference.get()
    if symbol not in ref.instrument_by_symbol:
        raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{cmd.symbol}'.", "symbol")
    threshold, period = check_alert_input(
        cmd.condition, cmd.threshold, cmd.period, pattern=cmd.pattern
    )
    cooldown = _cooldown(cmd.repeat, cmd.cooldown_seconds)
    cap = ENTITLEMENTS[user.role].max_alerts
    async with ctx.services.database.primary.begin() as conn:
        if await repo.count_alerts(conn, user.user_id) >= cap:
            raise DomainError(
                ErrorCode.TOO_LARGE, f"Your plan allows {cap} alerts; delete one first."
            )
        return await repo.create_alert(
            conn,
            user_id=user.user_id,
            symbol=symbol,
            condition=cmd.condition,
            threshold=threshold,
            period=period,
            pattern=cmd.pattern,
            repeat=cmd.repeat,
            cooldown_seconds=int(cooldown.total_seconds()),
        )


async def update_alert(ctx: Context, alert_id: uuid.UUID, change: AlertChange) -> Alert:
    """Change one of the user's alerts (re-activating it rearms it).

    Raises:
        DomainError: NOT_FOUND (also for someone else's alert), or bad values.
    """
    user = require_user(ctx)
    async with ctx.services.database.primary.begin() as conn:
        alert = await repo.alert_for_update(conn, alert_id, user.user_id)
        if alert is None:
            raise DomainError(ErrorCode.NOT_FOUND, "No such alert.", "id")
        threshold, period = check_alert_input(
            alert.condition,
            change.threshold if change.threshold is not None else alert.threshold,
            change.period if change.period is not None else alert.period,
            pattern=alert.pattern,
        )
        cooldown = (
            _cooldown(alert.repeat, change.cooldown_seconds)
            if change.cooldown_seconds is not None
            else alert.cooldown
        )
        rearm = change.active is True and not alert.active
        updated = replace(
            alert,
            threshold=threshold,
            period=period,
            cooldown=cooldown,
            active=alert.active if change.active is None else change.active,
            last_fired_at=None if rearm else alert.last_fired_at,
        )
        await repo.save_alert(conn, updated)
    return updated


async def delete_alert(ctx: Context, alert_id: uuid.UUID) -> uuid.UUID:
    """Delete one of the user's alerts; returns its id.

    Raises:
        DomainError: NOT_FOUND (also for someone else's alert).
    """
    user = require_user(ctx)
    async with ctx.services.database.primary.begin() as conn:
        if not await repo.delete_alert(conn, alert_id, user.user_id):
            raise DomainError(ErrorCode.NOT_FOUND, "No such alert.", "id")
    return alert_id


async def my_alerts(ctx: Context) -> list[Alert]:
    """The signed-in user's alerts, newest first."""
    user = require_user(ctx)
    return await repo.alerts_of(ctx.services.database.read, user.user_id)


async def my_alert_events(
    ctx: Context, *, first: int | None, before: int | None
) -> list[AlertEvent]:
    """The signed-in user's fired alerts, newest first.

    Raises:
        DomainError: for a page size outside 1..100.
    """
    user = require_user(ctx)
    size = page_size(first)
    return await repo.alert_events(
        ctx.services.database.read, user_id=user.user_id, limit=size, before_id=before
    )


async def alert_stream(ctx: Context) -> AsyncIterator[SharedEvent]:
    """The signed-in user's alerts as they fire (their own channel only).

    Raises:
        DomainError: without a signed-in user, or when live data is off.
    """
    user = require_user(ctx)
    hub = ctx.services.hub
    if hub is None:
        raise DomainError(ErrorCode.UNSUPPORTED, "Live data is not enabled on this server.")
    return _follow(hub, channels.alerts(str(user.user_id)))


async def _follow(hub: Hub, channel: str) -> AsyncIterator[SharedEvent]:
    async with hub.subscribe([channel]) as box:
        async for event in box:
            yield event
