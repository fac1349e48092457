"""What the readers (``load.py``, ``poll.py``, ``daily.py``) use of a database source.

``DatabaseSource`` (``source.py``) calls those readers and passes itself; they see it
through this Protocol, so they need not import ``source.py``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.engine import Connection

from spendtui.sources.db.schema import SpendSchema
from spendtui.sources.db.sql import SpendSql
from spendtui.sources.db.urls import DatabaseTarget


class DatabaseAccess(Protocol):
    """A LiteLLM database to read: where it is, its connections, its reflected schema."""

    @property
    def target(self) -> DatabaseTarget: ...

    @property
    def display(self) -> str:
        """The database as error messages name it (no password)."""
        ...

    @property
    def busy_timeout(self) -> float:
        """Seconds a SQLite read waits for a writer's lock."""
        ...

    @property
    def workers(self) -> int:
        """Connections a cold load may use at once."""
        ...

    @property
    def sql(self) -> SpendSql:
        """The statements for this schema and dialect."""
        ...

    def connection(self) -> AbstractContextManager[Connection]:
        """A read-only connection; driver errors become ``SourceError``."""
        ...

    def schema(self) -> SpendSchema:
        """The reflected layout (reflected once)."""
        ...
