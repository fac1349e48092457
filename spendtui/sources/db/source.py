"""The database source: read-only, short queries, aggregated on the server.

* Cold load (``load.py``): rows of the window are aggregated in SQL (in chunks, on two
  connections in parallel for SQLite) into cube cells; no raw rows cross into Python.
* Polls (``poll.py``) read only rows past a watermark (``cursor.py``): ``rowid`` on
  SQLite (exact for append-only tables), ``created_at`` on LiteLLM >= 2026-08 with an
  overlap re-read and de-duplication on ``request_id`` (LiteLLM writes in batches, late
  and out of order), and ``"startTime"`` with the same overlap on older versions.
* Connections (``connect.py``) are read-only; driver errors become spendtui's errors.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from functools import partial

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from spendtui.core.audit import Audit, AuditRequest, Pricing
from spendtui.core.audit_cells import AuditGroups
from spendtui.core.audit_vector import audit_of, grouped
from spendtui.core.budget_state import BudgetState, KeyStates
from spendtui.core.cube import RawRow
from spendtui.core.focus import FocusGroups
from spendtui.core.latency_cells import LatencyGroups, LatencyReport
from spendtui.core.names import Names
from spendtui.core.prices import PriceMap
from spendtui.core.read_bound import ReadMark
from spendtui.core.top import TopGroups
from spendtui.errors import SourceError
from spendtui.sources.db import continuity
from spendtui.sources.db.audit import read_audit_columns, read_audit_requests
from spendtui.sources.db.connect import make_engine, source_error
from spendtui.sources.db.cursor import COMMIT_OVERLAP, START_OVERLAP, WRITTEN_OVERLAP, Cursor
from spendtui.sources.db.focus import read_focus_groups
from spendtui.sources.db.latency import read_latency_by, read_latency_groups, read_latency_sqlite
from spendtui.sources.db.load import LoadResult, load_postgres, load_sqlite
from spendtui.sources.db.names import read_names
from spendtui.sources.db.poll import DEEP_HORIZON, LATE_HORIZON, poll_late_postgres, poll_postgres, poll_sqlite, recent
from spendtui.sources.db.prices import read_db_prices
from spendtui.sources.db.schema import SpendSchema, reflect
from spendtui.sources.db.sql import Dialect, SpendSql
from spendtui.sources.db.top import read_top_groups
from spendtui.sources.db.urls import DatabaseTarget
from spendtui.sources.db.usage import usage_decision

__all__ = ["DatabaseSource", "LoadResult"]

MODE_DAILY = "closed days from LiteLLM's daily tables (history: daily)"


@dataclass(frozen=True)
class SourceStatus:
    #: Said on the status line; empty for the default (every day from the request logs).
    mode: str


class DatabaseSource:
    """Reads one LiteLLM database. Thread-safe for one load or poll at a time."""

    kind = "database"

    def __init__(
        self,
        target: DatabaseTarget,
        *,
        busy_timeout: float = 5.0,
        workers: int | None = None,
        history: str = "logs",
    ) -> None:
        self.target = target
        #: ``logs``: every day from the request logs (exact for every question);
        #: ``daily``: closed days from LiteLLM's daily tables (PostgreSQL; see daily.py).
        self.history = history
        self.busy_timeout = busy_timeout
        self.workers = max(1, workers if workers is not None else min(4, os.cpu_count() or 1))
        self._engine: Engine | None = None
        self._schema: SpendSchema | None = None
        self._sql: SpendSql | None = None
        self._cursor = Cursor()
        self._lock = threading.Lock()
        #: Why the cache tokens are not read from the request logs (``usage_decision``).
        self._metadata_note: str | None = None

    # ------------------------------------------------------------------ connection
    @property
    def display(self) -> str:
        return self.target.display()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled read-only connection; driver errors become SourceError."""
        if self._engine is None:
            self._engine = make_engine(self.target, self.busy_timeout, self.workers)
        try:
            with self._engine.connect() as conn:
                yield conn
        except SourceError:
            raise
        except (DBAPIError, SQLAlchemyError, sqlite3.Error) as exc:
            raise source_error(exc, self.display) from None

    def schema(self) -> SpendSchema:
        """Reflect once; the layout and optional columns decide every query."""
        if self._schema is None:
            with self.connection() as conn:
                self._schema = reflect(conn, self.target.schema)
                self._sql = SpendSql(self._schema, Dialect(self.target.dialect))
                self._metadata_note = usage_decision(conn, self._sql)
        return self._schema

    @property
    def sql(self) -> SpendSql:
        self.schema()
        assert self._sql is not None
        return self._sql

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def identity(self) -> str:
        """Stable identity of the data behind this source (for cache keys): with
        ``history: daily`` the cube differs, so its cache is another file."""
        daily = self.history == "daily" and self.target.dialect != "sqlite"
        return f"db:{self.target.display()}" + (" history:daily" if daily else "")

    # ------------------------------------------------------------------ names
    def names(self) -> Names:
        schema = self.schema()
        with self.connection() as conn:
            return read_names(conn, schema, Dialect(self.target.dialect))

    # ------------------------------------------------------------------ budgets
    def budgets(self) -> list[BudgetState]:
        """Keys, teams, users and customers with a limit (see sources.db.budgets)."""
        from spendtui.sources.db.budgets import read_budgets

        schema = self.schema()
        with self.connection() as conn:
            return read_budgets(conn, schema, Dialect(self.target.dialect))

    def first_log_day(self) -> int | None:
        """The UTC day of the oldest request log (None: no rows), to compare all-time
        budget counters with the logs (an index read on LiteLLM's "startTime")."""
        from spendtui.timeutil import day_of, parse_timestamp

        schema = self.schema()
        d = Dialect(self.target.dialect)
        table = (d.q(schema.logs.schema) + "." if schema.logs.schema else "") + d.q(schema.logs.name)
        with self.connection() as conn:
            value = conn.execute(text(f"SELECT MIN({d.q(schema.time_column)}) FROM {table}")).scalar()  # noqa: S608
            conn.rollback()
        moment = parse_timestamp(value)
        return None if moment is None else day_of(moment)

    def key_states(self) -> KeyStates:
        """Every virtual key, with a limit or without (see sources.db.budgets)."""
        from spendtui.sources.db.budgets import read_key_states

        schema = self.schema()
        with self.connection() as conn:
            return read_key_states(conn, schema, Dialect(self.target.dialect))

    # ------------------------------------------------------------------ cold load
    def load(self, first_day: int, hourly_from_day: int) -> LoadResult:
        """Aggregate every row from ``first_day`` (UTC) on; set the poll watermark."""
        with self._lock:
            self.schema()
            if self.target.dialect == "sqlite":
                result, self._cursor = load_sqlite(self, first_day, hourly_from_day)
                if self.history == "daily":
                    result.notes.append("history: daily needs LiteLLM's PostgreSQL: every day read from request logs")
            elif self.history == "daily":
                from spendtui.sources.db.daily import load_postgres_daily

                result, self._cursor = load_postgres_daily(self, first_day, hourly_from_day)
            else:
                result, self._cursor = load_postgres(self, first_day, hourly_from_day)
            if self._metadata_note:
                result.notes.append(self._metadata_note)
            split = self._cursor.floor
            if split is not None and self.schema().written_column is not None:  # (PostgreSQL only has a floor)
                # rows written since the split for requests LATE_HORIZON to DEEP_HORIZON
                # before it: neither aggregated nor read raw (load_postgres)
                result.late = partial(self._late_band, Cursor(mark=split, floor=split))
            return result

    def status(self) -> SourceStatus:
        """What the status line says about the source (the dashboard's ``source_note``)."""
        daily = self.history == "daily" and self.target.dialect != "sqlite"
        return SourceStatus(MODE_DAILY if daily else "")

    # ------------------------------------------------------------------ tail
    def recent(self, limit: int = 200) -> list[RawRow]:
        """The newest requests, newest last, for the live tail (see ``poll.recent``)."""
        return recent(self, limit)

    # ------------------------------------------------------------------ sessions, tools
    def top_groups(self, dimension: str, first_day: int, last_day: int) -> TopGroups:
        """Sessions or MCP tools of UTC days ``first_day``..``last_day`` (``core.top``),
        from the request logs in either history mode."""
        sql = self.sql
        with self.connection() as conn:
            return read_top_groups(conn, sql, dimension, first_day, last_day)

    def latency_groups(self, first_day: int, last_day: int) -> LatencyGroups:
        """Latency buckets of UTC days ``first_day``..``last_day`` (``core.latency_cells``)."""
        if self.target.dialect == "sqlite":
            return read_latency_sqlite(self, first_day, last_day)
        return read_latency_groups(self, first_day, last_day, self._poll_overlap())

    def _poll_overlap(self) -> tuple[str, datetime] | None:
        """PostgreSQL: the column and mark from which polls may still return rows (a read
        names the rows it counted from there: ``core.read_bound``); None before a load."""
        cursor = self._cursor
        if cursor.mark is None:
            return None
        if self.schema().written_column:
            return ("written", cursor.since(WRITTEN_OVERLAP))
        return ("ts", cursor.since(START_OVERLAP))

    def audit_requests(self, by: str, first_day: int, last_day: int) -> Iterator[AuditRequest]:
        """Every request of UTC days ``first_day``..``last_day`` for ``spendtui audit``."""
        return read_audit_requests(self, by, first_day, last_day)

    def audit_groups(self, first_day: int, last_day: int, price: Pricing, tolerance: Decimal) -> AuditGroups:
        """The audit of UTC days ``first_day``..``last_day`` per day and composite key
        (``core.audit_cells``), and where the read stopped (as ``latency_groups``)."""
        mark = ReadMark()
        batches = read_audit_columns(self, first_day, last_day, mark, self._poll_overlap())
        return grouped(((cols, days, keys) for cols, _, days, keys in batches), price, tolerance, mark)

    def audit(self, by: str, first_day: int, last_day: int, price: Pricing, audit: Audit) -> Audit:
        """``audit`` with every request of UTC days ``first_day``..``last_day`` added,
        grouped ``by`` (``spendtui audit``), priced in columns (``core.audit_vector``)."""
        batches = read_audit_columns(self, first_day, last_day, None, by=by)
        return audit_of(((cols, groups) for cols, groups, _, _ in batches), price, audit)

    def focus_groups(self, first_day: int, last_day: int, hourly: bool, pricing: Pricing) -> FocusGroups:
        """Every request of UTC days ``first_day``..``last_day`` summed for a FOCUS export
        (``core.focus``): per day, or per hour with ``hourly``."""
        return read_focus_groups(self, first_day, last_day, hourly, pricing)

    def audit_model_requests(self, model: str, first_day: int, last_day: int) -> list[AuditRequest]:
        """Every request of ``model`` in UTC days ``first_day``..``last_day``, with its day
        and composite key (the Costs pane's examples of a finding)."""
        keyed = (ReadMark(), None)
        return list(read_audit_requests(self, "model", first_day, last_day, keyed=keyed, model=model))

    def prices(self) -> PriceMap:
        """The deployment prices the proxy keeps in this database (``LiteLLM_ProxyModelTable``)."""
        with self.connection() as conn:
            return read_db_prices(conn, self.schema(), self.sql.d)

    def latency_by(self, dimension: str, first_day: int, last_day: int) -> LatencyReport:
        """Latency per model, key or team of UTC days ``first_day``..``last_day`` (reports)."""
        return read_latency_by(self, dimension, first_day, last_day)

    # ------------------------------------------------------------------ polls
    def poll(self, deep: bool = False) -> list[RawRow]:
        """Rows written since the last load or poll, each exactly once.

        ``deep`` also finds rows whose request time lies further back (SQLite's rowid
        cursor finds every new row anyway)."""
        with self._lock:
            if self.target.dialect == "sqlite":
                return poll_sqlite(self, self._cursor)
            if deep:
                return poll_postgres(self, self._cursor, DEEP_HORIZON, WRITTEN_OVERLAP)
            return poll_postgres(self, self._cursor, LATE_HORIZON, COMMIT_OVERLAP)

    # ------------------------------------------------------------------ cube cache support
    # (spendtui/cache.py saves the cube with cursor_state() and resumes with
    # restore_cursor(); see continuity.py for what the checks catch)
    def schema_fingerprint(self) -> str:
        # (a cube cache written with cache tokens read from the metadata, or without, is
        # only restored by the same choice)
        return self.schema().fingerprint() + ("" if self.sql.metadata_usage else ":no-metadata-usage")

    def cursor_state(self) -> dict[str, object]:
        """Where the next poll starts, as JSON-able data, plus continuity probes."""
        with self._lock:
            cursor = self._cursor
            with self.connection() as conn:
                check = continuity.describe(conn, self.sql, cursor.rowid, cursor.newest_seen(), cursor.floor)
                conn.rollback()
            return {**cursor.to_state(self.target.dialect), "check": check}

    def restore_cursor(self, state: dict[str, object]) -> str | None:
        """Resume polling where a saved cursor left off, if this database still holds the
        rows it stands for; else say why not (the cursor is then left as it was).
        Malformed state raises ValueError/TypeError/KeyError."""
        if state["dialect"] != self.target.dialect:
            return "the cache was written for another kind of database"
        cursor = Cursor.from_state(state)
        check = state["check"]
        if not isinstance(check, dict):
            raise TypeError("check")
        with self._lock:
            with self.connection() as conn:
                problem = continuity.verify(conn, self.sql, cursor.rowid, check)
                conn.rollback()
            if problem is None:
                self._cursor = cursor
            return problem

    def catch_up_rows(self) -> tuple[list[RawRow], Callable[[], list[RawRow]] | None]:
        """After restore_cursor (when ``catch_up`` gave None): the rows written since, and
        on PostgreSQL a reader for the rest of them, to run after the first screen.

        A deep poll must find rows LiteLLM wrote late, for requests up to DEEP_HORIZON
        before the mark; without an index on ``created_at`` that reads every row of two days
        of requests (≈ 0.2 s at 10M rows). A normal poll from the restored cursor reads the
        rows for requests since LATE_HORIZON before the mark through the ``"startTime"``
        index, which is every row written since in all but rare cases, and the reader reads
        the band further back (``poll.poll_late_postgres``); a running dashboard finds such
        rows at its next deep poll, a minute or so later, in the same way."""
        with self._lock:
            if self.target.dialect == "sqlite":
                return poll_sqlite(self, self._cursor), None
            if self.schema().written_column is None:  # polls by request time: no band to leave
                return poll_postgres(self, self._cursor, DEEP_HORIZON), None
            before = replace(self._cursor, seen=dict(self._cursor.seen))
            rows = poll_postgres(self, self._cursor, LATE_HORIZON)
        return rows, partial(self._late_band, before)

    def _late_band(self, before: Cursor) -> list[RawRow]:
        """What a deep poll from ``before`` finds that a normal one did not (see
        ``poll.poll_late_postgres``), not counting rows read since."""
        with self._lock:
            return poll_late_postgres(self, before, self._cursor)

    def catch_up(self, first_day: int, hourly_from_day: int, min_rows: int) -> LoadResult | None:
        """After restore_cursor: when at least ``min_rows`` rows were appended since
        (SQLite), aggregate them in SQL like a cold load instead of polling them one by
        one. None when a poll is the better way (fewer rows, or PostgreSQL)."""
        with self._lock:
            if self.target.dialect != "sqlite":
                return None
            newest = f"SELECT coalesce(max(rowid), 0) FROM {self.sql.table}"  # noqa: S608
            with self.connection() as conn:
                high = conn.execute(text(newest)).scalar_one()
                conn.rollback()
            if high - self._cursor.rowid < min_rows:
                return None
            result, self._cursor = load_sqlite(self, first_day, hourly_from_day, after=self._cursor.rowid)
            return result
