"""Root mutation fields of two-factor sign-in."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.errors import DomainError
from resolvers import two_factor
from schema.accounts.types import (
    AuthTokens,
    DisableTwoFactorPayload,
    EnableTwoFactorPayload,
    LoginPayload,
    RecoveryCodesPayload,
    TwoFactorEnrollment,
)
from schema.context import Info, ctx
from schema.payloads import UserError
from schema.permissions import IsAuthenticated

Code = Annotated[str, strawberry.argument(description="6-digit code from the authenticator app.")]
Password = Annotated[str, strawberry.argument(description="The account's password.")]


@strawberry.type
class TwoFactorMutations:
    @strawberry.mutation(
        description=(
            "Second step of signing in to an account with two-factor: the challenge from "
            "`login` and a code from the authenticator, or one of the recovery codes (each works "
            "once). A code is accepted once only; attempts are limited."
        )
    )
    async def verify_two_factor(
        self,
        info: Info,
        challenge_token: Annotated[str, strawberry.argument(description="From `login`.")],
        code: Annotated[
            str, strawberry.argument(description="Authenticator code or recovery code.")
        ],
    ) -> LoginPayload:
        try:
            session = await two_factor.verify_two_factor(
                ctx(info), challenge_token=challenge_token, code=code
            )
        except DomainError as err:
            return LoginPayload(tokens=None, challenge=None, errors=[UserError.from_domain(err)])
        return LoginPayload(tokens=AuthTokens.from_session(session), challenge=None, errors=[])

    @strawberry.mutation(
        description="Start two-factor: a new secret for your authenticator app.",
        permission_classes=[IsAuthenticated],
    )
    async def enable_two_factor(self, info: Info) -> EnableTwoFactorPayload:
        try:
            enrollment = await two_factor.enable_two_factor(ctx(info))
        except DomainError as err:
            return EnableTwoFactorPayload(enrollment=None, errors=[UserError.from_domain(err)])
        return EnableTwoFactorPayload(
            enrollment=TwoFactorEnrollment(secret=enrollment.secret, otpauth_uri=enrollment.uri),
            errors=[],
        )

    @strawberry.mutation(
        description="Turn two-factor on with a first code; answers the recovery codes, once.",
        permission_classes=[IsAuthenticated],
    )
    async def confirm_two_factor(self, info: Info, code: Code) -> RecoveryCodesPayload:
        try:
            codes = await two_factor.confirm_two_factor(ctx(info), code=code)
        except DomainError as err:
            return RecoveryCodesPayload(recovery_codes=None, errors=[UserError.from_domain(err)])
        return RecoveryCodesPayload(recovery_codes=codes, errors=[])

    @strawberry.mutation(
        description="Turn two-factor off (password and a current code required).",
        permission_classes=[IsAuthenticated],
    )
    async def disable_two_factor(
        self, info: Info, password: Password, code: Code
    ) -> DisableTwoFactorPayload:
        try:
            await two_factor.disable_two_factor(ctx(info), password=password, code=code)
        except DomainError as err:
            return DisableTwoFactorPayload(disabled=False, errors=[UserError.from_domain(err)])
        return DisableTwoFactorPayload(disabled=True, errors=[])

    @strawberry.mutation(
        description="New recovery codes (password and a current code required); old ones stop.",
        permission_classes=[IsAuthenticated],
    )
    async def regenerate_recovery_codes(
        self, info: Info, password: Password, code: Code
    ) -> RecoveryCodesPayload:
        try:
            codes = await two_factor.regenerate_recovery_codes(
                ctx(info), password=password, code=code
            )
        except DomainError as err:
            return RecoveryCodesPayload(recovery_codes=None, errors=[UserError.from_domain(err)])
        return RecoveryCodesPayload(recovery_codes=codes, errors=[])
