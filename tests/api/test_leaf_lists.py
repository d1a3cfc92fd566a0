"""Lists of scalars completed in one loop answer exactly as graphql-core's own path does."""

from __future__ import annotations

import datetime
import enum
import math
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from schema.execution import SharedEventExecutor
from schema.leaf_lists import LeafListExecutor


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


@strawberry.type
class Point:
    day: datetime.date
    value: Decimal
    ratio: float | None
    side: Side
    tags: list[str]

    @strawberry.field
    def doubled(self) -> Decimal:
        return self.value * 2

    @strawberry.field
    def scaled(self, by: int = 1) -> Decimal:
        return self.value * by


def _points(*ratios: float | None) -> list[Point]:
    day = datetime.date(2026, 11, 19)
    return [
        Point(
            day=day,
            value=Decimal("12.30") + i,
            ratio=r,
            side=Side.BUY if i % 2 else Side.SELL,
            tags=["a"],
        )
        for i, r in enumerate(ratios)
    ]


@strawberry.type
class Series:
    @strawberry.field
    def points(self) -> list[Point]:
        return _points(0.5, None, 2.0)

    @strawberry.field
    def gappy(self) -> list[Point | None]:
        return [*_points(0.5), None]

    @strawberry.field
    def holed(self) -> list[Point]:
        return [*_points(0.5), None]  # type: ignore[list-item]

    @strawberry.field
    def broken(self) -> list[Point]:
        points = _points(0.5, 1.5)
        points[1].value = None  # type: ignore[assignment]
        return points

    @strawberry.field
    def nan(self) -> list[Point]:
        return _points(0.5, math.nan)


@strawberry.type
class SeriesQuery:
    @strawberry.field
    def series(self) -> Series:
        return Series()


class CountingExtension(SchemaExtension):
    calls = 0

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        if info.parent_type.name == "Point":
            CountingExtension.calls += 1
        return _next(root, info, *args, **kwargs)


FAST_SERIES = strawberry.Schema(query=SeriesQuery, execution_context_class=SharedEventExecutor)
PLAIN_SERIES = strawberry.Schema(query=SeriesQuery)


@pytest.mark.parametrize(
    "query",
    [
        "{ series { points { day value ratio side __typename } } }",
        "{ series { points { d: day v: value d2: day } } }",
        "{ series { points { ...P } } } fragment P on Point { value ratio }",
        "{ series { points { value ... on Point { side } ratio @skip(if: true) } } }",
        "{ series { points { value doubled } } }",
        "{ series { points { value scaled(by: 3) } } }",
        "{ series { points { value tags } } }",
        "{ series { gappy { day value } } }",
        "{ series { holed { day value } } }",
        "{ series { broken { day value } } }",
        "{ series { nan { day ratio } } }",
    ],
)
def test_flat_objects_answer_as_graphql_core_does(query: str) -> None:
    assert _run(FAST_SERIES, query) == _run(PLAIN_SERIES, query)


def test_a_list_of_flat_objects_takes_the_one_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[int] = []
    original = LeafListExecutor._rows

    def counted(self: LeafListExecutor, values: list[Any], *args: Any, **kwargs: Any) -> Any:
        rows.append(len(values))
        return original(self, values, *args, **kwargs)

    monkeypatch.setattr(LeafListExecutor, "_rows", counted)
    data, errors = _run(FAST_SERIES, "{ series { points { day value } gappy { ratio } } }")
    assert errors == [] and rows == [3, 2]
    assert data["series"]["points"][0] == {"day": "2026-11-19", "value": "12.30"}
    rows.clear()
    _run(FAST_SERIES, "{ series { points { value doubled } } }")
    assert rows == []


def test_resolver_middleware_still_sees_every_field() -> None:
    timed = strawberry.Schema(
        query=SeriesQuery,
        execution_context_class=SharedEventExecutor,
        extensions=[CountingExtension],
    )
    CountingExtension.calls = 0
    data, errors = _run(timed, "{ series { points { day value } } }")
    assert errors == [] and CountingExtension.calls == 6
    assert data == _run(PLAIN_SERIES, "{ series { points { day value } } }")[0]
