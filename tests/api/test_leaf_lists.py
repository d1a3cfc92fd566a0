"""Lists of scalars completed in one loop answer exactly as graphql-core's own path does."""

from __future__ import annotations

import enum
import math
from typing import Any

import pytest
import strawberry

from schema.execution import SharedEventExecutor


@strawberry.enum
class Side(enum.Enum):
    BUY = "BUY"
    SELL = "SELL"


@strawberry.type
class Query:
    @strawberry.field
    def floats(self) -> list[float | None]:
        return [1.5, None, 2.0, 3]  # type: ignore[list-item]

    @strawberry.field
    def strict(self) -> list[float]:
        return [1.0, math.nan, 2.0]

    @strawberry.field
    def holes(self) -> list[float]:
        return [1.0, None, 2.0]  # type: ignore[list-item]

    @strawberry.field
    def sides(self) -> list[Side]:
        return [Side.BUY, Side.SELL]

    @strawberry.field
    def words(self) -> list[str] | None:
        return ["a", "b"]

    @strawberry.field
    async def lazy(self) -> list[int]:
        return [1, 2, 3]


FAST = strawberry.Schema(query=Query, execution_context_class=SharedEventExecutor)
PLAIN = strawberry.Schema(query=Query)


def _run(schema: strawberry.Schema, query: str) -> tuple[Any, list[Any]]:
    result = schema.execute_sync(query)
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize(
    "query",
    ["{ floats sides words }", "{ strict }", "{ holes }", "{ floats strict }"],
)
def test_results_and_errors_equal_graphql_cores(query: str) -> None:
    assert _run(FAST, query) == _run(PLAIN, query)


def test_a_bad_item_is_reported_at_its_index() -> None:
    data, errors = _run(FAST, "{ holes }")
    assert data is None
    assert errors == [("Cannot return null for non-nullable field Query.holes.", ["holes", 1])]
    _, errors = _run(FAST, "{ strict }")
    assert errors[0][1] == ["strict", 1] and "nan" in errors[0][0]


async def test_async_fields_still_complete() -> None:
    result = await FAST.execute("{ lazy floats }")
    assert result.errors is None
    assert result.data == {"lazy": [1, 2, 3], "floats": [1.5, None, 2.0, 3.0]}
