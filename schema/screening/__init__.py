"""The screener in the schema."""
