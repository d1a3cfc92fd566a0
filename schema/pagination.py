"""Relay page information shared by every connection."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.pagination import Page


@strawberry.type(description="Where a page sits in the whole result.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items after this page.")
    has_previous_page: bool = strawberry.field(description="Items before this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item.")

    @classmethod
    def from_page(cls, page: Page[Any]) -> PageInfo:
        """Map a domain page."""
        return cls(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )
