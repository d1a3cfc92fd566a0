"""Importing news feeds: RSS, Atom and JSON lines, deduplicated, tagged with whole words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.news_imports import import_news
from domain.news.feeds import FeedError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "news"
HOSTS = ("wire.example", "atom.example", "jsonl.example")


@pytest.fixture
async def clean(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The engine; the fixture articles removed before and after."""

    async def wipe() -> None:
        async with engine.begin() as conn:
            for host in HOSTS:
                await conn.execute(
                    text("DELETE FROM news_articles WHERE url LIKE :u"), {"u": f"https://{host}/%"}
                )

    await wipe()
    yield engine
    await wipe()


async def _rows(engine: AsyncEngine) -> dict[str, tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT url, title, symbols, category, kind, source, summary FROM news_articles"
                " WHERE url LIKE ANY(:u)"
            ),
            {"u": [f"https://{h}/%" for h in HOSTS]},
        )
        return {r.url: tuple(r[1:]) for r in rows}


async def test_rss_is_tagged_by_whole_words_and_deduplicated(clean: AsyncEngine) -> None:
    summary = await import_news(clean, (FIXTURES / "feed.rss").read_bytes(), source="rss")
    assert (summary.read, summary.added, summary.duplicates) == (4, 2, 1)
    assert [(r.where, r.reason) for r in summary.rejected] == [("item[4]", "no link")]
    rows = await _rows(clean)
    assert rows["https://wire.example/pso-profit"] == (
        "PSO profit climbs on higher margins",
        ["PSO"],
        "COMPANY",
        "NEWS",
        "Test Business Wire",
        "Pakistan State Oil reported a higher profit.",
    )
    assert rows["https://wire.example/psoriasis"][1:3] == ([], "REGULATORY")
    assert "https://wire.example/pso-profit-copy" not in rows


async def test_atom_skips_a_url_already_stored(clean: AsyncEngine) -> None:
    await import_news(clean, (FIXTURES / "feed.rss").read_bytes(), source="rss")
    summary = await import_news(clean, (FIXTURES / "feed.atom").read_bytes(), source="atom")
    assert (summary.read, summary.added, summary.duplicates) == (2, 1, 1)
    rows = await _rows(clean)
    assert rows["https://atom.example/lucky-capacity"][1:3] == (["LUCK"], "SECTOR")


async def test_json_lines_name_every_bad_line(clean: AsyncEngine) -> None:
    summary = await import_news(clean, (FIXTURES / "articles.jsonl").read_bytes(), source="j")
    assert summary.added == 2
    assert [(r.where, r.reason) for r in summary.rejected] == [
        ("line 3", "`published_at` is not an ISO 8601 instant"),
        ("line 4", "not JSON: Expecting value"),
        ("line 5", "`url` is required (a string)"),
    ]
    rows = await _rows(clean)
    assert rows["https://jsonl.example/hubco-results"][1:5] == (
        ["HUBC"],
        "COMPANY",
        "ANNOUNCEMENT",
        "JSONL Desk",
    )
    again = await import_news(clean, (FIXTURES / "articles.jsonl").read_bytes(), source="j")
    assert (again.added, again.duplicates) == (0, 2)


async def test_hostile_xml_is_refused(clean: AsyncEngine) -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss>&a;</rss>'
    with pytest.raises(FeedError):
        await import_news(clean, bomb, source="x")
    with pytest.raises(FeedError):
        await import_news(clean, b"<html><body>no feed</body></html>", source="x")
