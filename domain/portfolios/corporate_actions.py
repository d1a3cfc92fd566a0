"""Market corporate actions turned into ledger entries for the shares a portfolio held.

An action belongs to the holders at the close before its ex-date: the entry is dated on the
ex-date and sized on the shares held after every transaction traded before it (entries for
earlier actions included, so a bonus earns the next dividend).

- CASH_DIVIDEND (value: Rs a share) gives a DIVIDEND, withholding at the portfolio's filer
  rate;
- BONUS (value: percent) gives floor(held × X / 100) shares (companies sell the fractions);
- SPLIT (value: new shares per old) gives a SPLIT of that ratio;
- RIGHT is never applied by itself: subscribing is the holder's decision and is entered as a
  RIGHT transaction (`right_entitlement` says how many shares may be subscribed).

Every entry carries the action's id (`corporate_action_id`); an action whose id is on the
ledger already is never applied again, whatever else changed. An action the holder entered by
hand (an entry of its type, symbol and ex-date with no action id) is not added a second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from domain.markets.costs import dividend_withholding, to_paisa
from domain.markets.instruments import CorporateAction, CorporateActionKind
from domain.portfolios.ledger import (
    MAX_NOTE,
    ZERO,
    PortfolioPolicy,
    Transaction,
    TransactionType,
)
from domain.portfolios.lots import holdings_before

_K = CorporateActionKind
AUTOMATIC = frozenset({_K.CASH_DIVIDEND, _K.BONUS, _K.SPLIT})


def applied_action_ids(transactions: Iterable[Transaction]) -> frozenset[int]:
    """Ids of the market actions the ledger already holds entries for."""
    return frozenset(
        tx.corporate_action_id for tx in transactions if tx.corporate_action_id is not None
    )


def _whole(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def right_entitlement(action: CorporateAction, held: int) -> int:
    """Shares a holder of `held` shares may subscribe in a right issue of X%."""
    return _whole(held * action.value / 100)


def _entry(
    action: CorporateAction,
    symbol: str,
    kind: TransactionType,
    *,
    quantity: int = 0,
    price: Decimal = ZERO,
    ratio: Decimal | None = None,
    taxes: Decimal = ZERO,
) -> Transaction:
    return Transaction(
        type=kind,
        trade_date=action.ex_date,
        settlement_date=action.ex_date,
        symbol=symbol,
        quantity=quantity,
        price=price,
        ratio=ratio,
        taxes=taxes,
        note=action.description[:MAX_NOTE],
        corporate_action_id=action.id,
    )


def entry_for(
    action: CorporateAction, symbol: str, held: int, policy: PortfolioPolicy
) -> Transaction | None:
    """The ledger entry an action gives a holder of `held` shares; None when it gives none.

    Rights and actions with no value (or nothing held) give none.
    """
    if held <= 0 or action.value <= 0 or action.kind not in AUTOMATIC:
        return None
    if action.kind is _K.CASH_DIVIDEND:
        gross = to_paisa(action.value * held)
        if gross == 0:
            return None
        tax = dividend_withholding(gross, filer=policy.filer)
        return _entry(
            action, symbol, TransactionType.DIVIDEND, quantity=held, price=action.value, taxes=tax
        )
    if action.kind is _K.BONUS:
        shares = _whole(held * action.value / 100)
        if shares == 0:
            return None
        return _entry(action, symbol, TransactionType.BONUS, quantity=shares)
    if action.value == 1:
        return None
    return _entry(action, symbol, TransactionType.SPLIT, ratio=action.value)


_KIND_ENTRY = {
    _K.CASH_DIVIDEND: TransactionType.DIVIDEND,
    _K.BONUS: TransactionType.BONUS,
    _K.SPLIT: TransactionType.SPLIT,
}


def _by_hand(ledger: Sequence[Transaction], action: CorporateAction, symbol: str) -> bool:
    """Whether the holder already entered this action by hand: same type, symbol, ex-date."""
    kind = _KIND_ENTRY[action.kind]
    return any(
        tx.type is kind
        and tx.symbol == symbol
        and tx.trade_date == action.ex_date
        and tx.corporate_action_id is None
        for tx in ledger
    )


def pending_entries(
    transactions: Sequence[Transaction],
    actions: Iterable[CorporateAction],
    symbols: Mapping[int, str],
    policy: PortfolioPolicy,
    *,
    as_of: date,
) -> list[Transaction]:
    """The entries `applyCorporateActions` adds: actions gone ex by `as_of`, not yet applied.

    Args:
        transactions: the ledger as stored.
        actions: market corporate actions (any instruments; duplicates are harmless).
        symbols: instrument id → symbol, for the instruments of `actions`.
        policy: the portfolio's rules (filer status for the withholding).
        as_of: the exchange's current date; later ex-dates wait.

    Returns:
        New entries, oldest ex-date first. Applying them and calling this again returns [].
    """
    done = applied_action_ids(transactions)
    todo = {
        a.id: a
        for a in actions
        if a.kind in AUTOMATIC
        and a.id not in done
        and a.ex_date <= as_of
        and a.instrument_id in symbols
    }
    ledger = list(transactions)
    out: list[Transaction] = []
    for action in sorted(todo.values(), key=lambda a: (a.ex_date, a.id)):
        symbol = symbols[action.instrument_id]
        if _by_hand(ledger, action, symbol):
            continue
        held = holdings_before(ledger, action.ex_date, policy).get(symbol, 0)
        entry = entry_for(action, symbol, held, policy)
        if entry is not None:
            out.append(entry)
            ledger.append(entry)
    return out


@dataclass(frozen=True, slots=True)
class StaleEntitlement:
    """A generated entry whose size no longer matches the holding before its ex-date
    (a trade dated before the ex-date was added or removed since); `expected` is the entry
    the action gives now, None when it gives none."""

    entry: Transaction
    expected: Transaction | None


def stale_entitlements(
    transactions: Sequence[Transaction],
    actions: Iterable[CorporateAction],
    symbols: Mapping[int, str],
    policy: PortfolioPolicy,
) -> list[StaleEntitlement]:
    """Generated dividend and bonus entries whose quantity the ledger no longer supports.

    Each entry is judged on the ledger as it stands, so a later entry's expected size
    assumes the earlier stale ones unchanged: correct the oldest and check again. Splits carry
    a ratio, not a quantity, so they cannot go stale.
    """
    by_id = {a.id: a for a in actions}
    stale: list[StaleEntitlement] = []
    for entry in transactions:
        action = by_id.get(entry.corporate_action_id or -1)
        if action is None or action.kind is _K.SPLIT or action.instrument_id not in symbols:
            continue
        symbol = symbols[action.instrument_id]
        # Entries generated on the same ex-date are not part of the holding "before" it.
        held = holdings_before(transactions, action.ex_date, policy).get(symbol, 0)
        expected = entry_for(action, symbol, held, policy)
        if expected is None or expected.quantity != entry.quantity:
            stale.append(StaleEntitlement(entry, expected))
    return stale
