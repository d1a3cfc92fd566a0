"""API keys through GraphQL and HTTP: shown once, acting as their owner with the owner's current
role, refused with a 401 naming the problem once revoked, expired or unknown, capped by the
plan, owned (another user's key is NOT_FOUND), applying their persisted-query policy, and
never written to a log."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.logs import make_handler, mask
from api.settings import Environment, Settings
from db.repos.api_keys import KeyCache
from domain.accounts.roles import ENTITLEMENTS, Role
from resolvers.context import Services, ephemeral_security
from tests.api.conftest import Api
from tests.api.test_persisted import QUOTE, TRUSTED_REQUIRED, apq, write_manifest
from tests.api.test_profiles import login, signed_in

FIELDS = "id name prefix persistedPolicy createdAt lastUsedAt expiresAt revokedAt"
KEY = f"apiKey {{ {FIELDS} }}"
CREATE = (
    "mutation C($i: CreateApiKeyInput!) "
    f"{{ createApiKey(input: $i) {{ {KEY} secret errors {{ field message code }} }} }}"
)
REVOKE = f"mutation R($id: UUID!) {{ revokeApiKey(id: $id) {{ {KEY} errors {{ field message code }} }} }}"
MINE = "query K($all: Boolean! = false) { apiKeys(includeInactive: $all) { id prefix name } }"
ME = "query Me { me { email role } }"
SECRET = re.compile(r"psx_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
WWW_AUTHENTICATE = 'ApiKey realm="psx", header="X-API-Key"'


def unauthenticated(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}


async def gql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    headers = {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if key:
        headers["x-api-key"] = key
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def create_key(
    http: httpx.AsyncClient, token: str, name: str = "nightly export", **extra: Any
) -> dict[str, Any]:
    body = (await gql(http, CREATE, {"i": {"name": name, **extra}}, token=token)).json()
    result: dict[str, Any] = body["data"]["createApiKey"]
    return result


async def test_a_key_is_shown_once_acts_as_its_owner_and_stops_when_revoked(api: Api) -> None:
    email, tokens = await signed_in(api)
    token = tokens["accessToken"]
    created = await create_key(api.http, token)
    assert created["errors"] == []
    secret = created["secret"]
    match = SECRET.fullmatch(secret)
    assert match is not None
    key = created["apiKey"]
    assert key["prefix"] == match.group(1)
    assert key["name"] == "nightly export"
    assert key["persistedPolicy"] is None
    assert (key["lastUsedAt"], key["expiresAt"], key["revokedAt"]) == (None, None, None)

    # Only its hash is stored.
    async with api.services.database.primary.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT key_hash FROM api_keys WHERE id = :id"), {"id": uuid.UUID(key["id"])}
            )
        ).scalar_one()
    assert stored == hashlib.sha256(secret.encode()).hexdigest()

    me = await gql(api.http, ME, key=secret)
    assert me.status_code == 200
    assert me.json() == {"data": {"me": {"email": email.strip(), "role": "USER"}}}

    listed = (await gql(api.http, f"{{ apiKeys {{ {FIELDS} }} }}", token=token)).json()
    [row] = listed["data"]["apiKeys"]
    assert row["id"] == key["id"] and row["lastUsedAt"] is not None
    assert secret not in str(listed)

    revoked = (await gql(api.http, REVOKE, {"id": key["id"]}, token=token)).json()
    assert revoked["data"]["revokeApiKey"]["errors"] == []
    assert revoked["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    again = (await gql(api.http, REVOKE, {"id": key["id"]}, token=token)).json()
    assert again["data"]["revokeApiKey"] == revoked["data"]["revokeApiKey"]

    refused = await gql(api.http, ME, key=secret)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == WWW_AUTHENTICATE
    assert refused.json() == unauthenticated("Invalid API key: revoked.")

    assert (await gql(api.http, MINE, token=token)).json() == {"data": {"apiKeys": []}}
    inactive = (await gql(api.http, MINE, {"all": True}, token=token)).json()
    assert [k["id"] for k in inactive["data"]["apiKeys"]] == [key["id"]]
    events = (await gql(api.http, "{ auditLog { kind } }", token=token)).json()
    kinds = [e["kind"] for e in events["data"]["auditLog"]]
    assert kinds[:2] == ["API_KEY_REVOKED", "API_KEY_CREATED"]


async def test_an_unknown_or_malformed_key_is_401_even_for_public_data(api: Api) -> None:
    query = "{ sectors { code } }"
    unknown = "psx_0123abcd_" + "A" * 43
    response = await gql(api.http, query, key=unknown)
    assert response.status_code == 401
    assert response.json() == unauthenticated("Invalid API key: unknown key.")
    malformed = await gql(api.http, query, key="not-a-key")
    assert malformed.status_code == 401
    assert malformed.json() == unauthenticated(
        "Invalid API key: not a PSX key (`psx_<prefix>_<secret>`)."
    )
    by_get = await api.http.get("/graphql", params={"query": query}, headers={"x-api-key": unknown})
    assert by_get.status_code == 401


async def test_a_key_and_a_token_together_are_a_bad_request(api: Api) -> None:
    _, tokens = await signed_in(api)
    secret = (await create_key(api.http, tokens["accessToken"]))["secret"]
    response = await gql(api.http, ME, token=tokens["accessToken"], key=secret)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Send either `Authorization` or `X-API-Key`, not both.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


class Clock:
    """Security's clock, moved by hand."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def now(self) -> datetime:
        return self.at


async def app_client(services: Services, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(environment=Environment.TEST, **settings), services=services)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        await app.state.persisted.store.close()


async def test_an_expired_key_is_401(services: Services) -> None:
    clock = Clock()
    own = replace(services, security=replace(ephemeral_security(), now=clock.now))
    async for http in app_client(own):
        api = Api(http, own)
        _, tokens = await signed_in(api)
        expires = (clock.at + timedelta(hours=1)).isoformat()
        created = await create_key(http, tokens["accessToken"], expiresAt=expires)
        assert created["errors"] == []
        assert datetime.fromisoformat(created["apiKey"]["expiresAt"]) == datetime.fromisoformat(
            expires
        )
        assert (await gql(http, ME, key=created["secret"])).status_code == 200
        clock.at += timedelta(hours=2)
        response = await gql(http, ME, key=created["secret"])
        assert response.status_code == 401
        assert response.json() == unauthenticated("Invalid API key: expired.")


async def test_bad_input_gets_errors_naming_the_field_and_creates_nothing(api: Api) -> None:
    _, tokens = await signed_in(api)
    token = tokens["accessToken"]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    naive = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
    cases = [
        ({"name": "   "}, "input.name", "A key's name is 1 to 80 characters."),
        ({"name": "x" * 81}, "input.name", "A key's name is 1 to 80 characters."),
        ({"name": "ok", "expiresAt": past}, "input.expiresAt", "The expiry must be in the future."),
        (
            {"name": "ok", "expiresAt": naive},
            "input.expiresAt",
            "Give the expiry with a time zone (e.g. `Z`).",
        ),
    ]
    for given, field, message in cases:
        body = (await gql(api.http, CREATE, {"i": given}, token=token)).json()
        assert body["data"]["createApiKey"] == {
            "apiKey": None,
            "secret": None,
            "errors": [{"field": field, "message": message, "code": "INVALID"}],
        }, given
    assert (await gql(api.http, MINE, {"all": True}, token=token)).json() == {
        "data": {"apiKeys": []}
    }


async def test_the_plan_caps_usable_keys_and_a_revoked_one_frees_its_place(
    api: Api, engine: AsyncEngine
) -> None:
    email, tokens = await signed_in(api)
    token = tokens["accessToken"]
    cap = ENTITLEMENTS[Role.USER].max_api_keys
    made = [await create_key(api.http, token, f"key {i}") for i in range(cap)]
    assert all(m["errors"] == [] for m in made)
    refused = await create_key(api.http, token, "one too many")
    assert refused == {
        "apiKey": None,
        "secret": None,
        "errors": [
            {
                "field": None,
                "message": f"Your plan allows {cap} API keys; revoke one first.",
                "code": "TOO_LARGE",
            }
        ],
    }
    await gql(api.http, REVOKE, {"id": made[0]["apiKey"]["id"]}, token=token)
    assert (await create_key(api.http, token, "replacement"))["errors"] == []
    # The newest first.
    names = [k["name"] for k in (await gql(api.http, MINE, token=token)).json()["data"]["apiKeys"]]
    assert names == ["replacement", *[f"key {i}" for i in range(cap - 1, 0, -1)]]

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE users SET role = 'PREMIUM' WHERE email = :e"), {"e": email})
    premium = (await login(api, email))["tokens"]["accessToken"]
    more = ENTITLEMENTS[Role.PREMIUM].max_api_keys - cap
    assert all(
        [(await create_key(api.http, premium, f"p{i}"))["errors"] == [] for i in range(more)]
    )
    assert (await create_key(api.http, premium, "over"))["errors"][0]["code"] == "TOO_LARGE"


async def test_a_key_uses_its_owners_current_role(api: Api, engine: AsyncEngine) -> None:
    email, tokens = await signed_in(api)
    secret = (await create_key(api.http, tokens["accessToken"]))["secret"]
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET role = 'PROFESSIONAL' WHERE email = :e"), {"e": email}
        )
    api.services.security.api_keys.forget(hashlib.sha256(secret.encode()).hexdigest())
    me = (await gql(api.http, ME, key=secret)).json()
    assert me["data"]["me"]["role"] == "PROFESSIONAL"


async def test_another_users_key_id_is_not_found_like_a_missing_one(api: Api) -> None:
    _, mine = await signed_in(api)
    _, theirs = await signed_in(api)
    their_key = await create_key(api.http, theirs["accessToken"])
    not_found = {
        "apiKey": None,
        "errors": [{"field": "id", "message": "No such API key.", "code": "NOT_FOUND"}],
    }
    for key_id in (their_key["apiKey"]["id"], str(uuid.uuid4())):
        body = (await gql(api.http, REVOKE, {"id": key_id}, token=mine["accessToken"])).json()
        assert body["data"]["revokeApiKey"] == not_found
    assert (await gql(api.http, MINE, token=mine["accessToken"])).json()["data"]["apiKeys"] == []
    # Still theirs, still working.
    assert (await gql(api.http, ME, key=their_key["secret"])).status_code == 200


async def test_keys_need_a_signed_in_session_and_a_key_cannot_make_keys(api: Api) -> None:
    anonymous = (await gql(api.http, MINE)).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    _, tokens = await signed_in(api)
    secret = (await create_key(api.http, tokens["accessToken"]))["secret"]
    by_key = (await gql(api.http, CREATE, {"i": {"name": "spawn"}}, key=secret)).json()
    assert by_key["data"] is None
    assert by_key["errors"][0]["message"] == "Sign in (not with an API key) to create API keys."
    assert by_key["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A key lists (and could revoke) its owner's keys, but made no new one.
    listed = (await gql(api.http, MINE, key=secret)).json()["data"]["apiKeys"]
    assert len(listed) == 1


OTHER = "query Other { sectors { code } }"


@pytest.fixture
async def trusted(services: Services, tmp_path: Path) -> AsyncIterator[Api]:
    """An app trusting QUOTE only, with the default policy `allow_any`."""
    own = replace(services, security=ephemeral_security())
    manifest = write_manifest(tmp_path / "manifest.json", QUOTE)
    async for http in app_client(own, persisted_documents=(manifest,)):
        yield Api(http, own)


async def test_a_trusted_only_key_runs_trusted_documents_only(trusted: Api) -> None:
    _, tokens = await signed_in(trusted)
    secret = (
        await create_key(trusted.http, tokens["accessToken"], persistedPolicy="TRUSTED_ONLY")
    )["secret"]
    headers = {"x-api-key": secret}
    digest = hashlib.sha256(OTHER.encode()).hexdigest()
    for body in ({"query": OTHER}, {"query": OTHER, "extensions": apq(digest)}):
        response = await trusted.http.post("/graphql", json=body, headers=headers)
        assert response.status_code == 403, body
        assert response.json() == TRUSTED_REQUIRED
    ok = await trusted.http.post(
        "/graphql", json={"extensions": apq(), "variables": {"s": "PSO"}}, headers=headers
    )
    assert ok.json() == {"data": {"quote": {"symbol": "PSO", "last": 430.0}}}
    # The same document without the key runs: the server's default allows it.
    assert (await trusted.http.post("/graphql", json={"query": OTHER})).json()["data"]["sectors"]


async def test_a_key_relaxes_the_server_rules_only_from_the_professional_tier(
    api: Api, engine: AsyncEngine, tmp_path: Path
) -> None:
    # Made through an app that takes any document; used on one holding everyone to the manifest.
    email, tokens = await signed_in(api)
    created = await create_key(api.http, tokens["accessToken"], persistedPolicy="ALLOW_ANY")
    secret = created["secret"]
    manifest = write_manifest(tmp_path / "manifest.json", QUOTE)
    settings = {"persisted_documents": (manifest,), "persisted_default": "trusted_only"}
    async for http in app_client(api.services, **settings):
        headers = {"x-api-key": secret}
        refused = await http.post("/graphql", json={"query": OTHER}, headers=headers)
        assert refused.status_code == 403
        assert refused.json() == TRUSTED_REQUIRED

        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE users SET role = 'PROFESSIONAL' WHERE email = :e"), {"e": email}
            )
        api.services.security.api_keys.forget(hashlib.sha256(secret.encode()).hexdigest())
        allowed = await http.post("/graphql", json={"query": OTHER}, headers=headers)
        assert allowed.status_code == 200
        assert allowed.json()["data"]["sectors"]
        # Anonymous clients are still held to the manifest.
        assert (await http.post("/graphql", json={"query": OTHER})).status_code == 403


async def test_another_process_sees_a_revocation_when_its_cache_entry_ends(
    services: Services,
) -> None:
    moment = [0.0]
    elsewhere_cache = KeyCache(ttl=5.0, clock=lambda: moment[0])
    here = replace(services, security=ephemeral_security())
    elsewhere = replace(services, security=replace(ephemeral_security(), api_keys=elsewhere_cache))
    async for http_here in app_client(here):
        async for http_elsewhere in app_client(elsewhere):
            _, tokens = await signed_in(Api(http_here, here))
            created = await create_key(http_here, tokens["accessToken"])
            secret = created["secret"]
            assert (await gql(http_elsewhere, ME, key=secret)).status_code == 200
            revoke = {"id": created["apiKey"]["id"]}
            await gql(http_here, REVOKE, revoke, token=tokens["accessToken"])
            assert (await gql(http_here, ME, key=secret)).status_code == 401  # at once here
            assert (await gql(http_elsewhere, ME, key=secret)).status_code == 200  # cached
            moment[0] += 5.0
            assert (await gql(http_elsewhere, ME, key=secret)).status_code == 401


async def test_the_key_never_reaches_a_log_and_names_the_client_by_prefix(api: Api) -> None:
    stream = io.StringIO()
    handler = make_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    root.addHandler(keep)
    try:
        _, tokens = await signed_in(api)
        created = await create_key(api.http, tokens["accessToken"])
        secret = created["secret"]
        await gql(api.http, ME, key=secret)
        await gql(api.http, REVOKE, {"id": created["apiKey"]["id"]}, token=tokens["accessToken"])
        await gql(api.http, ME, key=secret)
        logging.getLogger("psx.test").warning("a client sent %s", {"x-api-key": secret})
    finally:
        root.removeHandler(handler)
        root.removeHandler(keep)
        root.setLevel(level)
    secret_part = secret.split("_", 2)[2]
    assert secret_part not in stream.getvalue()
    # Nothing of ours put it in a record in the first place (the test's own line aside).
    ours = [r for r in records if r.name != "psx.test"]
    assert ours
    assert not [r for r in ours if secret_part in r.getMessage() or secret_part in str(r.__dict__)]
    access = [r for r in ours if r.name == "psx.access" and getattr(r, "operation", "") == "Me"]
    assert access
    assert {getattr(r, "client", None) for r in access} == {f"key:{created['apiKey']['prefix']}"}
    metrics = (await api.http.get("/metrics")).text
    assert f'client="key:{created["apiKey"]["prefix"]}"' in metrics


@pytest.mark.parametrize(
    ("logged", "masked"),
    [
        ("retrying with {key} now", "retrying with psx_0123abcd_*** now"),
        ("X-API-Key: {key}", "X-API-Key: ***"),
        ('{{"x-api-key": "{key}"}}', '{{"x-api-key": "***"}}'),
        ("{{'apiKey': '{key}'}}", "{{'apiKey': '***'}}"),
    ],
)
def test_a_key_in_any_text_keeps_only_its_public_prefix(logged: str, masked: str) -> None:
    key = "psx_0123abcd_" + "Zz9-_" * 8 + "abc"
    assert mask(logged.format(key=key)) == masked.format()


async def test_a_keys_requests_draw_on_its_owners_bucket_and_tier(
    services: Services, engine: AsyncEngine
) -> None:
    own = replace(services, security=ephemeral_security())
    limits = {"rate_limit": True, "rate_limit_tiers": "USER=50:0.001,PROFESSIONAL=500:0.001"}
    async for http in app_client(own, **limits):
        email, tokens = await signed_in(Api(http, own))
        secret = (await create_key(http, tokens["accessToken"]))["secret"]
        by_token = await gql(http, ME, token=tokens["accessToken"])
        by_key = await gql(http, ME, key=secret)

        def available(response: httpx.Response) -> float:
            status = response.json()["extensions"]["cost"]["throttleStatus"]
            return float(status["currentlyAvailable"])

        cost = by_key.json()["extensions"]["cost"]["actualQueryCost"]
        assert by_key.headers["ratelimit-policy"].startswith('"USER"')
        # The same bucket as the owner's token: the key's request took its cost from it.
        assert available(by_key) == pytest.approx(available(by_token) - cost, abs=0.5)

        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE users SET role = 'PROFESSIONAL' WHERE email = :e"), {"e": email}
            )
        own.security.api_keys.forget(hashlib.sha256(secret.encode()).hexdigest())
        promoted = await gql(http, ME, key=secret)
        assert promoted.headers["ratelimit-policy"].startswith('"PROFESSIONAL"')


async def test_a_keyed_get_is_private_and_varies_on_the_key(api: Api) -> None:
    _, tokens = await signed_in(api)
    secret = (await create_key(api.http, tokens["accessToken"]))["secret"]
    response = await api.http.get(
        "/graphql", params={"query": "{ sectors { code } }"}, headers={"x-api-key": secret}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert "X-API-Key" in response.headers["vary"]
