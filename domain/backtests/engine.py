"""The backtest simulation: a long-only book of PSX shares driven by signals, bar by bar.

Timing. A signal is computed on bar t's data. With `NEXT_OPEN` (the default) it fills at the
symbol's next bar's open; with `CLOSE` at bar t's close (backtesting.py's `trade_on_close`).
Nothing fills earlier, so changing bars after t never changes what happened up to t.

Each session runs in this order: orders waiting for the open fill (sells before buys, then by
symbol); stop-loss and take-profit are checked on the bar's low and high for the positions
held at the open (an entry filled at the open is checked on its own bar: the whole day trades
after the open); then at the close, with `CLOSE` fills, waiting orders, exits, entries and
rebalancing fill at the close, and with `NEXT_OPEN` they become orders for the next bar. An
entry and an exit signal on the same bar cancel the entry; an exit signal cancels an entry
still waiting; a held position ignores entry signals (no pyramiding). The last session places
no orders: nothing could fill before the run ends.

Fills. Whole shares (the PSX lot is 1). The price is the bar's price on the 0.01 tick, moved
`slippage_ticks` against the trader and clamped to the day's circuit band (±10% or Rs 1 of
the symbol's previous close, `domain.markets.prices.circuit_limits`). A buy is not filled
when its price is at the upper limit (the day opened, or closed, locked limit-up), nor a
sell at the lower limit, nor anything on a bar without volume. Such entries and exits are
retried at the symbol's next bar, at the same point of the bar (a stop-loss or take-profit at
the next open); a rebalancing order is dropped until the next rebalance. A stop fills at its
level, or at the open when the open gapped through it; when one bar reaches both levels the
stop-loss is assumed to come first, unless the open itself was beyond the take-profit. Buys
are sized down until the shares and their costs fit in the cash, which never goes negative.

Money. Cash, fills, costs and P&L are Decimal rupees on the paisa (whole paisa in the loop),
each charge rounded on its own; prices for signals and stops are floats. Positions are marked
at each session's close on the paisa. Positions still open after the last session are sold at
their last close (slippage and costs applied, no band check, exit reason END), so the final
equity is cash.

Capital-gains tax (optional): realised gains net of costs, on average cost, are netted within
each Pakistani tax year (1 Jul-30 Jun) and taxed at the close of the year's last session and
at the end of the run; a year's net loss owes nothing and is not carried forward. Tax the
cash cannot cover is paid out of the next sale (it counts against equity meanwhile).
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import polars as pl
from numpy.typing import NDArray

from domain.backtests.calendars import (
    Book,
    SymbolBars,
    benchmark_on,
    benchmark_series,
    build_book,
    symbol_bars,
    tax_years,
)
from domain.backtests.metrics import sessions_per_year, summarise
from domain.backtests.results import (
    FILL_OF_EXIT,
    BacktestResult,
    EquityPoint,
    ExitReason,
    Fill,
    FillReason,
    TaxCharge,
    Trade,
)
from domain.backtests.strategies import (
    Signals,
    SizingKind,
    Strategy,
    compile_signals,
    validate_strategy,
)
from domain.errors import DomainError, ErrorCode
from domain.markets.costs import (
    NO_COSTS,
    PSX_COSTS,
    CostBreakdown,
    CostModel,
    Side,
    capital_gains_tax,
    tax_year,
)
from domain.markets.prices import circuit_limits

MAX_SYMBOLS = 100
MAX_SLIPPAGE_TICKS = 100
_EPOCH = date(1970, 1, 1)
_CENT = Decimal("0.01")


class FillTiming(enum.StrEnum):
    """When a signal trades: the next bar's open, or the signal bar's own close."""

    NEXT_OPEN = "NEXT_OPEN"
    CLOSE = "CLOSE"


@dataclass(frozen=True, slots=True)
class BacktestSettings:
    """How the book is run; percents are percents (15 = 15%).

    `start`/`end` bound the simulated sessions (trading days, inclusive); bars before `start`
    only warm indicators up and set the first session's circuit band. `costs=False` trades
    free of charges (tax still applies). `sessions_per_year` overrides the rate measured from
    the bars' calendar.
    """

    initial_cash: Decimal = Decimal(1_000_000)
    fill: FillTiming = FillTiming.NEXT_OPEN
    slippage_ticks: int = 0
    costs: bool = True
    cost_model: CostModel = PSX_COSTS
    capital_gains_tax_pct: Decimal | None = None
    risk_free_rate_pct: float = 0.0
    start: date | None = None
    end: date | None = None
    sessions_per_year: float | None = None


def validate_settings(settings: BacktestSettings) -> None:
    """Check the run's settings.

    Raises:
        DomainError: with the camelCase path under `settings`.
    """
    cash = settings.initial_cash
    if cash <= 0 or cash != cash.quantize(_CENT) or cash > Decimal(10) ** 13:
        raise DomainError(
            ErrorCode.INVALID,
            "Initial cash is a positive amount in rupees and paisa, at most 10 trillion.",
            "settings.initialCash",
        )
    if not 0 <= settings.slippage_ticks <= MAX_SLIPPAGE_TICKS:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            f"Slippage runs from 0 to {MAX_SLIPPAGE_TICKS} ticks.",
            "settings.slippageTicks",
        )
    cgt = settings.capital_gains_tax_pct
    if cgt is not None and not 0 <= cgt <= 100:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            "The capital-gains tax rate is a percent from 0 to 100.",
            "settings.capitalGainsTaxPct",
        )
    if not -100 < settings.risk_free_rate_pct < 100:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            "The risk-free rate is an annual percent between -100 and 100.",
            "settings.riskFreeRatePct",
        )
    if settings.start is not None and settings.end is not None and settings.start > settings.end:
        raise DomainError(ErrorCode.INVALID, "The range ends before it starts.", "settings.end")
    spy = settings.sessions_per_year
    if spy is not None and not 1 <= spy <= 366:
        raise DomainError(
            ErrorCode.OUT_OF_RANGE,
            "Sessions per year run from 1 to 366.",
            "settings.sessionsPerYear",
        )


def _dec(paisa: int) -> Decimal:
    return Decimal(paisa).scaleb(-2)


def _paisa(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _tick(price: float) -> int:
    """A float price on the 0.01 tick in paisa, half up as `domain.markets.prices.to_tick`."""
    return int(Decimal(repr(price)).scaleb(2).to_integral_value(rounding=ROUND_HALF_UP))


def _on_tick(price: Decimal) -> Decimal:
    return price.quantize(_CENT, rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=65536)
def _band(ldcp: int) -> tuple[int, int]:
    """The circuit band in paisa around a previous close in paisa."""
    lower, upper = circuit_limits(_dec(ldcp))
    return _paisa(lower), _paisa(upper)


def _avg_price(value: int, qty: int) -> Decimal:
    return (Decimal(value) / (100 * qty)).quantize(Decimal("0.0001"))


class _Kind(enum.Enum):
    ENTER = 1
    EXIT = 2
    REBALANCE = 3


@dataclass(slots=True)
class _Order:
    kind: _Kind
    at_open: bool
    target: int = 0  # paisa to hold after the fill (ENTER, REBALANCE)
    reason: ExitReason = ExitReason.SIGNAL


@dataclass(slots=True)
class _Position:
    entry_t: int
    qty: int = 0
    basis: int = 0  # cost of the shares held, buy costs included (paisa)
    bought: int = 0
    buy_value: int = 0
    buy_costs: int = 0
    sold: int = 0
    sell_value: int = 0
    sell_costs: int = 0
    stop: float = -math.inf
    take: float = math.inf


@dataclass(slots=True)
class _Sim:
    book: Book
    strategy: Strategy
    settings: BacktestSettings
    cash: int
    positions: dict[int, _Position] = field(default_factory=dict)
    pending: dict[int, _Order] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    trades: list[Trade] = field(default_factory=list)
    taxes: list[TaxCharge] = field(default_factory=list)
    year_gain: dict[int, int] = field(default_factory=dict)
    tax_owed: int = 0
    total_costs: int = 0
    total_tax: int = 0
    exposed: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    qty_delta: NDArray[np.int64] = field(default_factory=lambda: np.zeros((0, 0), np.int64))

    def _price(self, s: int, t: int, raw: float, side: Side) -> int | None:
        """The fill price in paisa, or None when the bar is locked against this side."""
        book = self.book
        if not book.volume[s][t] > 0:
            return None
        price = _tick(raw)
        prev = book.prev_close[s][t]
        slip = self.settings.slippage_ticks
        if math.isnan(prev):
            return max(price + slip if side is Side.BUY else price - slip, 1)
        lower, upper = _band(_tick(prev))
        if side is Side.BUY:
            return None if price >= upper else min(price + slip, upper)
        return None if price <= lower else max(price - slip, lower)

    def _costs(self, side: Side, qty: int, price: int) -> CostBreakdown:
        if not self.settings.costs:
            return NO_COSTS
        return self.settings.cost_model.costs(side, qty, _dec(price))

    def _affordable(self, qty: int, price: int) -> tuple[int, CostBreakdown]:
        """The most shares up to `qty` that the cash pays for with their costs."""
        q = min(qty, self.cash // price)
        while q > 0:
            costs = self._costs(Side.BUY, q, price)
            over = q * price + _paisa(costs.total) - self.cash
            if over <= 0:
                return q, costs
            q -= max(1, -(-over // price))
        return 0, NO_COSTS

    def _buy(self, s: int, t: int, qty: int, price: int, reason: FillReason) -> None:
        q, costs = self._affordable(qty, price)
        if q == 0:
            return
        cost = _paisa(costs.total)
        self.cash -= q * price + cost
        self.total_costs += cost
        pos = self.positions.get(s)
        if pos is None:
            pos = self.positions[s] = _Position(entry_t=t)
        pos.qty += q
        pos.basis += q * price + cost
        pos.bought += q
        pos.buy_value += q * price
        pos.buy_costs += cost
        avg = Decimal(pos.buy_value) / (100 * pos.bought)
        if self.strategy.stop_loss_pct is not None:
            pos.stop = float(_on_tick(avg * (1 - self.strategy.stop_loss_pct / 100)))
        if self.strategy.take_profit_pct is not None:
            pos.take = float(_on_tick(avg * (1 + self.strategy.take_profit_pct / 100)))
        self.qty_delta[s, t] += q
        book = self.book
        fill = Fill(book.ts[t], book.symbols[s], Side.BUY, q, _dec(price), costs, reason)
        self.fills.append(fill)

    def _sell(self, s: int, t: int, qty: int, price: int, reason: ExitReason) -> None:
        pos = self.positions[s]
        costs = self._costs(Side.SELL, qty, price)
        cost = _paisa(costs.total)
        proceeds = qty * price
        basis = pos.basis if qty == pos.qty else pos.basis * qty // pos.qty
        self.cash += proceeds - cost
        self.total_costs += cost
        year = tax_year(_EPOCH + timedelta(days=int(self.book.days[t])))
        self.year_gain[year] = self.year_gain.get(year, 0) + proceeds - cost - basis
        pos.qty -= qty
        pos.basis -= basis
        pos.sold += qty
        pos.sell_value += proceeds
        pos.sell_costs += cost
        self.qty_delta[s, t] -= qty
        book = self.book
        why = FILL_OF_EXIT[reason]
        fill = Fill(book.ts[t], book.symbols[s], Side.SELL, qty, _dec(price), costs, why)
        self.fills.append(fill)
        if self.tax_owed:
            paid = min(self.tax_owed, self.cash)
            self.tax_owed -= paid
            self.cash -= paid
        if pos.qty == 0:
            del self.positions[s]
            self._close_trade(s, t, pos, reason)

    def _close_trade(self, s: int, t: int, pos: _Position, reason: ExitReason) -> None:
        gross = pos.sell_value - pos.buy_value
        costs = pos.buy_costs + pos.sell_costs
        net = gross - costs
        self.exposed[pos.entry_t : t + 1] = True
        self.trades.append(
            Trade(
                symbol=self.book.symbols[s],
                entry_ts=self.book.ts[pos.entry_t],
                exit_ts=self.book.ts[t],
                entry_price=_avg_price(pos.buy_value, pos.bought),
                exit_price=_avg_price(pos.sell_value, pos.sold),
                quantity=pos.bought,
                gross_pnl=_dec(gross),
                costs=_dec(costs),
                net_pnl=_dec(net),
                return_pct=net / (pos.buy_value + pos.buy_costs) * 100,
                bars_held=t - pos.entry_t,
                exit_reason=reason,
            )
        )

    def _equity(self, t: int) -> int:
        marks = self.book.mark_paisa
        held = sum(pos.qty * int(marks[s, t]) for s, pos in self.positions.items())
        return self.cash + held - self.tax_owed

    def _target(self, equity: int) -> int:
        sizing = self.strategy.sizing
        if sizing.kind is SizingKind.FIXED_AMOUNT:
            assert sizing.amount is not None  # noqa: S101 - validated before
            return _paisa(sizing.amount)
        if sizing.kind is SizingKind.PERCENT_OF_EQUITY:
            assert sizing.percent is not None  # noqa: S101 - validated before
            return int(Decimal(equity) * sizing.percent / 100)
        return equity // len(self.book.symbols)

    def _execute(self, orders: list[tuple[int, _Order]], t: int, *, at_open: bool) -> None:
        """Fill orders at session t's open or close: sells first, then buys, by symbol."""
        book = self.book
        sells: list[tuple[int, ExitReason, int, int]] = []
        buys: list[tuple[int, FillReason, int, int]] = []
        for s, order in orders:
            raw = book.open[s][t] if at_open else book.close[s][t]
            held = self.positions[s].qty if s in self.positions else 0
            if order.kind is _Kind.REBALANCE:
                del self.pending[s]
                side = Side.BUY if order.target // _tick(raw) > held else Side.SELL
                price = self._price(s, t, raw, side)
                if price is None:
                    continue  # dropped: the next rebalance resizes the position anyway
                change = order.target // price - held
                if side is Side.BUY and change > 0:
                    buys.append((s, FillReason.REBALANCE, change, price))
                elif side is Side.SELL and change < 0:
                    sells.append((s, ExitReason.REBALANCE, -change, price))
                continue
            side = Side.SELL if order.kind is _Kind.EXIT else Side.BUY
            price = self._price(s, t, raw, side)
            if price is None:
                continue  # locked or untraded: the order waits for the symbol's next bar
            del self.pending[s]
            if side is Side.BUY:
                buys.append((s, FillReason.ENTRY, order.target // price, price))
            elif held:
                sells.append((s, order.reason, held, price))
        for s, reason, qty, price in sells:
            self._sell(s, t, qty, price, reason)
        for s, fill_reason, qty, price in buys:
            if qty > 0:
                self._buy(s, t, qty, price, fill_reason)

    def _stops(self, t: int) -> None:
        book = self.book
        for s in list(self.positions):
            if s in self.pending or not book.has_bar[s][t]:
                continue
            pos = self.positions[s]
            low, high = book.low[s][t], book.high[s][t]
            if low > pos.stop and high < pos.take:
                continue
            opened = book.open[s][t]
            if opened >= pos.take:
                reason, raw = ExitReason.TAKE_PROFIT, opened
            elif low <= pos.stop:
                reason, raw = ExitReason.STOP_LOSS, min(opened, pos.stop)
            else:
                reason, raw = ExitReason.TAKE_PROFIT, pos.take
            price = self._price(s, t, raw, Side.SELL)
            if price is None:
                self.pending[s] = _Order(_Kind.EXIT, at_open=True, reason=reason)
            else:
                self._sell(s, t, pos.qty, price, reason)

    def _signals(self, t: int, *, rebalance: bool) -> None:
        """Orders from session t's signals: filled now (CLOSE) or at the next open."""
        book = self.book
        now = self.settings.fill is FillTiming.CLOSE
        orders: list[tuple[int, _Order]] = []
        for s in book.exits.get(t, ()):
            waiting = self.pending.get(s)
            if waiting is not None and waiting.kind is _Kind.ENTER:
                del self.pending[s]
            elif s in self.positions and waiting is None:
                order = self.pending[s] = _Order(_Kind.EXIT, at_open=not now)
                orders.append((s, order))
        equity: int | None = None
        for s in book.entries.get(t, ()):
            if s in self.positions or s in self.pending:
                continue
            if equity is None:
                equity = self._equity(t)
            order = self.pending[s] = _Order(_Kind.ENTER, not now, self._target(equity))
            orders.append((s, order))
        if rebalance and self.positions:
            target = (self._equity(t) if equity is None else equity) // len(book.symbols)
            for s in self.positions:
                if s not in self.pending and book.has_bar[s][t]:
                    order = self.pending[s] = _Order(_Kind.REBALANCE, not now, target)
                    orders.append((s, order))
        if now and orders:
            orders.sort(key=lambda item: item[0])
            self._execute(orders, t, at_open=False)

    def _charge_tax(self, t: int, year: int) -> None:
        rate = self.settings.capital_gains_tax_pct
        gain = self.year_gain.pop(year, 0)
        if rate is None or gain == 0:
            return
        tax = _paisa(capital_gains_tax(_dec(gain), rate))
        self.taxes.append(TaxCharge(year, self.book.ts[t], _dec(gain), _dec(tax)))
        self.total_tax += tax
        paid = min(tax, self.cash)
        self.cash -= paid
        self.tax_owed += tax - paid

    def _waiting(self, t: int, *, at_open: bool) -> None:
        has = self.book.has_bar
        due = [
            (s, order)
            for s, order in sorted(self.pending.items())
            if order.at_open is at_open and has[s][t]
        ]
        if due:
            self._execute(due, t, at_open=at_open)

    def run(self) -> tuple[list[int], list[int]]:
        """Simulate every session; returns cash and tax owed at each close (paisa)."""
        book = self.book
        n = book.days.shape[0]
        self.exposed = np.zeros(n, dtype=np.bool_)
        self.qty_delta = np.zeros((len(book.symbols), n), dtype=np.int64)
        years: list[int] = tax_years(book.days).tolist()
        every = self.strategy.sizing.rebalance_every
        stops = self.strategy.stop_loss_pct is not None or self.strategy.take_profit_pct is not None
        at_close = self.settings.fill is FillTiming.CLOSE
        cash: list[int] = []
        owed: list[int] = []
        for t in range(n):
            if self.pending:
                self._waiting(t, at_open=True)
            if stops and self.positions:
                self._stops(t)
            if at_close and self.pending:
                self._waiting(t, at_open=False)
            if t < n - 1:
                self._signals(t, rebalance=every is not None and t > 0 and t % every == 0)
            else:
                self._finish(t)
            if t == n - 1 or years[t + 1] != years[t]:
                self._charge_tax(t, years[t])
            cash.append(self.cash)
            owed.append(self.tax_owed)
        return cash, owed

    def _finish(self, t: int) -> None:
        """Sell what is still held at its last close: the final equity is then cash."""
        self.pending.clear()
        for s in sorted(self.positions):
            price = max(_tick(self.book.last_close[s]) - self.settings.slippage_ticks, 1)
            self._sell(s, t, self.positions[s].qty, price, ExitReason.END)


def _result(
    book: Book,
    sim: _Sim,
    cash_at: list[int],
    owed_at: list[int],
    settings: BacktestSettings,
    per_year: float,
    benchmark: pl.DataFrame | None,
) -> BacktestResult:
    cash = np.array(cash_at, dtype=np.int64)
    qty = np.cumsum(sim.qty_delta, axis=1)
    held = (qty * book.mark_paisa).sum(axis=0)
    equity_paisa = cash + held - np.array(owed_at, dtype=np.int64)
    equity = equity_paisa / 100.0
    drawdown = (equity / np.maximum.accumulate(equity) - 1.0) * 100
    exposure = np.divide(
        held * 100.0, equity_paisa, out=np.zeros(held.shape[0]), where=equity_paisa > 0
    )
    # Cash stands still between fills and equity too while flat: one Decimal per value.
    money: dict[int, Decimal] = {}

    def dec(paisa: int) -> Decimal:
        value = money.get(paisa)
        if value is None:
            value = money[paisa] = _dec(paisa)
        return value

    points = tuple(
        EquityPoint(ts, dec(e), dec(c), x, d)
        for ts, e, c, x, d in zip(
            book.ts,
            equity_paisa.tolist(),
            cash_at,
            exposure.tolist(),
            drawdown.tolist(),
            strict=True,
        )
    )
    growth = np.array(book.last_close) / np.array(book.first_close)
    buy_hold = float(np.mean(growth - 1.0) * 100)
    trades = sim.trades
    metrics = summarise(
        ts=(book.ts[0], book.ts[-1]),
        days=book.days,
        equity=equity,
        initial_cash=settings.initial_cash,
        equity_final=_dec(int(equity_paisa[-1])),
        equity_peak=_dec(int(equity_paisa.max())),
        trade_pnl=np.array([float(t.net_pnl) for t in trades], dtype=np.float64),
        trade_returns=np.array([t.return_pct / 100 for t in trades], dtype=np.float64),
        trade_bars=np.array([t.bars_held for t in trades], dtype=np.int64),
        exposed=sim.exposed,
        per_year=per_year,
        risk_free_rate_pct=settings.risk_free_rate_pct,
        buy_and_hold_pct=buy_hold,
        benchmark=benchmark_on(benchmark, book.days) if benchmark is not None else None,
        total_costs=_dec(sim.total_costs),
        total_tax=_dec(sim.total_tax),
    )
    return BacktestResult(
        symbols=tuple(book.symbols),
        equity=points,
        trades=tuple(trades),
        fills=tuple(sim.fills),
        taxes=tuple(sim.taxes),
        metrics=metrics,
    )


def _measured(bars: Mapping[str, SymbolBars], settings: BacktestSettings) -> float:
    if settings.sessions_per_year is not None:
        return settings.sessions_per_year
    return sessions_per_year(np.unique(np.concatenate([b.days for b in bars.values()])))


def _book_and_run(
    bars: Mapping[str, SymbolBars],
    signals: Mapping[str, Signals],
    strategy: Strategy,
    settings: BacktestSettings,
    benchmark: pl.DataFrame | None,
) -> BacktestResult:
    book = build_book(bars, signals, settings.start)
    sim = _Sim(book, strategy, settings, cash=_paisa(settings.initial_cash))
    cash, owed = sim.run()
    return _result(book, sim, cash, owed, settings, _measured(bars, settings), benchmark)


def _check_symbols(bars: Mapping[str, pl.DataFrame]) -> None:
    if not bars:
        raise DomainError(ErrorCode.INVALID, "Name at least one symbol.", "symbols")
    if len(bars) > MAX_SYMBOLS:
        raise DomainError(
            ErrorCode.TOO_LARGE, f"A backtest trades at most {MAX_SYMBOLS} symbols.", "symbols"
        )


def simulate(
    bars: Mapping[str, pl.DataFrame],
    signals: Mapping[str, Signals],
    strategy: Strategy,
    settings: BacktestSettings,
    *,
    benchmark: pl.DataFrame | None = None,
) -> BacktestResult:
    """Run the book on precomputed signals; the strategy's sizing and stops apply.

    Args:
        bars: each symbol's daily bars (ts, open, high, low, close, volume).
        signals: per symbol, flags aligned to its bars sorted by ts (rows after
            `settings.end` are ignored).
        strategy: sizing, stop-loss and take-profit; its rules are already in `signals`.
        settings: cash, fill timing, slippage, costs, tax, range.
        benchmark: an index's bars (ts, close) for the benchmark return, alpha and beta.

    Raises:
        DomainError: invalid settings or sizing, or a symbol without bars in the range.
    """
    validate_strategy(strategy)
    validate_settings(settings)
    _check_symbols(bars)
    prepared = {s: symbol_bars(f, settings.end) for s, f in bars.items()}
    cut = {
        s: Signals(signals[s].entry[: b.days.shape[0]], signals[s].exit[: b.days.shape[0]])
        for s, b in prepared.items()
    }
    return _book_and_run(prepared, cut, strategy, settings, benchmark)


def run_backtest(
    bars: Mapping[str, pl.DataFrame],
    strategy: Strategy,
    settings: BacktestSettings,
    *,
    benchmark: pl.DataFrame | None = None,
) -> BacktestResult:
    """Compile a strategy's rules on each symbol's bars and run the book on them.

    Args:
        bars: each symbol's daily bars (ts, open, high, low, close, volume[, turnover]),
            history before `settings.start` included to warm indicators up.
        strategy: the strategy; validated here.
        settings: the run's settings; validated here.
        benchmark: KSE100 bars (ts, close) for the benchmark return, alpha and beta, and for
            BETA operands.

    Raises:
        DomainError: an invalid strategy or setting, no or too many symbols, or a symbol
            without bars in the range, at the camelCase input path.
    """
    validate_strategy(strategy)
    validate_settings(settings)
    _check_symbols(bars)
    prepared = {s: symbol_bars(f, settings.end) for s, f in bars.items()}
    per_year = _measured(prepared, settings)
    signals = {
        symbol: compile_signals(
            strategy,
            b.frame,
            benchmark_close=benchmark_series(benchmark, b) if benchmark is not None else None,
            periods_per_year=per_year,
        )
        for symbol, b in prepared.items()
    }
    return _book_and_run(prepared, signals, strategy, settings, benchmark)
