"""What mutation payloads share: typed errors (STYLE.md, "Errors")."""

from __future__ import annotations

import strawberry

from domain.errors import DomainError, ErrorCode

strawberry.enum(ErrorCode, description="Why a request was refused.")


@strawberry.type(description="A problem with a mutation's input or a rule it broke.")
class UserError:
    field: str | None = strawberry.field(
        description="The camelCase input path at fault (null when no single field is)."
    )
    message: str = strawberry.field(description="What went wrong, for people.")
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")

    @classmethod
    def from_domain(cls, err: DomainError) -> UserError:
        """Map a domain error."""
        return cls(field=err.field, message=err.message, code=err.code)
