"""Inputs of the portfolio mutations, and how their errors are reported."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from domain.errors import DomainError
from domain.portfolios.inputs import TransactionInput
from resolvers import portfolio_positions, portfolios
from schema.payloads import UserError
from schema.portfolios.enums import CostMethod, TransactionType
from schema.scalars import Long


def input_error(err: DomainError) -> UserError:
    """A domain error as a payload error (fields are already `input.<field>` or an argument)."""
    return UserError(field=err.field, message=err.message, code=err.code)


@strawberry.input(description="A new portfolio.")
class CreatePortfolioInput:
    name: str = strawberry.field(description="1 to 80 characters, unique among yours.")
    cost_method: CostMethod = strawberry.field(
        default=CostMethod.FIFO, description="How sales are matched (default FIFO)."
    )
    tracks_cash: bool = strawberry.field(
        default=False, description="Keep a cash balance fed by deposits and withdrawals."
    )
    filer: bool = strawberry.field(
        default=True, description="Filer status: dividend withholding 15% (else 30%)."
    )
    base_currency: str = strawberry.field(default="PKR", description="PKR (the only one).")

    def to_command(self) -> portfolios.NewPortfolio:
        """The use case's command."""
        return portfolios.NewPortfolio(
            name=self.name,
            cost_method=self.cost_method,
            tracks_cash=self.tracks_cash,
            filer=self.filer,
            base_currency=self.base_currency,
        )


@strawberry.input(description="A portfolio's new name.")
class RenamePortfolioInput:
    name: str = strawberry.field(description="1 to 80 characters, unique among yours.")


@strawberry.input(
    description=(
        "A ledger entry. Fields by type: BUY/SELL/RIGHT symbol, quantity, price (fees, taxes "
        "from the PSX cost model when left out); DIVIDEND symbol, quantity, price (Rs a "
        "share; taxes default to the withholding); BONUS symbol, quantity; SPLIT symbol, "
        "ratio; DEPOSIT/WITHDRAWAL amount; FEE amount (symbol optional)."
    )
)
class RecordTransactionInput:
    type: TransactionType = strawberry.field(description="What the entry records.")
    trade_date: date = strawberry.field(description="Trade date (ex-date for entitlements).")
    symbol: str | None = strawberry.field(default=None, description="PSX symbol.")
    quantity: Long | None = strawberry.field(default=None, description="Shares.")
    price: Decimal | None = strawberry.field(default=None, description="Rs a share.")
    amount: Decimal | None = strawberry.field(default=None, description="Cash amount, rupees.")
    ratio: Decimal | None = strawberry.field(default=None, description="New shares per old.")
    fees: Decimal | None = strawberry.field(default=None, description="Fees (default: model).")
    taxes: Decimal | None = strawberry.field(default=None, description="Taxes (default: model).")
    settlement_date: date | None = strawberry.field(
        default=None, description="Settlement date (default: T+2, T+1 from 9 Feb 2026)."
    )
    note: str | None = strawberry.field(default=None, description="Up to 500 characters.")

    def to_domain(self) -> TransactionInput:
        """The domain's input."""
        return TransactionInput(
            type=self.type,
            trade_date=self.trade_date,
            symbol=self.symbol,
            quantity=None if self.quantity is None else int(self.quantity),
            price=self.price,
            amount=self.amount,
            ratio=self.ratio,
            fees=self.fees,
            taxes=self.taxes,
            settlement_date=self.settlement_date,
            note=self.note,
        )


@strawberry.input(description="A purchase, or an opening balance, of a symbol.")
class AddPositionInput:
    symbol: str = strawberry.field(description="PSX symbol.")
    quantity: Long = strawberry.field(description="Shares.")
    price: Decimal = strawberry.field(description="Price a share (opening balance: average cost).")
    trade_date: date | None = strawberry.field(default=None, description="Default: today.")
    fees: Decimal | None = strawberry.field(default=None, description="Default: cost model.")
    taxes: Decimal | None = strawberry.field(default=None, description="Default: cost model.")
    opening_balance: bool = strawberry.field(
        default=False,
        description=(
            "Shares already held, at no charges; where the portfolio keeps cash their cost "
            "comes in as a deposit of the same day."
        ),
    )
    note: str | None = strawberry.field(default=None, description="Up to 500 characters.")

    def to_command(self) -> portfolio_positions.NewPosition:
        """The use case's command."""
        return portfolio_positions.NewPosition(
            symbol=self.symbol,
            quantity=int(self.quantity),
            price=self.price,
            trade_date=self.trade_date,
            fees=self.fees,
            taxes=self.taxes,
            opening_balance=self.opening_balance,
            note=self.note,
        )


@strawberry.input(
    description="The quantity and/or cost a holding should have, written as adjusting entries."
)
class UpdatePositionInput:
    symbol: str = strawberry.field(description="PSX symbol.")
    quantity: Long | None = strawberry.field(default=None, description="Target shares.")
    cost_basis: Decimal | None = strawberry.field(
        default=None, description="Target total cost (default: keep the average cost)."
    )
    trade_date: date | None = strawberry.field(default=None, description="Default: today.")
    note: str | None = strawberry.field(default=None, description="Default: Adjustment.")

    def to_command(self) -> portfolio_positions.PositionCorrection:
        """The use case's command."""
        return portfolio_positions.PositionCorrection(
            symbol=self.symbol,
            quantity=None if self.quantity is None else int(self.quantity),
            cost_basis=self.cost_basis,
            trade_date=self.trade_date,
            note=self.note,
        )


@strawberry.input(description="Sell a whole position at a price, or delete its entries.")
class RemovePositionInput:
    symbol: str = strawberry.field(description="PSX symbol.")
    price: Decimal | None = strawberry.field(default=None, description="Sale price a share.")
    trade_date: date | None = strawberry.field(default=None, description="Default: today.")
    delete_entries: bool = strawberry.field(
        default=False, description="Delete every entry of the symbol instead of selling."
    )

    def to_command(self) -> portfolio_positions.PositionRemoval:
        """The use case's command."""
        return portfolio_positions.PositionRemoval(
            symbol=self.symbol,
            price=self.price,
            trade_date=self.trade_date,
            delete_entries=self.delete_entries,
        )
