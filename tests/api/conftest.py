"""Fixtures of the API tests that need security state of their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Environment, Settings
from resolvers.context import Services, ephemeral_security

PASSWORD = "correct horse battery staple"
REGISTER = """
mutation R($input: RegisterInput!) {
  register(input: $input) {
    tokens { accessToken refreshToken tokenType user { id email displayName role } }
    errors { field message code }
  }
}
"""


class Api:
    """A client of an app with security state of its own (fresh limits, fresh keys)."""

    def __init__(self, http: httpx.AsyncClient, services: Services) -> None:
        self.http = http
        self.services = services

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()

    async def register(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        body = await self(
            REGISTER,
            {"input": {"email": email, "password": password, "displayName": " Ayesha  K "}},
        )
        result: dict[str, Any] = body["data"]["register"]
        return result


@pytest.fixture
async def api(services: Services) -> AsyncIterator[Api]:
    own = replace(services, security=ephemeral_security())
    app = create_app(Settings(environment=Environment.TEST), services=own)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http, own)


def unique_email() -> str:
    """An address no other test uses."""
    return f"Trader.{uuid.uuid4().hex[:10]}@Example.PK"
