"""Query cost: the static estimate, the actual cost, and the maximum enforced before execution."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from graphql import parse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from api.settings import Environment, Settings
from db.engine import make_engine
from domain.accounts.users import normalise_email
from resolvers.context import Services, ephemeral_security
from schema import schema
from schema.cost import (
    DEFAULT_LIST_SIZE,
    FIELD_WEIGHTS,
    INTROSPECTION_COST,
    MUTATION_COST,
    actual_cost,
    estimate_cost,
)
from tests.api.conftest import PASSWORD, unique_email

SCHEMA = schema._schema
INSTRUMENTS = (
    "query($n: Int) { instruments(first: $n) { totalCount edges { cursor node { symbol } } } }"
)


def _estimate(query: str, variables: dict[str, Any] | None = None) -> int:
    return estimate_cost(SCHEMA, parse(query), None, variables)


def test_scalars_are_free_and_objects_cost_one() -> None:
    assert _estimate('{ quote(symbol: "OGDC") { symbol last change } }') == 1
    assert _estimate("{ __typename }") == 0


def test_a_connection_multiplies_its_edges_by_first_from_the_variables() -> None:
    # the connection 1, then per edge: the edge 1 and its node 1
    assert _estimate(INSTRUMENTS, {"n": 50}) == 1 + 50 * 2
    assert _estimate(INSTRUMENTS, {"n": 5}) == 1 + 5 * 2


def test_an_omitted_first_counts_the_default_page_and_a_huge_one_the_maximum() -> None:
    assert _estimate(INSTRUMENTS) == 1 + 20 * 2
    assert _estimate(INSTRUMENTS, {"n": 99_999_999}) == 1 + 100 * 2


def test_nested_lists_multiply() -> None:
    query = "{ indices { constituents { symbol } } }"
    # 20 assumed indices, each 1 + 30 assumed constituents at 1
    assert _estimate(query) == 20 * (1 + 30)


def test_a_list_without_a_known_size_assumes_the_default() -> None:
    assert _estimate("{ heatmap { tiles { symbol } } }") == DEFAULT_LIST_SIZE * (
        FIELD_WEIGHTS["Query.heatmap"] + DEFAULT_LIST_SIZE
    )


def test_mutations_cost_ten_and_declared_weights_replace_the_object_cost() -> None:
    assert (
        _estimate('mutation { createPortfolio(input: {name: "x"}) { errors { code } } }')
        == MUTATION_COST + DEFAULT_LIST_SIZE
    )
    assert (
        _estimate('mutation { login(input: {email: "a", password: "b"}) { errors { code } } }')
        == FIELD_WEIGHTS["Mutation.login"] + DEFAULT_LIST_SIZE
    )


def test_fragments_skip_and_include_are_followed() -> None:
    query = """
    query($on: Boolean!) { ...Q  b: quote(symbol: "A") @include(if: $on) { last } }
    fragment Q on Query { a: quote(symbol: "B") { last } ... on Query { c: quote(symbol: "C") { last } } }
    """
    assert _estimate(query, {"on": True}) == 3
    assert _estimate(query, {"on": False}) == 2


def test_introspection_has_a_flat_cost() -> None:
    assert _estimate("{ __schema { types { name fields { name } } } }") == INTROSPECTION_COST


def test_the_actual_cost_counts_what_was_resolved() -> None:
    data = {
        "instruments": {
            "totalCount": 3,
            "edges": [{"cursor": "a", "node": {"symbol": "A"}}, {"cursor": "b", "node": None}],
        }
    }
    assert actual_cost(SCHEMA, parse(INSTRUMENTS), data, None, {"n": 50}) == 1 + 2 + 1
    assert actual_cost(SCHEMA, parse(INSTRUMENTS), None) == 0


def test_every_declared_weight_names_a_field_of_the_schema() -> None:
    for key in FIELD_WEIGHTS:
        kind, _, name = key.partition(".")
        assert name in SCHEMA.get_type(kind).fields  # type: ignore[union-attr]


@pytest.fixture
async def small_max(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    own = replace(services, security=ephemeral_security())
    app = create_app(Settings(environment=Environment.TEST, max_query_cost=25), services=own)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


REGISTER = """
mutation R($input: RegisterInput!) {
  register(input: $input) { tokens { accessToken } errors { field message code } }
}
"""


async def test_over_the_maximum_nothing_runs(
    small_max: httpx.AsyncClient, services: Services
) -> None:
    email = unique_email()
    variables = {"input": {"email": email, "password": PASSWORD, "displayName": "A"}}
    response = await small_max.post(
        "/graphql",
        json={"query": REGISTER, "variables": variables},
        headers={"accept": "application/graphql-response+json"},
    )
    body = response.json()
    assert response.status_code == 422, body
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert "over the maximum 25" in error["message"]
    assert error["extensions"]["cost"]["requestedQueryCost"] == (
        FIELD_WEIGHTS["Mutation.register"] + 1 + DEFAULT_LIST_SIZE
    )
    # the account was not created
    async with services.database.primary.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM users WHERE email_normalized = :e"),
            {"e": normalise_email(email)},
        )
    assert found == 0


async def test_under_the_maximum_it_runs(small_max: httpx.AsyncClient) -> None:
    response = await small_max.post("/graphql", json={"query": INSTRUMENTS, "variables": {"n": 5}})
    assert response.status_code == 200
    assert len(response.json()["data"]["instruments"]["edges"]) == 5


async def test_an_operation_over_the_execution_timeout_is_stopped(services: Services) -> None:
    # A timeout no database round trip can meet: the chart's read of bars never finishes.
    settings = Settings(environment=Environment.TEST, execution_timeout=1e-9)
    app = create_app(settings, services=replace(services, security=ephemeral_security()))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        response = await http.post(
            "/graphql",
            json={"query": '{ chart(symbol: "OGDC", interval: D1) { candles { close } } }'},
        )
    body = response.json()
    assert body.get("data") is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "was stopped" in error["message"]


async def test_the_database_cancels_a_statement_over_its_timeout(services: Services) -> None:
    url = services.database.primary.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=1, statement_timeout=50)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match="statement timeout"):
                await conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        await engine.dispose()
