"""GraphQL types and root fields of news, the economic calendar and search."""
