"""Account upkeep through the GraphQL API: settings, profile, sessions, passwords, deletion,
roles."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import PASSWORD, Api, unique_email

LOGIN = """
mutation L($e: String!, $p: String!) {
  login(email: $e, password: $p) { tokens { accessToken refreshToken } errors { code } }
}
"""
REFRESH = "mutation F($t: String!) { refreshToken(refreshToken: $t) { tokens { accessToken } errors { code } } }"
NEW_PASSWORD = "an entirely new passphrase"


async def signed_in(api: Api) -> tuple[str, dict[str, Any]]:
    email = unique_email()
    tokens: dict[str, Any] = (await api.register(email))["tokens"]
    return email, tokens


async def login(api: Api, email: str, password: str = PASSWORD) -> dict[str, Any]:
    result: dict[str, Any] = (await api(LOGIN, {"e": email, "p": password}))["data"]["login"]
    return result


async def refresh_code(api: Api, token: str) -> str | None:
    result = (await api(REFRESH, {"t": token}))["data"]["refreshToken"]
    return None if not result["errors"] else result["errors"][0]["code"]


async def test_settings_start_with_defaults_and_change_field_by_field(api: Api) -> None:
    _, tokens = await signed_in(api)
    token = tokens["accessToken"]
    query = "{ settings { defaultInterval watchlist alertDelivery timeZone theme } }"
    assert (await api(query, token=token))["data"]["settings"] == {
        "defaultInterval": "D1",
        "watchlist": [],
        "alertDelivery": "IN_APP",
        "timeZone": "Asia/Karachi",
        "theme": "SYSTEM",
    }
    update = """
    mutation U($i: UpdateSettingsInput!) {
      updateSettings(input: $i) { settings { watchlist theme timeZone } errors { field code message } }
    }
    """
    ok = await api(
        update, {"i": {"watchlist": ["ogdc", "HUBC", "OGDC"], "theme": "DARK"}}, token=token
    )
    assert ok["data"]["updateSettings"] == {
        "settings": {"watchlist": ["OGDC", "HUBC"], "theme": "DARK", "timeZone": "Asia/Karachi"},
        "errors": [],
    }
    bad = await api(update, {"i": {"timeZone": "Mars/Olympus"}}, token=token)
    assert bad["data"]["updateSettings"]["errors"] == [
        {
            "field": "input.timeZone",
            "code": "INVALID",
            "message": "Unknown time zone 'Mars/Olympus' (use an IANA name).",
        }
    ]
    unknown = await api(update, {"i": {"watchlist": ["NOPE"]}}, token=token)
    assert unknown["data"]["updateSettings"]["errors"][0]["code"] == "UNKNOWN_SYMBOL"
    after = (await api(query, token=token))["data"]["settings"]
    assert after["watchlist"] == ["OGDC", "HUBC"] and after["theme"] == "DARK"


async def test_sessions_are_listed_and_one_can_be_signed_out(api: Api) -> None:
    email, first = await signed_in(api)
    second = (await login(api, email))["tokens"]
    listed = (await api("{ sessions { id ipAddr: ip } }", token=first["accessToken"]))["data"]
    assert len(listed["sessions"]) == 2
    revoke = "mutation R($id: UUID!) { revokeSession(id: $id) { ok errors { code } } }"
    target = listed["sessions"][1]["id"]  # the older sign-in: the registration
    done = await api(revoke, {"id": target}, token=second["accessToken"])
    assert done["data"]["revokeSession"] == {"ok": True, "errors": []}
    assert await refresh_code(api, first["refreshToken"]) == "INVALID_TOKEN"
    assert await refresh_code(api, second["refreshToken"]) is None
    again = await api(revoke, {"id": target}, token=second["accessToken"])
    assert again["data"]["revokeSession"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_changing_the_password_ends_every_other_session(api: Api) -> None:
    email, tokens = await signed_in(api)
    change = """
    mutation C($c: String!, $n: String!) {
      changePassword(currentPassword: $c, newPassword: $n) { tokens { accessToken } errors { field code } }
    }
    """
    wrong = await api(
        change, {"c": "not it at all", "n": NEW_PASSWORD}, token=tokens["accessToken"]
    )
    assert wrong["data"]["changePassword"]["errors"] == [
        {"field": "currentPassword", "code": "INVALID_CREDENTIALS"}
    ]
    weak = await api(change, {"c": PASSWORD, "n": "password"}, token=tokens["accessToken"])
    assert weak["data"]["changePassword"]["errors"] == [
        {"field": "newPassword", "code": "WEAK_PASSWORD"}
    ]
    ok = await api(change, {"c": PASSWORD, "n": NEW_PASSWORD}, token=tokens["accessToken"])
    new_access = ok["data"]["changePassword"]["tokens"]["accessToken"]
    assert (await api("{ me { email } }", token=new_access))["data"]["me"]["email"] == email
    assert (await api("{ me { email } }", token=tokens["accessToken"]))["data"] is None
    assert await refresh_code(api, tokens["refreshToken"]) == "INVALID_TOKEN"
    assert (await login(api, email))["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert (await login(api, email, NEW_PASSWORD))["errors"] == []


async def outbox_token(engine: AsyncEngine, email: str) -> str:
    for _ in range(100):
        async with engine.connect() as conn:
            body = await conn.scalar(
                text("SELECT body FROM mail_outbox WHERE to_address = :e ORDER BY id DESC"),
                {"e": email},
            )
        if body:
            found = re.search(r"^\s{4}(\S+)$", body, re.MULTILINE)
            assert found, body
            return found.group(1)
        await asyncio.sleep(0.02)
    raise AssertionError("no mail in the outbox")


async def test_password_reset_by_mail_reveals_nothing_and_works_once(
    api: Api, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    email, tokens = await signed_in(api)
    ask = "mutation A($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }"
    known = await api.http.post("/graphql", json={"query": ask, "variables": {"e": email}})
    unknown = await api.http.post(
        "/graphql", json={"query": ask, "variables": {"e": unique_email()}}
    )
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    token = await outbox_token(engine, email)
    assert token not in caplog.text
    assert email not in caplog.text
    reset = """
    mutation R($t: String!, $n: String!) { resetPassword(token: $t, newPassword: $n) { ok errors { field code } } }
    """
    assert (await api(reset, {"t": token, "n": NEW_PASSWORD}))["data"]["resetPassword"] == {
        "ok": True,
        "errors": [],
    }
    twice = await api(reset, {"t": token, "n": NEW_PASSWORD + "!"})
    assert twice["data"]["resetPassword"]["errors"] == [{"field": "token", "code": "INVALID_TOKEN"}]
    assert await refresh_code(api, tokens["refreshToken"]) == "INVALID_TOKEN"
    assert (await login(api, email, NEW_PASSWORD))["errors"] == []


async def test_deleting_an_account_leaves_no_usable_session_and_keeps_the_audit_trail(
    api: Api, engine: AsyncEngine
) -> None:
    email, tokens = await signed_in(api)
    me = (await api("{ me { id } }", token=tokens["accessToken"]))["data"]["me"]
    delete = "mutation D($p: String!) { deleteAccount(password: $p) { ok errors { field code } } }"
    wrong = await api(delete, {"p": "wrong password here"}, token=tokens["accessToken"])
    assert wrong["data"]["deleteAccount"]["errors"] == [
        {"field": "password", "code": "INVALID_CREDENTIALS"}
    ]
    ok = await api(delete, {"p": PASSWORD}, token=tokens["accessToken"])
    assert ok["data"]["deleteAccount"] == {"ok": True, "errors": []}
    assert (await api("{ me { id } }", token=tokens["accessToken"]))["data"] is None
    assert await refresh_code(api, tokens["refreshToken"]) == "INVALID_TOKEN"
    assert (await login(api, email))["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT email, password_hash, display_name FROM users WHERE id = :u"),
                {"u": me["id"]},
            )
        ).one()
        kinds = (
            (
                await conn.execute(
                    text("SELECT kind FROM audit_events WHERE user_id = :u ORDER BY id"),
                    {"u": me["id"]},
                )
            )
            .scalars()
            .all()
        )
    assert (row.email, row.password_hash, row.display_name) == (None, None, "Deleted account")
    assert kinds[0] == "REGISTER" and kinds[-1] == "ACCOUNT_DELETED"
    # the address can register again, as a new account
    assert (await api.register(email))["errors"] == []


async def test_only_administrators_change_roles(api: Api, engine: AsyncEngine) -> None:
    _, user = await signed_in(api)
    admin_email, admin = await signed_in(api)
    user_id = (await api("{ me { id } }", token=user["accessToken"]))["data"]["me"]["id"]
    set_role = """
    mutation S($u: UUID!, $r: Role!) { setUserRole(userId: $u, role: $r) { user { role } errors { code } } }
    """
    refused = await api(set_role, {"u": user_id, "r": "ADMIN"}, token=user["accessToken"])
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET role = 'ADMIN' WHERE email = :e"), {"e": admin_email}
        )
    promoted = await login(api, admin_email)
    token = promoted["tokens"]["accessToken"]
    ok = await api(set_role, {"u": user_id, "r": "PREMIUM"}, token=token)
    assert ok["data"]["setUserRole"] == {"user": {"role": "PREMIUM"}, "errors": []}
    log = await api(
        "query Q($u: UUID!) { userAuditLog(userId: $u) { kind } }", {"u": user_id}, token=token
    )
    assert log["data"]["userAuditLog"][0]["kind"] == "ROLE_CHANGED"
    assert admin["accessToken"] != token
