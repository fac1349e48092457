"""Virtual keys: validation, and writing them through the proxy or (opt-in) the database."""
