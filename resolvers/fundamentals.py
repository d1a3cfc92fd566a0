"""Fundamentals use cases: a company's statements and its ratios at the latest price."""

from __future__ import annotations

from dataclasses import dataclass

from db.repos import fundamentals as repo
from domain.errors import DomainError, ErrorCode
from domain.fundamentals.ratios import Ratios, compute_ratios
from domain.fundamentals.statements import FinancialStatement, PeriodKind
from domain.markets.instruments import DataSource, Instrument
from resolvers.context import Context
from resolvers.markets import instrument as instrument_of

CURRENCY = "PKR"
DEFAULT_STATEMENTS = 8
MAX_STATEMENTS = 40


@dataclass(frozen=True, slots=True)
class CompanyFundamentals:
    """An instrument with its newest statements (all its ratios need), newest first."""

    instrument: Instrument
    latest: tuple[FinancialStatement, ...]

    @property
    def data_source(self) -> DataSource | None:
        """Where the newest statement comes from; None without statements."""
        return self.latest[0].data_source if self.latest else None


async def fundamentals(ctx: Context, symbol: str) -> CompanyFundamentals:
    """The fundamentals of a symbol (any case).

    Raises:
        DomainError: UNKNOWN_SYMBOL when no instrument has that symbol.
    """
    found = await instrument_of(ctx, symbol)
    if found is None:
        raise DomainError(ErrorCode.UNKNOWN_SYMBOL, f"Unknown symbol '{symbol}'.", "symbol")
    ctx.cache.unsafe = True  # statements change with imports, not with quote versions
    latest = await repo.latest_statements(ctx.services.database.read, instrument_ids=[found.id])
    return CompanyFundamentals(instrument=found, latest=tuple(latest[found.id]))


async def statements(
    ctx: Context, company: CompanyFundamentals, *, period: PeriodKind, first: int | None
) -> list[FinancialStatement]:
    """A company's newest `first` statements of one kind, newest first.

    Raises:
        DomainError: OUT_OF_RANGE naming `first` outside 1..MAX_STATEMENTS.
    """
    size = DEFAULT_STATEMENTS if first is None else first
    if not 1 <= size <= MAX_STATEMENTS:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE, f"`first` must be between 1 and {MAX_STATEMENTS}.", "first"
        )
    found = await repo.statements(
        ctx.services.database.read,
        instrument_ids=[company.instrument.id],
        period=period,
        limit=size,
    )
    return found[company.instrument.id]


async def ratios(ctx: Context, company: CompanyFundamentals) -> Ratios:
    """The company's ratios at its latest quote (none of the price ratios without a quote)."""
    quote = await ctx.loaders.quotes_by_symbol.load(company.instrument.symbol)
    return compute_ratios(
        company.latest,
        price=None if quote is None else quote.last,
        shares_outstanding=company.instrument.shares_outstanding or None,
    )
