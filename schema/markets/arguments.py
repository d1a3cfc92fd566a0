"""Arguments shared by the chart fields of instruments and indices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

From = Annotated[
    datetime | None,
    strawberry.argument(name="from", description="Start (inclusive); default by interval."),
]
To = Annotated[datetime | None, strawberry.argument(description="End (exclusive); default now.")]
Limit = Annotated[
    int | None,
    strawberry.argument(description="Newest candles to return at most (default 1000)."),
]
