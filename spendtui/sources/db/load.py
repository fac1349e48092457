"""Cold loads: every row of the window aggregated in SQL into cube cells.

* SQLite: in ``rowid`` ranges (chunks), on helper processes in parallel when the
  database is in WAL mode and large; in small bites, one at a time, under a rollback
  journal so the proxy's writes get in between. The poll cursor is the highest rowid.
* PostgreSQL: one aggregate in a repeatable-read transaction, split at a recent insert
  time (or request time): older rows aggregated, the newest few minutes read as raw rows
  so polls can re-read that overlap and de-duplicate on ``request_id``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.core.cube import CellChunk, RawRow
from spendtui.core.facts import FactCube
from spendtui.sources.db.access import DatabaseAccess
from spendtui.sources.db.connect import source_error, sqlite_uri
from spendtui.sources.db.cursor import START_OVERLAP, WRITTEN_OVERLAP, Cursor, take_rows
from spendtui.sources.db.decode import chunk_from_row
from spendtui.sources.db.parallel import iter_chunks
from spendtui.sources.db.poll import DEEP_HORIZON, LATE_HORIZON
from spendtui.timeutil import day_start, parse_timestamp

#: Rows per aggregation chunk (SQLite). Small enough that a chunk holds a read lock for
#: a few tens of milliseconds, large enough that per-query overhead stays negligible.
CHUNK_ROWS = 16_384
#: Chunk size when the database is not in WAL mode (a chunk holds a shared lock ~10 ms;
#: 2,048 rows made more chunks, each repeating its keys: 8 % slower at 1M rows).
SMALL_CHUNK_ROWS = 4_096
#: Newest requests (by request time) whose insert times place a PostgreSQL load's split.
MARK_PROBE_ROWS = 5_000
#: PostgreSQL memory for the cold aggregate's hash table (``SET LOCAL``: this load only).
PG_WORK_MEM = "256MB"
#: Below this many rows a cold load is not worth starting helper processes for.
PARALLEL_FROM_ROWS = 150_000


@dataclass
class LoadResult:
    """What a cold load produced. ``chunks`` may be a generator: consume it once.

    With ``history: daily`` (see ``daily.py``) it has the proxy load's shape: the chunks
    and rows cover days from ``live_first_day``, and ``fact_cubes`` the closed days."""

    chunks: Iterable[CellChunk]
    rows: list[RawRow] = field(default_factory=list)
    fact_cubes: list[FactCube] = field(default_factory=list)
    live_first_day: int | None = None
    notes: list[str] = field(default_factory=list)
    partial_measures: dict[str, str] = field(default_factory=dict)
    #: Checks that only add notes, run after the data (see ``SpendEngine.run_followups``).
    followups: list[Callable[[], list[str]]] = field(default_factory=list)
    #: A reader for the rows the load left for after its first screen (PostgreSQL: rows
    #: written in its last minutes for requests long before, ``DatabaseSource.load``).
    late: Callable[[], list[RawRow]] | None = None


def _params(first_day: int, hourly_from_day: int) -> dict[str, str]:
    return {
        "ws": day_start(first_day).strftime("%Y-%m-%d"),
        "hourly_from": day_start(hourly_from_day).strftime("%Y-%m-%d"),
    }


@dataclass(frozen=True)
class SqlitePlan:
    """How to read the rows from a day on in chunks: rowid ``bounds``, helper processes,
    the highest rowid (the poll cursor) and whether the database is in WAL mode."""

    bounds: list[tuple[int, int]]
    helpers: int
    high: int
    wal: bool


def sqlite_plan(source: DatabaseAccess, first_day: int, after: int = 0) -> SqlitePlan:
    """The chunks holding every row stamped from ``first_day`` on (past rowid ``after``):
    large and in parallel under WAL, small and one at a time under a rollback journal
    (every read holds a lock the proxy's writes wait for: they get in between)."""
    sql = source.sql
    ts = sql.ts
    with source.connection() as conn:
        wal = str(conn.execute(text("PRAGMA journal_mode")).scalar_one()).lower() == "wal"
        high = conn.execute(text(f"SELECT coalesce(max(rowid), 0) FROM {sql.table}")).scalar_one()  # noqa: S608
        low = _first_rowid(source, conn, first_day - 1, wal)
        numeric = (
            conn.execute(
                text(f"SELECT min(rowid) FROM {sql.table} WHERE typeof({ts}) != 'text'"),  # noqa: S608
            ).scalar_one()
            if _time_may_be_numeric(source, conn)
            else None
        )
    low = min(x for x in (low, numeric, high + 1) if x is not None)
    low = max(low, after + 1)  # catch_up(): only rows past the restored cursor
    if wal:
        size, helpers = CHUNK_ROWS, (source.workers - 1 if high - low > PARALLEL_FROM_ROWS else 0)
    else:
        size, helpers = SMALL_CHUNK_ROWS, 0
    bounds = [(lo, min(high, lo + size - 1)) for lo in range(int(low), int(high) + 1, size)]
    return SqlitePlan(bounds, helpers, int(high), wal)


def load_sqlite(
    source: DatabaseAccess, first_day: int, hourly_from_day: int, after: int = 0
) -> tuple[LoadResult, Cursor]:
    """Aggregate rows from ``first_day`` on (only those past rowid ``after``); the chunks
    are read lazily, as the result is consumed."""
    sql = source.sql
    ts = sql.ts
    params = _params(first_day, hourly_from_day)
    # rows stamped a day early may still be in the window once zones are applied
    params["ws_loose"] = day_start(first_day - 1).strftime("%Y-%m-%d")
    plan = sqlite_plan(source, first_day, after)
    where = f"rowid BETWEEN :lo AND :hi AND ({ts} >= :ws_loose OR typeof({ts}) != 'text')"
    answers = sqlite_answers(source, sql.cells(where), params, plan)
    return LoadResult(chunk_from_row(answer) for answer in answers), Cursor(rowid=plan.high)


def sqlite_answers(
    source: DatabaseAccess, statement: str, params: dict[str, str], plan: SqlitePlan
) -> Iterator[tuple[Any, ...]]:
    """The one-row answer of ``statement`` (with ``:lo``/``:hi`` bound to each chunk's
    rowids) for every chunk of ``plan``, in no particular order."""
    uri = sqlite_uri(source.target)
    raw = sqlite3.connect(uri, uri=True, timeout=source.busy_timeout)
    try:
        raw.execute("PRAGMA query_only = 1")

        def run_local(bound: tuple[int, int]) -> tuple[Any, ...]:
            row = raw.execute(statement, {**params, "lo": bound[0], "hi": bound[1]}).fetchone()
            raw.rollback()
            return tuple(row)

        yield from iter_chunks(
            plan.bounds,
            run_local,
            uri=uri,
            timeout=source.busy_timeout,
            sql=statement,
            params=params,
            helpers=plan.helpers,
        )
    except sqlite3.Error as exc:
        raise source_error(exc, source.display) from None
    finally:
        raw.close()


def _first_rowid(source: DatabaseAccess, conn: Connection, first_day: int, wal: bool) -> int | None:
    """The lowest rowid of a row stamped on or after ``first_day`` (exact).

    Without WAL a long read blocks the proxy's writes, so the index is searched one
    day at a time (each probe a millisecond or so) instead of in one sweep."""
    sql = source.sql
    # min(rowid) over a time range: SQLite answers it by walking the table in rowid order
    # until a row matches, which reads every older row (150 ms at 1M rows for 30 days)
    # and the whole table when none does (280 ms, holding the lock writers wait for).
    # ``rowid + 0`` makes it read the time index instead (45 ms and 0 ms), when there is one.
    lowest_rowid = "min(rowid + 0)" if _time_indexed(source, conn) else "min(rowid)"
    since = f"SELECT {lowest_rowid} FROM {sql.table} WHERE {sql.ts} >= :lo"  # noqa: S608
    if wal:
        first: int | None = conn.execute(text(since), {"lo": day_start(first_day).strftime("%Y-%m-%d")}).scalar_one()
        return first
    newest = conn.execute(text(f"SELECT max({sql.ts}) FROM {sql.table}")).scalar_one()  # noqa: S608
    conn.rollback()
    if newest is None:
        return None
    last_day = (parse_timestamp(newest) or day_start(first_day)).date()
    lowest: int | None = None
    day = first_day
    while day_start(day).date() <= last_day:
        found = conn.execute(
            text(f"{since} AND {sql.ts} < :hi"),
            {"lo": day_start(day).strftime("%Y-%m-%d"), "hi": day_start(day + 1).strftime("%Y-%m-%d")},
        ).scalar_one()
        conn.rollback()
        if found is not None and (lowest is None or found < lowest):
            lowest = found
        day += 1
    tail = conn.execute(text(since), {"lo": day_start(day).strftime("%Y-%m-%d")}).scalar_one()
    return min(x for x in (lowest, tail) if x is not None) if (lowest or tail) else None


def _time_indexed(source: DatabaseAccess, conn: Connection) -> bool:
    """Whether an index of the logs table starts with the request-time column (SQLite)."""
    schema = source.schema()
    found = conn.execute(
        text(
            "SELECT 1 FROM pragma_index_list(:table) AS il, pragma_index_info(il.name) AS ii "
            "WHERE ii.seqno = 0 AND ii.name = :column LIMIT 1"
        ),
        {"table": schema.logs.name, "column": schema.time_column},
    ).first()
    return found is not None


def _time_may_be_numeric(source: DatabaseAccess, conn: Connection) -> bool:
    """Whether any request time is stored as a number: SQLite sorts numbers before
    text, so the minimum tells (one index probe when the column is indexed)."""
    sql = source.sql
    lowest = conn.execute(text(f"SELECT min({sql.ts}) FROM {sql.table}")).scalar_one()  # noqa: S608
    return isinstance(lowest, int | float)


def load_postgres(source: DatabaseAccess, first_day: int, hourly_from_day: int) -> tuple[LoadResult, Cursor]:
    """Aggregate the window up to a recent split point; the rows after it come back raw."""
    sql = source.sql
    schema = source.schema()
    params = _params(first_day, hourly_from_day)
    with source.connection() as conn:
        conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        if schema.written_column:
            written = sql.d.q(schema.written_column)
            # the split is relative to the data itself, never to this machine's clock: the
            # newest insert time among the newest requests (a backward walk of the
            # "startTime" index; reading every request of the last days for it took
            # 0.2 s at 10M rows). A row written later for an older request can only make
            # it lower than the true newest, and a lower split only returns more rows raw.
            newest = (
                f"SELECT max({written}) FROM (SELECT {written} FROM {sql.table} "  # noqa: S608
                f"WHERE {sql.ts} IS NOT NULL ORDER BY {sql.ts} DESC LIMIT {MARK_PROBE_ROWS}) AS newest"
            )
            mark = conn.execute(text(newest)).scalar_one()
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
        elif schema.written_column:
            # polls re-read rows written since the cutoff, but only those whose request
            # time is within DEEP_HORIZON of it: only those are left out of the aggregate
            # (to be recognised). Those within LATE_HORIZON, which a normal poll reaches,
            # come back raw now; the older band is read after the first screen (the
            # source's ``late`` reader, as after a warm restart): without an index on the
            # insert time it reads every row of two days (120 ms at 10M rows).
            params.update(cutoff=cutoff, raw_from=cutoff - DEEP_HORIZON, late_from=cutoff - LATE_HORIZON)
            where = f"{base} AND ({split_col} < :cutoff OR {sql.ts} < :raw_from)"
            raw_where = f"{base} AND {sql.ts} >= :late_from AND {split_col} >= :cutoff"
        else:
            params["cutoff"] = cutoff
            where = f"{base} AND {split_col} < :cutoff"
            raw_where = f"{base} AND {split_col} >= :cutoff"
        # enough memory for PostgreSQL to hash the groups instead of sorting every row
        # on disk (this transaction only; a few hundred bytes per cell)
        conn.execute(text(f"SET LOCAL work_mem = '{PG_WORK_MEM}'"))
        row = conn.execute(text(sql.cells(where)), params).one()
        chunks = [chunk_from_row(row)]
        rows: list[RawRow] = []
        cursor = Cursor(mark=cutoff, floor=cutoff)
        if raw_where is not None:
            result = conn.execute(text(sql.raw_rows(raw_where, "ts", limit=False)), params)
            rows = take_rows(result, cursor, use_written=schema.written_column is not None, sqlite=False)
        conn.rollback()
    return LoadResult(chunks, rows), cursor
