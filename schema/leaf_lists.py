"""Lists of scalars, and of flat objects, completed in one tight loop.

graphql-core completes every list item on its own: a path entry, an awaitable check and a
leaf completion per item, and for an object item a resolve info and a completion per field.
For an indicator series, a long candle chart or a valuation series that is tens of thousands
of calls per request for values that only need `serialize`. This executor completes in one
loop a list whose items are scalars or enums, or objects whose selected fields are all
scalars or enums read as plain attributes (strawberry's basic fields: no resolver, argument,
permission or field extension; no `is_type_of`; no resolver middleware in the request, such
as the sampled resolver timing). It hands the list back to graphql-core's own path whenever
anything is unusual (an awaitable, a value that does not serialise, a null where the type is
non-null, `@stream`, `@defer`), so results and errors are exactly graphql-core's.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import isfinite
from typing import Any

from graphql import (
    GraphQLFloat,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class _UnusualItemError(Exception):
    """An item the fast loop does not complete; graphql-core's path takes the list."""


# A flat object's field: response key, resolver (None: __typename), serialize, non-null,
# a Float (finite floats serialise as themselves).
_Column = tuple[str, Any, Any, bool, bool]
_TYPENAME = "__typename"


class LeafListExecutor(StrawberryGraphQLCoreExecutionContext):
    """An executor that completes lists of leaf values without per-item overhead."""

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """Complete a list; leaf items in one loop, anything else as graphql-core does."""
        non_null = isinstance(item_type, GraphQLNonNull)
        leaf: Any = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if is_leaf_type(leaf) and not self.get_stream_usage(field_details_list, path):
            values = items if isinstance(items, list) else list(items)
            try:
                return self._leaves(values, leaf, non_null=non_null)
            except _UnusualItemError:
                items = values
        elif isinstance(leaf, GraphQLObjectType) and not self.get_stream_usage(
            field_details_list, path
        ):
            columns = self._flat_columns(leaf, field_details_list)
            if columns is not None:
                values = items if isinstance(items, list) else list(items)
                try:
                    return self._rows(values, columns, leaf.name, non_null=non_null)
                except _UnusualItemError:
                    items = values
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _leaves(self, values: list[Any], leaf: Any, *, non_null: bool) -> list[Any]:
        is_awaitable = self.is_awaitable
        serialize = leaf.serialize
        floats = leaf is GraphQLFloat  # a finite float serialises as itself: skip the call
        out: list[Any] = []
        append = out.append
        try:
            for item in values:
                if item is None:
                    if non_null:
                        raise _UnusualItemError
                    append(None)
                    continue
                if floats and type(item) is float and isfinite(item):
                    append(item)
                    continue
                if is_awaitable(item):
                    raise _UnusualItemError
                done = serialize(item)
                if done is None or done is Undefined:
                    raise _UnusualItemError
                append(done)
        except _UnusualItemError:
            raise
        except Exception as exc:  # graphql-core reports it with the item's path
            raise _UnusualItemError from exc
        return out

    def _flat_columns(
        self, item_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> list[_Column] | None:
        """How to complete every item of a list of `item_type` field by field, or None when
        its selection is not flat (see the module docstring)."""
        manager = self.middleware_manager
        if item_type.is_type_of is not None or (manager is not None and manager.middlewares):
            return None
        grouped, new_defer_usages, forbidden = self.collect_subfields(item_type, field_details_list)
        if new_defer_usages or forbidden:
            return None
        columns: list[_Column] = []
        for key, details in grouped.items():
            node = details[0].node
            name = node.name.value
            if name == _TYPENAME:
                columns.append((key, None, None, True, False))
                continue
            definition = item_type.fields.get(name)
            if definition is None or definition.args or node.arguments:
                return None
            resolve = definition.resolve
            # strawberry's resolver of a field with no resolver, permission or extension
            if resolve is None or getattr(resolve, "__name__", "") != "_get_basic_result":
                return None
            kind: Any = definition.type
            strict = isinstance(kind, GraphQLNonNull)
            leaf = kind.of_type if strict else kind
            if not is_leaf_type(leaf):
                return None
            columns.append((key, resolve, leaf.serialize, strict, leaf is GraphQLFloat))
        return columns

    def _rows(
        self, values: list[Any], columns: list[_Column], type_name: str, *, non_null: bool
    ) -> list[Any]:
        is_awaitable = self.is_awaitable
        out: list[Any] = []
        append = out.append
        try:
            for item in values:
                if item is None:
                    if non_null:
                        raise _UnusualItemError
                    append(None)
                    continue
                if is_awaitable(item):
                    raise _UnusualItemError
                row: dict[str, Any] = {}
                for key, resolve, serialize, strict, floats in columns:
                    if resolve is None:
                        row[key] = type_name
                        continue
                    value = resolve(item, None)
                    if value is None:
                        if strict:
                            raise _UnusualItemError
                        row[key] = None
                        continue
                    if floats and type(value) is float and isfinite(value):
                        row[key] = value
                        continue
                    if is_awaitable(value):
                        raise _UnusualItemError
                    done = serialize(value)
                    if done is None or done is Undefined:
                        raise _UnusualItemError
                    row[key] = done
                append(row)
        except _UnusualItemError:
            raise
        except Exception as exc:  # graphql-core reports it with the item's path
            raise _UnusualItemError from exc
        return out
