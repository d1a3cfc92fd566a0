"""Importing fundamentals CSVs into a fresh database: counts, idempotence, rules, batched reads."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import main
from db.engine import make_engine
from db.imports import import_closing_rows
from db.migrate import migrate
from db.repos import fundamentals as repo
from domain.fundamentals.csv import parse_fundamentals_csv
from domain.fundamentals.statements import PeriodKind
from domain.markets.closing_files import decode_closing_bytes, parse_closing_file
from domain.markets.instruments import DataSource
from tests.conftest import fresh_database

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "closing11_2025-09-26.lis"

HEADER = (
    "symbol,period,fiscal_year,quarter,period_end,revenue,gross_profit,net_income,eps,"
    "total_assets,total_equity,total_debt,cash,shares,dividends_per_share"
)
CSV = "\n".join(
    (
        HEADER,
        "HUBC,ANNUAL,2025,,2025-06-30,120000000000,40000000000,30000000000,23.13,"
        "500000000000,200000000000,150000000000,20000000000,1297154400,20.00",
        "HUBC,QUARTERLY,2026,1,2025-09-30,30000000000,10000000000,8000000000,6.17,"
        "510000000000,205000000000,150000000000,21000000000,1297154400,5.00",
        "HUBC,QUARTERLY,2026,2,2025-12-31,31000000000,,8100000000,,515000000000,206000000000,,,0,",
        "NBP,ANNUAL,2024,,2024-12-31,300000000000,,60000000000,28.20,"
        "7000000000000,500000000000,800000000000,400000000000,2127500000,",
        "NOSUCH,ANNUAL,2025,,2025-06-30,1,,1,1,10,5,,,1,",
    )
)


@pytest.fixture
async def db_with_instruments() -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A migrated database holding the instruments of one closing file, fresh for each test."""
    url = await fresh_database(f"psx_test_fundamentals_{os.getpid()}")
    eng = make_engine(url)
    await migrate(eng)
    rows, rejects = parse_closing_file(decode_closing_bytes(FIXTURE.read_bytes()))
    await import_closing_rows(eng, rows, rejects)
    yield url, eng
    await eng.dispose()


async def _stored(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT i.symbol, s.period, s.fiscal_year, s.fiscal_quarter, s.net_income,"
                " s.data_source FROM financial_statements s JOIN instruments i"
                " ON i.id = s.instrument_id ORDER BY 1, 2, 3, 4"
            )
        )
        return list(result.all())


async def test_import_is_an_idempotent_upsert_reporting_bad_rows_by_line(
    db_with_instruments: tuple[str, AsyncEngine],
) -> None:
    _, engine = db_with_instruments
    rows, rejects = parse_fundamentals_csv(CSV)

    first = await repo.import_statement_rows(engine, rows, rejects)

    assert (first.read, first.inserted, first.updated, first.unchanged) == (5, 3, 0, 0)
    assert first.rejected == 2
    assert sorted((r.line_no, r.reason) for r in first.examples) == [
        (4, "shares must be positive, got 0"),
        (6, "unknown symbol NOSUCH"),
    ]
    stored = await _stored(engine)
    assert [(r.symbol, r.period, r.fiscal_year, r.fiscal_quarter) for r in stored] == [
        ("HUBC", "ANNUAL", 2025, None),
        ("HUBC", "QUARTERLY", 2026, 1),
        ("NBP", "ANNUAL", 2024, None),
    ]
    assert {r.data_source for r in stored} == {"CSV"}

    second = await repo.import_statement_rows(engine, rows, rejects)

    assert (second.inserted, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 2)
    assert len(await _stored(engine)) == 3


async def test_a_corrected_file_updates_only_the_changed_statement(
    db_with_instruments: tuple[str, AsyncEngine],
) -> None:
    _, engine = db_with_instruments
    await repo.import_statement_rows(engine, *parse_fundamentals_csv(CSV))
    fixed = CSV.replace(",8000000000,6.17,", ",8200000000,6.32,")

    summary = await repo.import_statement_rows(engine, *parse_fundamentals_csv(fixed))

    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 2)
    q1 = [r for r in await _stored(engine) if r.fiscal_quarter == 1]
    assert q1[0].net_income == Decimal("8200000000.00")


async def test_one_file_is_one_transaction(
    db_with_instruments: tuple[str, AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, engine = db_with_instruments
    rows, _ = parse_fundamentals_csv(CSV)
    # NBP's year breaks a database rule after HUBC's statements were written in chunks of 1.
    nbp = rows[2]
    broken = replace(nbp, statement=replace(nbp.statement, fiscal_quarter=3))
    monkeypatch.setattr(repo, "CHUNK", 1)

    with pytest.raises(IntegrityError, match="ck_financial_statements_quarter"):
        await repo.import_statement_rows(engine, [rows[0], rows[1], broken], [])

    assert await _stored(engine) == []


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ("'QUARTERLY', 2026, 5, '2025-09-30', 10, 1, 100, 50", "ck_financial_statements_quarter"),
        ("'ANNUAL', 2026, 4, '2026-06-30', 10, 1, 100, 50", "ck_financial_statements_quarter"),
        ("'MONTHLY', 2026, NULL, '2026-06-30', 10, 1, 100, 50", "period_values"),
        ("'ANNUAL', 2026, NULL, '2026-06-30', 10, 0, 100, 50", "ck_financial_statements_shares"),
        ("'ANNUAL', 2026, NULL, '2026-06-30', 10, 1, 100, 101", "equity_within_assets"),
        ("'ANNUAL', 2026, NULL, '2026-06-30', -1, 1, 100, 50", "ck_financial_statements_revenue"),
    ],
)
async def test_database_refuses_impossible_statements(
    db_with_instruments: tuple[str, AsyncEngine], values: str, constraint: str
) -> None:
    _, engine = db_with_instruments
    with pytest.raises(IntegrityError, match=constraint):
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO financial_statements (instrument_id, period, fiscal_year,"
                    " fiscal_quarter, period_end, revenue, shares, total_assets, total_equity,"
                    f" net_income, eps, book_value_per_share) SELECT id, {values}, 0, 0, 0"
                    " FROM instruments WHERE symbol = 'HUBC'"
                )
            )


async def test_database_keeps_one_row_per_fiscal_year(
    db_with_instruments: tuple[str, AsyncEngine],
) -> None:
    _, engine = db_with_instruments
    insert = text(
        "INSERT INTO financial_statements (instrument_id, period, fiscal_year, period_end,"
        " revenue, shares, total_assets, total_equity, net_income, eps, book_value_per_share)"
        " SELECT id, 'ANNUAL', 2026, '2026-06-30', 10, 1, 100, 50, 0, 0, 0"
        " FROM instruments WHERE symbol = 'HUBC'"
    )
    async with engine.begin() as conn:
        await conn.execute(insert)
    # The quarter is NULL on both rows; the key still treats them as the same year.
    with pytest.raises(IntegrityError, match="uq_financial_statements_period"):
        async with engine.begin() as conn:
            await conn.execute(insert)


async def test_latest_statements_are_read_for_many_instruments_in_one_query(
    db_with_instruments: tuple[str, AsyncEngine],
) -> None:
    _, engine = db_with_instruments
    lines = [HEADER]
    for fy in range(2020, 2027):
        lines.append(f"HUBC,ANNUAL,{fy},,{fy}-06-30,{fy},,{fy},1,1000,500,,,1297154400,")
        for q, end in ((1, f"{fy - 1}-09-30"), (2, f"{fy - 1}-12-31"), (3, f"{fy}-03-31")):
            lines.append(f"HUBC,QUARTERLY,{fy},{q},{end},{fy}{q},,1,1,1000,500,,,1297154400,")
    lines.append("NBP,ANNUAL,2024,,2024-12-31,5,,1,1,1000,500,,,2127500000,")
    await repo.import_statement_rows(engine, *parse_fundamentals_csv("\n".join(lines)))
    async with engine.connect() as conn:
        ids = dict((await conn.execute(text("SELECT symbol, id FROM instruments"))).all())
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        latest = await repo.latest_statements(
            engine, instrument_ids=[ids["HUBC"], ids["NBP"], ids["OGDC"]]
        )
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert len(statements) == 1
    assert latest[ids["OGDC"]] == []
    assert [s.key for s in latest[ids["NBP"]]] == [(PeriodKind.ANNUAL, 2024, None)]
    hubc = latest[ids["HUBC"]]
    quarters = [s for s in hubc if s.period is PeriodKind.QUARTERLY]
    annuals = [s for s in hubc if s.period is PeriodKind.ANNUAL]
    assert [s.fiscal_year for s in annuals] == [2026, 2025, 2024, 2023]
    assert len(quarters) == 8
    assert [(s.fiscal_year, s.fiscal_quarter) for s in quarters[:4]] == [
        (2026, 3),
        (2026, 2),
        (2026, 1),
        (2025, 3),
    ]
    assert [s.period_end for s in hubc] == sorted((s.period_end for s in hubc), reverse=True)
    assert hubc[0].data_source is DataSource.CSV
    assert (hubc[0].key, hubc[0].revenue) == ((PeriodKind.ANNUAL, 2026, None), Decimal("2026.00"))
    assert quarters[0].revenue == Decimal("20263.00")

    by_period = await repo.statements(
        engine, instrument_ids=[ids["HUBC"]], period=PeriodKind.ANNUAL, limit=2
    )
    assert [s.fiscal_year for s in by_period[ids["HUBC"]]] == [2026, 2025]


def test_cli_imports_a_fundamentals_csv_twice(
    db_with_instruments: tuple[str, AsyncEngine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = db_with_instruments
    path = tmp_path / "fundamentals.csv"
    path.write_text(CSV, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    for expected in ("inserted 3", "unchanged 3"):
        with pytest.raises(SystemExit) as done:
            main(["import", "fundamentals", str(path)])
        assert done.value.code == 0
        out = capsys.readouterr().err
        assert expected in out
        assert "line 4: shares must be positive, got 0" in out
        assert "line 6: unknown symbol NOSUCH" in out


def test_cli_rejects_a_file_with_an_unknown_column(
    db_with_instruments: tuple[str, AsyncEngine],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = db_with_instruments
    path = tmp_path / "bad.csv"
    path.write_text(CSV.replace("dividends_per_share", "dps"), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SystemExit) as done:
        main(["import", "fundamentals", str(path)])
    assert done.value.code == 1
    assert "unknown column(s): dps" in " ".join(capsys.readouterr().err.split())
