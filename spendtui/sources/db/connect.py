"""Read-only connections to the database, and driver errors as spendtui's errors.

SQLite files are opened ``mode=ro`` with ``PRAGMA query_only``; PostgreSQL sessions are
read-only, in UTC, with a statement timeout (and Prisma's ``?schema=`` as search path).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.pool import QueuePool

from spendtui.errors import SourceDataError, SourceError, SourceUnavailable
from spendtui.sources.db.urls import DatabaseTarget


def source_error(exc: Exception, display: str) -> SourceError:
    """Map a driver error to spendtui's errors, with a message fit for the user."""
    orig = getattr(exc, "orig", exc)
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        return SourceUnavailable(f"{display}: database is locked by a writer; will retry ({message})")
    if isinstance(exc, NoSuchTableError) or "no such table" in lowered or "does not exist" in lowered:
        return SourceDataError(f"{display}: {message}")
    if "no such column" in lowered or ("column" in lowered and "does not exist" in lowered):
        return SourceDataError(f"{display}: {message}")
    if isinstance(orig, sqlite3.DatabaseError) and "not a database" in lowered:
        return SourceDataError(f"{display}: the file is not a SQLite database")
    if "password authentication failed" in lowered or "authentication" in lowered:
        return SourceUnavailable(f"{display}: authentication failed ({message})")
    return SourceUnavailable(f"{display}: {message}")


def sqlite_uri(target: DatabaseTarget) -> str:
    """The read-only ``file:`` URI of a SQLite target."""
    return f"file:{quote(target.path or '')}?mode=ro"


def make_engine(target: DatabaseTarget, busy_timeout: float, pool_size: int) -> Engine:
    """A pooled engine whose every connection is read-only."""
    if target.dialect == "sqlite":
        path = target.path or ""
        if not Path(path).exists():
            raise SourceUnavailable(f"no SQLite database at {path}")
        uri = sqlite_uri(target)

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False)
            conn.execute("PRAGMA query_only = 1")
            return conn

        return create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=pool_size)
    options = "-c default_transaction_read_only=on -c jit=off -c TimeZone=UTC -c statement_timeout=60000"
    if target.schema:
        options += f" -c search_path={target.schema}"
    try:
        engine = create_engine(
            target.url,
            pool_size=pool_size,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5, "options": options, "application_name": "spendtui"},
        )
    except ModuleNotFoundError as exc:
        raise SourceUnavailable("PostgreSQL support needs psycopg: pip install 'spendtui[postgres]'") from exc
    return engine
