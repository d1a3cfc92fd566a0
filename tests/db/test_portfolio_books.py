"""`rebuild_books` (and `psx-analytics rebuild-books`) stores the book of every portfolio that
has none of its current ledger version, exactly as a ledger change would, and names the
ledgers that do not replay."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import main
from db.repos import portfolio_books as books
from db.repos import portfolios as repo
from domain.portfolios.books import FORMAT, decode_holdings, decode_replay
from domain.portfolios.inputs import TransactionInput, build_transaction
from domain.portfolios.ledger import PortfolioPolicy, TransactionType
from domain.portfolios.lots import replay

POLICY = PortfolioPolicy()


async def _portfolio_with(engine: AsyncEngine, *entries: TransactionInput) -> uuid.UUID:
    """A portfolio whose entries were written straight through the repository (no book)."""
    async with engine.begin() as conn:
        user_id = await conn.scalar(
            text("INSERT INTO users (display_name) VALUES ('Books') RETURNING id")
        )
        created = await repo.create_portfolio(conn, user_id=user_id, name="Old", policy=POLICY)
        await repo.add_transactions(
            conn, created.id, [build_transaction(e, POLICY) for e in entries]
        )
    return created.id


def _buy(day: date, quantity: int) -> TransactionInput:
    return TransactionInput(
        TransactionType.BUY, day, symbol="HUBC", quantity=quantity, price=Decimal("101.50")
    )


async def test_stale_portfolios_get_the_book_a_change_would_store(engine: AsyncEngine) -> None:
    good = await _portfolio_with(engine, _buy(date(2025, 3, 3), 100), _buy(date(2025, 3, 4), 50))
    sale = TransactionInput(
        TransactionType.SELL, date(2025, 3, 4), symbol="HUBC", quantity=10, price=Decimal("99")
    )
    bad = await _portfolio_with(engine, sale)
    done = await books.rebuild_books(engine)
    assert done.stored >= 1
    assert [why for pid, why in done.broken if pid == bad] == [
        "Cannot sell 10 HUBC on 2025-03-04: 0 held."
    ]
    async with engine.connect() as conn:
        stored = await books.books(conn, [good, bad], with_replay=True)
        ledger = await repo.ledger(conn, good)
        version = await conn.scalar(
            text("SELECT ledger_version FROM portfolios WHERE id = :p"), {"p": good}
        )
    assert bad not in stored
    book = stored[good]
    assert book.ledger_version == version and book.ledger is not None
    holdings = decode_holdings(book.holdings, POLICY.cost_method)
    assert holdings is not None
    assert decode_replay(book.ledger, holdings) == (ledger, replay(ledger, POLICY))
    # Nothing is stale any more but the ledger that does not replay.
    again = await books.rebuild_books(engine)
    assert again.stored == 0 and bad in {pid for pid, _ in again.broken}


async def test_the_command_reports_what_it_stored_and_what_does_not_replay(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _portfolio_with(engine, _buy(date(2025, 3, 5), 10))
    sale = TransactionInput(
        TransactionType.SELL, date(2025, 3, 5), symbol="MARI", quantity=1, price=Decimal("9")
    )
    bad = await _portfolio_with(engine, sale)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    with pytest.raises(SystemExit) as exited:
        await asyncio.to_thread(main, ["rebuild-books"])
    assert exited.value.code == 1
    printed = capsys.readouterr()
    said = " ".join((printed.out + printed.err).split())  # the console wraps long lines
    assert "portfolio books stored: " in said and f"portfolio {bad} does not replay" in said


async def test_books_stored_in_an_older_layout_are_rebuilt(engine: AsyncEngine) -> None:
    portfolio_id = await _portfolio_with(engine, _buy(date(2025, 3, 3), 100))
    await books.rebuild_books(engine)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE portfolio_books SET holdings = jsonb_set(holdings, '{format}', :old)"
                " WHERE portfolio_id = :p"
            ),
            {"p": portfolio_id, "old": str(FORMAT - 1)},
        )
        stored = await books.books(conn, [portfolio_id], with_replay=True)
    assert decode_holdings(stored[portfolio_id].holdings, POLICY.cost_method) is None
    done = await books.rebuild_books(engine)
    assert done.stored >= 1
    async with engine.connect() as conn:
        stored = await books.books(conn, [portfolio_id], with_replay=True)
        ledger = await repo.ledger(conn, portfolio_id)
    holdings = decode_holdings(stored[portfolio_id].holdings, POLICY.cost_method)
    assert holdings is not None and stored[portfolio_id].ledger is not None
    assert decode_replay(stored[portfolio_id].ledger, holdings) == (
        ledger,
        replay(ledger, POLICY),
    )
