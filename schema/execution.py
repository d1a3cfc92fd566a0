"""Shared execution of subscription events.

graphql-core executes a subscription's selection set once per event per subscriber. When
thousands of clients follow the same symbol with the same document, that is the same work
thousands of times. Live streams hand every subscriber of a message the same root object (it is
memoised on the hub's shared event), so the result of executing a selection set on it depends
only on the selection set, the fragments and the variables used inside it. This executor keys
each per-event execution by exactly that and reuses the first subscriber's result for the
others; the memo hangs off the root object and goes with it.

Arguments of the root field (the symbols) shape the stream, not the per-event result, so
subscribers to different symbol lists still share the executions of the symbols they have in
common.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from graphql import ExecutionResult, FieldNode, VariableNode, print_ast
from graphql.language import Visitor, visit
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_MEMO = "_psx_shared_results"
R = TypeVar("R")


def shared(root: R) -> R:
    """Mark an event's root object as handed to every subscriber alike; returns it.

    The memo of results lives on the object itself, so it goes when the event does.
    """
    setattr(root, _MEMO, {})
    return root


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.names.add(node.name.value)


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """An executor whose per-event executions are shared between identical subscribers."""

    _share_key: str | None = None
    executions = 0  # per-event executions actually run (shared ones counted once)

    def _key(self) -> str:
        if self._share_key is None:
            parts: list[str] = []
            used = _Variables()
            for selection in self.operation.selection_set.selections:
                if isinstance(selection, FieldNode):
                    name = (selection.alias or selection.name).value
                    inner = selection.selection_set
                    parts.append(f"{name}{print_ast(inner) if inner else ''}")
                    if inner is not None:
                        visit(inner, used)
                else:  # a fragment at the root: share nothing clever, key by the whole thing
                    parts.append(print_ast(selection))
                    visit(selection, used)
            for fragment in self.fragment_definitions.values():
                parts.append(print_ast(fragment))
                visit(fragment, used)
            values = self.variable_values.coerced
            parts.extend(f"${n}={values.get(n)!r}" for n in sorted(used.names))
            self._share_key = "\n".join(parts)
        return self._share_key

    def build_per_event_executor(self, payload: Any) -> Any:
        self._key()  # once per subscription, inherited by every per-event copy
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        root = self.root_value
        by_key: dict[str, asyncio.Future[Any]] | None = getattr(root, _MEMO, None)
        if by_key is None:
            return super().execute_operation(serially)
        key = self._key()
        found = by_key.get(key)
        if found is None:
            found = asyncio.ensure_future(self._execute(serially))
            by_key[key] = found
        return _result(found)

    async def _execute(self, serially: bool | None) -> Any:
        SharedEventExecutor.executions += 1
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            return await result
        return result


async def _result(found: asyncio.Future[Any]) -> ExecutionResult:
    # Each subscriber gets its own result object around the shared data.
    shared: ExecutionResult = await asyncio.shield(found)
    return ExecutionResult(data=shared.data, errors=shared.errors)
