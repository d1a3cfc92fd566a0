"""Two-factor sign-in through the GraphQL API: enrol, challenge, codes used once, recovery."""

from __future__ import annotations

import time
from typing import Any

import pyotp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import PASSWORD, Api, unique_email

LOGIN = """
mutation L($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    tokens { accessToken } challenge { challengeToken expiresAt } errors { field code message }
  }
}
"""
VERIFY = """
mutation V($t: String!, $code: String!) {
  verifyTwoFactor(challengeToken: $t, code: $code) {
    tokens { accessToken user { email } } errors { field code message }
  }
}
"""
ENABLE = "mutation { enableTwoFactor { enrollment { secret otpauthUri } errors { code } } }"
CONFIRM = """
mutation C($code: String!) { confirmTwoFactor(code: $code) { recoveryCodes errors { field code } } }
"""
DISABLE = """
mutation D($p: String!, $code: String!) {
  disableTwoFactor(password: $p, code: $code) { disabled errors { field code } }
}
"""


def code_at(secret: str, offset_steps: int) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


async def enrolled(api: Api) -> tuple[str, str, str, list[str]]:
    """A user with two-factor on: (email, access token, secret, recovery codes)."""
    email = unique_email()
    token = (await api.register(email))["tokens"]["accessToken"]
    enrollment = (await api(ENABLE, token=token))["data"]["enableTwoFactor"]["enrollment"]
    secret = enrollment["secret"]
    assert enrollment["otpauthUri"].startswith("otpauth://totp/PSX%20Analytics:")
    confirmed = (await api(CONFIRM, {"code": code_at(secret, -1)}, token=token))["data"]
    codes: list[str] = confirmed["confirmTwoFactor"]["recoveryCodes"]
    assert confirmed["confirmTwoFactor"]["errors"] == []
    return email, token, secret, codes


async def challenge(api: Api, email: str) -> str:
    body = await api(LOGIN, {"email": email, "password": PASSWORD})
    result = body["data"]["login"]
    assert result["tokens"] is None and result["errors"] == []
    token: str = result["challenge"]["challengeToken"]
    return token


async def verify(api: Api, token: str, code: str) -> dict[str, Any]:
    result: dict[str, Any] = (await api(VERIFY, {"t": token, "code": code}))["data"][
        "verifyTwoFactor"
    ]
    return result


async def test_login_with_two_factor_takes_a_code_and_a_code_works_once(api: Api) -> None:
    email, _, secret, codes = await enrolled(api)
    assert len(codes) == 10 and len(set(codes)) == 10
    code = code_at(secret, 0)
    first = await verify(api, await challenge(api, email), code)
    assert first["errors"] == []
    assert first["tokens"]["user"]["email"] == email
    # the same code again, on a fresh challenge: refused (RFC 6238 replay)
    again = await verify(api, await challenge(api, email), code)
    assert again == {
        "tokens": None,
        "errors": [
            {"field": "code", "code": "INVALID_CREDENTIALS", "message": "The code is not valid."}
        ],
    }
    # the next step's code is fine (clock drift of one step is allowed)
    later = await verify(api, await challenge(api, email), code_at(secret, 1))
    assert later["errors"] == []


async def test_a_challenge_token_is_single_use_and_no_access_token(api: Api) -> None:
    email, _, secret, _ = await enrolled(api)
    token = await challenge(api, email)
    me = await api("{ me { email } }", token=token)
    assert me["errors"][0]["message"] == "Invalid token: wrong token type."
    assert (await verify(api, token, code_at(secret, 0)))["errors"] == []
    reused = await verify(api, token, code_at(secret, 1))
    assert reused["errors"][0]["code"] == "INVALID_TOKEN"


async def test_a_recovery_code_signs_in_once(api: Api) -> None:
    email, _, _, codes = await enrolled(api)
    spaced = codes[3].lower().replace("-", " ")
    assert (await verify(api, await challenge(api, email), spaced))["errors"] == []
    spent = await verify(api, await challenge(api, email), codes[3])
    assert spent["errors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_secrets_and_recovery_codes_are_not_stored_in_clear(
    api: Api, engine: AsyncEngine
) -> None:
    email, _, secret, codes = await enrolled(api)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT id, totp_secret FROM users WHERE email = :e"), {"e": email}
            )
        ).one()
        hashes = (
            (
                await conn.execute(
                    text("SELECT code_hash FROM recovery_codes WHERE user_id = :u"), {"u": row.id}
                )
            )
            .scalars()
            .all()
        )
    assert secret.encode() not in row.totp_secret
    assert len(hashes) == 10
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(c.replace("-", "") in h for c in codes for h in hashes)


async def test_disabling_needs_the_password_and_a_current_code(api: Api) -> None:
    email, token, secret, _ = await enrolled(api)
    wrong = await api(DISABLE, {"p": "not my password", "code": code_at(secret, 0)}, token=token)
    assert wrong["data"]["disableTwoFactor"] == {
        "disabled": False,
        "errors": [{"field": "password", "code": "INVALID_CREDENTIALS"}],
    }
    ok = await api(DISABLE, {"p": PASSWORD, "code": code_at(secret, 0)}, token=token)
    assert ok["data"]["disableTwoFactor"] == {"disabled": True, "errors": []}
    plain = (await api(LOGIN, {"email": email, "password": PASSWORD}))["data"]["login"]
    assert plain["tokens"] is not None and plain["challenge"] is None


async def test_aliased_code_guesses_are_limited(api: Api) -> None:
    email, _, _, _ = await enrolled(api)
    token = await challenge(api, email)
    fields = " ".join(
        f'g{i}: verifyTwoFactor(challengeToken: "{token}", code: "{i:06d}") {{ errors {{ code }} }}'
        for i in range(12)
    )
    body = await api(f"mutation {{ {fields} }}")
    codes = [body["data"][f"g{i}"]["errors"][0]["code"] for i in range(12)]
    # confirmTwoFactor spent one attempt of the window: 4 guesses left, then the limit
    assert codes.count("RATE_LIMITED") == 8
    assert codes.count("INVALID_CREDENTIALS") == 4


async def test_new_recovery_codes_replace_the_old_ones(api: Api) -> None:
    email, token, secret, old = await enrolled(api)
    regenerate = """
    mutation G($p: String!, $code: String!) {
      regenerateRecoveryCodes(password: $p, code: $code) { recoveryCodes errors { field code } }
    }
    """
    wrong = await api(regenerate, {"p": PASSWORD, "code": "000000"}, token=token)
    assert wrong["data"]["regenerateRecoveryCodes"]["errors"] == [
        {"field": "code", "code": "INVALID_CREDENTIALS"}
    ]
    new = (await api(regenerate, {"p": PASSWORD, "code": code_at(secret, 0)}, token=token))["data"][
        "regenerateRecoveryCodes"
    ]["recoveryCodes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert (await verify(api, await challenge(api, email), old[0]))["errors"][0]["code"] == (
        "INVALID_CREDENTIALS"
    )
    assert (await verify(api, await challenge(api, email), new[0]))["errors"] == []
