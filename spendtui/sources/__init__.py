"""Data sources: the proxy's database (SQLAlchemy) and, separately, its REST API."""
