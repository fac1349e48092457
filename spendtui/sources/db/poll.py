"""Incremental reads: polls for rows written since the last load or poll, and the live tail.

* SQLite: every row past the cursor's ``rowid``, in pages.
* PostgreSQL: rows inserted (``created_at``) or started (``"startTime"``) since the
  cursor's mark minus an overlap, de-duplicated on ``request_id``. LiteLLM writes in
  batches, late and out of order, so a normal poll also looks back ``LATE_HORIZON`` in
  request time and a deep poll ``DEEP_HORIZON``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from sqlalchemy import text

from spendtui.core.cube import RawRow
from spendtui.sources.db.access import DatabaseAccess
from spendtui.sources.db.cursor import START_OVERLAP, WRITTEN_OVERLAP, Cursor, take_rows
from spendtui.sources.db.decode import raw_row

#: How far before the written watermark a late row's start time may lie (and how much
#: of the inserts before it are re-read: COMMIT_OVERLAP, WRITTEN_OVERLAP): a normal poll
#: looks back LATE_HORIZON (cheap: the "startTime" index bounds it), a deep poll (the
#: engine asks for one every minute or so) DEEP_HORIZON, for rows a proxy flushed late.
LATE_HORIZON = timedelta(minutes=30)
DEEP_HORIZON = timedelta(days=2)
POLL_LIMIT = 20_000


def poll_sqlite(source: DatabaseAccess, cursor: Cursor) -> list[RawRow]:
    """Every row past ``cursor.rowid``; advances the cursor."""
    sql = source.sql
    use_written = source.schema().written_column is not None
    out: list[RawRow] = []
    with source.connection() as conn:
        while True:
            result = conn.execute(
                text(sql.raw_rows("rowid > :after", "rowid")),
                {"after": cursor.rowid, "limit": POLL_LIMIT},
            )
            batch = take_rows(result, cursor, use_written=use_written, sqlite=True)
            out.extend(batch)
            conn.rollback()
            if len(batch) < POLL_LIMIT:
                return out


def poll_postgres(
    source: DatabaseAccess, cursor: Cursor, horizon: timedelta, overlap: timedelta = WRITTEN_OVERLAP
) -> list[RawRow]:
    """Rows since the cursor's mark (minus ``overlap`` of inserts) not read before;
    advances the cursor. ``horizon``: how far before that a late row's request may lie."""
    sql = source.sql
    written = source.schema().written_column
    if written:
        where = f"{sql.d.q(written)} >= :since AND {sql.ts} >= :floor"
        # a next page starts from the mark the last one left, with the same request-time
        # floor (poll_late_postgres reads the band below it)
        floor = cursor.since(overlap) - horizon

        def bounds() -> dict[str, object]:
            return {"since": cursor.since(overlap), "floor": floor}

        return _read_pages(source, cursor, where, bounds, "written")
    return _read_pages(source, cursor, f"{sql.ts} >= :since", lambda: {"since": cursor.since(START_OVERLAP)}, "ts")


def poll_late_postgres(source: DatabaseAccess, before: Cursor, cursor: Cursor) -> list[RawRow]:
    """What a deep poll from ``before`` (a cursor restored from the cube cache) finds that a
    normal one from it did not: rows written since its mark for requests DEEP_HORIZON to
    LATE_HORIZON before it. Without an index on the insert time this reads every row of two
    days of requests, so a warm restart reads it after its first screen. Rows ``before``
    had read (the cache holds them) are skipped, and rows read since, by ``cursor``. Only
    for tables with an insert time (``DatabaseSource.catch_up_rows``)."""
    written = source.schema().written_column
    assert written is not None
    sql = source.sql
    since = before.since(WRITTEN_OVERLAP)
    where = f"{sql.d.q(written)} >= :since AND {sql.ts} >= :floor AND {sql.ts} < :upper"
    params = {"since": since, "floor": since - DEEP_HORIZON, "upper": since - LATE_HORIZON}
    return _read_pages(source, cursor, where, lambda: params, "written", skip=before.seen)


def _read_pages(
    source: DatabaseAccess,
    cursor: Cursor,
    where: str,
    bounds: Callable[[], Mapping[str, object]],
    order: str,
    skip: Mapping[str, object] | None = None,
) -> list[RawRow]:
    """``SpendSql.raw_rows(where)`` with ``bounds()`` through ``take_rows``, in ever larger
    pages until one is not full; then forgets the ids read before the re-read horizon."""
    sql = source.sql
    use_written = order == "written"
    out: list[RawRow] = []
    limit = POLL_LIMIT
    with source.connection() as conn:
        while True:
            fetched = conn.execute(text(sql.raw_rows(where, order)), {**bounds(), "limit": limit}).fetchall()
            conn.rollback()
            rows = fetched if not skip else [r for r in fetched if r[1] not in skip]
            out.extend(take_rows(rows, cursor, use_written=use_written, sqlite=False))
            if len(fetched) < limit:
                break
            limit *= 2  # a full page: read further (ties are de-duplicated by id)
    horizon = cursor.since(WRITTEN_OVERLAP if use_written else START_OVERLAP)
    cursor.seen = {k: v for k, v in cursor.seen.items() if v >= horizon}
    return out


def recent(source: DatabaseAccess, limit: int) -> list[RawRow]:
    """The newest requests, newest last: by write order on SQLite (rowid), by request
    time on PostgreSQL. There ``created_at`` has no index (sorting the newest day by it
    took 120 ms at 5M rows, on every start); the ``"startTime"`` index gives the newest
    requests in a millisecond or two, as LiteLLM's own log view orders them. Polls then
    append rows in the order they are written."""
    sql = source.sql
    if source.target.dialect == "sqlite":
        where, order = "1 = 1", "rowid DESC"
    else:  # (NULLs would sort first; the index skips them)
        where, order = f"{sql.ts} IS NOT NULL", f"{sql.ts} DESC"
    with source.connection() as conn:
        rows = conn.execute(text(sql.raw_rows(where, order)), {"limit": limit}).fetchall()
        conn.rollback()
    return [raw_row(r) for r in reversed(rows)]
