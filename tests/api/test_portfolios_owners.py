"""Owners only, revealing nothing: another user's portfolio id answers exactly as an id that
does not exist (null in queries, the same NOT_FOUND in mutations), and nothing changes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Api
from tests.api.test_portfolios import (
    OWNER_MUTATIONS,
    OWNER_QUERIES,
    _call,
    _create,
    _hubc_statement,
    _rows,
    _token,
)

FULL = [
    (name, mutation.replace("errors { field code }", "errors { field message code }"), extra)
    for name, mutation, extra in OWNER_MUTATIONS
]


async def _last_entry(engine: AsyncEngine, portfolio_id: str) -> str:
    async with engine.connect() as conn:
        return str(
            await conn.scalar(
                text("SELECT max(id) FROM portfolio_transactions WHERE portfolio_id = :p"),
                {"p": uuid.UUID(portfolio_id)},
            )
        )


@pytest.mark.parametrize(("name", "mutation", "extra"), FULL, ids=[m[0] for m in FULL])
async def test_a_mutation_on_another_users_portfolio_answers_as_on_none(
    api: Api, engine: AsyncEngine, name: str, mutation: str, extra: dict[str, Any]
) -> None:
    owner, other = await _token(api), await _token(api)
    portfolio_id = await _create(api, owner)
    await _hubc_statement(api, owner, portfolio_id)
    before = await _rows(engine, portfolio_id)
    variables = dict(extra)
    if extra.get("t") == "LAST":
        # The other user names a real entry of the owner's ledger.
        variables["t"] = await _last_entry(engine, portfolio_id)
    theirs = await _call(api, mutation, {**variables, "p": portfolio_id}, other)
    nowhere = await _call(api, mutation, {**variables, "p": str(uuid.uuid4())}, other)
    assert theirs == nowhere
    assert theirs[name]["errors"] == [
        {"field": "portfolioId", "message": "No such portfolio.", "code": "NOT_FOUND"}
    ]
    assert await _rows(engine, portfolio_id) == before


async def test_every_query_of_another_users_portfolio_answers_as_of_none(api: Api) -> None:
    owner, other = await _token(api), await _token(api)
    portfolio_id = await _create(api, owner)
    await _hubc_statement(api, owner, portfolio_id)
    for selection in [*OWNER_QUERIES, "id", "createdAt", "filer", "costMethod"]:
        query = f"query Q($id: UUID!) {{ portfolio(id: $id) {{ {selection} }} }}"
        theirs = await api(query, {"id": portfolio_id}, token=other)
        nowhere = await api(query, {"id": str(uuid.uuid4())}, token=other)
        assert theirs == nowhere == {"data": {"portfolio": None}}, selection
