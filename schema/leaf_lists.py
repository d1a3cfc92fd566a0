"""Lists of scalars completed in one tight loop.

graphql-core completes every list item on its own: a path entry, an awaitable check and a
leaf completion per item. For an indicator series or a long candle chart that is tens of
thousands of calls per request for values that only need `serialize`. This executor completes
a list whose items are scalars or enums in one loop, and hands the list back to graphql-core's
own path whenever anything is unusual (an awaitable item, a value that does not serialise, a
null in a non-null list, `@stream`), so results and errors are exactly graphql-core's.
"""

from __future__ import annotations

from collections.abc import Iterable
from math import isfinite
from typing import Any

from graphql import (
    GraphQLFloat,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class _UnusualItemError(Exception):
    """An item the fast loop does not complete; graphql-core's path takes the list."""


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
