"""Root mutation fields of accounts."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import accounts
from schema.accounts.types import (
    AuthTokens,
    LoginPayload,
    LogoutPayload,
    RefreshTokenPayload,
    RegisterInput,
    RegisterPayload,
    TwoFactorChallenge,
)
from schema.context import Info, ctx
from schema.payloads import UserError


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create an account and sign it in.")
    async def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        try:
            session = await accounts.register(
                ctx(info),
                email=input.email,
                password=input.password,
                display_name=input.display_name,
            )
        except DomainError as err:
            return RegisterPayload(tokens=None, errors=[UserError.from_domain(_under_input(err))])
        return RegisterPayload(tokens=AuthTokens.from_session(session), errors=[])

    @strawberry.mutation(
        description=(
            "Sign in. Whatever goes wrong, the error is the same (it never tells whether an "
            "email is registered); attempts are limited per account and per IP address."
        )
    )
    async def login(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="Email address.")],
        password: Annotated[str, strawberry.argument(description="Password.")],
    ) -> LoginPayload:
        try:
            result = await accounts.login(ctx(info), email=email, password=password)
        except DomainError as err:
            return LoginPayload(tokens=None, challenge=None, errors=[UserError.from_domain(err)])
        if isinstance(result, accounts.Challenge):
            challenge = TwoFactorChallenge(
                challenge_token=result.token, expires_at=result.expires_at
            )
            return LoginPayload(tokens=None, challenge=challenge, errors=[])
        return LoginPayload(tokens=AuthTokens.from_session(result), challenge=None, errors=[])

    @strawberry.mutation(
        description=(
            "Exchange a refresh token for a new access and refresh token. Each refresh token "
            "works once: presenting a spent one signs out that whole session."
        )
    )
    async def refresh_token(
        self,
        info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="The refresh token.")],
    ) -> RefreshTokenPayload:
        try:
            session = await accounts.refresh(ctx(info), refresh_token=refresh_token)
        except DomainError as err:
            return RefreshTokenPayload(tokens=None, errors=[UserError.from_domain(err)])
        return RefreshTokenPayload(tokens=AuthTokens.from_session(session), errors=[])

    @strawberry.mutation(
        description=(
            "Sign out: revokes the refresh token's session (or every session with "
            "`allSessions`) and, when sent, the current access token."
        )
    )
    async def logout(
        self,
        info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="The session's token.")],
        all_sessions: Annotated[
            bool, strawberry.argument(description="Sign out everywhere.")
        ] = False,
    ) -> LogoutPayload:
        try:
            revoked = await accounts.logout(
                ctx(info), refresh_token=refresh_token, all_sessions=all_sessions
            )
        except DomainError as err:
            return LogoutPayload(revoked_sessions=0, errors=[UserError.from_domain(err)])
        return LogoutPayload(revoked_sessions=revoked, errors=[])


def _under_input(err: DomainError) -> DomainError:
    """Input fields are reported under `input`, as clients address them."""
    if err.field is None:
        return err
    return DomainError(err.code, err.message, f"input.{err.field}")
