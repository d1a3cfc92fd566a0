"""Root fields of account upkeep: settings, profile, sessions, passwords, roles, deletion."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from domain.accounts import settings as domain_settings
from domain.accounts.roles import Role
from domain.accounts.settings import AlertDelivery, Theme
from domain.accounts.users import SignInSession
from domain.errors import DomainError
from resolvers import profiles
from schema.accounts.types import AuditEvent, AuthTokens, User
from schema.context import Info, ctx
from schema.markets.types import Interval
from schema.payloads import UserError
from schema.permissions import IsAdmin, IsAuthenticated, forbidden

strawberry.enum(Theme, description="Colour theme: LIGHT, DARK, or follow the SYSTEM.")
strawberry.enum(
    AlertDelivery,
    description="Where fired alerts go besides the `alerts` subscription: IN_APP, EMAIL, or both.",
)


@strawberry.type(description="Your preferences.")
class Settings:
    default_interval: Interval = strawberry.field(description="Chart interval to open with.")
    watchlist: list[str] = strawberry.field(description="Symbols you follow, in your order.")
    alert_delivery: AlertDelivery = strawberry.field(description="Where fired alerts go.")
    time_zone: str = strawberry.field(description="IANA time zone for showing times.")
    theme: Theme = strawberry.field(description="Colour theme.")

    @classmethod
    def from_domain(cls, s: domain_settings.UserSettings) -> Settings:
        """Map domain settings."""
        return cls(
            default_interval=s.default_interval,
            watchlist=list(s.watchlist),
            alert_delivery=s.alert_delivery,
            time_zone=s.time_zone,
            theme=s.theme,
        )


@strawberry.input(description="Settings to change; omitted ones stay.")
class UpdateSettingsInput:
    default_interval: Interval | None = strawberry.field(default=None, description="Interval.")
    watchlist: list[str] | None = strawberry.field(
        default=None, description="The whole watchlist (up to 50 symbols)."
    )
    alert_delivery: AlertDelivery | None = strawberry.field(default=None, description="Delivery.")
    time_zone: str | None = strawberry.field(default=None, description="IANA name.")
    theme: Theme | None = strawberry.field(default=None, description="Theme.")


@strawberry.input(description="Profile fields to change; omitted ones stay.")
class UpdateProfileInput:
    display_name: str | None = strawberry.field(default=None, description="1 to 80 characters.")


@strawberry.type(description="A signed-in session of yours (one per device or sign-in).")
class SignIn:
    id: uuid.UUID = strawberry.field(description="Pass to `revokeSession` to sign it out.")
    signed_in_at: datetime = strawberry.field(description="When it signed in (UTC).")
    last_used_at: datetime = strawberry.field(description="Last token refresh (UTC).")
    expires_at: datetime = strawberry.field(description="When it ends unless used (UTC).")
    ip: str | None = strawberry.field(description="IP address at the last refresh.")
    user_agent: str | None = strawberry.field(description="Client at the last refresh.")

    @classmethod
    def from_domain(cls, s: SignInSession) -> SignIn:
        """Map a domain session."""
        return cls(
            id=s.id,
            signed_in_at=s.signed_in_at,
            last_used_at=s.last_used_at,
            expires_at=s.expires_at,
            ip=s.ip,
            user_agent=s.user_agent,
        )


@strawberry.type(description="Result of `updateSettings`.")
class UpdateSettingsPayload:
    settings: Settings | None = strawberry.field(description="Your settings now.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `updateProfile`.")
class UpdateProfilePayload:
    user: User | None = strawberry.field(description="Your account now.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of a mutation that only succeeds or fails.")
class DonePayload:
    ok: bool = strawberry.field(description="True when it was done.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `changePassword`: a new session (all others ended).")
class ChangePasswordPayload:
    tokens: AuthTokens | None = strawberry.field(description="This client's new session.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


@strawberry.type(description="Result of `setUserRole`.")
class SetUserRolePayload:
    user: User | None = strawberry.field(description="The user with the new role.")
    errors: list[UserError] = strawberry.field(description="Why it failed; empty on success.")


def _errors(err: DomainError) -> list[UserError]:
    return [UserError.from_domain(err)]


@strawberry.type
class ProfileQueries:
    @strawberry.field(description="Your preferences.", permission_classes=[IsAuthenticated])
    async def settings(self, info: Info) -> Settings:
        return Settings.from_domain(await profiles.settings(ctx(info)))

    @strawberry.field(
        description="Your live sign-ins, most recently used first.",
        permission_classes=[IsAuthenticated],
    )
    async def sessions(self, info: Info) -> list[SignIn]:
        return [SignIn.from_domain(s) for s in await profiles.sessions(ctx(info))]

    @strawberry.field(
        description="Any user's security events, newest first (administrators only).",
        permission_classes=[IsAdmin],
    )
    async def user_audit_log(
        self,
        info: Info,
        user_id: Annotated[uuid.UUID, strawberry.argument(description="The user.")],
        first: Annotated[
            int | None, strawberry.argument(description="How many, 1 to 100 (default 20).")
        ] = None,
        before: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only events older than this.")
        ] = None,
    ) -> list[AuditEvent]:
        try:
            events = await profiles.audit_log_of(
                ctx(info),
                user_id=user_id,
                first=first,
                before=None if before is None else int(before),
            )
        except PermissionError as exc:
            raise forbidden(str(exc)) from exc
        return [AuditEvent.from_domain(e) for e in events]


@strawberry.type
class ProfileMutations:
    @strawberry.mutation(
        description="Change your preferences.", permission_classes=[IsAuthenticated]
    )
    async def update_settings(
        self,
        info: Info,
        input: UpdateSettingsInput,
    ) -> UpdateSettingsPayload:
        try:
            updated = await profiles.update_settings(
                ctx(info),
                default_interval=input.default_interval,
                watchlist=input.watchlist,
                alert_delivery=input.alert_delivery,
                time_zone=input.time_zone,
                theme=input.theme,
            )
        except DomainError as err:
            return UpdateSettingsPayload(settings=None, errors=_errors(err))
        return UpdateSettingsPayload(settings=Settings.from_domain(updated), errors=[])

    @strawberry.mutation(description="Change your profile.", permission_classes=[IsAuthenticated])
    async def update_profile(
        self,
        info: Info,
        input: UpdateProfileInput,
    ) -> UpdateProfilePayload:
        try:
            user = await profiles.update_profile(ctx(info), display_name=input.display_name)
        except DomainError as err:
            return UpdateProfilePayload(user=None, errors=_errors(err))
        return UpdateProfilePayload(user=User.from_domain(user), errors=[])

    @strawberry.mutation(
        description="Sign one of your sessions out.", permission_classes=[IsAuthenticated]
    )
    async def revoke_session(
        self, info: Info, id: Annotated[uuid.UUID, strawberry.argument(description="Session id.")]
    ) -> DonePayload:
        try:
            await profiles.revoke_session(ctx(info), id)
        except DomainError as err:
            return DonePayload(ok=False, errors=_errors(err))
        return DonePayload(ok=True, errors=[])

    @strawberry.mutation(
        description="Change your password: every session ends, this client gets a new one.",
        permission_classes=[IsAuthenticated],
    )
    async def change_password(
        self,
        info: Info,
        current_password: Annotated[str, strawberry.argument(description="Current password.")],
        new_password: Annotated[str, strawberry.argument(description="New password.")],
    ) -> ChangePasswordPayload:
        try:
            session = await profiles.change_password(
                ctx(info), current_password=current_password, new_password=new_password
            )
        except DomainError as err:
            return ChangePasswordPayload(tokens=None, errors=_errors(err))
        return ChangePasswordPayload(tokens=AuthTokens.from_session(session), errors=[])

    @strawberry.mutation(
        description=(
            "Ask for a password-reset token by mail. The answer is the same whether or not the "
            "email has an account."
        )
    )
    async def request_password_reset(
        self, info: Info, email: Annotated[str, strawberry.argument(description="Email address.")]
    ) -> DonePayload:
        await profiles.request_password_reset(ctx(info), email=email)
        return DonePayload(ok=True, errors=[])

    @strawberry.mutation(
        description="Set a new password with a mailed reset token; every session ends."
    )
    async def reset_password(
        self,
        info: Info,
        token: Annotated[str, strawberry.argument(description="The mailed token.")],
        new_password: Annotated[str, strawberry.argument(description="New password.")],
    ) -> DonePayload:
        try:
            await profiles.reset_password(ctx(info), token=token, new_password=new_password)
        except DomainError as err:
            return DonePayload(ok=False, errors=_errors(err))
        return DonePayload(ok=True, errors=[])

    @strawberry.mutation(
        description=(
            "Delete your account: personal data, alerts and settings go, every session ends; "
            "the security audit trail stays, anonymous."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def delete_account(
        self, info: Info, password: Annotated[str, strawberry.argument(description="Password.")]
    ) -> DonePayload:
        try:
            await profiles.delete_account(ctx(info), password=password)
        except DomainError as err:
            return DonePayload(ok=False, errors=_errors(err))
        return DonePayload(ok=True, errors=[])

    @strawberry.mutation(
        description="Change a user's role tier (administrators only).",
        permission_classes=[IsAdmin],
    )
    async def set_user_role(
        self,
        info: Info,
        user_id: Annotated[uuid.UUID, strawberry.argument(description="The user.")],
        role: Annotated[Role, strawberry.argument(description="The new role.")],
    ) -> SetUserRolePayload:
        try:
            user = await profiles.set_user_role(ctx(info), user_id=user_id, role=role)
        except PermissionError as exc:
            raise forbidden(str(exc)) from exc
        except DomainError as err:
            return SetUserRolePayload(user=None, errors=_errors(err))
        return SetUserRolePayload(user=User.from_domain(user), errors=[])
