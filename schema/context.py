"""Typed access to the request context from strawberry's `Info`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

from strawberry.types import Info as StrawberryInfo

from resolvers.context import Context

Info: TypeAlias = StrawberryInfo[Context, Any]


def ctx(info: Info) -> Context:
    """The request's context."""
    return info.context


def asks_for(selections: Iterable[Any], names: frozenset[str]) -> bool:
    """Whether a selection set (fragments included) selects any of `names` at any depth.

    Pass `info.selected_fields`: a resolver skips work (a count, a large series) that the
    operation does not ask for.
    """
    for selection in selections:
        if getattr(selection, "name", None) in names:
            return True
        if asks_for(getattr(selection, "selections", ()), names):
            return True
    return False
