"""Cost-based rate limiting: reserve the estimate, refund to the actual, throttle when empty."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from graphql import parse
from redis.asyncio import Redis
from sqlalchemy import text
from starlette.responses import Response
from strawberry.types import ExecutionResult

from api.app import create_app
from api.ratelimit import MemoryBuckets, RateLimiter, RedisBuckets, Tier, default_tiers
from api.settings import Environment, Settings
from domain.accounts.roles import ENTITLEMENTS, Role
from domain.accounts.users import Client, normalise_email
from resolvers.context import Principal, Services, ephemeral_security
from schema import build_schema
from schema.cost import estimate_cost
from tests.api.conftest import PASSWORD, unique_email

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# 5 instruments: the connection 1, five edges and nodes 2 each
FIVE = "{ instruments(first: 5) { edges { node { symbol } } } }"
TEN = "{ instruments(first: 10) { edges { node { symbol } } } }"


def _fresh(query: str) -> str:
    """The query made unique, so the response cache (anonymous market data) never answers it:
    a cached answer runs nothing and is not charged."""
    return query[:-1] + f" n{uuid.uuid4().hex}: __typename }}"


GRAPHQL_JSON = "application/graphql-response+json"

Factory = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def app_client(services: Services) -> AsyncIterator[Factory]:
    """Clients of one rate-limited app (in-process buckets), each from an IP of its own."""
    own = replace(services, security=ephemeral_security())
    settings = Settings(
        environment=Environment.TEST, rate_limit=True, rate_limit_tiers="USER=25:0.01"
    )
    app = create_app(settings, services=own)
    clients: list[httpx.AsyncClient] = []

    def make(ip: str = "10.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 4000))
        client = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_a_response_carries_its_cost_and_the_bucket(app_client: Factory) -> None:
    response = await app_client().post("/graphql", json={"query": _fresh(FIVE)})
    body = response.json()
    assert response.status_code == 200
    assert len(body["data"]["instruments"]["edges"]) == 5
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 11
    assert cost["actualQueryCost"] == 11
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 25.0
    assert status["restoreRate"] == 0.01
    assert 14.0 <= status["currentlyAvailable"] < 15.0
    assert response.headers["ratelimit-policy"] == '"USER";q=25;w=2500'
    assert response.headers["ratelimit"].startswith('"USER";r=14;t=')


async def test_an_empty_bucket_throttles_and_nothing_runs(app_client: Factory) -> None:
    client = app_client()
    assert (await client.post("/graphql", json={"query": _fresh(FIVE)})).status_code == 200
    for accept in (GRAPHQL_JSON, "application/json"):
        response = await client.post(
            "/graphql", json={"query": _fresh(TEN)}, headers={"accept": accept}
        )
        body = response.json()
        assert response.status_code == 429, body
        assert int(response.headers["retry-after"]) > 0
        assert "ratelimit" in response.headers
        assert body.get("data") is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "THROTTLED"
        assert error["message"].startswith("Throttled")
        assert body["extensions"]["cost"]["requestedQueryCost"] == 21
        assert body["extensions"]["cost"]["actualQueryCost"] is None
    # a cheaper operation still fits
    assert (await client.post("/graphql", json={"query": _fresh(FIVE)})).status_code == 200


async def test_a_throttled_mutation_changes_nothing(
    app_client: Factory, services: Services
) -> None:
    email = unique_email()
    register = """
    mutation R($input: RegisterInput!) { register(input: $input) { errors { code } } }
    """
    variables = {"input": {"email": email, "password": PASSWORD, "displayName": "A"}}
    response = await app_client().post("/graphql", json={"query": register, "variables": variables})
    assert response.status_code == 429
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "THROTTLED"
    assert "more than your plan's bucket holds (25)" in error["message"]
    async with services.database.primary.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM users WHERE email_normalized = :e"),
            {"e": normalise_email(email)},
        )
    assert found == 0


async def test_the_unused_estimate_is_refunded(app_client: Factory) -> None:
    client = app_client()
    # asks for 10 (cost 21) but finds no instrument: costs the connection only
    query = (
        '{ instruments(first: 10, search: "no-such-company-zzz") { edges { node { symbol } } } }'
    )
    body = (await client.post("/graphql", json={"query": _fresh(query)})).json()
    assert body["data"]["instruments"]["edges"] == []
    assert body["extensions"]["cost"]["requestedQueryCost"] == 21
    assert body["extensions"]["cost"]["actualQueryCost"] == 1
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] >= 24.0
    # so the 21 points are there again
    assert (await client.post("/graphql", json={"query": _fresh(TEN)})).status_code == 200


async def test_anonymous_callers_are_limited_per_ip(app_client: Factory) -> None:
    first, second = app_client("10.0.0.7"), app_client("10.0.0.8")
    assert (await first.post("/graphql", json={"query": _fresh(TEN)})).status_code == 200
    assert (await first.post("/graphql", json={"query": _fresh(TEN)})).status_code == 429
    assert (await second.post("/graphql", json={"query": _fresh(TEN)})).status_code == 200


async def test_a_signed_in_user_has_a_bucket_of_their_own(app_client: Factory) -> None:
    client = app_client("10.0.0.9")
    assert (await client.post("/graphql", json={"query": _fresh(TEN)})).status_code == 200
    assert (await client.post("/graphql", json={"query": _fresh(TEN)})).status_code == 429
    # registering costs more than the anonymous bucket holds: a fresh IP with a bigger one
    other = app_client("10.0.0.10")
    limiter: RateLimiter = other._transport.app.state.rate_limiter  # type: ignore[attr-defined]
    limiter.tiers[Role.USER] = Tier("USER", 1_000, 0.01)
    variables = {"input": {"email": unique_email(), "password": PASSWORD, "displayName": "A"}}
    register = """
    mutation R($input: RegisterInput!) { register(input: $input) { tokens { accessToken } } }
    """
    body = (await other.post("/graphql", json={"query": register, "variables": variables})).json()
    token = body["data"]["register"]["tokens"]["accessToken"]
    limiter.tiers[Role.USER] = Tier("USER", 25, 0.01)
    # the same IP as the throttled anonymous caller, but signed in: the user's own bucket
    response = await client.post(
        "/graphql", json={"query": _fresh(TEN)}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 25.0


@dataclass
class _Ctx:
    user: Principal | None = None
    client: Client = field(default_factory=Client)
    response: Any = field(default_factory=Response)


def _principal(role: Role) -> Principal:
    return Principal(uuid.uuid4(), role, "jti", datetime.now(UTC))


async def test_higher_tiers_have_bigger_buckets() -> None:
    limiter = RateLimiter(MemoryBuckets())
    cost = ENTITLEMENTS[Role.USER].rate_budget_per_minute + 1
    user, professional = _Ctx(_principal(Role.USER)), _Ctx(_principal(Role.PROFESSIONAL))
    denied = await limiter.reserve(user, cost)
    granted = await limiter.reserve(professional, cost)
    assert not denied.allowed and granted.allowed
    assert granted.maximum == ENTITLEMENTS[Role.PROFESSIONAL].rate_budget_per_minute
    assert user.response.status_code == 429
    assert limiter.stats.rejections == {"USER": 1}
    assert (
        default_tiers()[Role.INSTITUTIONAL].restore_rate > default_tiers()[Role.USER].restore_rate
    )


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


async def test_redis_and_in_process_buckets_agree(redis: Redis) -> None:
    tier = Tier("T", 50, 0.001)
    memory, remote = MemoryBuckets(), RedisBuckets(redis, prefix=f"test-rl:{uuid.uuid4()}:")
    steps = [20, 20, 20, -15, 20, 5, -100, 50, 1]
    seen = []
    for buckets in (memory, remote):
        results = [await buckets.take("k", tier, cost) for cost in steps]
        seen.append([(granted, round(points)) for granted, points in results])
    assert seen[0] == seen[1]
    assert [g for g, _ in seen[0]] == [True, True, False, True, True, True, True, True, False]


async def test_concurrent_reservations_never_overdraw(redis: Redis) -> None:
    buckets = RedisBuckets(redis, prefix=f"test-rl:{uuid.uuid4()}:")
    tier = Tier("T", 100, 0.0001)
    results = await asyncio.gather(*(buckets.take("k", tier, 7) for _ in range(90)))
    assert sum(granted for granted, _ in results) == 14  # 14 x 7 = 98 of 100
    assert min(points for _, points in results) >= 0
    _, left = await buckets.take("k", tier, 0)
    assert round(left) == 2


async def test_a_flushed_script_is_loaded_again(redis: Redis) -> None:
    buckets = RedisBuckets(redis, prefix=f"test-rl:{uuid.uuid4()}:")
    tier = Tier("T", 10, 0.0001)
    assert (await buckets.take("k", tier, 4))[0]
    await redis.script_flush()
    granted, left = await buckets.take("k", tier, 4)
    assert granted and round(left) == 2


async def test_a_refund_to_redis_reaches_the_bucket(redis: Redis) -> None:
    tier = Tier("USER", 100, 0.0001)
    limiter = RateLimiter(RedisBuckets(redis, prefix=f"test-rl:{uuid.uuid4()}:"), {Role.USER: tier})
    context = _Ctx()
    reserved = await limiter.reserve(context, 40)
    reported = await limiter.refund(context, 30, reserved)
    await limiter.drain()
    assert reported is not None and round(reported.available) == 90
    _, left = await limiter.buckets.take("ip:unknown", tier, 0)
    assert round(left) == 90
    assert context.response.headers["ratelimit"].startswith('"USER";r=90;')


async def test_a_subscription_pays_its_estimate_to_start() -> None:
    limiter = RateLimiter(MemoryBuckets(), {Role.USER: Tier("USER", 100, 0.0001)})
    built = build_schema(budget=limiter)
    document = 'subscription { quotes(symbols: ["OGDC", "PSO"]) { symbol last } }'
    requested = estimate_cost(built._schema, parse(document))
    # The context has no services: the stream fails at its first step, after the reservation.
    stream = await built.subscribe(document, context_value=_Ctx())
    assert not isinstance(stream, ExecutionResult)
    await asyncio.wait_for(anext(stream), 10)
    await stream.aclose()
    _, left = await limiter.buckets.take("ip:unknown", limiter.tiers[Role.USER], 0)
    assert requested > 0
    assert round(left) == 100 - requested  # charged, not refunded


async def test_a_throttled_subscription_does_not_start() -> None:
    tier = Tier("USER", 1, 0.0001)
    limiter = RateLimiter(MemoryBuckets(), {Role.USER: tier})
    await limiter.buckets.take("ip:unknown", tier, 1)  # the bucket is empty
    built = build_schema(budget=limiter)
    stream = await built.subscribe(
        'subscription { quotes(symbols: ["OGDC", "PSO"]) { symbol last } }', context_value=_Ctx()
    )
    assert not isinstance(stream, ExecutionResult)
    first = await asyncio.wait_for(anext(stream), 10)
    assert first.data is None
    assert first.errors is not None
    assert first.errors[0].extensions["code"] == "THROTTLED"  # type: ignore[index]
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


def _leasing(redis: Redis, prefix: str, tier: Tier, **kwargs: Any) -> RateLimiter:
    """A limiter of one process with leases, on buckets shared through Redis."""
    return RateLimiter(RedisBuckets(redis, prefix=prefix), {Role.USER: tier}, **kwargs)


async def _left(redis: Redis, prefix: str, tier: Tier) -> int:
    _, left = await RedisBuckets(redis, prefix=prefix).take("ip:unknown", tier, 0)
    return round(left)


async def test_a_lease_pays_the_next_operations_without_touching_redis(redis: Redis) -> None:
    tier, prefix = Tier("USER", 1000, 0.0001), f"test-rl:{uuid.uuid4()}:"
    limiter = _leasing(redis, prefix, tier, lease=50)
    context = _Ctx()
    first = await limiter.reserve(context, 10)
    assert first.allowed and round(first.available) == 990
    assert await _left(redis, prefix, tier) == 940  # the cost and a lease of 50
    for _ in range(5):
        assert (await limiter.reserve(context, 10)).allowed
    assert await _left(redis, prefix, tier) == 940  # paid from the lease
    assert context.response.headers["ratelimit"].startswith('"USER";r=940;')
    await limiter.refund(context, 5, first)  # a refund goes back to the lease
    await limiter.close()  # the lease's unspent points go back to the bucket
    assert await _left(redis, prefix, tier) == 945


async def test_leases_of_several_processes_never_spend_more_than_the_bucket(
    redis: Redis,
) -> None:
    tier, prefix = Tier("USER", 100, 0.0001), f"test-rl:{uuid.uuid4()}:"
    processes = [_leasing(redis, prefix, tier, lease=10) for _ in range(3)]
    granted = 0
    for _ in range(20):
        for limiter in processes:
            granted += (await limiter.reserve(_Ctx(), 7)).allowed
    assert granted * 7 <= 100
    assert granted >= 11  # leases left in the other processes keep at most 3 x 9 points idle
    for limiter in processes:
        await limiter.close()
    assert await _left(redis, prefix, tier) == 100 - granted * 7


async def test_a_throttled_caller_keeps_its_lease_and_pays_from_it_first(redis: Redis) -> None:
    tier, prefix = Tier("USER", 100, 0.0001), f"test-rl:{uuid.uuid4()}:"
    limiter = _leasing(redis, prefix, tier, lease=10)
    other = _leasing(redis, prefix, tier, lease=0)
    context = _Ctx()
    assert (await limiter.reserve(context, 80)).allowed  # 80, and a lease of 10
    assert await _left(redis, prefix, tier) == 10
    refused = await limiter.reserve(context, 25)  # lease 10 + Redis 10 < 25
    assert not refused.allowed and round(refused.available) == 20
    assert context.response.status_code == 429
    assert (await limiter.reserve(_Ctx(), 15)).allowed  # 10 from the lease, 5 from Redis
    assert await _left(redis, prefix, tier) == 0  # and the 5 left, leased
    assert not (await other.reserve(_Ctx(), 1)).allowed
    assert (await limiter.reserve(_Ctx(), 5)).allowed
    assert not (await limiter.reserve(_Ctx(), 1)).allowed
    await limiter.close()
    await other.close()


async def test_a_lease_ends_and_its_points_go_back(redis: Redis) -> None:
    tier, prefix = Tier("USER", 1000, 0.0001), f"test-rl:{uuid.uuid4()}:"
    limiter = _leasing(redis, prefix, tier, lease=50, lease_seconds=0.05)
    assert (await limiter.reserve(_Ctx(), 10)).allowed
    assert await _left(redis, prefix, tier) == 940
    await asyncio.sleep(0.2)
    await limiter.drain()
    assert await _left(redis, prefix, tier) == 990
    assert (await limiter.reserve(_Ctx(), 10)).allowed  # a new lease
    assert await _left(redis, prefix, tier) == 930
    await limiter.close()
    assert await _left(redis, prefix, tier) == 980


async def test_a_cached_answer_is_charged_and_reports_the_bucket_now(app_client: Factory) -> None:
    # The same document each time: the second and later answers come from the response cache.
    query = FIVE
    client = app_client("10.0.1.1")
    first = await client.post("/graphql", json={"query": query})
    assert first.status_code == 200 and "x-cache" not in first.headers
    hit = await client.post("/graphql", json={"query": query})
    assert hit.headers["x-cache"] == "hit"
    assert hit.json()["data"] == first.json()["data"]
    cost = hit.json()["extensions"]["cost"]
    assert cost["actualQueryCost"] == 11
    assert 3.0 <= cost["throttleStatus"]["currentlyAvailable"] < 4.0  # 25 - 11 - 11
    assert hit.headers["ratelimit"].startswith('"USER";r=3;')
    assert int(hit.headers["content-length"]) == len(hit.content)
    # Another caller's hit is charged to its own bucket.
    other = await app_client("10.0.1.2").post("/graphql", json={"query": query})
    assert other.headers["x-cache"] == "hit"
    assert other.headers["ratelimit"].startswith('"USER";r=14;')
    # A hit the bucket cannot pay is refused like the operation itself.
    refused = await client.post("/graphql", json={"query": query})
    assert refused.status_code == 429 and "x-cache" not in refused.headers
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


async def test_answers_with_errors_are_not_cached(app_client: Factory) -> None:
    query = '{ quote(symbol: "NOPE") { symbol } }'
    client = app_client("10.0.1.3")
    for _ in range(2):
        response = await client.post("/graphql", json={"query": query})
        assert response.json()["errors"][0]["extensions"]["code"] == "UNKNOWN_SYMBOL"
        assert "x-cache" not in response.headers
