"""GraphQL types and root fields of company fundamentals."""
