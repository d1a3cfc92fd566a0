"""A PSX-like trade generator for the demo universe (the `simulator` feed's price process).

Each symbol's fair price follows a random walk made of a market factor (beta-weighted) and its
own noise, scaled so a day's move is about 2% for a typical stock. Trades arrive as a Poisson
process whose market-wide rate follows the usual intraday U shape (busy at the open and the
close), spread over symbols by their liquidity. A trade prints at the fair price rounded to
the 0.01 tick, with a one-tick bid/ask bounce, and never outside the circuit band. Rarely, a
market-wide shock moves every stock by several percent over a few minutes: enough for the
KSE-30 to trip the market-halt rule now and then.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.markets.prices import TICK, circuit_limits, to_tick
from domain.markets.quotes import QuoteState
from domain.markets.sessions import TradingSession
from domain.markets.ticks import Tick, prev_close_for

SESSION_SECONDS = 6 * 3600
DAILY_VOL = 0.02


@dataclass(frozen=True, slots=True)
class SimulationSettings:
    """Knobs of the generator; the defaults look like a normal PSX day."""

    trades_per_second: float = 30.0
    shocks_per_session: float = 0.05
    shock_size: float = 0.065
    shock_minutes: float = 8.0
    seasonality: bool = True  # False: a flat rate all session (load tests)


@dataclass(slots=True)
class _Shock:
    remaining: float  # log-return still to apply
    per_second: float


@dataclass(slots=True)
class SimulatedMarket:
    """The generator's state: fair log-prices, the market factor and per-symbol sequences."""

    rng: random.Random
    settings: SimulationSettings = field(default_factory=SimulationSettings)
    _fair: dict[str, float] = field(default_factory=dict)
    _beta: dict[str, float] = field(default_factory=dict)
    _seq: dict[str, int] = field(default_factory=dict)
    _shock: _Shock | None = None

    def _init_symbol(self, state: QuoteState) -> None:
        self._fair[state.symbol] = math.log(float(state.last))
        self._beta[state.symbol] = self.rng.uniform(0.6, 1.4)
        self._seq[state.symbol] = state.seq

    def step(
        self,
        now: datetime,
        elapsed: timedelta,
        session: TradingSession,
        quotes: Mapping[str, QuoteState],
        weights: Mapping[str, float],
    ) -> list[Tick]:
        """Trades for the `elapsed` time before `now`, in time order.

        `quotes` are the current quotes (limits and sizes come from them); `weights` spread
        the market's trades across symbols (turnover share, for instance).
        """
        seconds = max(elapsed.total_seconds(), 0.0)
        if seconds == 0 or not weights:
            return []
        for symbol, state in quotes.items():
            if symbol not in self._fair:
                self._init_symbol(state)
        market = self._market_move(seconds)
        per_second_vol = DAILY_VOL / math.sqrt(SESSION_SECONDS)
        scale = per_second_vol * math.sqrt(seconds)
        for symbol in quotes:
            noise = self.rng.gauss(0.0, scale * 0.8)
            self._fair[symbol] += self._beta[symbol] * market + noise
        rate = self.settings.trades_per_second
        if self.settings.seasonality:
            rate *= intraday_seasonality(now, session)
        count = _poisson(self.rng, rate * seconds)
        symbols: Sequence[str] = list(weights)
        chosen = self.rng.choices(symbols, weights=list(weights.values()), k=count)
        start = now - elapsed
        instants = sorted(start + timedelta(seconds=self.rng.uniform(0, seconds)) for _ in chosen)
        ticks = []
        for symbol, at in zip(chosen, instants, strict=True):
            current = quotes.get(symbol)
            if current is not None:
                ticks.append(self._trade(symbol, current, at))
        return ticks

    def _market_move(self, seconds: float) -> float:
        per_second_vol = DAILY_VOL * 0.6 / math.sqrt(SESSION_SECONDS)
        move = self.rng.gauss(0.0, per_second_vol * math.sqrt(seconds))
        shock_chance = self.settings.shocks_per_session * seconds / SESSION_SECONDS
        if self._shock is None and self.rng.random() < shock_chance:
            size = self.settings.shock_size * self.rng.choice((-1.0, 1.0))
            self._shock = _Shock(size, size / (self.settings.shock_minutes * 60))
        if self._shock is not None:
            part = self._shock.per_second * seconds
            if abs(part) >= abs(self._shock.remaining):
                part = self._shock.remaining
                self._shock = None
            else:
                self._shock.remaining -= part
            move += part
        return move

    def _trade(self, symbol: str, state: QuoteState, at: datetime) -> Tick:
        lower, upper = circuit_limits(prev_close_for(state, at))
        fair = to_tick(math.exp(self._fair[symbol]))
        bounce = TICK * self.rng.choice((-1, 0, 0, 1))
        price = min(max(fair + bounce, lower), upper)
        # Keep the fair price inside the band too, so a limit-locked stock can come back.
        self._fair[symbol] = math.log(float(min(max(fair, lower), upper)))
        self._seq[symbol] = self._seq.get(symbol, state.seq) + 1
        return Tick(symbol, price, _trade_size(self.rng, state), at, self._seq[symbol])


def intraday_seasonality(now: datetime, session: TradingSession) -> float:
    """Relative trade rate through a session: a U shape averaging about 1."""
    length = (session.close_at - session.open_at).total_seconds()
    if length <= 0:
        return 1.0
    x = min(max((now - session.open_at).total_seconds() / length, 0.0), 1.0)
    return 0.55 + 1.8 * (x - 0.5) ** 2 * 2.5


def _trade_size(rng: random.Random, state: QuoteState) -> int:
    """Shares in a trade: log-normal around a size that suits the price (lots of 500 or 100)."""
    price = float(state.last) or 1.0
    typical = max(100.0, 250_000.0 / price)
    size = rng.lognormvariate(math.log(typical), 1.0)
    lot = 500 if price < 100 else 100
    return max(lot, int(size // lot) * lot)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def liquidity_weights(quotes: Mapping[str, QuoteState]) -> dict[str, float]:
    """Share of trades per symbol: the square root of its last session's turnover."""
    return {s: math.sqrt(float(q.turnover)) + 1.0 for s, q in quotes.items()}
