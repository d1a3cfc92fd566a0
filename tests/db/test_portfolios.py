"""Portfolio storage: checks refuse impossible rows, a corporate action lands once per
portfolio, the ledger round trips exactly, names are unique per owner, owners only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.repos import portfolio_bars
from db.repos import portfolios as repo
from domain.errors import DomainError, ErrorCode
from domain.portfolios.ledger import PortfolioPolicy, Transaction, TransactionType
from tests.fixtures.portfolios import statement

D = Decimal


@pytest.fixture
async def conn(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as c:
        outer = await c.begin()
        yield c
        await outer.rollback()


async def new_user(conn: AsyncConnection) -> uuid.UUID:
    user_id: uuid.UUID = await conn.scalar(
        text("INSERT INTO users (display_name) VALUES ('Portfolio Tester') RETURNING id")
    )
    return user_id


async def new_portfolio(conn: AsyncConnection, user_id: uuid.UUID, name: str = "Main") -> uuid.UUID:
    created = await repo.create_portfolio(
        conn, user_id=user_id, name=name, policy=PortfolioPolicy(tracks_cash=True)
    )
    return created.id


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ("'BUY', '2025-01-06', '2025-01-08', 'HUBC', 0, 120, NULL", "quantity"),
        ("'SELL', '2025-01-06', '2025-01-08', 'HUBC', 10, 0, NULL", "price"),
        ("'BUY', '2025-01-06', '2025-01-03', 'HUBC', 10, 120, NULL", "settlement"),
        ("'BUY', '2025-01-06', '2025-01-08', NULL, 10, 120, NULL", "symbol"),
        ("'SPLIT', '2025-01-06', '2025-01-06', 'HUBC', 0, 0, NULL", "ratio"),
        ("'BUY', '2025-01-06', '2025-01-08', 'HUBC', 10, 120, 2", "ratio"),
        ("'BUY', '2025-01-06', '2025-01-08', 'HUBC', -5, 120, NULL", "non_negative"),
        ("'DEPOSIT', '2025-01-06', '2025-01-06', NULL, 0, 0, NULL", "amount"),
        ("'GIFT', '2025-01-06', '2025-01-06', 'HUBC', 10, 0, NULL", "type"),
    ],
)
async def test_the_database_refuses_rows_no_valid_transaction_gives(
    conn: AsyncConnection, values: str, constraint: str
) -> None:
    portfolio_id = await new_portfolio(conn, await new_user(conn))
    with pytest.raises(IntegrityError, match=f"ck_portfolio_transactions_{constraint}"):
        async with conn.begin_nested():
            await conn.execute(
                text(
                    "INSERT INTO portfolio_transactions (portfolio_id, type, trade_date,"
                    " settlement_date, symbol, quantity, price, ratio)"
                    f" VALUES (:p, {values})"
                ),
                {"p": portfolio_id},
            )


async def test_a_corporate_action_lands_once_per_portfolio(conn: AsyncConnection) -> None:
    user_id = await new_user(conn)
    first, second = await new_portfolio(conn, user_id, "A"), await new_portfolio(conn, user_id, "B")
    entry = Transaction(
        TransactionType.BONUS,
        date(2025, 5, 12),
        date(2025, 5, 12),
        "HUBC",
        15,
        corporate_action_id=77,
    )
    await repo.add_transactions(conn, first, [entry])
    await repo.add_transactions(conn, second, [entry])
    with pytest.raises(IntegrityError, match="uq_portfolio_transactions_portfolio_id_corporate"):
        async with conn.begin_nested():
            await repo.add_transactions(conn, first, [entry])
    assert [len(v) for v in (await repo.ledgers(conn, [first, second])).values()] == [1, 1]


async def test_the_ledger_round_trips_exactly_in_stored_order(conn: AsyncConnection) -> None:
    policy = PortfolioPolicy(tracks_cash=True)
    portfolio_id = await new_portfolio(conn, await new_user(conn))
    entries = [e.__class__(**{**_fields(e), "id": None}) for e in statement(policy)]
    stored = await repo.add_transactions(conn, portfolio_id, list(reversed(entries)))
    assert all(s.id is not None for s in stored)
    read = await repo.ledger(conn, portfolio_id)
    assert [_fields(t) | {"id": None} for t in read] == [_fields(e) | {"id": None} for e in entries]
    assert read[1].fees == D("18.64") and read[1].taxes == D("3.54")


def _fields(t: Transaction) -> dict[str, object]:
    return {name: getattr(t, name) for name in Transaction.__slots__}


async def test_names_are_unique_per_owner_and_others_see_nothing(conn: AsyncConnection) -> None:
    owner, other = await new_user(conn), await new_user(conn)
    portfolio_id = await new_portfolio(conn, owner, "Main")
    await new_portfolio(conn, other, "Main")
    with pytest.raises(DomainError) as caught:
        await new_portfolio(conn, owner, "Main")
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, "input.name")
    assert await repo.portfolio_for_update(conn, portfolio_id=portfolio_id, user_id=other) is None
    assert (
        await repo.rename_portfolio(conn, portfolio_id=portfolio_id, user_id=other, name="X")
        is None
    )
    assert not await repo.delete_portfolio(conn, portfolio_id=portfolio_id, user_id=other)
    mine = await repo.portfolio_for_update(conn, portfolio_id=portfolio_id, user_id=owner)
    assert mine is not None and mine.name == "Main" and mine.policy.tracks_cash


async def test_window_bars_carry_the_last_close_to_the_first_day(engine: AsyncEngine) -> None:
    async with engine.connect() as c:
        hubc = await c.scalar(text("SELECT id FROM instruments WHERE symbol = 'HUBC'"))
        rows = (
            await c.execute(
                text(
                    "SELECT day, close, volume FROM daily_bars WHERE instrument_id = :i"
                    " AND day BETWEEN '2025-03-07' AND '2025-03-14' ORDER BY day"
                ),
                {"i": hubc},
            )
        ).all()
    saturday = date(2025, 3, 8)
    bars = await portfolio_bars.window_bars(
        engine, instrument_ids=[hubc, 999_999], first_day=saturday, last_day=date(2025, 3, 14)
    )
    closes, volumes, digest = bars[hubc]
    friday = next(r for r in rows if r.day == date(2025, 3, 7))
    assert list(closes.items()) == [(saturday, friday.close)] + [
        (r.day, r.close) for r in rows if r.day > saturday
    ]
    assert volumes == [float(r.volume) for r in rows if r.day > saturday]
    assert 999_999 not in bars
    later = await portfolio_bars.window_bars(
        engine, instrument_ids=[hubc], first_day=saturday, last_day=date(2025, 3, 13)
    )
    assert len(digest) == 32 and later[hubc].digest != digest
