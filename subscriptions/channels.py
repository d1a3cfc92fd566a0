"""Channel names of the live data path: one channel per symbol, index, user or topic."""

from __future__ import annotations

QUOTES = "quotes:"
CANDLES = "candles:"
INDICES = "indices:"
ALERTS = "alerts:"
MARKET_STATUS = "market:status"
NEWS = "news:"
ALL_NEWS = "news:*"  # every new article, whatever it is about
MARKET_CLOCK = "market:clock"  # the feed's clock, once a second, for processes without a feed


def quotes(symbol: str) -> str:
    """Trades of one symbol: its new quote after each trade."""
    return QUOTES + symbol


def candles(symbol: str) -> str:
    """The forming 1-minute bar of one symbol, and the bar it closed."""
    return CANDLES + symbol


def indices(code: str) -> str:
    """Level updates of one index."""
    return INDICES + code


def alerts(user_id: str) -> str:
    """Fired alerts of one user."""
    return ALERTS + user_id


def symbol_of(channel: str) -> str:
    """The symbol (or code) a per-symbol channel is about."""
    return channel.split(":", 1)[1]


def news(symbol: str) -> str:
    """New articles tagged with one symbol."""
    return NEWS + symbol
