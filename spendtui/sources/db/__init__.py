"""The database source: LiteLLM's PostgreSQL schema, and SQLite in both layouts."""
