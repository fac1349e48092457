"""Is this still the database a saved poll cursor came from? (for the cube cache)

A cached cube is only valid together with the database rows it summarises. Before a
saved cursor is adopted, two cheap probes are compared with what they answered when the
cache was written:

* **the anchor row**: the newest row the cube holds (SQLite: the row at the rowid
  watermark; PostgreSQL: the newest request read, found again by its primary key), as
  (request id, request time, spend). A database that was replaced, re-created, restored
  from an older backup or truncated no longer has that row, or has a different one
  there: request ids are random UUIDs, so a different database matching by chance is
  not a practical concern. It also catches a table cut back below the watermark.
* **a closed day's row count**: rows of the UTC day before the anchor's day that the
  cube holds (SQLite: ``rowid <= watermark``, so rows appended since cannot change it).
  This catches rows deleted or rewritten in the recent past without touching the
  anchor. It is read from the request-time index alone (a few milliseconds even at
  millions of rows) and skipped when there is no such index, so a check never scans
  the table.

What neither probe sees: rows deleted or edited in place elsewhere below the watermark
(older days). LiteLLM never edits spend logs; its retention job deletes whole old days,
which a check of the oldest day would flag on every start and so is not checked on
purpose. A live spendtui session does not see such edits either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.sources.db.sql import SpendSql

Check = dict[str, object]


def _anchor_select(sql: SpendSql) -> str:
    rid = sql.d.q(sql.schema.id_column) if sql.schema.id_column else "NULL"
    return f"SELECT {rid} AS rid, {sql.ts} AS ts, spend FROM {sql.table}"  # noqa: S608


def _fingerprint(row: Sequence[Any] | None) -> list[str] | None:
    """repr() of (id, time, spend): exact for floats and datetimes, stable through JSON."""
    return None if row is None else [repr(v) for v in row]


def _day_before(ts: object) -> date | None:
    if isinstance(ts, datetime):
        return ts.date() - timedelta(days=1)
    if isinstance(ts, str) and len(ts) >= 10:
        try:
            return date.fromisoformat(ts[:10]) - timedelta(days=1)
        except ValueError:
            return None
    return None


def _time_indexed(conn: Connection, sql: SpendSql) -> bool:
    """Whether an index starts with the request-time column (SQLite; PostgreSQL always
    has LiteLLM's "startTime" index)."""
    if not sql.d.sqlite:
        return True
    found = conn.execute(
        text(
            "SELECT 1 FROM pragma_index_list(:t) AS l, pragma_index_info(l.name) AS i "
            "WHERE i.seqno = 0 AND i.name = :c LIMIT 1"
        ),
        {"t": sql.schema.logs.name, "c": sql.schema.time_column},
    ).first()
    return found is not None


def _day_count(conn: Connection, sql: SpendSql, day: date, rowid: int) -> int:
    params: dict[str, object] = {"a": day.isoformat(), "b": (day + timedelta(days=1)).isoformat()}
    where = f"{sql.ts} >= :a AND {sql.ts} < :b"
    if sql.d.sqlite:
        where += " AND rowid <= :w"
        params["w"] = rowid
    else:
        where = f"{sql.ts} >= CAST(:a AS timestamp) AND {sql.ts} < CAST(:b AS timestamp)"
    return int(conn.execute(text(f"SELECT count(*) FROM {sql.table} WHERE {where}"), params).scalar_one())  # noqa: S608


def _anchor_row(conn: Connection, sql: SpendSql, rowid: int, rid: str | None) -> Sequence[Any] | None:
    if sql.d.sqlite:
        if rowid <= 0:
            return None
        return conn.execute(text(_anchor_select(sql) + " WHERE rowid = :w"), {"w": rowid}).first()
    if rid is None or not sql.schema.id_column:
        return None
    key = sql.d.q(sql.schema.id_column)
    return conn.execute(text(_anchor_select(sql) + f" WHERE {key} = :rid"), {"rid": rid}).first()


def describe(conn: Connection, sql: SpendSql, rowid: int, newest_id: str | None, before: datetime | None) -> Check:
    """The probes' answers now, for a cursor at ``rowid`` (SQLite) or whose newest request
    is ``newest_id`` (PostgreSQL; when the cursor read no rows yet, the newest row before
    ``before`` stands in)."""
    if not sql.d.sqlite and newest_id is None and before is not None and sql.schema.id_column:
        row: Sequence[Any] | None = conn.execute(
            text(_anchor_select(sql) + f" WHERE {sql.ts} < :before ORDER BY {sql.ts} DESC LIMIT 1"),
            {"before": before},
        ).first()
        newest_id = None if row is None else row[0]
    row = _anchor_row(conn, sql, rowid, newest_id)
    check: Check = {"anchor_id": newest_id, "anchor": _fingerprint(row), "day": None, "count": None}
    day = _day_before(row[1]) if row is not None else None
    if day is not None and _time_indexed(conn, sql):
        check["day"] = day.isoformat()
        check["count"] = _day_count(conn, sql, day, rowid)
    return check


def verify(conn: Connection, sql: SpendSql, rowid: int, saved: Check) -> str | None:
    """None when the database still answers the probes as ``saved`` says; else why not."""
    anchor_id = saved.get("anchor_id")
    row = _anchor_row(conn, sql, rowid, anchor_id if isinstance(anchor_id, str) else None)
    if _fingerprint(row) != saved.get("anchor"):
        where = f"row {rowid}" if sql.d.sqlite else "the newest request it had read"
        state = "is gone" if row is None else "is different"
        return f"the database was replaced or truncated ({where} {state})"
    day, count = saved.get("day"), saved.get("count")
    if isinstance(day, str) and isinstance(count, int):
        now = _day_count(conn, sql, date.fromisoformat(day), rowid)
        if now != count:
            return f"rows of {day} changed since the cache was written ({count:,} then, {now:,} now)"
    return None
