"""GraphQL over HTTP at the edge: media types, limits and the status code of each outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.edge import negotiate
from api.settings import Environment, Settings
from resolvers.context import Services

GQL = "application/graphql-response+json"
JSON = "application/json"
QUOTE = '{ quote(symbol: "PSO") { symbol } }'


async def app_client(services: Services, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(environment=Environment.TEST, **settings), services=services)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        await app.state.persisted.store.close()


@pytest.fixture
async def http(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async for client in app_client(services, max_body_bytes=4096):
        yield client


def test_accept_negotiation_prefers_graphql_response_json() -> None:
    assert negotiate(None) == JSON
    assert negotiate("*/*") == JSON
    assert negotiate(f"{GQL}, {JSON};q=0.9") == GQL
    assert negotiate(f"{GQL};q=0.5, {JSON}") == JSON
    assert negotiate(f"{JSON}, {GQL}") == GQL  # a tie goes to the new type
    assert negotiate(f"text/html, {GQL};q=0") is None
    assert negotiate("text/html") is None


async def test_200_with_the_negotiated_content_type(http: httpx.AsyncClient) -> None:
    for accept, kind in ((GQL, GQL), (JSON, JSON), ("*/*", JSON)):
        response = await http.post("/graphql", json={"query": QUOTE}, headers={"accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"] == f"{kind}; charset=utf-8"
        assert response.json() == {"data": {"quote": {"symbol": "PSO"}}}


async def test_294_for_data_with_errors_under_graphql_response_json(
    http: httpx.AsyncClient,
) -> None:
    query = '{ quote(symbol: "PSO") { symbol } me { id } }'  # `me` needs a signed-in user
    partial = await http.post("/graphql", json={"query": query}, headers={"accept": GQL})
    assert partial.status_code == 294
    assert partial.json()["errors"][0]["path"] == ["me"]
    legacy = await http.post("/graphql", json={"query": query}, headers={"accept": JSON})
    assert legacy.status_code == 200


async def test_400_for_a_body_that_is_not_json(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b"{not json", headers={"content-type": JSON, "accept": GQL}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Unable to parse request body as JSON."


async def test_400_for_a_document_that_does_not_parse(http: httpx.AsyncClient) -> None:
    for accept in (GQL, JSON):
        response = await http.post(
            "/graphql", json={"query": "{ quote(symbol: "}, headers={"accept": accept}
        )
        assert response.status_code == 400
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["message"].startswith("Syntax Error:")
        assert body["errors"][0]["locations"] == [{"line": 1, "column": 17}]


async def test_422_for_a_validation_failure_under_graphql_response_json(
    http: httpx.AsyncClient,
) -> None:
    query = '{ quote(symbol: "PSO") { nope } }'
    response = await http.post("/graphql", json={"query": query}, headers={"accept": GQL})
    assert response.status_code == 422
    assert response.headers["content-type"] == f"{GQL}; charset=utf-8"
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["message"].startswith("Cannot query field 'nope' on type 'Quote'")
    # The legacy media type keeps the earlier draft's 200 (what graphql-http audits).
    legacy = await http.post("/graphql", json={"query": query}, headers={"accept": JSON})
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["message"] == body["errors"][0]["message"]


async def test_422_for_variables_that_do_not_coerce(http: httpx.AsyncClient) -> None:
    query = "query Q($s: String!) { quote(symbol: $s) { symbol } }"
    response = await http.post(
        "/graphql", json={"query": query, "variables": {"s": 7}}, headers={"accept": GQL}
    )
    assert response.status_code == 422
    assert "data" not in response.json()


async def test_422_for_a_request_that_is_not_well_formed(http: httpx.AsyncClient) -> None:
    bodies: list[Any] = [{"query": QUOTE, "variables": [1]}, {"operationName": "Q"}, {}, 7]
    for body in bodies:
        response = await http.post("/graphql", json=body, headers={"accept": GQL})
        assert response.status_code == 422, body
    legacy = await http.post("/graphql", json={"query": 1}, headers={"accept": JSON})
    assert legacy.status_code == 400


async def test_405_with_allow_post_for_a_mutation_over_get(http: httpx.AsyncClient) -> None:
    mutation = 'mutation { login(email: "a@b.pk", password: "x") { errors { code } } }'
    response = await http.get("/graphql", params={"query": mutation}, headers={"accept": GQL})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_405_with_allow_for_another_method(http: httpx.AsyncClient) -> None:
    response = await http.put("/graphql", json={"query": QUOTE})
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


async def test_406_when_neither_media_type_is_acceptable(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": QUOTE}, headers={"accept": "text/xml"})
    assert response.status_code == 406
    assert response.headers["content-type"].startswith(JSON)
    get = await http.get("/graphql", params={"query": QUOTE}, headers={"accept": "image/png"})
    assert get.status_code == 406


async def test_413_for_a_body_over_the_limit(http: httpx.AsyncClient) -> None:
    big = {"query": QUOTE, "variables": {"pad": "x" * 5000}}
    response = await http.post("/graphql", json=big)
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"query": "' + b" " * 3000
        yield b" " * 3000 + b'"}'

    streamed = await http.post("/graphql", content=chunks(), headers={"content-type": JSON})
    assert streamed.status_code == 413


async def test_415_for_a_body_that_is_not_application_json(http: httpx.AsyncClient) -> None:
    for content_type in ("application/graphql", "text/plain", f"{JSON}; charset=latin-1"):
        response = await http.post(
            "/graphql", content=QUOTE.encode(), headers={"content-type": content_type}
        )
        assert response.status_code == 415, content_type
    missing = await http.post("/graphql", content=b"{}")
    assert missing.status_code == 415


async def test_batching_is_refused_unless_configured(
    http: httpx.AsyncClient, services: Services
) -> None:
    batch = [{"query": QUOTE}, {"query": "{ sectors { code } }"}]
    refused = await http.post("/graphql", json=batch)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "BATCHING_NOT_ENABLED"
    async for allowed in app_client(services, batch_max=2):
        response = await allowed.post("/graphql", json=batch)
        assert response.status_code == 200
        assert [list(r["data"]) for r in response.json()] == [["quote"], ["sectors"]]
        too_many = await allowed.post("/graphql", json=[*batch, {"query": QUOTE}])
        assert too_many.status_code == 400
        # One status for the batch: a failing member does not make it a 422.
        mixed = [{"query": QUOTE}, {"query": "{ sectors { nope } }"}]
        answer = await allowed.post("/graphql", json=mixed, headers={"accept": GQL})
        assert answer.status_code == 200
        assert "errors" in answer.json()[1]


async def test_the_response_cache_still_serves_repeated_posts(http: httpx.AsyncClient) -> None:
    query = 'query EdgeCached { quote(symbol: "HBL") { symbol last } }'
    first = await http.post("/graphql", json={"query": query}, headers={"accept": GQL})
    second = await http.post("/graphql", json={"query": query}, headers={"accept": GQL})
    assert second.headers["x-cache"] == "hit"
    assert second.status_code == first.status_code == 200
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.content == first.content
    assert "x-psx-outcome" not in second.headers
