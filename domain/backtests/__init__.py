"""Backtests: typed long-only strategies run on PSX daily bars with PSX costs and rules."""
