"""Typed access to the request context from strawberry's `Info`."""

from __future__ import annotations

from typing import Any, TypeAlias

from strawberry.types import Info as StrawberryInfo

from resolvers.context import Context

Info: TypeAlias = StrawberryInfo[Context, Any]


def ctx(info: Info) -> Context:
    """The request's context."""
    return info.context
