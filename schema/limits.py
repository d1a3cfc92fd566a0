"""Operation limits: what a document may ask for before anything runs.

Checked at parse and validation time, so an abusive document costs a parse and one walk:
- tokens (parse time): at most MAX_TOKENS;
- depth of selections, fragments followed: at most MAX_DEPTH (GraphiQL's introspection
  query is 13 deep);
- aliases: at most MAX_ALIASES (alias batching multiplies guesses and work);
- field selections in the whole document, duplicates counted: at most MAX_FIELDS;
- root fields of an operation: at most MAX_ROOT_FIELDS;
- directives on one field or fragment: at most MAX_DIRECTIVES (directive overloading);
- introspection nesting of `fields`/`interfaces`/`possibleTypes`/`inputFields`: graphql-core's
  MaxIntrospectionDepthRule (the circular introspection query).
Page sizes are bounded where the lists are (`first` at most 100).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    ValidationRule,
)
from graphql.language import Visitor, visit
from graphql.validation.rules.max_introspection_depth_rule import MaxIntrospectionDepthRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

MAX_TOKENS = 10_000
MAX_DEPTH = 15
MAX_ALIASES = 30
MAX_FIELDS = 400
MAX_ROOT_FIELDS = 20
MAX_DIRECTIVES = 3


class _Counts(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.fields = 0
        self.overloaded: DirectiveNode | None = None

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.fields += 1
        self._directives(node)

    def enter_fragment_spread(self, node: Any, *_: Any) -> None:
        self._directives(node)

    def enter_inline_fragment(self, node: Any, *_: Any) -> None:
        self._directives(node)

    def _directives(self, node: Any) -> None:
        directives = node.directives or ()
        if len(directives) > MAX_DIRECTIVES and self.overloaded is None:
            self.overloaded = directives[MAX_DIRECTIVES]


class OperationSizeRule(ValidationRule):
    """Field selections, root fields and directives per selection, over the whole document."""

    def enter_document(self, node: DocumentNode, *_: Any) -> Any:
        counts = _Counts()
        visit(node, counts)
        if counts.fields > MAX_FIELDS:
            self.report_error(
                GraphQLError(
                    f"The document selects {counts.fields} fields; at most {MAX_FIELDS} are "
                    "allowed (duplicates count).",
                    extensions={"code": "TOO_LARGE"},
                )
            )
        if counts.overloaded is not None:
            self.report_error(
                GraphQLError(
                    f"At most {MAX_DIRECTIVES} directives on one field or fragment.",
                    counts.overloaded,
                    extensions={"code": "TOO_LARGE"},
                )
            )
        for definition in node.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            roots = len(definition.selection_set.selections)
            if roots > MAX_ROOT_FIELDS:
                self.report_error(
                    GraphQLError(
                        f"An operation asks for at most {MAX_ROOT_FIELDS} root fields.",
                        definition,
                        extensions={"code": "TOO_LARGE"},
                    )
                )
        return self.SKIP  # one walk is all it needs


# The rule classes are made once: the validation cache keys on them, so a class per request
# would never hit.
RULES = [
    depth_rule(MAX_DEPTH, None),
    alias_rule(MAX_ALIASES),
    OperationSizeRule,
    MaxIntrospectionDepthRule,
]


def _tokens() -> SchemaExtension:
    return MaxTokensLimiter(max_token_count=MAX_TOKENS)


def _rules() -> SchemaExtension:
    return AddValidationRules(RULES)


# Factories, one extension per request; tokens are checked at parse, the rest at validation.
LIMIT_EXTENSIONS = (_tokens, _rules)
