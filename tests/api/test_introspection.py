"""Introspection off in production, except for the partner tiers and admins."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import httpx
import pytest

from api.app import create_app
from api.settings import Environment, Settings
from domain.accounts.roles import Role
from resolvers.context import Principal, Services, ephemeral_security
from schema import build_schema

QUERY = "{ __schema { queryType { name } } }"


@dataclass
class _Ctx:
    user: Principal | None = None


def _as(role: Role) -> _Ctx:
    return _Ctx(Principal(uuid.uuid4(), role, "jti", datetime.now(UTC)))


CLOSED = build_schema(introspection=False)


@pytest.mark.parametrize("role", [Role.PROFESSIONAL, Role.INSTITUTIONAL, Role.ADMIN])
async def test_partner_tiers_and_admins_may_introspect(role: Role) -> None:
    result = await CLOSED.execute(QUERY, context_value=_as(role))
    assert result.errors is None
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


@pytest.mark.parametrize("context", [_Ctx(), _as(Role.USER), _as(Role.PREMIUM)])
async def test_others_may_not(context: _Ctx) -> None:
    result = await CLOSED.execute(QUERY, context_value=context)
    assert result.data is None
    assert result.errors and "introspection" in result.errors[0].message.lower()
    typename = await CLOSED.execute("{ __typename }", context_value=context)
    assert typename.data == {"__typename": "Query"}


async def test_an_anonymous_caller_is_refused_over_http(services: Services) -> None:
    settings = Settings(environment=Environment.PRODUCTION, introspection=False, graphiql=False)
    app = create_app(settings, services=replace(services, security=ephemeral_security()))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        response = await http.post("/graphql", json={"query": QUERY})
    body = response.json()
    assert body.get("data") is None
    assert "introspection" in body["errors"][0]["message"].lower()
