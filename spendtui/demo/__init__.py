"""The built-in demo: a deterministic LiteLLM-shaped SQLite database and a live simulator."""
