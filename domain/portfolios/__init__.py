"""Portfolios: a transaction ledger, lots and positions derived from it, performance and risk."""
