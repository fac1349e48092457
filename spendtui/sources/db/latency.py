"""Latency buckets of the request logs, counted in SQL for a range of UTC days.

The rule is ``core.latency``'s, written in SQL: a successful request's duration is
``request_duration_ms``, else ``"endTime" - "startTime"``; its time to first token is
``"completionStartTime" - "startTime"`` when the first token came before the end (a
streamed response); each goes into bucket 0 below 1 ms, else ``ceil(ln(ms) / ln(GAMMA))
+ 1`` (the same float division Python does). Groups are split by UTC day and the cube's
composite key (``SpendSql.day_key_counts``), so ``core.latency_cells`` applies the
dashboard's filters to them as the cube does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime

import numpy as np
from sqlalchemy import text

from spendtui.core.cube import RawRow
from spendtui.core.latency import NO_BUCKET
from spendtui.core.latency_cells import LatencyGroups, LatencyReport, latency_report
from spendtui.core.read_bound import ReadBound
from spendtui.errors import SourceDataError
from spendtui.sources.db.access import DatabaseAccess
from spendtui.sources.db.decode import raw_row
from spendtui.sources.db.latency_sql import UNUSABLE, bucket_sql, latency_exprs
from spendtui.sources.db.load import sqlite_answers, sqlite_plan
from spendtui.sources.db.sql import CELL_SEP, SpendSql
from spendtui.sources.db.top import day_range_where


def _where(sql: SpendSql, where: str) -> str:
    if sql.schema.col("status"):  # NULL: written before LiteLLM had the column, a success
        return where + " AND (status IS NULL OR status != 'failure')"
    return where


def _exprs(sql: SpendSql) -> tuple[dict[str, str], dict[str, str]]:
    """The per-row expressions (duration and TTFT in ms) and the bucket expressions over them."""
    duration, ttft = latency_exprs(sql)
    if duration is None:
        raise SourceDataError(
            f"this database's {sql.schema.logs.name} has neither request_duration_ms nor "
            '"startTime" and "endTime": it records no latency'
        )
    computed = {"dms": duration, "tms": ttft or ("NULL" if sql.d.sqlite else "CAST(NULL AS double precision)")}
    return computed, {"d": bucket_sql(sql, "dms"), "t": bucket_sql(sql, "tms")}


def read_latency_groups(
    source: DatabaseAccess, first_day: int, last_day: int, since: tuple[str, datetime] | None
) -> LatencyGroups:
    """How many successful requests of each UTC day and composite key fell in each
    duration and time-to-first-token bucket: one aggregate, PostgreSQL (SQLite reads in
    chunks, ``read_latency_sqlite``).

    ``since``: the column (``written`` or ``ts``) and the mark from which the poll cursor
    may still return rows. Rows from there on are read one by one instead (a few minutes'
    worth) and named in ``counted_ids``, so a poll that returns one of them later does not
    add it twice; rows before it no poll reads again."""
    sql = source.sql
    computed, extra = _exprs(sql)
    where, params = day_range_where(sql, first_day, last_day)
    where = _where(sql, where)
    overlap: list[RawRow] = []
    with source.connection() as conn:
        if since is not None:
            column = {"written": sql.schema.written_column, "ts": None}[since[0]]
            mark = sql.d.q(column) if column else sql.ts
            bound = {**params, "since": since[1]}
            result = conn.execute(text(sql.day_key_counts(f"{where} AND {mark} < :since", computed, extra)), bound)
            counted = result.all()
            raw = conn.execute(text(sql.raw_rows(f"{where} AND {mark} >= :since", since[0], limit=False)), bound)
            overlap = [raw_row(r) for r in raw]
        else:
            counted = conn.execute(text(sql.day_key_counts(where, computed, extra)), params).all()
        conn.rollback()
    rows = ((str(b), str(k), int(d), int(t), n) for b, k, d, t, n in counted)
    found = _groups(first_day, last_day, rows)
    return replace(found, bound=ReadBound(counted_ids=frozenset(r.request_id for r in overlap)), rows=tuple(overlap))


def read_latency_sqlite(source: DatabaseAccess, first_day: int, last_day: int) -> LatencyGroups:
    """The same for SQLite, in the rowid chunks of a cold load (``load.sqlite_plan``):
    small ones under a rollback journal, so the proxy's writes get in between (one
    aggregate over the window would hold the read lock for seconds), on helper processes
    in parallel under WAL. Groups repeat across chunks; the cells merge them."""
    sql = source.sql
    computed, extra = _exprs(sql)
    where, params = day_range_where(sql, first_day, last_day)
    counts = sql.day_key_counts(_where(sql, f"rowid BETWEEN :lo AND :hi AND {where}"), computed, extra)
    statement = f"SELECT group_concat(g, char(30)), group_concat(n) FROM ({counts}) AS chunk"  # noqa: S608
    plan = sqlite_plan(source, first_day)

    def rows() -> Iterator[_Row]:
        for texts, numbers in sqlite_answers(source, statement, params, plan):
            if texts is None:
                continue
            for g, n in zip(texts.split(CELL_SEP), numbers.split(","), strict=True):
                values, day, key = sql.split_day_key(g)
                yield day, key, int(values[0]), int(values[1]), int(n)

    return replace(_groups(first_day, last_day, rows()), bound=ReadBound(upto_rowid=plan.high))


_Row = tuple[str, str, int, int, int]


def read_latency_by(source: DatabaseAccess, dimension: str, first_day: int, last_day: int) -> LatencyReport:
    """Latency per value of ``dimension`` (model, key, team) over every request of UTC days
    ``first_day``..``last_day``: one aggregate grouped on the value and the buckets only,
    for reports, which have no filters (the cells' split by composite key is not needed:
    a fraction of the rows out, about a third of the time at 1M rows). SQLite reads in the
    cold load's chunks; their groups repeat and add up."""
    sql = source.sql
    computed, extra = _exprs(sql)
    where, params = day_range_where(sql, first_day, last_day)
    value = sql.report_value(dimension)
    found: list[tuple[str, int, int, int]] = []
    if sql.d.sqlite:
        statement = sql.value_counts(_where(sql, f"rowid BETWEEN :lo AND :hi AND {where}"), value, computed, extra)
        chunked = f"SELECT json_group_array(json_array(v, d, t, n)) FROM ({statement}) AS chunk"  # noqa: S608
        for (text_rows,) in sqlite_answers(source, chunked, params, sqlite_plan(source, first_day)):
            found += [(str(v), int(d), int(t), int(n)) for v, d, t, n in json.loads(text_rows)]
    else:
        with source.connection() as conn:
            statement = sql.value_counts(_where(sql, where), value, computed, extra)
            found = [(str(v), int(d), int(t), int(n)) for v, d, t, n in conn.execute(text(statement), params)]
            conn.rollback()
    unusable = sum(n for _, d, _, n in found if d == UNUSABLE)
    kept = [(v, NO_BUCKET if d == UNUSABLE else d, NO_BUCKET if t == UNUSABLE else t, n) for v, d, t, n in found]
    return latency_report(
        [v for v, *_ in kept],
        np.array([d for _, d, _, _ in kept], dtype=np.int16),
        np.array([t for _, _, t, _ in kept], dtype=np.int16),
        np.array([n for *_, n in kept], dtype=np.int64),
        unusable,
    )


def _groups(first_day: int, last_day: int, rows: Iterable[_Row]) -> LatencyGroups:
    """``LatencyGroups`` from (day, key, duration bucket, TTFT bucket, count) rows."""
    days, keys, spans, firsts, counts = [], [], [], [], []
    unusable: dict[str, int] = {}
    for b, k, d, t, n in rows:
        if d == UNUSABLE:
            unusable[b] = unusable.get(b, 0) + int(n)
            d = NO_BUCKET
        if t == UNUSABLE:
            t = NO_BUCKET
        if d == NO_BUCKET and t == NO_BUCKET:
            continue
        days.append(b)
        keys.append(k)
        spans.append(d)
        firsts.append(t)
        counts.append(int(n))
    return LatencyGroups(
        first_day,
        last_day,
        days,
        keys,
        np.array(spans, dtype=np.int16),
        np.array(firsts, dtype=np.int16),
        np.array(counts, dtype=np.int64),
        sum(unusable.values()),
        unusable,
    )
