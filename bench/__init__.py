"""Benchmark tooling for the PSX Analytics GraphQL API (not shipped with the package)."""
