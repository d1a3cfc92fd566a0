"""Introspection by environment and role.

With introspection off (PSX_INTROSPECTION=off, the production default) anonymous callers and
the USER and PREMIUM tiers get graphql-core's NoSchemaIntrospectionCustomRule (`__schema` and
`__type` refused at validation; `__typename` stays). PROFESSIONAL and INSTITUTIONAL partners
build against the API from the schema (codegen, GraphiQL with their token) and ADMIN operates
it, so they may still introspect. The rule tuple is one of two, so the validation cache keeps
hitting.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from domain.accounts.roles import Role

INTROSPECTION_ROLES = frozenset({Role.PROFESSIONAL, Role.INSTITUTIONAL, Role.ADMIN})


class IntrospectionByRole(SchemaExtension):
    """Refuses introspection unless the caller's role is in INTROSPECTION_ROLES."""

    def on_operation(self) -> Iterator[None]:
        """Add the no-introspection rule for callers who may not introspect."""
        user = getattr(self.execution_context.context, "user", None)
        if getattr(user, "role", None) not in INTROSPECTION_ROLES:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield
