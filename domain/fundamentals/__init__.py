"""Company fundamentals: financial statements, the ratios derived from them, the import CSV."""
