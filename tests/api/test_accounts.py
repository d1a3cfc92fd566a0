"""Accounts through the GraphQL API: registration, sign-in, token rotation, token checks."""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.accounts.roles import Role
from domain.accounts.tokens import ACCESS_TTL, KeySet, TokenType, issue
from resolvers.context import ephemeral_security
from tests.api.conftest import PASSWORD, Api, unique_email

LOGIN = """
mutation L($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    tokens { accessToken refreshToken user { email } }
    errors { field message code }
  }
}
"""
REFRESH = """
mutation F($t: String!) {
  refreshToken(refreshToken: $t) { tokens { accessToken refreshToken } errors { field message code } }
}
"""
LOGOUT = """
mutation O($t: String!, $all: Boolean!) {
  logout(refreshToken: $t, allSessions: $all) { revokedSessions errors { code } }
}
"""
ME = "{ me { email displayName role } }"


async def test_register_signs_the_new_account_in(api: Api) -> None:
    email = unique_email()
    result = await api.register(email)
    assert result["errors"] == []
    tokens = result["tokens"]
    assert tokens["tokenType"] == "Bearer"
    assert tokens["user"]["displayName"] == "Ayesha K"
    assert tokens["user"]["role"] == "USER"
    me = await api(ME, token=tokens["accessToken"])
    assert me == {"data": {"me": {"email": email, "displayName": "Ayesha K", "role": "USER"}}}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 8 characters."),
        ("password123", "This password is too common or too easy to guess; choose another."),
        ("aaaaaaaaaaaa", "This password is too common or too easy to guess; choose another."),
    ],
)
async def test_weak_passwords_are_refused_naming_the_field(
    api: Api, password: str, message: str
) -> None:
    result = await api.register(unique_email(), password)
    assert result == {
        "tokens": None,
        "errors": [{"field": "input.password", "message": message, "code": "WEAK_PASSWORD"}],
    }


async def test_long_passwords_are_welcome_and_not_truncated(api: Api) -> None:
    email = unique_email()
    long = "x7#" * 40  # 120 characters
    assert (await api.register(email, long))["errors"] == []
    truncated = await api(LOGIN, {"email": email, "password": long[:72]})
    assert truncated["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await api(LOGIN, {"email": email, "password": long}))["data"]["login"]["errors"] == []


async def test_an_email_registers_once_whatever_its_case(api: Api) -> None:
    email = unique_email()
    await api.register(email)
    again = await api.register("  " + email.upper() + " ")
    assert again == {
        "tokens": None,
        "errors": [
            {
                "field": "input.email",
                "message": "An account with this email already exists.",
                "code": "EMAIL_TAKEN",
            }
        ],
    }


async def test_login_failure_never_tells_whether_the_email_exists(api: Api) -> None:
    email = unique_email()
    await api.register(email)
    wrong = await api.http.post(
        "/graphql", json={"query": LOGIN, "variables": {"email": email, "password": "nope" * 3}}
    )
    unknown = await api.http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": unique_email(), "password": "nope" * 3}},
    )
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.content == unknown.content
    assert orjson.loads(wrong.content)["data"]["login"]["errors"] == [
        {
            "field": None,
            "message": "Login failed: invalid email or password.",
            "code": "INVALID_CREDENTIALS",
        }
    ]


async def test_a_refresh_token_works_once_and_its_reuse_revokes_the_family(api: Api) -> None:
    first = (await api.register(unique_email()))["tokens"]
    second = (await api(REFRESH, {"t": first["refreshToken"]}))["data"]["refreshToken"]
    assert second["errors"] == []
    assert second["tokens"]["refreshToken"] != first["refreshToken"]

    reuse = (await api(REFRESH, {"t": first["refreshToken"]}))["data"]["refreshToken"]
    assert reuse["tokens"] is None
    assert reuse["errors"] == [
        {
            "field": "refreshToken",
            "message": "Invalid refresh token: sign in again.",
            "code": "INVALID_TOKEN",
        }
    ]
    # the legitimate holder's newer token died with the family
    after = (await api(REFRESH, {"t": second["tokens"]["refreshToken"]}))["data"]["refreshToken"]
    assert after["errors"][0]["code"] == "INVALID_TOKEN"
    log = await api("{ auditLog { kind } }", token=second["tokens"]["accessToken"])
    kinds = [e["kind"] for e in log["data"]["auditLog"]]
    assert kinds[:1] == ["REFRESH_REUSED"]
    assert kinds.count("REGISTER") == 1


async def test_logout_revokes_the_session_and_the_access_token(api: Api) -> None:
    tokens = (await api.register(unique_email()))["tokens"]
    out = await api(
        LOGOUT, {"t": tokens["refreshToken"], "all": False}, token=tokens["accessToken"]
    )
    assert out["data"]["logout"] == {"revokedSessions": 1, "errors": []}
    me = await api(ME, token=tokens["accessToken"])
    assert me["data"] is None
    assert me["errors"][0]["message"] == "Invalid token: revoked."
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = (await api(REFRESH, {"t": tokens["refreshToken"]}))["data"]["refreshToken"]
    assert again["errors"][0]["code"] == "INVALID_TOKEN"


def _token(keys: KeySet, *, typ: TokenType = TokenType.ACCESS, now: datetime | None = None) -> str:
    token, _ = issue(
        keys,
        subject=str(uuid.uuid4()),
        role=Role.USER,
        typ=typ,
        now=now or datetime.now(UTC),
        ttl=ACCESS_TTL,
    )
    return token


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()


async def test_bad_access_tokens_are_refused_with_the_reason(api: Api) -> None:
    keys = api.services.security.keys
    good = _token(keys)
    header, payload, signature = good.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=="))
    none_alg = f"{_b64({'alg': 'none', 'typ': 'at+jwt', 'kid': keys.current})}.{payload}."
    tampered = f"{header}.{_b64({**claims, 'role': 'ADMIN'})}.{signature}"
    cases = {
        "Invalid token: expired.": _token(keys, now=datetime.now(UTC) - timedelta(hours=1)),
        "Invalid token: bad signature or claims.": tampered,
        "Invalid token: wrong audience.": _token(replace(keys, audience="someone-else")),
        "Invalid token: unexpected algorithm.": none_alg,
        "Invalid token: wrong token type.": _token(keys, typ=TokenType.TWO_FACTOR),
        "Invalid token: unknown key.": _token(ephemeral_security().keys),
        "Invalid token: malformed.": "not-a-jwt",
    }
    for message, token in cases.items():
        body = await api(ME, token=token)
        assert body["data"] is None, message
        assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
            (message, "UNAUTHENTICATED")
        ]
    anonymous = await api(ME)
    assert anonymous["errors"][0]["message"] == "Sign in to use this field."


async def test_aliased_logins_in_one_document_are_limited_per_account(api: Api) -> None:
    email = unique_email()
    await api.register(email)
    fields = " ".join(
        f'a{i}: login(email: "{email}", password: "wrong password {i}") {{ errors {{ code }} }}'
        for i in range(20)
    )
    body = await api(f"mutation {{ {fields} }}")
    codes = [body["data"][f"a{i}"]["errors"][0]["code"] for i in range(20)]
    assert codes.count("INVALID_CREDENTIALS") == 10
    assert codes.count("RATE_LIMITED") == 10
    # the right password is refused too until the window passes
    late = await api(LOGIN, {"email": email, "password": PASSWORD})
    assert late["data"]["login"]["errors"][0]["code"] == "RATE_LIMITED"


async def test_the_audit_log_is_append_only(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO audit_events (kind) VALUES ('LOGOUT')"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE audit_events SET kind = 'REGISTER'"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM audit_events"))


def test_eddsa_and_rs256_keys_sign_and_verify_and_cannot_be_confused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from domain.accounts.tokens import SigningKey, verify
    from domain.errors import DomainError

    def pem(private: Any) -> tuple[str, str]:
        priv = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        pub = (
            private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        return priv, pub

    ed_priv, ed_pub = pem(ed25519.Ed25519PrivateKey.generate())
    rsa_priv, rsa_pub = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    keys = KeySet(
        {
            "ed": SigningKey("ed", "EdDSA", private=ed_priv, public=ed_pub),
            "rs": SigningKey("rs", "RS256", private=rsa_priv, public=rsa_pub),
        },
        "ed",
    )
    now = datetime.now(UTC)
    for kid in ("ed", "rs"):
        token = _token(replace(keys, current=kid))
        assert verify(keys, token, typ=TokenType.ACCESS, now=now).role is Role.USER
    # an HS256 token whose secret is the public key (algorithm confusion) is refused
    import jwt

    forged = jwt.encode(
        {"sub": "x"}, "x" * 32, algorithm="HS256", headers={"kid": "rs", "typ": "at+jwt"}
    )
    with pytest.raises(DomainError, match="unexpected algorithm"):
        verify(keys, forged, typ=TokenType.ACCESS, now=now)


def test_key_sets_come_from_configuration_and_weak_keys_are_refused() -> None:
    import base64

    from api.keys import keyset_from_settings
    from api.settings import Settings

    strong = base64.b64encode(b"k" * 32).decode()
    weak = base64.b64encode(b"short").decode()
    older = base64.b64encode(b"o" * 32).decode()
    doc = orjson.dumps(
        {
            "current": "2026-11",
            "keys": {
                "2026-11": {"alg": "HS256", "secret": strong},
                "2026-05": {"alg": "HS256", "secret": older},
            },
        }
    ).decode()
    keys = keyset_from_settings(Settings(jwt_keys=doc))
    assert (
        keys is not None and keys.current == "2026-11" and set(keys.keys) == {"2026-11", "2026-05"}
    )
    # a token signed with the older key still verifies after rotation
    old = _token(replace(keys, current="2026-05"))
    from domain.accounts.tokens import verify

    assert verify(keys, old, typ=TokenType.ACCESS, now=datetime.now(UTC)).role is Role.USER
    with pytest.raises(ValueError, match="32 random bytes"):
        keyset_from_settings(Settings(jwt_secret=weak))
    with pytest.raises(ValueError, match="current"):
        keyset_from_settings(Settings(jwt_keys=doc.replace('"current":"2026-11"', '"current":"x"')))
    assert keyset_from_settings(Settings()) is None
