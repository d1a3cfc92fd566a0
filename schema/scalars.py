"""Custom scalars."""

from __future__ import annotations

from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

Long = NewType("Long", int)

SCALARS: dict[object, ScalarDefinition] = {
    Long: strawberry.scalar(
        name="Long",
        description=(
            "A whole number that may exceed 32 bits (share counts, volumes); serialised as a "
            "JSON number, exact up to 2^53."
        ),
        serialize=int,
        parse_value=int,
    ),
}
