"""News, company announcements, the economic calendar and search over them (pure types)."""
