"""Importing closing files and bar CSVs into a fresh database: counts, idempotence, rules."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import main
from db.engine import make_engine
from db.imports import import_bar_rows, import_closing_rows
from db.migrate import migrate
from domain.markets.bar_csv import parse_bar_csv
from domain.markets.closing_files import (
    decode_closing_bytes,
    parse_closing_file,
    unpack_closing_archive,
)
from tests.conftest import fresh_database

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "closing11_2025-09-26.lis"


@pytest.fixture
async def empty_db() -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A migrated database with no market data, fresh for each test."""
    url = await fresh_database(f"psx_test_imports_{os.getpid()}")
    eng = make_engine(url)
    await migrate(eng)
    yield url, eng
    await eng.dispose()


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        bars = await conn.scalar(text("SELECT count(*) FROM daily_bars"))
        instruments = await conn.scalar(text("SELECT count(*) FROM instruments"))
    return int(bars or 0), int(instruments or 0)


async def test_closing_file_import_is_idempotent(empty_db: tuple[str, AsyncEngine]) -> None:
    _, engine = empty_db
    rows, rejects = parse_closing_file(decode_closing_bytes(FIXTURE.read_bytes()))
    first = await import_closing_rows(engine, rows, rejects)
    assert (first.read, first.inserted, first.rejected) == (16, 15, 1)
    assert first.new_instruments == 15
    assert dict(first.reasons) == {"did not trade": 1}
    assert await _counts(engine) == (15, 15)
    second = await import_closing_rows(engine, rows, rejects)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 15)
    assert second.new_instruments == 0
    assert await _counts(engine) == (15, 15)
    async with engine.connect() as conn:
        hubc = (
            await conn.execute(
                text(
                    "SELECT b.close, b.prev_close, i.data_source, i.sector_code FROM daily_bars b"
                    " JOIN instruments i ON i.id = b.instrument_id WHERE i.symbol = 'HUBC'"
                )
            )
        ).one()
    assert hubc.close == Decimal("222.31")
    assert hubc.data_source == "PSX_CLOSING" and hubc.sector_code == "0824"


async def test_a_corrected_closing_file_updates_the_bar(empty_db: tuple[str, AsyncEngine]) -> None:
    _, engine = empty_db
    text_ = decode_closing_bytes(FIXTURE.read_bytes())
    rows, rejects = parse_closing_file(text_)
    await import_closing_rows(engine, rows, rejects)
    target = rows[0]
    fixed = text_.replace(f"|{target.volume}|", f"|{target.volume + 100}|", 1)
    rows2, rejects2 = parse_closing_file(fixed)
    summary = await import_closing_rows(engine, rows2, rejects2)
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 14)


async def test_archives_unpack_to_the_same_rows() -> None:
    raw = FIXTURE.read_bytes()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("closing11.lis", raw)
    for data in (raw, gzip.compress(raw), zipped.getvalue()):
        members = unpack_closing_archive(data, "2025-09-26.Z")
        assert [decode_closing_bytes(b) for _, b in members] == [raw.decode()]


async def test_bar_csv_import_rejects_unknown_symbols_and_upserts(
    empty_db: tuple[str, AsyncEngine],
) -> None:
    _, engine = empty_db
    rows, rejects = parse_closing_file(decode_closing_bytes(FIXTURE.read_bytes()))
    await import_closing_rows(engine, rows, rejects)
    csv_text = (
        "symbol,date,time,open,high,low,close,volume\n"
        "HUBC,2025-09-29,,222.00,225.00,221.00,224.10,1000\n"
        "HUBC,2025-09-29,09:32,222.00,222.50,221.90,222.40,300\n"
        "NOSUCH,2025-09-29,,10.00,10.00,10.00,10.00,5\n"
        "HUBC,2025-09-30,,222.00,221.00,223.00,222.00,5\n"
    )
    bars, bad = parse_bar_csv(csv_text)
    summary = await import_bar_rows(engine, bars, bad)
    assert (summary.read, summary.inserted, summary.rejected) == (4, 2, 2)
    assert summary.reasons["unknown symbol NOSUCH"] == 1
    again = await import_bar_rows(engine, bars, bad)
    assert (again.inserted, again.unchanged) == (0, 2)
    async with engine.connect() as conn:
        minute = await conn.scalar(text("SELECT ts FROM minute_bars"))
    assert minute.isoformat() == "2025-09-29T04:32:00+00:00"


async def test_database_rejects_impossible_bars(empty_db: tuple[str, AsyncEngine]) -> None:
    _, engine = empty_db
    rows, rejects = parse_closing_file(decode_closing_bytes(FIXTURE.read_bytes()))
    await import_closing_rows(engine, rows, rejects)
    bad_rows = {
        "high below low": "101.00, 99.00, 100.00, 100.00, 10",
        "off the tick": "100.005, 101.00, 99.00, 100.00, 10",
        "negative volume": "100.00, 101.00, 99.00, 100.00, -1",
    }
    from sqlalchemy.exc import IntegrityError

    for values in bad_rows.values():
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO daily_bars (instrument_id, day, open, high, low, close,"
                        f" volume, turnover) SELECT id, '2025-10-01', {values}, 0"
                        " FROM instruments WHERE symbol = 'HUBC'"
                    )
                )


def test_cli_imports_a_gzipped_closing_file_twice(
    empty_db: tuple[str, AsyncEngine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = empty_db
    archive = tmp_path / "2025-09-26.Z"
    archive.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    monkeypatch.setenv("DATABASE_URL", url)
    for expected in ("inserted 15", "unchanged 15"):
        with pytest.raises(SystemExit) as done:
            main(["import", "closing", str(archive)])
        assert done.value.code == 0
        assert expected in capsys.readouterr().err
