"""With Redis, two server processes share the denylist and the attempt counters."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from redis.asyncio import Redis

from api.app import create_app
from api.settings import Environment, Settings
from db.security import RedisDenylist, RedisLimiter
from resolvers.context import Services, ephemeral_security
from tests.api.conftest import PASSWORD, Api, unique_email

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def two_apis(services: Services) -> AsyncIterator[tuple[Api, Api]]:
    redis = Redis.from_url(REDIS_URL)
    keys = ephemeral_security().keys
    apis, clients = [], []
    for _ in range(2):
        security = replace(
            ephemeral_security(),
            keys=keys,
            denylist=RedisDenylist(redis),
            limiter=RedisLimiter(redis),
        )
        own = replace(services, security=security)
        app = create_app(Settings(environment=Environment.TEST), services=own)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        clients.append(client)
        apis.append(Api(client, own))
    yield apis[0], apis[1]
    for client in clients:
        await client.aclose()
    await redis.aclose()


async def test_logout_on_one_process_revokes_the_access_token_on_the_other(
    two_apis: tuple[Api, Api],
) -> None:
    a, b = two_apis
    tokens = (await a.register(unique_email()))["tokens"]
    assert (await b("{ me { email } }", token=tokens["accessToken"]))["data"]["me"]
    logout = "mutation O($t: String!) { logout(refreshToken: $t) { revokedSessions } }"
    await a(logout, {"t": tokens["refreshToken"]}, token=tokens["accessToken"])
    refused = await b("{ me { email } }", token=tokens["accessToken"])
    assert refused["errors"][0]["message"] == "Invalid token: revoked."


async def test_login_attempts_count_across_processes(two_apis: tuple[Api, Api]) -> None:
    a, b = two_apis
    email = unique_email()
    await a.register(email)
    login = "mutation L($e: String!, $p: String!) { login(email: $e, password: $p) { errors { code } } }"
    codes = []
    for i in range(12):
        api = a if i % 2 else b
        body = await api(login, {"e": email, "p": "wrong guess " + str(i)})
        codes.append(body["data"]["login"]["errors"][0]["code"])
    assert codes.count("INVALID_CREDENTIALS") == 10
    assert codes[10:] == ["RATE_LIMITED", "RATE_LIMITED"]
    right = await a(login, {"e": email, "p": PASSWORD})
    assert right["data"]["login"]["errors"] == [{"code": "RATE_LIMITED"}]
