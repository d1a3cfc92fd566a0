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

Sharing the execution leaves each subscriber's stream plumbing: graphql-core's per-subscription
`map_async_iterable`, strawberry's per-result hooks and message building, about a quarter of
the server's time per delivered message. `SharedStream` lets the WebSocket transport step over
it: the executor hands the transport the subscription's source events (see `offer_fast_lane`),
the transport sends an event's shared result itself when one is ready, and gives every other
event (the first of its kind, results with errors, failures, the end of the stream) back to
graphql-core's path, which then handles it exactly as if it had never been looked at.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Hashable, Iterator
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar

import orjson
import strawberry
from graphql import ExecutionResult, FieldNode, VariableNode, print_ast
from graphql.language import Visitor, visit
from strawberry.extensions import SchemaExtension
from strawberry.schema.base import BaseSchema

from schema.leaf_lists import LeafListExecutor

_MEMO = "_psx_shared_results"
_SOURCE = "_psx_shared_source"
R = TypeVar("R")
T = TypeVar("T")


class Releasable(Protocol):
    """What a root object came from, when subscribers wait on it for their result."""

    def release(self, key: Hashable, result: str | None) -> None:
        """Hand them the result executed under `key` (None: no result to share)."""


def shared(root: R, source: Releasable | None = None) -> R:
    """Mark an event's root object as handed to every subscriber alike; returns it.

    The memo of results lives on the object itself, so it goes when the event does. `source`
    (the hub's event) is told each result as it is executed: subscriptions relayed the event
    (`subscriptions.hub.Relay`) wait for it there.
    """
    setattr(root, _MEMO, {})
    if source is not None:
        setattr(root, _SOURCE, source)
    return root


def _release(root: object, key: str, result: Any) -> None:
    source: Releasable | None = getattr(root, _SOURCE, None)
    if source is None:
        return
    clean = isinstance(result, ExecutionResult) and result.data is not None
    source.release(key, encoded_data(result.data) if clean else None)


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
                    # Everything of the root field but its arguments: a directive on it can
                    # change the result (a custom one may rewrite the event itself).
                    name = (selection.alias or selection.name).value
                    marks = selection.directives or ()
                    inner = selection.selection_set
                    printed = "".join(f" {print_ast(mark)}" for mark in marks)
                    parts.append(f"{name}{printed}{print_ast(inner) if inner else ''}")
                    for node in (*marks, *([inner] if inner is not None else [])):
                        visit(node, used)
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

    def _lane_can_key(self) -> bool:
        """Whether the fast lane takes this document: one plain root field.

        Its arguments shape the stream, not the result, and its selection is the key. A
        directive on the root field or the operation, or a fragment at the root, can act on
        the event itself (a custom directive rewrites it); such rare documents keep
        graphql-core's path rather than the lane reasoning about them.
        """
        selections = self.operation.selection_set.selections
        if self.operation.directives or len(selections) != 1:
            return False
        root = selections[0]
        return isinstance(root, FieldNode) and not root.directives

    def cancellable_iterable(self, iterable: AsyncIterable[T]) -> AsyncIterable[T]:
        """The subscription's source events, shared with the transport's fast lane if offered.

        graphql-core passes a subscription's source stream through here once, before reading
        it, which makes this the one place where the stream and its share key meet. An abort
        signal would cancel reads the fast lane makes on its own, so none is offered then.
        """
        lane = _LANE.get()
        if (
            lane is not None
            and lane.stream is None
            and self.abort_signal is None
            and self._lane_can_key()
        ):
            stream = SharedStream(aiter(iterable), self._key())
            lane.stream = stream
            iterable = stream
        return super().cancellable_iterable(iterable)

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
            task = asyncio.ensure_future(_finish(result, root, key))
            by_key[key] = task
            return _result(task)
        # Plain fields (the usual case) finish at once: the result is shared from here on.
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(result)
        by_key[key] = done
        _remember(result)
        _release(root, key, result)
        return result


async def _finish(pending: Any, root: object, key: str) -> Any:
    try:
        result = await pending
    except BaseException:
        _release(root, key, None)
        raise
    _remember(result)
    _release(root, key, result)
    return result


def _remember(result: Any) -> None:
    if (
        isinstance(result, ExecutionResult)
        and result.data is not None
        and not result.errors
        and not result.extensions
    ):
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


def _shared_text(event: Any, key: str) -> str | None:
    """The JSON text of `data` for an event already executed under `key`, else None."""
    memo: dict[str, asyncio.Future[Any]] | None = getattr(event, _MEMO, None)
    if memo is None:
        return None
    found = memo.get(key)
    if found is None or not found.done() or found.cancelled() or found.exception() is not None:
        return None
    result = found.result()
    # Only clean results are encoded (`_remember`): errors go the way graphql-core sends them.
    return encoded_data(result.data) if isinstance(result, ExecutionResult) else None


async def _ready(event: Any) -> Any:
    return event


async def _failed(error: Exception) -> Any:
    raise error


_NO_EVENT: Any = object()


class SharedStream:
    """A subscription's source events with two readers taking turns.

    graphql-core reads it as the source stream (`__anext__`). The transport's fast lane reads
    it with `next_encoded`, which takes the next event and returns its shared result's JSON
    text when that is ready; anything else (an event nobody has executed under this key yet,
    a result with errors, a failure, the end of the stream) is put back, so the next
    `__anext__` from graphql-core returns or raises exactly that, and graphql-core and
    strawberry handle it as if the fast lane had never seen it.
    """

    sent = 0  # events the fast lane sent itself, across all streams (for tests and metrics)

    def __init__(self, source: AsyncIterator[Any], key: str) -> None:
        self._source = source
        self.key = key  # what subscribers sharing this stream's results have in common
        self._event: Any = _NO_EVENT
        self._error: Exception | None = None
        # A stream whose events are not shared (no memo on them) never has a shared result:
        # after the first such event the fast lane stops asking.
        self.shared = True

    def __aiter__(self) -> SharedStream:
        return self

    def __anext__(self) -> Awaitable[Any]:
        if self._error is not None:
            error, self._error = self._error, None
            return _failed(error)
        if self._event is not _NO_EVENT:
            event, self._event = self._event, _NO_EVENT
            return _ready(event)
        return self._source.__anext__()

    async def aclose(self) -> None:
        """Close the source (its `finally` blocks unsubscribe from the hub)."""
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()

    async def next_encoded(self) -> str | None:
        """The next event's shared `data` as JSON text; None when graphql-core must take it.

        Cancellation is not put back: it ends the stream on either path alike.
        """
        try:
            event = await self._source.__anext__()
        except Exception as exc:  # StopAsyncIteration included: the end goes back too
            self._error = exc
            return None
        text = _shared_text(event, self.key)
        if text is None:
            self._event = event
            if getattr(event, _MEMO, None) is None:
                self.shared = False
            return None
        SharedStream.sent += 1
        return text


class FastLane:
    """Offered by a transport for one operation; holds the stream if the executor shares it."""

    __slots__ = ("stream",)

    def __init__(self) -> None:
        self.stream: SharedStream | None = None


# Per task: each WebSocket operation runs in a task of its own, so concurrent subscribes on
# one connection never see each other's lane.
_LANE: ContextVar[FastLane | None] = ContextVar("psx_fast_lane", default=None)


@contextlib.contextmanager
def offer_fast_lane() -> Iterator[FastLane]:
    """Offer the subscription set up inside the block a fast lane (see `SharedStream`).

    Yields:
        The lane; its `stream` is set when the executor shares the subscription's source.
    """
    lane = FastLane()
    token = _LANE.set(lane)
    try:
        yield lane
    finally:
        _LANE.reset(token)


@functools.lru_cache(maxsize=8)
def results_pass_through(schema: BaseSchema) -> bool:
    """Whether strawberry sends every clean stream result of `schema` exactly as executed.

    An extension that adds results (`get_results`) or looks at each streamed result
    (`on_stream_result`) must see every message, so the fast lane must not skip it; one that
    declares `leaves_stream_results = True` adds nothing to a subscription's messages.
    """
    if not isinstance(schema, strawberry.Schema):
        return False
    return all(
        (
            type(e).get_results is SchemaExtension.get_results
            or getattr(type(e), "leaves_stream_results", False) is True
        )
        and type(e).on_stream_result is SchemaExtension.on_stream_result
        for e in schema.get_extensions()
    )
