"""Operation limits: abusive documents are refused before anything runs."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query

from schema.limits import MAX_ALIASES, MAX_DEPTH, MAX_FIELDS, MAX_ROOT_FIELDS, MAX_TOKENS
from tests.conftest import GraphQLClient


async def _post(gql: GraphQLClient, query: str) -> dict[str, Any]:
    response = await gql.http.post("/graphql", json={"query": query})
    body: dict[str, Any] = response.json()
    assert response.status_code in (200, 400, 422), response.text
    return body


def _messages(body: dict[str, Any]) -> str:
    assert body.get("data") is None, body
    return " ".join(e["message"] for e in body["errors"])


async def test_graphiqls_introspection_query_is_allowed(gql: GraphQLClient) -> None:
    body = await _post(gql, get_introspection_query(descriptions=True))
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_a_circular_introspection_query_is_refused(gql: GraphQLClient) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }"
    assert "introspection" in _messages(await _post(gql, query)).lower()


async def test_too_deep_a_document_is_refused(gql: GraphQLClient) -> None:
    # The schema has no cycles, so only a document of unknown fields can be this deep: the
    # limit is reported whatever else is wrong with it (and guards any cycle added later).
    inner = "last"
    for _ in range(MAX_DEPTH):
        inner = f"deeper {{ {inner} }}"
    query = f'{{ quote(symbol: "OGDC") {{ {inner} }} }}'
    assert "exceeds maximum operation depth" in _messages(await _post(gql, query))


@pytest.mark.parametrize("count", [MAX_ALIASES + 1, 101])
async def test_alias_batching_is_refused(gql: GraphQLClient, count: int) -> None:
    fields = " ".join(f'q{i}: quote(symbol: "OGDC") {{ last }}' for i in range(count))
    assert "alias" in _messages(await _post(gql, f"{{ {fields} }}")).lower()


async def test_as_many_aliases_as_allowed_still_run(gql: GraphQLClient) -> None:
    fields = " ".join(f"p{i}: last" for i in range(MAX_ALIASES))
    body = await _post(gql, f'{{ quote(symbol: "OGDC") {{ {fields} }} }}')
    assert "errors" not in body and len(body["data"]["quote"]) == MAX_ALIASES


async def test_duplicated_fields_are_refused(gql: GraphQLClient) -> None:
    query = '{ quote(symbol: "OGDC") { ' + " ".join(["last"] * 500) + " } }"
    body = await _post(gql, query)
    assert f"at most {MAX_FIELDS}" in _messages(body)
    assert body["errors"][0]["extensions"]["code"] == "TOO_LARGE"


async def test_directive_overloading_is_refused(gql: GraphQLClient) -> None:
    query = '{ quote(symbol: "OGDC") { last ' + "@include(if: true) " * 10 + "} }"
    assert "directives" in _messages(await _post(gql, query))


async def test_too_many_root_fields_are_refused(gql: GraphQLClient) -> None:
    fields = " ".join(["marketStatus { state }"] * (MAX_ROOT_FIELDS + 1))
    assert "root fields" in _messages(await _post(gql, f"{{ {fields} }}"))


async def test_too_many_tokens_are_refused(gql: GraphQLClient) -> None:
    query = "{ " + " ".join(["__typename"] * MAX_TOKENS) + " }"
    assert "token" in _messages(await _post(gql, query)).lower()


async def test_an_oversized_page_is_refused(gql: GraphQLClient) -> None:
    body = await _post(gql, "{ instruments(first: 99999999) { totalCount } }")
    assert body["errors"][0]["extensions"]["field"] == "first"
