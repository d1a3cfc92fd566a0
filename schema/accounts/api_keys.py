"""API keys in GraphQL: the type, `apiKeys`, `createApiKey` and `revokeApiKey`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.permission import BasePermission

from domain.accounts import api_keys as domain
from domain.accounts.api_keys import KeyPolicy
from domain.errors import DomainError
from resolvers import api_keys
from schema.context import Info, ctx
from schema.payloads import UserError
from schema.permissions import IsAuthenticated, forbidden

strawberry.enum(
    KeyPolicy,
    name="PersistedPolicy",
    description=(
        "Which documents a client may send: `ALLOW_ANY` (full queries, APQ and trusted "
        "documents), `ALLOW_APQ` (only by hash: APQ, registration included, or trusted "
        "documents), `TRUSTED_ONLY` (only documents of the server's trusted manifests)."
    ),
)


@strawberry.type(
    description=(
        "An API key: send it as the `X-API-Key` header (or `apiKey` in a WebSocket's "
        "`connection_init` payload) to act as yourself with your current role, without "
        "signing in. The key itself is shown once, by `createApiKey`; only its prefix is kept "
        "where you can see it."
    )
)
class ApiKey:
    id: uuid.UUID = strawberry.field(description="Its id (pass it to `revokeApiKey`).")
    name: str = strawberry.field(description="Your name for it, e.g. where it is used.")
    prefix: str = strawberry.field(
        description="The key's public part: the key reads `psx_<prefix>_<secret>`."
    )
    persisted_policy: KeyPolicy | None = strawberry.field(
        description=(
            "The persisted-query policy of its requests; null: the server's rules (those of "
            "the `apollographql-client-name` header, else the default). Below the "
            "PROFESSIONAL tier a policy can only tighten the server's rules: the stricter of "
            "the two applies."
        )
    )
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request (UTC; kept to the minute)."
    )
    expires_at: datetime | None = strawberry.field(
        description="When it stops working (UTC); null: it does not expire."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (UTC); null while it is not."
    )

    @classmethod
    def from_domain(cls, k: domain.ApiKey) -> ApiKey:
        """Map a domain key (which holds neither the key nor its hash)."""
        return cls(
            id=k.id,
            name=k.name,
            prefix=k.prefix,
            persisted_policy=k.policy,
            created_at=k.created_at,
            last_used_at=k.last_used_at,
            expires_at=k.expires_at,
            revoked_at=k.revoked_at,
        )


@strawberry.input(description="A new API key.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="1 to 80 characters: where you will use it.")
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="When it stops working (with a time zone, in the future); null: never.",
    )
    persisted_policy: KeyPolicy | None = strawberry.field(
        default=None,
        description=(
            "The persisted-query policy of its requests (null: the server's rules). "
            "Relaxing the server's rules takes the PROFESSIONAL tier or above."
        ),
    )


@strawberry.type(description="Result of `createApiKey`: the key and, this once, its secret.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The new key.")
    secret: str | None = strawberry.field(
        description=(
            "The whole key, `psx_<prefix>_<secret>`. Shown only now and stored nowhere (only "
            "its SHA-256 is): keep it like a password."
        )
    )
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `revokeApiKey`.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The key, revoked.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


class NotByApiKey(BasePermission):
    """Signed in with a token: a request made with an API key may not make keys."""

    message = "Sign in (not with an API key) to create API keys."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        """True for a token's user; raises UNAUTHENTICATED or FORBIDDEN otherwise."""
        IsAuthenticated().has_permission(source, info, **kwargs)
        user = info.context.user
        if user is not None and user.api_key is not None:
            raise forbidden(self.message)
        return True


@strawberry.type
class ApiKeyQueries:
    @strawberry.field(
        description=(
            "Your API keys, newest first: the usable ones (the plan caps how many), and with "
            "`includeInactive` also the most recent 100 revoked or expired ones after them."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def api_keys(
        self,
        info: Info,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also list revoked and expired keys.")
        ] = False,
    ) -> list[ApiKey]:
        keys = await api_keys.my_api_keys(ctx(info), include_inactive=include_inactive)
        return [ApiKey.from_domain(k) for k in keys]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(
        description=(
            "Create an API key (the plan caps how many usable keys you hold: USER 2, PREMIUM "
            "5, PROFESSIONAL 20, INSTITUTIONAL and ADMIN 100). The payload's `secret` is the "
            "only time the key is shown. Needs a signed-in session, not an API key."
        ),
        permission_classes=[NotByApiKey],
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        cmd = api_keys.NewApiKey(
            name=input.name, expires_at=input.expires_at, policy=input.persisted_policy
        )
        try:
            created = await api_keys.create_api_key(ctx(info), cmd)
        except DomainError as err:
            return CreateApiKeyPayload(
                api_key=None, secret=None, errors=[UserError.from_domain(err)]
            )
        return CreateApiKeyPayload(
            api_key=ApiKey.from_domain(created.key), secret=created.secret, errors=[]
        )

    @strawberry.mutation(
        description=(
            "Revoke one of your API keys: it stops working at once on this server and within "
            "5 seconds on every other. Revoking a revoked key changes nothing."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def revoke_api_key(
        self,
        info: Info,
        id: Annotated[uuid.UUID, strawberry.argument(description="One of your keys.")],
    ) -> RevokeApiKeyPayload:
        try:
            key = await api_keys.revoke_api_key(ctx(info), id)
        except DomainError as err:
            return RevokeApiKeyPayload(api_key=None, errors=[UserError.from_domain(err)])
        return RevokeApiKeyPayload(api_key=ApiKey.from_domain(key), errors=[])
