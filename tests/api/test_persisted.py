"""Persisted queries: APQ as Apollo Client speaks it, trusted documents, client policies, and
HTTP caching of persisted GETs."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from api.app import create_app
from api.cli import main
from api.persisted import ClientPolicy, parse_policies
from api.settings import Environment, Settings
from db.persisted import (
    ManifestError,
    MemoryApqStore,
    RedisApqStore,
    TrustedDocument,
    load_trusted,
    manifest_json,
    parse_manifest,
)
from resolvers.context import Services

QUOTE = "query Quote($s: String!) { quote(symbol: $s) { symbol last } }"
QUOTE_HASH = hashlib.sha256(QUOTE.encode()).hexdigest()
GQL = "application/graphql-response+json"
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}
REDIS_URL = "redis://127.0.0.1:6379/0"


def apq(digest: str = QUOTE_HASH) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def get_params(extensions: dict[str, Any], **extra: str) -> dict[str, str]:
    return {"extensions": json.dumps(extensions), "variables": '{"s":"PSO"}', **extra}


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
    """An app with an APQ store of its own (in-process)."""
    async for client in app_client(services):
        yield client


def write_manifest(path: Path, *bodies: str) -> Path:
    documents = [
        TrustedDocument(hashlib.sha256(b.encode()).hexdigest(), b, f"Op{i}", "query")
        for i, b in enumerate(bodies)
    ]
    path.write_bytes(manifest_json(documents))
    return path


# APQ over POST and GET


async def test_apq_post_miss_register_hit(http: httpx.AsyncClient) -> None:
    variables = {"s": "PSO"}
    miss = await http.post("/graphql", json={"extensions": apq(), "variables": variables})
    assert miss.status_code == 200
    assert miss.json() == NOT_FOUND
    assert miss.headers["cache-control"] == "private, no-cache, must-revalidate"

    registered = await http.post(
        "/graphql", json={"query": QUOTE, "extensions": apq(), "variables": variables}
    )
    assert registered.status_code == 200
    assert registered.json() == {"data": {"quote": {"symbol": "PSO", "last": 430.0}}}

    hit = await http.post("/graphql", json={"extensions": apq(), "variables": variables})
    assert hit.status_code == 200
    assert hit.json() == registered.json()


async def test_apq_get_miss_register_hit_with_html_in_accept(http: httpx.AsyncClient) -> None:
    # A browser's fetch sends text/html among its types: the hash-only GET is still an operation.
    headers = {"accept": f"text/html, {GQL}"}
    miss = await http.get("/graphql", params=get_params(apq()), headers=headers)
    assert miss.status_code == 200
    assert miss.json() == NOT_FOUND
    registered = await http.get("/graphql", params=get_params(apq(), query=QUOTE), headers=headers)
    assert registered.json() == {"data": {"quote": {"symbol": "PSO", "last": 430.0}}}
    hit = await http.get("/graphql", params=get_params(apq()), headers=headers)
    assert hit.status_code == 200
    assert hit.headers["content-type"] == f"{GQL}; charset=utf-8"
    assert hit.json() == registered.json()


async def test_apq_hash_mismatch_is_rejected_and_not_stored(http: httpx.AsyncClient) -> None:
    other = "query Other { sectors { code } }"
    response = await http.post("/graphql", json={"query": other, "extensions": apq()})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "provided sha does not match query"
    miss = await http.post("/graphql", json={"extensions": apq(), "variables": {"s": "PSO"}})
    assert miss.json() == NOT_FOUND


async def test_a_huge_document_runs_but_is_not_registered(http: httpx.AsyncClient) -> None:
    huge = QUOTE + "\n#" + "x" * (64 * 1024)
    digest = hashlib.sha256(huge.encode()).hexdigest()
    variables = {"s": "PSO"}
    ran = await http.post(
        "/graphql", json={"query": huge, "extensions": apq(digest), "variables": variables}
    )
    assert ran.json() == {"data": {"quote": {"symbol": "PSO", "last": 430.0}}}
    miss = await http.post("/graphql", json={"extensions": apq(digest), "variables": variables})
    assert miss.json() == NOT_FOUND


async def test_apq_bad_version_and_bad_extensions_json_are_400(http: httpx.AsyncClient) -> None:
    bad = {"persistedQuery": {"version": 2, "sha256Hash": QUOTE_HASH}}
    response = await http.post("/graphql", json={"extensions": bad})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Unsupported persisted query version."
    broken = await http.get("/graphql", params={"extensions": "{not json"})
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["message"] == "Extensions are invalid JSON."


async def test_apq_turned_off_answers_not_supported(services: Services) -> None:
    async for http in app_client(services, apq_enabled=False):
        response = await http.post("/graphql", json={"query": QUOTE, "extensions": apq()})
        assert response.status_code == 200
        assert response.json() == {
            "errors": [
                {
                    "message": "PersistedQueryNotSupported",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
                }
            ]
        }


async def test_a_mutation_registered_by_get_is_refused_and_not_stored(
    http: httpx.AsyncClient,
) -> None:
    mutation = 'mutation M { login(email: "a@b.pk", password: "x") { errors { code } } }'
    digest = hashlib.sha256(mutation.encode()).hexdigest()
    response = await http.get("/graphql", params={"query": mutation, **get_params(apq(digest))})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    miss = await http.post("/graphql", json={"extensions": apq(digest)})
    assert miss.json() == NOT_FOUND


async def test_apq_is_shared_through_redis_across_apps(services: Services) -> None:
    prefix = f"test:apq:{uuid.uuid4().hex}:"
    redis = Redis.from_url(REDIS_URL)
    try:
        async for first in app_client(services, redis_url=REDIS_URL, apq_prefix=prefix):
            await first.post("/graphql", json={"query": QUOTE, "extensions": apq()})
        assert await redis.get(prefix + QUOTE_HASH) == QUOTE.encode()
        assert 0 < await redis.ttl(prefix + QUOTE_HASH) <= 86_400
        # Another process (another app) finds what the first registered.
        async for second in app_client(services, redis_url=REDIS_URL, apq_prefix=prefix):
            hit = await second.post(
                "/graphql", json={"extensions": apq(), "variables": {"s": "PSO"}}
            )
            assert hit.json() == {"data": {"quote": {"symbol": "PSO", "last": 430.0}}}
    finally:
        await redis.delete(prefix + QUOTE_HASH)
        await redis.aclose()


# The stores


async def test_redis_store_round_trip_with_ttl() -> None:
    prefix = f"test:apq:{uuid.uuid4().hex}:"
    redis = Redis.from_url(REDIS_URL)
    store = RedisApqStore(redis, prefix=prefix, ttl_seconds=30)
    try:
        assert await store.get(QUOTE_HASH) is None
        await store.put(QUOTE_HASH, QUOTE)
        assert await store.get(QUOTE_HASH) == QUOTE
        assert 0 < await redis.ttl(prefix + QUOTE_HASH) <= 30
    finally:
        await redis.delete(prefix + QUOTE_HASH)
        await store.close()


async def test_unreachable_redis_is_a_miss_not_an_error() -> None:
    store = RedisApqStore(Redis(port=1, socket_connect_timeout=0.2), prefix="x:")
    await store.put(QUOTE_HASH, QUOTE)
    assert await store.get(QUOTE_HASH) is None
    await store.close()


async def test_memory_store_evicts_the_least_recently_used() -> None:
    store = MemoryApqStore(max_entries=2)
    await store.put("a", "A")
    await store.put("b", "B")
    assert await store.get("a") == "A"  # "b" is now the least recently used
    await store.put("c", "C")
    assert [await store.get(k) for k in "abc"] == ["A", None, "C"]
    assert len(store) == 2


async def test_memory_store_is_bounded_by_size_too() -> None:
    store = MemoryApqStore(max_entries=100, max_chars=10)
    await store.put("a", "x" * 6)
    await store.put("b", "y" * 6)  # 12 characters: "a" goes
    assert (await store.get("a"), await store.get("b")) == (None, "y" * 6)
    await store.put("b", "z" * 4)  # re-registering replaces, it does not add
    await store.put("c", "w" * 6)
    assert (await store.get("b"), await store.get("c")) == ("z" * 4, "w" * 6)


# Trusted documents and policies


def test_manifest_ids_must_hash_their_bodies(tmp_path: Path) -> None:
    good = write_manifest(tmp_path / "m.json", QUOTE)
    assert [d.id for d in parse_manifest(good.read_bytes())] == [QUOTE_HASH]
    doc = json.loads(good.read_text())
    doc["operations"][0]["body"] += " "
    with pytest.raises(ManifestError, match="not the SHA-256 of its body"):
        parse_manifest(json.dumps(doc).encode())
    with pytest.raises(ManifestError, match="format"):
        parse_manifest(b'{"format": "relay", "version": 1, "operations": []}')


def test_a_directory_of_sha256_files_loads_and_checks_names(tmp_path: Path) -> None:
    (tmp_path / f"{QUOTE_HASH}.graphql").write_text(QUOTE)
    assert load_trusted([tmp_path])[QUOTE_HASH].body == QUOTE
    (tmp_path / f"{'0' * 64}.graphql").write_text(QUOTE)
    with pytest.raises(ManifestError, match="not the SHA-256"):
        load_trusted([tmp_path])


def test_policies_parse_per_client_with_a_default() -> None:
    policies = parse_policies(" psx-mobile=trusted_only, psx-web=ALLOW_APQ ", "allow_any")
    assert policies.for_client("psx-mobile") is ClientPolicy.TRUSTED_ONLY
    assert policies.for_client("psx-web") is ClientPolicy.ALLOW_APQ
    assert policies.for_client("curl") is ClientPolicy.ALLOW_ANY
    assert policies.for_client(None) is ClientPolicy.ALLOW_ANY
    with pytest.raises(ValueError, match="unknown persisted-query policy"):
        parse_policies("x=everything")
    with pytest.raises(ValueError, match="client=policy"):
        parse_policies("trusted_only")


def test_edge_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "PSX_MAX_BODY_BYTES": "2048",
            "PSX_BATCH_MAX": "5",
            "PSX_APQ": "off",
            "PSX_PERSISTED_DOCUMENTS": f"{tmp_path / 'a.json'}:{tmp_path / 'docs'}",
            "PSX_PERSISTED_DEFAULT": "trusted_only",
            "PSX_PERSISTED_POLICIES": "psx-web=allow_any",
        }
    )
    assert (settings.max_body_bytes, settings.batch_max, settings.apq_enabled) == (2048, 5, False)
    assert settings.persisted_documents == (tmp_path / "a.json", tmp_path / "docs")
    assert (settings.persisted_default, settings.persisted_policies) == (
        "trusted_only",
        "psx-web=allow_any",
    )
    defaults = Settings.from_env({})
    assert (defaults.max_body_bytes, defaults.batch_max, defaults.persisted_documents) == (
        1 << 20,
        0,
        (),
    )


def test_a_manifest_that_does_not_check_stops_the_app(services: Services, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(manifest_json([TrustedDocument("0" * 64, QUOTE, "Quote", "query")]))
    with pytest.raises(ManifestError, match="not the SHA-256 of its body"):
        create_app(
            Settings(environment=Environment.TEST, persisted_documents=(bad,)), services=services
        )


@pytest.fixture
async def mobile(services: Services, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app that trusts QUOTE only and holds `psx-mobile` to trusted documents."""
    manifest = write_manifest(tmp_path / "manifest.json", QUOTE)
    async for client in app_client(
        services,
        persisted_documents=(manifest,),
        persisted_policies="psx-mobile=trusted_only,psx-web=allow_apq",
    ):
        yield client


MOBILE = {"apollographql-client-name": "psx-mobile"}
TRUSTED_REQUIRED = {
    "errors": [
        {
            "message": "This client may only send trusted documents.",
            "extensions": {"code": "TRUSTED_DOCUMENT_REQUIRED"},
        }
    ]
}


async def test_trusted_only_client_runs_a_trusted_document_by_hash_or_document_id(
    mobile: httpx.AsyncClient,
) -> None:
    expected = {"data": {"quote": {"symbol": "PSO", "last": 430.0}}}
    by_hash = await mobile.post(
        "/graphql", json={"extensions": apq(), "variables": {"s": "PSO"}}, headers=MOBILE
    )
    assert by_hash.json() == expected
    by_id = await mobile.post(
        "/graphql",
        json={"documentId": f"sha256:{QUOTE_HASH}", "variables": {"s": "PSO"}},
        headers=MOBILE,
    )
    assert by_id.json() == expected
    by_get = await mobile.get(
        "/graphql",
        params={"documentId": f"sha256:{QUOTE_HASH}", "variables": '{"s":"PSO"}'},
        headers=MOBILE,
    )
    assert by_get.json() == expected


async def test_trusted_only_client_is_refused_an_unregistered_document(
    mobile: httpx.AsyncClient,
) -> None:
    other = "query Other { sectors { code } }"
    digest = hashlib.sha256(other.encode()).hexdigest()
    for body in (
        {"query": other},
        {"query": other, "extensions": apq(digest)},
        {"extensions": apq(digest)},
        {"documentId": f"sha256:{digest}"},
    ):
        response = await mobile.post("/graphql", json=body, headers=MOBILE)
        assert response.status_code == 403, body
        assert response.json() == TRUSTED_REQUIRED
    # The same document from a client without the policy runs (and so it exists).
    assert (await mobile.post("/graphql", json={"query": other})).json()["data"]["sectors"]


async def test_apq_only_client_may_register_but_not_send_plain_queries(
    mobile: httpx.AsyncClient,
) -> None:
    web = {"apollographql-client-name": "psx-web"}
    other = "query Other { sectors { code } }"
    digest = hashlib.sha256(other.encode()).hexdigest()
    plain = await mobile.post("/graphql", json={"query": other}, headers=web)
    assert plain.status_code == 403
    assert plain.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    registered = await mobile.post(
        "/graphql", json={"query": other, "extensions": apq(digest)}, headers=web
    )
    assert registered.status_code == 200
    assert registered.json()["data"]["sectors"]


async def test_a_malformed_document_id_is_a_bad_request(mobile: httpx.AsyncClient) -> None:
    for document_id in (QUOTE_HASH, f"md5:{QUOTE_HASH}", f"sha256:{QUOTE_HASH.upper()}"):
        response = await mobile.post("/graphql", json={"documentId": document_id})
        assert response.status_code == 400, document_id
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# HTTP caching of GETs


async def test_a_public_persisted_get_is_cacheable_and_revalidates_to_304(
    http: httpx.AsyncClient,
) -> None:
    await http.post("/graphql", json={"query": QUOTE, "extensions": apq()})
    first = await http.get("/graphql", params=get_params(apq()))
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=1"
    assert "Accept" in first.headers["vary"]
    etag = first.headers["etag"]
    assert etag == '"' + hashlib.sha256(first.content).hexdigest()[:32] + '"'
    again = await http.get("/graphql", params=get_params(apq()), headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    stale = await http.get(
        "/graphql", params=get_params(apq()), headers={"if-none-match": '"something-else"'}
    )
    assert stale.status_code == 200


async def test_reference_data_is_cached_longer_than_quotes(http: httpx.AsyncClient) -> None:
    query = '{ instrument(symbol: "PSO") { symbol name } }'
    response = await http.get("/graphql", params={"query": query})
    assert response.headers["cache-control"] == "public, max-age=60"


async def test_a_signed_in_get_is_private_no_store(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql", params={"query": "{ sectors { code } }"}, headers={"authorization": "Bearer x"}
    )
    assert response.headers["cache-control"] == "private, no-store"


async def test_volatile_user_specific_and_failed_gets(http: httpx.AsyncClient) -> None:
    status = await http.get("/graphql", params={"query": "{ marketStatus { state } }"})
    assert status.headers["cache-control"] == "public, no-cache"  # changes with the clock
    assert "etag" in status.headers
    me = await http.get("/graphql", params={"query": "{ me { id } }"})
    assert me.headers["cache-control"] == "no-store"  # an error (UNAUTHENTICATED)
    failed = await http.get("/graphql", params={"query": '{ quote(symbol: "PSO") { nope } }'})
    assert failed.headers["cache-control"] == "no-store"
    assert "etag" not in failed.headers


# GraphiQL


async def test_graphiql_still_opens_on_a_plain_browser_get(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


# CLI


def test_cli_adds_lists_and_verifies_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "quote.graphql"
    source.write_text(QUOTE + "\n")
    manifest = tmp_path / "manifest.json"
    main(["persisted", "add", str(source), "--manifest", str(manifest)])
    [document] = parse_manifest(manifest.read_bytes())
    assert (document.name, document.type) == ("Quote", "query")
    main(["persisted", "list", "--manifest", str(manifest)])
    assert document.id in capsys.readouterr().out
    main(["persisted", "verify", "--manifest", str(manifest)])

    broken = tmp_path / "broken.graphql"
    broken.write_text("query Broken { quote(symbol: 1) { nope } }")
    main(["persisted", "add", str(broken), "--manifest", str(manifest)])
    with pytest.raises(SystemExit) as exit_info:
        main(["persisted", "verify", "--manifest", str(manifest)])
    assert exit_info.value.code == 1
    assert "Broken" in capsys.readouterr().out
