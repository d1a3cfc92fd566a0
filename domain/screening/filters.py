"""Typed screen filters: an AND of conditions, each OR group adding one more AND term.

A condition compares one field with a value (`GT`, `GTE`, `LT`, `LTE`, `EQ`, `NE`), a range
(`BETWEEN`, both ends included) or a set of codes (`IN`, `NOT_IN` for sector and index). A
field whose value is unknown for an instrument (no fundamentals, too little history) never
satisfies a condition on it. Validation names the input path of the offending part.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.errors import DomainError, ErrorCode
from domain.screening.fields import ScreenField

MAX_CONDITIONS = 30
MAX_GROUPS = 5
MAX_VALUES = 100
MAX_SORT_KEYS = 3


class ScreenOperator(enum.StrEnum):
    """How a condition compares its field."""

    GT = "GT"
    GTE = "GTE"
    LT = "LT"
    LTE = "LTE"
    EQ = "EQ"
    NE = "NE"
    BETWEEN = "BETWEEN"
    IN = "IN"
    NOT_IN = "NOT_IN"


NUMERIC_OPERATORS = frozenset(
    {
        ScreenOperator.GT,
        ScreenOperator.GTE,
        ScreenOperator.LT,
        ScreenOperator.LTE,
        ScreenOperator.EQ,
        ScreenOperator.NE,
        ScreenOperator.BETWEEN,
    }
)
TEXT_OPERATORS = frozenset(
    {ScreenOperator.EQ, ScreenOperator.NE, ScreenOperator.IN, ScreenOperator.NOT_IN}
)


class SortDirection(enum.StrEnum):
    """Sort order; unknown values sort last either way."""

    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True, slots=True)
class Condition:
    """One comparison; which of value/low/high/codes is set depends on the operator."""

    field: ScreenField
    operator: ScreenOperator
    value: float | None = None
    low: float | None = None
    high: float | None = None
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScreenFilter:
    """All of `conditions`, and at least one condition of each group in `any_of`."""

    conditions: tuple[Condition, ...] = ()
    any_of: tuple[tuple[Condition, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class SortKey:
    """One sort key."""

    field: ScreenField
    direction: SortDirection = SortDirection.DESC


DEFAULT_SORT = (SortKey(ScreenField.MARKET_CAP, SortDirection.DESC),)


def _number(value: float | None, path: str, what: str) -> float:
    if value is None:
        raise DomainError(ErrorCode.INVALID, f"This operator needs `{what}`.", f"{path}.{what}")
    if not math.isfinite(value):
        raise DomainError(ErrorCode.INVALID, f"`{what}` must be a finite number.", f"{path}.{what}")
    return value


def _unused(path: str, **given: object) -> None:
    for name, value in given.items():
        if value not in (None, ()):
            raise DomainError(
                ErrorCode.INVALID, f"This operator takes no `{name}`.", f"{path}.{name}"
            )


def check_condition(c: Condition, path: str) -> Condition:
    """The condition with codes normalised (upper case, trimmed, unique).

    Raises:
        DomainError: for an operator the field does not take, or a missing, extra or bad value.
    """
    allowed = TEXT_OPERATORS if c.field.textual else NUMERIC_OPERATORS
    if c.operator not in allowed:
        kind = "code" if c.field.textual else "numeric"
        names = ", ".join(sorted(allowed))
        raise DomainError(
            ErrorCode.INVALID,
            f"{c.field} is a {kind} field: its operators are {names}.",
            f"{path}.operator",
        )
    if c.field.textual:
        _unused(path, value=c.value, min=c.low, max=c.high)
        codes = tuple(dict.fromkeys(v.strip().upper() for v in c.codes if v.strip()))
        if not codes:
            raise DomainError(ErrorCode.INVALID, "Give at least one code.", f"{path}.values")
        if len(codes) > MAX_VALUES:
            raise DomainError(ErrorCode.TOO_LARGE, f"At most {MAX_VALUES} codes.", f"{path}.values")
        if c.operator in (ScreenOperator.EQ, ScreenOperator.NE) and len(codes) != 1:
            raise DomainError(
                ErrorCode.INVALID, f"{c.operator} takes exactly one code.", f"{path}.values"
            )
        return Condition(c.field, c.operator, codes=codes)
    _unused(path, values=c.codes)
    if c.operator is ScreenOperator.BETWEEN:
        _unused(path, value=c.value)
        low, high = _number(c.low, path, "min"), _number(c.high, path, "max")
        if low > high:
            raise DomainError(ErrorCode.INVALID, "`min` must not exceed `max`.", f"{path}.min")
        return Condition(c.field, c.operator, low=low, high=high)
    _unused(path, min=c.low, max=c.high)
    return Condition(c.field, c.operator, value=_number(c.value, path, "value"))


def check_filter(f: ScreenFilter, path: str = "filter") -> ScreenFilter:
    """The filter with every condition checked.

    Raises:
        DomainError: naming the first bad condition, or too many conditions or groups.
    """
    total = len(f.conditions) + sum(len(g) for g in f.any_of)
    if total > MAX_CONDITIONS:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"At most {MAX_CONDITIONS} conditions per screen.", path
        )
    if len(f.any_of) > MAX_GROUPS:
        raise DomainError(ErrorCode.TOO_LARGE, f"At most {MAX_GROUPS} OR groups.", f"{path}.anyOf")
    conditions = tuple(
        check_condition(c, f"{path}.conditions[{i}]") for i, c in enumerate(f.conditions)
    )
    groups = []
    for g, group in enumerate(f.any_of):
        if not group:
            raise DomainError(
                ErrorCode.INVALID, "An OR group needs a condition.", f"{path}.anyOf[{g}]"
            )
        groups.append(
            tuple(
                check_condition(c, f"{path}.anyOf[{g}].conditions[{i}]")
                for i, c in enumerate(group)
            )
        )
    return ScreenFilter(conditions, tuple(groups))


def check_sort(keys: Sequence[SortKey] | None, path: str = "sort") -> tuple[SortKey, ...]:
    """The sort keys, DEFAULT_SORT when none.

    Raises:
        DomainError: for too many keys, a repeated or a code field.
    """
    if not keys:
        return DEFAULT_SORT
    if len(keys) > MAX_SORT_KEYS:
        raise DomainError(ErrorCode.TOO_LARGE, f"At most {MAX_SORT_KEYS} sort keys.", path)
    seen: set[ScreenField] = set()
    for i, k in enumerate(keys):
        if k.field is ScreenField.INDEX:
            raise DomainError(
                ErrorCode.INVALID, "Index membership cannot be sorted on.", f"{path}[{i}].field"
            )
        if k.field in seen:
            raise DomainError(ErrorCode.INVALID, f"{k.field} is sorted on twice.", f"{path}[{i}]")
        seen.add(k.field)
    return tuple(keys)


def matches(c: Condition, value: float | str | Sequence[str] | None) -> bool:
    """Whether a snapshot value satisfies a checked condition (the SQL's reference).

    `value` is a number, the sector code, or the index codes an instrument belongs to.
    """
    if value is None:
        return False
    if c.field.textual:
        have = {value} if isinstance(value, str) else set(value)  # type: ignore[arg-type]
        hit = bool(have & set(c.codes))
        return not hit if c.operator in (ScreenOperator.NE, ScreenOperator.NOT_IN) else hit
    x = float(value)  # type: ignore[arg-type]
    if c.operator is ScreenOperator.BETWEEN:
        return c.low is not None and c.high is not None and c.low <= x <= c.high
    v = c.value
    assert v is not None  # noqa: S101 - checked by check_condition
    return {
        ScreenOperator.GT: x > v,
        ScreenOperator.GTE: x >= v,
        ScreenOperator.LT: x < v,
        ScreenOperator.LTE: x <= v,
        ScreenOperator.EQ: x == v,
        ScreenOperator.NE: x != v,
    }[c.operator]


def condition_to_json(c: Condition) -> dict[str, object]:
    """A condition as the API's input JSON (how saved screens keep it)."""
    out: dict[str, object] = {"field": c.field.value, "operator": c.operator.value}
    if c.value is not None:
        out["value"] = c.value
    if c.low is not None:
        out["min"] = c.low
    if c.high is not None:
        out["max"] = c.high
    if c.codes:
        out["values"] = list(c.codes)
    return out


def condition_from_json(raw: dict[str, object]) -> Condition:
    """The inverse of `condition_to_json`."""
    codes = raw.get("values") or []
    return Condition(
        field=ScreenField(str(raw["field"])),
        operator=ScreenOperator(str(raw["operator"])),
        value=_float(raw.get("value")),
        low=_float(raw.get("min")),
        high=_float(raw.get("max")),
        codes=tuple(str(v) for v in codes),  # type: ignore[attr-defined]
    )


def _float(v: object) -> float | None:
    return None if v is None else float(v)  # type: ignore[arg-type]


def filter_to_json(f: ScreenFilter) -> dict[str, object]:
    """A filter as JSON."""
    return {
        "conditions": [condition_to_json(c) for c in f.conditions],
        "anyOf": [{"conditions": [condition_to_json(c) for c in g]} for g in f.any_of],
    }


def filter_from_json(raw: dict[str, object]) -> ScreenFilter:
    """The inverse of `filter_to_json`."""
    conditions = raw.get("conditions") or []
    groups = raw.get("anyOf") or []
    return ScreenFilter(
        tuple(condition_from_json(c) for c in conditions),  # type: ignore[attr-defined]
        tuple(
            tuple(condition_from_json(c) for c in g["conditions"])
            for g in groups  # type: ignore[attr-defined]
        ),
    )


def sort_to_json(keys: Sequence[SortKey]) -> list[dict[str, str]]:
    """Sort keys as JSON."""
    return [{"field": k.field.value, "direction": k.direction.value} for k in keys]


def sort_from_json(raw: Sequence[dict[str, str]]) -> tuple[SortKey, ...]:
    """The inverse of `sort_to_json`."""
    return tuple(SortKey(ScreenField(k["field"]), SortDirection(k["direction"])) for k in raw)


@dataclass(frozen=True, slots=True)
class SavedScreen:
    """A user's saved screen; `filter` and `sort` are the API's input as JSON."""

    id: uuid.UUID
    name: str
    filter: dict[str, Any]
    sort: list[Any]
    created_at: datetime
    updated_at: datetime
