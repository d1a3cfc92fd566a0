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
from collections import OrderedDict
from typing import Any, TypeVar

import orjson
from graphql import ExecutionResult, FieldNode, VariableNode, print_ast
from graphql.language import Visitor, visit

from schema.leaf_lists import LeafListExecutor

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


class SharedEventExecutor(LeafListExecutor):
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
        key = self._key()  # once per subscription, inherited by every per-event copy
        memo: dict[str, asyncio.Future[Any]] | None = getattr(payload, _MEMO, None)
        if memo is not None:
            found = memo.get(key)
            if found is not None and found.done():
                return _Done(found.result())  # another subscriber already ran it: no copy
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        root = self.root_value
        by_key: dict[str, asyncio.Future[Any]] | None = getattr(root, _MEMO, None)
        if by_key is None:
            return super().execute_operation(serially)
        key = self._key()
        found = by_key.get(key)
        if found is not None:
            return found.result() if found.done() else _result(found)
        SharedEventExecutor.executions += 1
        result = super().execute_operation(serially)
        if self.is_awaitable(result):
            # Resolvers that await: later subscribers wait for this one's result.
            task = asyncio.ensure_future(_finish(result))
            by_key[key] = task
            return _result(task)
        # Plain fields (the usual case) finish at once: the result is shared from here on.
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(result)
        by_key[key] = done
        _remember(result)
        return result


async def _finish(pending: Any) -> Any:
    result = await pending
    _remember(result)
    return result


def _remember(result: Any) -> None:
    if isinstance(result, ExecutionResult) and result.data is not None and not result.errors:
        _remember_encoding(result.data)


class _Done:
    """A per-event executor stand-in whose result is already known."""

    __slots__ = ("result",)

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> ExecutionResult:  # noqa: ARG002
        return self.result


async def _result(found: asyncio.Future[Any]) -> ExecutionResult:
    result: ExecutionResult = await asyncio.shield(found)
    return result


# The JSON text of shared results' data, so each WebSocket send is a string join, not an
# encoding. Keyed by id(data) with the data held, so an id cannot be reused while cached.
_ENCODED: OrderedDict[int, tuple[object, str]] = OrderedDict()
_ENCODED_MAX = 4096


def _remember_encoding(data: object) -> None:
    _ENCODED[id(data)] = (data, orjson.dumps(data).decode())
    if len(_ENCODED) > _ENCODED_MAX:
        _ENCODED.popitem(last=False)


def encoded_data(data: object) -> str | None:
    """The JSON text of a shared result's `data`, when it is one."""
    found = _ENCODED.get(id(data))
    if found is None or found[0] is not data:
        return None
    return found[1]
