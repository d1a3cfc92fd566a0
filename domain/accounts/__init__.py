"""Accounts: roles and entitlements, password rules, token claims."""
