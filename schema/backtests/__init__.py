"""Backtests in the schema."""
