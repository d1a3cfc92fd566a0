"""`psx-analytics import news FILE...` through the CLI entry point (api/cli.py): RSS, Atom and
JSON lines, deduplicated, bad lines named by number, and the exit status.

The command runs against a database of this module's own (a small demo market, so that
tickers and company names can be tagged), never the session's shared one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import main
from db.engine import make_engine
from db.migrate import migrate
from db.seed import seed_demo
from tests.conftest import DEMO_END, fresh_database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "news"
HOSTS = ("wire.example", "atom.example", "jsonl.example")


@pytest.fixture(scope="module")
async def news_db() -> AsyncIterator[AsyncEngine]:
    """A migrated database with a small demo market (its instruments and company names)."""
    eng = make_engine(await fresh_database(f"psx_test_news_cli_{os.getpid()}"))
    await migrate(eng)
    await seed_demo(eng, seed=7, end=DEMO_END, years=1, minute_sessions=1)
    yield eng
    await eng.dispose()


@pytest.fixture
async def db(news_db: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncEngine]:
    """The module's database as DATABASE_URL, without the fixtures' articles or outbox rows."""

    async def wipe() -> None:
        async with news_db.begin() as conn:
            await conn.execute(
                text("DELETE FROM news_articles WHERE url LIKE ANY(:u)"),
                {"u": [f"https://{h}/%" for h in HOSTS]},
            )
            await conn.execute(text("DELETE FROM search_outbox"))

    monkeypatch.setenv("DATABASE_URL", news_db.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SEARCH_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    await wipe()
    yield news_db
    await wipe()


async def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run `psx-analytics import news ARGS` (in a thread: it runs its own event loop); the exit
    status and what it printed, whitespace collapsed (the console wraps long lines)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(main, ["import", "news", *args])
    printed = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, " ".join((printed.out + printed.err).split())


async def stored(engine: AsyncEngine) -> dict[str, list[str]]:
    """The fixtures' stored articles: url -> symbols tagged."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT url, symbols FROM news_articles WHERE url LIKE ANY(:u)"),
            {"u": [f"https://{h}/%" for h in HOSTS]},
        )
        return {r.url: list(r.symbols) for r in rows}


def feed(tmp_path: Path, name: str) -> str:
    """A copy of fixture `name` in tmp_path: the command names its source after the file."""
    return str(shutil.copy(FIXTURES / name, tmp_path / name))


async def test_an_rss_feed_is_imported_tagged_and_deduplicated(
    db: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # When an RSS feed with a near-duplicate title and an item without a link is imported
    path = feed(tmp_path, "feed.rss")
    code, out = await run(capsys, path)
    # Then it succeeds, saying what it read, added, skipped and rejected, and where
    assert code == 0
    assert f"{path}: 4 read, 2 added, 1 duplicates, 1 rejected" in out
    assert "item[4]: no link" in out
    # And the stories are stored, tagged by whole words only (PSO, not PSOriasis)
    assert await stored(db) == {
        "https://wire.example/pso-profit": ["PSO"],
        "https://wire.example/psoriasis": [],
    }
    # When the same feed comes again, nothing is added
    code, out = await run(capsys, path)
    assert code == 0
    assert f"{path}: 4 read, 0 added, 3 duplicates, 1 rejected" in out
    assert len(await stored(db)) == 2


async def test_an_atom_feed_after_rss_skips_the_url_already_stored(
    db: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rss, atom = feed(tmp_path, "feed.rss"), feed(tmp_path, "feed.atom")
    code, out = await run(capsys, rss, atom)
    assert code == 0
    assert f"{atom}: 2 read, 1 added, 1 duplicates, 0 rejected" in out
    assert (await stored(db))["https://atom.example/lucky-capacity"] == ["LUCK"]


async def test_json_lines_report_each_bad_line_by_number(
    db: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # When a JSON-lines file with three bad lines among five is imported
    path = feed(tmp_path, "articles.jsonl")
    code, out = await run(capsys, path)
    # Then the good lines are stored and each bad one is named by its line number
    assert code == 0
    assert f"{path}: 5 read, 2 added, 0 duplicates, 3 rejected" in out
    assert "line 3: `published_at` is not an ISO 8601 instant" in out
    assert "line 4: not JSON: Expecting value" in out
    assert "line 5: `url` is required (a string)" in out
    assert await stored(db) == {
        "https://jsonl.example/hubco-results": ["HUBC"],
        "https://jsonl.example/sbp": [],
    }


async def test_a_file_that_is_no_feed_fails_the_command_but_not_the_others(
    db: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "page.xml"
    bad.write_bytes(b"<html><body>no feed</body></html>")
    good = feed(tmp_path, "feed.atom")
    code, out = await run(capsys, str(bad), good)
    assert code == 1
    assert f"{bad}:" in out
    assert f"{good}: 2 read, 2 added" in out
    assert set(await stored(db)) == {
        "https://atom.example/lucky-capacity",
        "https://wire.example/pso-profit",
    }


async def test_with_opensearch_configured_each_added_article_is_queued_for_the_index(
    db: AsyncEngine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The command only fills the outbox; a server's worker sends it (nothing listens here).
    monkeypatch.setenv("SEARCH_URL", "opensearch://127.0.0.1:9")
    code, _ = await run(capsys, feed(tmp_path, "feed.rss"))
    assert code == 0
    async with db.connect() as conn:
        queued = (
            await conn.execute(
                text(
                    "SELECT a.url, o.op FROM search_outbox o"
                    " JOIN news_articles a ON a.id = o.article_id ORDER BY a.url"
                )
            )
        ).all()
    assert [tuple(r) for r in queued] == [
        ("https://wire.example/pso-profit", "index"),
        ("https://wire.example/psoriasis", "index"),
    ]
