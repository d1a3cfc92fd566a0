"""Retention against a real database: dry runs change nothing, minutes roll into days first,
old partitions go whole, and only what the policy names goes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.retention import RetentionSchedule
from db.engine import make_engine
from db.migrate import migrate
from db.repos import news as news_repo
from db.retention import apply_retention, plan_retention
from db.search.opensearch import OpenSearchBackend
from db.search.outbox import DrainResult, drain_once
from db.seed import seed_demo
from domain.markets.sessions import PKT
from domain.news.articles import NewArticle, NewsCategory
from domain.retention import RetentionKind, parse_policy
from tests.conftest import DEMO_END, NOW, fresh_database
from tests.fixtures.opensearch import ReplayServer, load


@pytest.fixture(scope="module")
async def seeded() -> AsyncIterator[AsyncEngine]:
    """A small demo market (1 year of days, 3 sessions of minutes) plus September's minutes."""
    url = await fresh_database(f"psx_test_retention_{os.getpid()}")
    engine = make_engine(url)
    await migrate(engine)
    await seed_demo(engine, seed=7, end=DEMO_END, years=1, minute_sessions=3)
    yield engine
    await engine.dispose()


async def scalar(engine: AsyncEngine, sql: str, **params: object) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text(sql), params) or 0)


async def add_september_minutes(engine: AsyncEngine) -> int:
    """Copy 19 November's minutes to 17 September (its own monthly partition); no daily bars."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "SELECT psx_ensure_partitions('minute_bars', DATE '2026-09-01', DATE '2026-09-30')"
            )
        )
        copied = await conn.execute(
            text(
                "INSERT INTO minute_bars SELECT instrument_id, ts - interval '63 days', open, high,"
                " low, close, volume, turnover, trades FROM minute_bars"
                " WHERE (ts AT TIME ZONE 'Asia/Karachi')::date = DATE '2026-11-19'"
            )
        )
        await conn.execute(text("DELETE FROM daily_bars WHERE day = DATE '2026-09-17'"))
    return copied.rowcount


async def test_a_dry_run_reports_what_would_go_and_changes_nothing(seeded: AsyncEngine) -> None:
    before = await scalar(seeded, "SELECT count(*) FROM minute_bars")
    policy = parse_policy("minute_bars=1,index_minute_bars=off,audit_events=off")
    results = await plan_retention(seeded, policy, now=NOW)
    minutes = next(r for r in results if r.kind is RetentionKind.MINUTE_BARS)
    # Kept: 19 November (the cut-off is that day's midnight); 17 and 18 November would go.
    assert minutes.cutoff == datetime(2026, 11, 19, tzinfo=PKT)
    older = await scalar(seeded, "SELECT count(*) FROM minute_bars WHERE ts < :c", c=minutes.cutoff)
    assert minutes.rows == older > 0
    assert minutes.rolled_days == 0  # the seed has the daily bars of those days
    assert await scalar(seeded, "SELECT count(*) FROM minute_bars") == before
    assert not any(r.kind is RetentionKind.INDEX_MINUTE_BARS for r in results)


async def test_minutes_roll_into_missing_days_then_go_by_whole_partitions(
    seeded: AsyncEngine,
) -> None:
    copied = await add_september_minutes(seeded)
    # The bars a day of minutes makes, computed here independently of the SQL.
    expected = await _day_from_minutes(seeded, date(2026, 9, 17))
    november = await scalar(
        seeded, "SELECT count(*) FROM minute_bars WHERE ts >= TIMESTAMPTZ '2026-11-01 00:00+05'"
    )
    policy = parse_policy("minute_bars=30,index_minute_bars=off")
    results = await apply_retention(seeded, policy, now=NOW)
    minutes = next(r for r in results if r.kind is RetentionKind.MINUTE_BARS)
    assert minutes.partitions == ("minute_bars_p2026_09",)
    assert minutes.rows == copied
    assert minutes.rolled_days == len(expected)
    gone = "SELECT (to_regclass('minute_bars_p2026_09') IS NULL)::int"
    assert await scalar(seeded, gone) == 1
    assert (
        await scalar(
            seeded, "SELECT count(*) FROM minute_bars WHERE ts < TIMESTAMPTZ '2026-11-01 00:00+05'"
        )
        == 0
    )
    assert (
        await scalar(
            seeded,
            "SELECT count(*) FROM minute_bars WHERE ts >= TIMESTAMPTZ '2026-11-01 00:00+05'",
        )
        == november
    )
    async with seeded.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT instrument_id, open, high, low, close, volume, turnover, trades"
                    " FROM daily_bars WHERE day = DATE '2026-09-17' ORDER BY instrument_id"
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == expected
    # Run again: nothing is left to do, nothing is made twice.
    again = await apply_retention(seeded, policy, now=NOW)
    second = next(r for r in again if r.kind is RetentionKind.MINUTE_BARS)
    assert (second.rows, second.rolled_days, second.partitions) == (0, 0, ())


async def _day_from_minutes(engine: AsyncEngine, day: date) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        minutes = (
            await conn.execute(
                text(
                    "SELECT instrument_id, ts, open, high, low, close, volume, turnover, trades"
                    " FROM minute_bars WHERE (ts AT TIME ZONE 'Asia/Karachi')::date = CAST(:d AS date)"
                    " ORDER BY instrument_id, ts"
                ),
                {"d": day},
            )
        ).all()
    by: dict[int, list[tuple[object, ...]]] = {}
    for m in minutes:
        by.setdefault(m.instrument_id, []).append(m)
    out = []
    for inst, ms in sorted(by.items()):
        out.append(
            (
                inst,
                ms[0].open,
                max(m.high for m in ms),
                min(m.low for m in ms),
                ms[-1].close,
                sum(m.volume for m in ms),
                sum(m.turnover for m in ms),
                sum(m.trades for m in ms),
            )
        )
    return out


async def test_only_sent_mail_past_the_cut_off_goes(seeded: AsyncEngine) -> None:
    old = NOW - timedelta(days=40)
    async with seeded.begin() as conn:
        await conn.execute(text("DELETE FROM mail_outbox"))
        for subject, created, sent in (
            ("old sent", old, old),
            ("old unsent", old, None),
            ("new sent", NOW, NOW),
        ):
            await conn.execute(
                text(
                    "INSERT INTO mail_outbox (to_address, subject, body, created_at, sent_at)"
                    " VALUES ('a@example.com', :s, 'b', :c, :t)"
                ),
                {"s": subject, "c": created, "t": sent},
            )
    policy = parse_policy("minute_bars=off,index_minute_bars=off,mail_outbox=30")
    results = await apply_retention(seeded, policy, now=NOW)
    mail = next(r for r in results if r.kind is RetentionKind.MAIL_OUTBOX)
    assert mail.rows == 1
    async with seeded.connect() as conn:
        left = (await conn.execute(text("SELECT subject FROM mail_outbox ORDER BY id"))).scalars()
        assert list(left) == ["old unsent", "new sent"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("bars=3", "unknown retention kind 'bars'"),
        ("minute_bars", "expected kind=days"),
        ("minute_bars=soon", "'soon' is not a number of days"),
        ("minute_bars=0", "keep at least 1 day"),
    ],
)
def test_a_policy_that_cannot_be_read_names_its_fault(setting: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_policy(setting)


def test_a_policy_overrides_the_defaults_and_off_keeps_for_ever() -> None:
    policy = parse_policy(" minute_bars=90 , news=off,")
    assert policy[RetentionKind.MINUTE_BARS] == 90
    assert policy[RetentionKind.NEWS] is None
    assert policy[RetentionKind.AUDIT_EVENTS] == 730


async def test_the_server_schedule_runs_the_policy(seeded: AsyncEngine) -> None:
    old = NOW - timedelta(days=90)
    async with seeded.begin() as conn:
        await conn.execute(text("DELETE FROM mail_outbox"))
        await conn.execute(
            text(
                "INSERT INTO mail_outbox (to_address, subject, body, created_at, sent_at)"
                " VALUES ('a@example.com', 'old', 'b', :t, :t)"
            ),
            {"t": old},
        )
    schedule = RetentionSchedule(
        seeded,
        "minute_bars=off,index_minute_bars=off,mail_outbox=30",
        every_hours=0.05 / 3600,
        clock=lambda: NOW,
    )
    schedule.start()
    try:
        for _ in range(100):
            if await scalar(seeded, "SELECT count(*) FROM mail_outbox") == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await schedule.stop()
    assert await scalar(seeded, "SELECT count(*) FROM mail_outbox") == 0


def test_a_schedule_with_a_bad_policy_fails_at_start_up(seeded: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="unknown retention kind 'bars'"):
        RetentionSchedule(seeded, "bars=1", every_hours=24, clock=lambda: NOW)


async def test_the_audit_log_loses_only_what_retention_removes(seeded: AsyncEngine) -> None:
    async with seeded.begin() as conn:
        for days in (800, 10):
            await conn.execute(
                text("INSERT INTO audit_events (kind, at) VALUES ('login', :at)"),
                {"at": NOW - timedelta(days=days)},
            )
    before = await scalar(seeded, "SELECT count(*) FROM audit_events")
    # An ordinary delete is still refused, even of an old row.
    with pytest.raises(DBAPIError, match="append-only"):
        async with seeded.begin() as conn:
            await conn.execute(text("DELETE FROM audit_events"))
    policy = parse_policy("minute_bars=off,index_minute_bars=off,audit_events=730")
    results = await apply_retention(seeded, policy, now=NOW)
    audit = next(r for r in results if r.kind is RetentionKind.AUDIT_EVENTS)
    assert audit.rows == 1
    assert await scalar(seeded, "SELECT count(*) FROM audit_events") == before - 1
    # The setting lived in retention's transaction only: the log is append-only again.
    with pytest.raises(DBAPIError, match="append-only"):
        async with seeded.begin() as conn:
            await conn.execute(text("DELETE FROM audit_events"))


# Older than any demo news: only the articles these tests add are past the cut-off.
NEWS_POLICY = "minute_bars=off,index_minute_bars=off,news=3650"


async def add_old_and_new_article(engine: AsyncEngine, key: str) -> tuple[int, int]:
    """An article 5,000 days old and one 10 days old, without outbox rows (already indexed)."""
    articles = [
        NewArticle(
            source="retention",
            url=f"https://retention.example/{key}/{age}",
            title=f"Retention {key} story {age} days old",
            summary="",
            body="",
            published_at=NOW - timedelta(days=age),
            category=NewsCategory.MARKET,
        )
        for age in (5000, 10)
    ]
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM search_outbox"))
        old, new = await news_repo.add_articles(conn, articles, outbox=False)
    return old, new


async def test_news_retention_without_a_search_index_queues_nothing(seeded: AsyncEngine) -> None:
    old, new = await add_old_and_new_article(seeded, "plain")
    results = await apply_retention(seeded, parse_policy(NEWS_POLICY), now=NOW)
    news = next(r for r in results if r.kind is RetentionKind.NEWS)
    assert news.rows == 1
    ids = "SELECT count(*) FROM news_articles WHERE id = ANY(:ids)"
    assert await scalar(seeded, ids, ids=[old, new]) == 1
    assert await scalar(seeded, "SELECT count(*) FROM search_outbox") == 0


async def test_news_retention_queues_index_deletes_that_the_worker_sends(
    seeded: AsyncEngine,
) -> None:
    # Given an old and a new article, both indexed in OpenSearch
    old, new = await add_old_and_new_article(seeded, "indexed")
    # When retention runs with the search outbox in use (SEARCH_URL=opensearch://...)
    results = await apply_retention(seeded, parse_policy(NEWS_POLICY), now=NOW, search_outbox=True)
    # Then the old article went, and a delete of it waits in the outbox (the same transaction)
    assert next(r for r in results if r.kind is RetentionKind.NEWS).rows == 1
    assert await scalar(seeded, "SELECT count(*) FROM news_articles WHERE id = :i", i=old) == 0
    async with seeded.connect() as conn:
        queued = (await conn.execute(text("SELECT id, article_id, op FROM search_outbox"))).all()
    assert [(a, o) for _, a, o in queued] == [(old, "delete")]
    # And the worker's next drain sends exactly that delete, versioned by the outbox row
    replay = ReplayServer()
    replay.expect(load("bulk_retention_delete", {"id": old, "version": queued[0][0]}))
    await replay.start()
    backend = OpenSearchBackend.from_url(replay.url, seeded)
    try:
        assert await drain_once(seeded, backend) == DrainResult(settled=1)
    finally:
        await backend.client.close()
        await replay.stop()
    assert (replay.unexpected, replay.exchanges) == ([], [])
    assert await scalar(seeded, "SELECT count(*) FROM search_outbox") == 0
    assert await scalar(seeded, "SELECT count(*) FROM news_articles WHERE id = :i", i=new) == 1
