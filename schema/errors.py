"""How failures reach clients: domain errors typed, everything unexpected masked.

A `DomainError` raised by a use case becomes a GraphQL error whose `extensions` carry
`code` and `field` (the camelCase argument). Any other exception is logged with an error
id and, in production, shown only as "Unexpected error." with that id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError

log = logging.getLogger(__name__)


def graphql_error(err: DomainError) -> GraphQLError:
    """A GraphQL error carrying a domain error's code and field."""
    extensions: dict[str, object] = {"code": err.code.value}
    if err.field is not None:
        extensions["field"] = err.field
    return GraphQLError(err.message, extensions=extensions)


class ErrorExtension(SchemaExtension):
    """Types domain errors and masks unexpected ones (in production)."""

    mask: bool = False

    def _convert(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            typed = graphql_error(original)
            return GraphQLError(
                typed.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions=typed.extensions,
            )
        if original is None or isinstance(original, GraphQLError):
            return error
        error_id = uuid.uuid4().hex[:16]
        log.error(
            "unexpected error %s at %s",
            error_id,
            error.path,
            exc_info=(type(original), original, original.__traceback__),
        )
        if not self.mask:
            extensions = dict(error.extensions or {})
            extensions.update({"code": "INTERNAL", "errorId": error_id})
            error.extensions = extensions
            return error
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "errorId": error_id},
        )

    def on_operation(self) -> Iterator[None]:
        """Rewrite the errors of the result once execution is over."""
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [self._convert(e) for e in errors]


class MaskedErrorExtension(ErrorExtension):
    """The production variant: unexpected errors are masked."""

    mask = True
