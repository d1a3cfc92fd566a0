"""Demo news follows the demo's own prices: every 5% move has its story, all simulated."""

from __future__ import annotations

from datetime import date

import polars as pl

from domain.demo.fundamentals import demo_statements
from domain.demo.generate import generate_demo
from domain.demo.news import demo_news
from domain.news.articles import DataSource
from domain.news.calendar import EventCategory


def test_every_large_move_gets_a_story_and_the_calendar_has_sbp_and_cpi() -> None:
    data = generate_demo(seed=3, end=date(2026, 11, 19), years=1, minute_sessions=0)
    articles, events = demo_news(data, demo_statements(data, seed=3), seed=3)
    moves = (
        data.daily_bars.sort("symbol", "day")
        .with_columns(chg=pl.col("close") / pl.col("close").shift(1).over("symbol") - 1)
        .filter(pl.col("chg").abs() >= 0.05)
    )
    stories = {(a.symbols, a.published_at.date()) for a in articles if "price-move" in a.tags}
    assert moves.height > 0
    assert stories == {((s,), d) for s, d in moves.select("symbol", "day").iter_rows()}
    drop = next(a for a in articles if "price-move" in a.tags and (a.sentiment or 0) < 0)
    assert any(w in drop.title for w in ("slump", "drops", "falls"))
    assert all(a.data_source is DataSource.SIMULATED for a in articles)
    assert len({a.url for a in articles}) == len(articles)
    kinds = {e.category for e in events}
    assert {
        EventCategory.MONETARY_POLICY,
        EventCategory.INFLATION_CPI,
        EventCategory.EARNINGS,
    } <= kinds
