"""Alert storage: the pattern column's rule, pattern alerts round trip, the daily frames read."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.repos import alerts as repo
from db.repos import markets as market_repo
from domain.alerts.rules import AlertCondition, AlertRepeat
from domain.analytics.patterns import PatternKind
from tests.conftest import DEMO_END


@pytest.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as c:
        outer = await c.begin()
        yield c
        await outer.rollback()


async def new_user(conn: AsyncConnection) -> uuid.UUID:
    user_id: uuid.UUID = await conn.scalar(
        text("INSERT INTO users (display_name) VALUES ('Pattern Tester') RETURNING id")
    )
    return user_id


@pytest.mark.parametrize(
    ("condition", "pattern"),
    [("PATTERN", None), ("PRICE_ABOVE", "DOJI"), ("RSI_BELOW", "GOLDEN_CROSS")],
)
async def test_the_database_keeps_patterns_on_pattern_alerts_only(
    conn: AsyncConnection, condition: str, pattern: str | None
) -> None:
    user_id = await new_user(conn)
    with pytest.raises(IntegrityError, match="ck_alerts_pattern"):
        async with conn.begin_nested():
            await conn.execute(
                text(
                    "INSERT INTO alerts (user_id, symbol, condition, threshold, pattern, repeat)"
                    " VALUES (:u, 'HUBC', :c, 10, :p, 'ONCE')"
                ),
                {"u": user_id, "c": condition, "p": pattern},
            )


async def test_a_pattern_alert_round_trips_with_its_pattern(conn: AsyncConnection) -> None:
    user_id = await new_user(conn)
    created = await repo.create_alert(
        conn,
        user_id=user_id,
        symbol="HUBC",
        condition=AlertCondition.PATTERN,
        threshold=None,
        period=None,
        pattern=PatternKind.MORNING_STAR,
        repeat=AlertRepeat.COOLDOWN,
        cooldown_seconds=3600,
    )
    read = await repo.alert_for_update(conn, created.id, user_id)
    assert read == created
    assert (read.condition, read.pattern, read.threshold, read.period) == (
        AlertCondition.PATTERN,
        PatternKind.MORNING_STAR,
        None,
        None,
    )
    price = await repo.create_alert(
        conn,
        user_id=user_id,
        symbol="HUBC",
        condition=AlertCondition.PRICE_ABOVE,
        threshold=None,
        period=None,
        pattern=None,
        repeat=AlertRepeat.ONCE,
        cooldown_seconds=0,
    )
    assert price.pattern is None


async def test_recent_daily_frames_match_the_single_instrument_reader(engine: AsyncEngine) -> None:
    last_day = DEMO_END - timedelta(days=7)
    frames = await repo.recent_daily_frames(
        engine, symbols=["HUBC", "OGDC", "NOPE"], last_day=last_day, bars=30
    )
    assert sorted(frames) == ["HUBC", "OGDC"]
    ref = await market_repo.load_reference(engine)
    for symbol, frame in frames.items():
        inst = ref.instrument_by_symbol[symbol]
        expected = (
            await market_repo.daily_frame(
                engine, instrument_id=inst.id, first_day=date(2000, 1, 1), last_day=last_day
            )
        ).tail(30)
        assert frame.height == 30
        assert frame["instrument_id"].unique().to_list() == [inst.id]
        assert frame["day"][-1] <= last_day
        assert frame["day"].is_sorted()
        for column in ("open", "high", "low", "close", "volume"):
            assert frame[column].to_list() == expected[column].to_list()
