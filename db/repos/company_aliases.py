"""Company aliases: the names news text and look-ups know a listed company by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_NAMES = text(
    "INSERT INTO company_aliases (symbol, alias, kind)"
    " SELECT symbol, name, 'NAME' FROM instruments WHERE char_length(name) >= 2"
    " ON CONFLICT (symbol, alias) DO NOTHING"
)
_ADD = text(
    "INSERT INTO company_aliases (symbol, alias, kind)"
    " SELECT s, a, 'ALIAS'"
    " FROM unnest(CAST(:symbols AS text[]), CAST(:aliases AS text[])) AS t(s, a)"
    " JOIN instruments i ON i.symbol = t.s"
    " ON CONFLICT (symbol, alias) DO NOTHING"
)
_ALL = text(
    "SELECT i.symbol, i.name,"
    " ARRAY(SELECT c.alias FROM company_aliases c WHERE c.symbol = i.symbol ORDER BY c.alias)"
    " AS aliases FROM instruments i WHERE i.listing_status = 'LISTED' ORDER BY i.symbol"
)


async def sync_company_names(conn: AsyncConnection) -> None:
    """Make every instrument's name one of its aliases (idempotent)."""
    await conn.execute(_NAMES)


async def add_aliases(conn: AsyncConnection, aliases: Mapping[str, Sequence[str]]) -> None:
    """Add aliases by symbol (unknown symbols and existing aliases are skipped)."""
    pairs = [(s, a) for s, names in aliases.items() for a in names]
    if pairs:
        await conn.execute(
            _ADD, {"symbols": [p[0] for p in pairs], "aliases": [p[1] for p in pairs]}
        )


async def names_by_symbol(conn: AsyncConnection) -> dict[str, tuple[str, ...]]:
    """Every listed symbol with its name and aliases (what tagging matches in text)."""
    rows = (await conn.execute(_ALL)).all()
    return {r.symbol: (r.name, *(a for a in r.aliases if a != r.name)) for r in rows}
