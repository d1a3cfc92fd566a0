"""Permission classes: who may resolve a field.

A refused field is a top-level error with `extensions.code` UNAUTHENTICATED (no valid token)
or FORBIDDEN (a role that may not); the resolver, and so its side effect, never runs.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.permission import BasePermission

from domain.accounts.roles import Role
from schema.context import Info


def unauthenticated(message: str) -> GraphQLError:
    """The error of a field that needs a signed-in user."""
    return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


class IsAuthenticated(BasePermission):
    """A valid access token came with the request."""

    message = "Sign in to use this field."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:  # noqa: ARG002
        """True for a signed-in user; raises with the token's problem otherwise."""
        ctx = info.context
        if ctx.auth_error is not None:
            raise unauthenticated(ctx.auth_error.message)
        if ctx.user is None:
            raise unauthenticated(self.message)
        return True


def forbidden(message: str) -> GraphQLError:
    """The error of a field the caller's role may not use."""
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


class IsAdmin(BasePermission):
    """A signed-in administrator."""

    message = "Only administrators may do this."

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        """True for an administrator; raises UNAUTHENTICATED or FORBIDDEN otherwise."""
        IsAuthenticated().has_permission(source, info, **kwargs)
        user = info.context.user
        if user is None or user.role is not Role.ADMIN:
            raise forbidden(self.message)
        return True
