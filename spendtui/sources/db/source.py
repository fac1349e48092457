"""The database source: read-only, short queries, aggregated on the server.

* Cold load: rows of the window are aggregated in SQL (in chunks, on two connections in
  parallel for SQLite) into cube cells; no raw rows cross into Python.
* Polls read only rows past a watermark: ``rowid`` on SQLite (exact for append-only
  tables), ``created_at`` on LiteLLM >= 2026-08 with an overlap re-read and de-duplication
  on ``request_id`` (LiteLLM writes in batches, late and out of order), and ``"startTime"``
  with the same overlap on older versions.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, NoSuchTableError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from spendtui.core.budget_state import BudgetState
from spendtui.core.cube import CellChunk, RawRow
from spendtui.core.measures import MAX_TOKENS
from spendtui.errors import SourceDataError, SourceError, SourceUnavailable
from spendtui.money import to_pico
from spendtui.sources.db import continuity
from spendtui.sources.db.names import Names, read_names
from spendtui.sources.db.parallel import iter_chunks
from spendtui.sources.db.schema import SpendSchema, reflect
from spendtui.sources.db.sql import CELL_SEP, Dialect, SpendSql
from spendtui.sources.db.urls import DatabaseTarget
from spendtui.timeutil import day_start, parse_timestamp

#: Rows per aggregation chunk (SQLite). Small enough that a chunk holds a read lock for
#: a few tens of milliseconds, large enough that per-query overhead stays negligible.
CHUNK_ROWS = 16_384
#: Re-read window for sources without an exact cursor.
WRITTEN_OVERLAP = timedelta(minutes=5)
START_OVERLAP = timedelta(minutes=15)
#: How far before the written watermark a late row's start time may lie: a normal poll
#: looks back LATE_HORIZON (cheap: the "startTime" index bounds it), a deep poll (the
#: engine asks for one every minute or so) DEEP_HORIZON, for rows a proxy flushed late.
LATE_HORIZON = timedelta(minutes=30)
DEEP_HORIZON = timedelta(days=2)
POLL_LIMIT = 20_000
#: Chunk size when the database is not in WAL mode (a chunk holds a shared lock ~5 ms).
SMALL_CHUNK_ROWS = 2_048
#: Below this many rows a cold load is not worth starting helper processes for.
PARALLEL_FROM_ROWS = 150_000
#: PostgreSQL timestamps are naive UTC; cursors compare with them as they are.
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001


@dataclass
class LoadResult:
    """What a cold load produced. ``chunks`` may be a generator: consume it once."""

    chunks: Iterable[CellChunk]
    rows: list[RawRow] = field(default_factory=list)


@dataclass
class _Cursor:
    """Where the next poll starts."""

    rowid: int = 0
    #: Newest insert (or request) time seen.
    mark: datetime | None = None
    #: Rows before this were aggregated by the cold load: polls never read below it.
    floor: datetime | None = None
    #: request ids read at or after the re-read horizon -> their mark value.
    seen: dict[str, datetime] = field(default_factory=dict)

    def since(self, overlap: timedelta) -> datetime:
        """Where the next poll starts: the overlap before the mark, never below the floor."""
        start = (self.mark - overlap) if self.mark else _NAIVE_EPOCH
        return max(start, self.floor) if self.floor else start


def _error(exc: Exception, display: str) -> SourceError:
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


class DatabaseSource:
    """Reads one LiteLLM database. Thread-safe for one load or poll at a time."""

    kind = "database"

    def __init__(self, target: DatabaseTarget, *, busy_timeout: float = 5.0, workers: int | None = None) -> None:
        self.target = target
        self.busy_timeout = busy_timeout
        self.workers = max(1, workers if workers is not None else min(4, os.cpu_count() or 1))
        self._engine: Engine | None = None
        self._schema: SpendSchema | None = None
        self._sql: SpendSql | None = None
        self._cursor = _Cursor()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ connection
    @property
    def display(self) -> str:
        return self.target.display()

    def _make_engine(self) -> Engine:
        if self.target.dialect == "sqlite":
            path = self.target.path or ""
            if not Path(path).exists():
                raise SourceUnavailable(f"no SQLite database at {path}")
            uri = self._sqlite_uri()
            timeout = self.busy_timeout

            def connect() -> sqlite3.Connection:
                conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
                conn.execute("PRAGMA query_only = 1")
                return conn

            return create_engine("sqlite://", creator=connect, poolclass=QueuePool, pool_size=self.workers)
        options = "-c default_transaction_read_only=on -c jit=off -c TimeZone=UTC -c statement_timeout=60000"
        if self.target.schema:
            options += f" -c search_path={self.target.schema}"
        try:
            engine = create_engine(
                self.target.url,
                pool_size=self.workers,
                pool_pre_ping=True,
                connect_args={"connect_timeout": 5, "options": options, "application_name": "spendtui"},
            )
        except ModuleNotFoundError as exc:
            raise SourceUnavailable("PostgreSQL support needs psycopg: pip install 'spendtui[postgres]'") from exc
        return engine

    def _sqlite_uri(self) -> str:
        return f"file:{quote(self.target.path or '')}?mode=ro"

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled read-only connection; driver errors become SourceError."""
        if self._engine is None:
            self._engine = self._make_engine()
        try:
            with self._engine.connect() as conn:
                yield conn
        except SourceError:
            raise
        except (DBAPIError, SQLAlchemyError, sqlite3.Error) as exc:
            raise _error(exc, self.display) from None

    def schema(self) -> SpendSchema:
        """Reflect once; the layout and optional columns decide every query."""
        if self._schema is None:
            with self.connection() as conn:
                self._schema = reflect(conn, self.target.schema)
            self._sql = SpendSql(self._schema, Dialect(self.target.dialect))
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
        """Stable identity of the data behind this source (for cache keys)."""
        return f"db:{self.target.display()}"

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

    # ------------------------------------------------------------------ cold load
    def load(self, first_day: int, hourly_from_day: int) -> LoadResult:
        """Aggregate every row from ``first_day`` (UTC) on; set the poll watermark."""
        with self._lock:
            self.schema()
            if self.target.dialect == "sqlite":
                return self._load_sqlite(first_day, hourly_from_day)
            return self._load_postgres(first_day, hourly_from_day)

    def _params(self, first_day: int, hourly_from_day: int) -> dict[str, str]:
        return {
            "ws": day_start(first_day).strftime("%Y-%m-%d"),
            "hourly_from": day_start(hourly_from_day).strftime("%Y-%m-%d"),
        }

    def _load_sqlite(self, first_day: int, hourly_from_day: int, after: int = 0) -> LoadResult:
        sql = self.sql
        ts = sql.ts
        params = self._params(first_day, hourly_from_day)
        # rows stamped a day early may still be in the window once zones are applied
        params["ws_loose"] = day_start(first_day - 1).strftime("%Y-%m-%d")
        with self.connection() as conn:
            wal = str(conn.execute(text("PRAGMA journal_mode")).scalar_one()).lower() == "wal"
            high = conn.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {sql.table}")).scalar_one()  # noqa: S608
            low = self._first_rowid(conn, first_day - 1, wal)
            numeric = (
                conn.execute(
                    text(f"SELECT min(rowid) FROM {sql.table} WHERE typeof({ts}) != 'text'"),  # noqa: S608
                ).scalar_one()
                if self._time_may_be_numeric(conn)
                else None
            )
        low = min(x for x in (low, numeric, high + 1) if x is not None)
        low = max(low, after + 1)  # catch_up(): only rows past the restored cursor
        self._cursor = _Cursor(rowid=int(high))
        where = f"rowid BETWEEN :lo AND :hi AND ({ts} >= :ws_loose OR typeof({ts}) != 'text')"
        statement = sql.cells(where)
        if wal:
            size, helpers = CHUNK_ROWS, (self.workers - 1 if high - low > PARALLEL_FROM_ROWS else 0)
        else:
            # rollback journal: every read holds a lock the proxy's writes wait for, so
            # read in small bites, one at a time, and let writers in between
            size, helpers = SMALL_CHUNK_ROWS, 0
        bounds = [(lo, min(high, lo + size - 1)) for lo in range(int(low), int(high) + 1, size)]
        return LoadResult(self._sqlite_chunks(statement, params, bounds, helpers))

    def _sqlite_chunks(
        self, statement: str, params: dict[str, str], bounds: list[tuple[int, int]], helpers: int
    ) -> Iterator[CellChunk]:
        raw = sqlite3.connect(self._sqlite_uri(), uri=True, timeout=self.busy_timeout)
        try:
            raw.execute("PRAGMA query_only = 1")

            def run_local(bound: tuple[int, int]) -> tuple:
                row = raw.execute(statement, {**params, "lo": bound[0], "hi": bound[1]}).fetchone()
                raw.rollback()
                return tuple(row)

            answers = iter_chunks(
                bounds,
                run_local,
                uri=self._sqlite_uri(),
                timeout=self.busy_timeout,
                sql=statement,
                params=params,
                helpers=helpers,
            )
            for answer in answers:
                yield _chunk_from_row(answer)
        except sqlite3.Error as exc:
            raise _error(exc, self.display) from None
        finally:
            raw.close()

    def _first_rowid(self, conn: Connection, first_day: int, wal: bool) -> int | None:
        """The lowest rowid of a row stamped on or after ``first_day`` (exact).

        Without WAL a long read blocks the proxy's writes, so the index is searched one
        day at a time (each probe a millisecond or so) instead of in one sweep."""
        sql = self.sql
        if wal:
            return conn.execute(
                text(f"SELECT min(rowid) FROM {sql.table} WHERE {sql.ts} >= :lo"),  # noqa: S608
                {"lo": day_start(first_day).strftime("%Y-%m-%d")},
            ).scalar_one()
        newest = conn.execute(text(f"SELECT max({sql.ts}) FROM {sql.table}")).scalar_one()  # noqa: S608
        conn.rollback()
        if newest is None:
            return None
        last_day = (parse_timestamp(newest) or day_start(first_day)).date()
        lowest: int | None = None
        day = first_day
        while day_start(day).date() <= last_day:
            found = conn.execute(
                text(f"SELECT min(rowid) FROM {sql.table} WHERE {sql.ts} >= :lo AND {sql.ts} < :hi"),  # noqa: S608
                {"lo": day_start(day).strftime("%Y-%m-%d"), "hi": day_start(day + 1).strftime("%Y-%m-%d")},
            ).scalar_one()
            conn.rollback()
            if found is not None and (lowest is None or found < lowest):
                lowest = found
            day += 1
        tail = conn.execute(
            text(f"SELECT min(rowid) FROM {sql.table} WHERE {sql.ts} >= :lo"),  # noqa: S608
            {"lo": day_start(day).strftime("%Y-%m-%d")},
        ).scalar_one()
        return min(x for x in (lowest, tail) if x is not None) if (lowest or tail) else None

    def _time_may_be_numeric(self, conn: Connection) -> bool:
        """Whether any request time is stored as a number: SQLite sorts numbers before
        text, so the minimum tells (one index probe when the column is indexed)."""
        sql = self.sql
        lowest = conn.execute(text(f"SELECT min({sql.ts}) FROM {sql.table}")).scalar_one()  # noqa: S608
        return isinstance(lowest, int | float)

    def _load_postgres(self, first_day: int, hourly_from_day: int) -> LoadResult:
        sql = self.sql
        schema = self.schema()
        params = self._params(first_day, hourly_from_day)
        with self.connection() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            if schema.written_column:
                written = sql.d.q(schema.written_column)
                # the newest insert time, found among recent requests (index on
                # "startTime"), else anywhere; the split is relative to the data itself,
                # never to this machine's clock
                recent = {"recent": day_start(hourly_from_day - 1).replace(tzinfo=None)}
                mark = conn.execute(
                    text(f"SELECT max({written}) FROM {sql.table} WHERE {sql.ts} >= :recent"),  # noqa: S608
                    recent,
                ).scalar_one()
                if mark is None:
                    mark = conn.execute(text(f"SELECT max({written}) FROM {sql.table}")).scalar_one()  # noqa: S608
                cutoff = (mark - WRITTEN_OVERLAP) if mark else None
                split_col = written
            else:
                newest = conn.execute(text(f"SELECT max({sql.ts}) FROM {sql.table}")).scalar_one()  # noqa: S608
                cutoff = (newest - START_OVERLAP) if newest else None
                split_col = sql.ts
            base = f"{sql.ts} >= CAST(:ws AS timestamp)"
            if cutoff is None:
                where, raw_where = base, None
            else:
                params["cutoff"] = cutoff
                where = f"{base} AND {split_col} < :cutoff"
                raw_where = f"{base} AND {split_col} >= :cutoff"
            row = conn.execute(text(sql.cells(where)), params).one()
            chunks = [_chunk_from_row(row)]
            rows: list[RawRow] = []
            cursor = _Cursor(mark=cutoff, floor=cutoff)
            if raw_where is not None:
                result = conn.execute(text(sql.raw_rows(raw_where, "ts", limit=False)), params)
                rows = self._take_rows(result, cursor)
            conn.rollback()
        self._cursor = cursor
        return LoadResult(chunks, rows)

    # ------------------------------------------------------------------ tail
    def recent(self, limit: int = 200) -> list[RawRow]:
        """The newest requests (by write order where known), newest last, for the live tail."""
        sql = self.sql
        schema = self.schema()
        # PostgreSQL: bounded by "startTime" (indexed) to the newest day of data
        newest_day = f"{sql.ts} >= (SELECT max({sql.ts}) FROM {sql.table}) - interval '1 day'"  # noqa: S608
        if self.target.dialect == "sqlite":
            order, where = "rowid DESC", "1 = 1"
        elif schema.written_column:
            order, where = f"{sql.d.q(schema.written_column)} DESC", newest_day
        else:
            order, where = f"{sql.ts} DESC", newest_day
        with self.connection() as conn:
            rows = conn.execute(text(sql.raw_rows(where, order)), {"limit": limit}).fetchall()
            conn.rollback()
        return [_raw_row(r) for r in reversed(rows)]

    # ------------------------------------------------------------------ polls
    def poll(self, deep: bool = False) -> list[RawRow]:
        """Rows written since the last load or poll, each exactly once.

        ``deep`` also finds rows whose request time lies further back (SQLite's rowid
        cursor finds every new row anyway)."""
        with self._lock:
            if self.target.dialect == "sqlite":
                return self._poll_sqlite()
            return self._poll_postgres(DEEP_HORIZON if deep else LATE_HORIZON)

    def _poll_sqlite(self) -> list[RawRow]:
        sql = self.sql
        out: list[RawRow] = []
        with self.connection() as conn:
            while True:
                result = conn.execute(
                    text(sql.raw_rows("rowid > :after", "rowid")),
                    {"after": self._cursor.rowid, "limit": POLL_LIMIT},
                )
                batch = self._take_rows(result, self._cursor)
                out.extend(batch)
                conn.rollback()
                if len(batch) < POLL_LIMIT:
                    return out

    def _poll_postgres(self, horizon: timedelta) -> list[RawRow]:
        sql = self.sql
        schema = self.schema()
        cursor = self._cursor
        out: list[RawRow] = []
        limit = POLL_LIMIT
        with self.connection() as conn:
            while True:
                if schema.written_column:
                    col = sql.d.q(schema.written_column)
                    since = cursor.since(WRITTEN_OVERLAP)
                    where = f"{col} >= :since AND {sql.ts} >= :floor"
                    params = {"since": since, "floor": since - horizon, "limit": limit}
                    order = "written"
                else:
                    since = cursor.since(START_OVERLAP)
                    where = f"{sql.ts} >= :since"
                    params = {"since": since, "limit": limit}
                    order = "ts"
                result = conn.execute(text(sql.raw_rows(where, order)), params)
                fetched = result.fetchall()
                conn.rollback()
                out.extend(self._take_rows(fetched, cursor))
                if len(fetched) < limit:
                    break
                limit *= 2  # a full page: read further (ties are de-duplicated by id)
        horizon = cursor.since(WRITTEN_OVERLAP if schema.written_column else START_OVERLAP)
        cursor.seen = {k: v for k, v in cursor.seen.items() if v >= horizon}
        return out

    def _take_rows(self, result: object, cursor: _Cursor) -> list[RawRow]:
        out: list[RawRow] = []
        use_written = self.schema().written_column is not None
        sqlite = self.target.dialect == "sqlite"
        # rows unpack by position (SpendSql.raw_rows order): ten times cheaper than by name
        for r in result:  # type: ignore[attr-defined]
            rid, request_id, ts, written = r[0], r[1], r[2], r[3]
            if rid is not None and rid > cursor.rowid:
                cursor.rowid = rid
            if not sqlite:
                mark_value = written if use_written else ts
                if request_id is not None:
                    if request_id in cursor.seen:
                        continue
                    if isinstance(mark_value, datetime):
                        cursor.seen[request_id] = mark_value
                if isinstance(mark_value, datetime) and (cursor.mark is None or mark_value > cursor.mark):
                    cursor.mark = mark_value
            out.append(_raw_row(r))
        return out

    # ------------------------------------------------------------------ cube cache support
    # (spendtui/cache.py saves the cube with cursor_state() and resumes with
    # restore_cursor(); see continuity.py for what the checks catch)
    def schema_fingerprint(self) -> str:
        return self.schema().fingerprint()

    def cursor_state(self) -> dict[str, object]:
        """Where the next poll starts, as JSON-able data, plus continuity probes."""
        with self._lock:
            cursor = self._cursor
            newest = max(cursor.seen, key=cursor.seen.__getitem__) if cursor.seen else None
            with self.connection() as conn:
                check = continuity.describe(conn, self.sql, cursor.rowid, newest, cursor.floor)
                conn.rollback()
            return {
                "dialect": self.target.dialect,
                "rowid": cursor.rowid,
                "mark": _iso(cursor.mark),
                "floor": _iso(cursor.floor),
                "seen": {k: v.isoformat() for k, v in cursor.seen.items()},
                "check": check,
            }

    def restore_cursor(self, state: dict[str, object]) -> str | None:
        """Resume polling where a saved cursor left off, if this database still holds the
        rows it stands for; else say why not (the cursor is then left as it was).
        Malformed state raises ValueError/TypeError/KeyError."""
        if state["dialect"] != self.target.dialect:
            return "the cache was written for another kind of database"
        seen = state["seen"]
        if not isinstance(seen, dict):
            raise TypeError("seen")
        cursor = _Cursor(
            rowid=int(state["rowid"]),  # type: ignore[call-overload]
            mark=_from_iso(state["mark"]),
            floor=_from_iso(state["floor"]),
            seen={str(k): datetime.fromisoformat(v) for k, v in seen.items()},
        )
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
            return self._load_sqlite(first_day, hourly_from_day, after=self._cursor.rowid)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _from_iso(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _raw_row(r: object) -> RawRow:
    """A RawRow from a ``SpendSql.raw_rows`` result row (columns in that order)."""
    (
        rid,
        request_id,
        ts,
        _,
        model,
        provider,
        api_key,
        user,
        team,
        customer,
        tags,
        spend,
        pt,
        ct,
        tt,
        status,
        cache,
    ) = r  # type: ignore[misc]
    return RawRow(
        request_id=str(request_id if request_id is not None else rid),
        start=ts,
        model=model,
        provider=provider,
        api_key=api_key,
        user=user,
        team=team,
        customer=customer,
        tags=tags,
        spend=to_pico(spend),
        prompt_tokens=_int(pt),
        completion_tokens=_int(ct),
        total_tokens=_int(tt),
        failed=status == "failure",
        cache_hit=isinstance(cache, str) and cache.lower() == "true",
    )


def _int(value: object) -> int:
    """A token count (0 when unreadable, infinite or beyond ``MAX_TOKENS``)."""
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if -MAX_TOKENS <= number <= MAX_TOKENS else 0


def _cell_int(text_value: str) -> int:
    """One summed measure that is not a plain integer: SQLite sums a REAL token count
    (3.7, or 9e999 stored as Inf) as a REAL. Whole part when finite, 0 otherwise."""
    try:
        value = float(text_value)
    except ValueError:
        return 0
    if not math.isfinite(value) or abs(value) >= 2**63:
        return 0
    return int(value)


def _split_ints(text_value: str | None, count: int) -> np.ndarray:
    if not count:
        return np.zeros(0, dtype=np.int64)
    try:
        values = np.fromstring(text_value, dtype=np.int64, sep=",")  # type: ignore[arg-type]
    except ValueError:  # a REAL in the sums (see _cell_int): the slow path, value by value
        values = np.array([_cell_int(v) for v in (text_value or "").split(",")], dtype=np.int64)
    if len(values) != count:
        raise SourceDataError("the database returned a malformed aggregate (measure count mismatch)")
    return values


def _chunk_from_row(row: object) -> CellChunk:
    """Turn the single-row aggregate answer into a CellChunk."""
    _, buckets, keys, *measures, bad = row  # type: ignore[misc]
    bucket_list = buckets.split(CELL_SEP) if buckets else []
    key_list = keys.split(CELL_SEP) if keys else []
    n = len(key_list)
    if len(bucket_list) != n:
        raise SourceDataError(
            "a value in the spend table contains a control character spendtui uses as a "
            "separator (\\x1e); cannot aggregate it safely"
        )
    cols = [_split_ints(m, n) for m in measures]
    matrix = np.stack(cols, axis=1) if n else np.zeros((0, 7), dtype=np.int64)
    return CellChunk(bucket_list, key_list, matrix, int(bad or 0))
