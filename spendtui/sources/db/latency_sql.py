"""The latency rule of ``core.latency`` written in SQL: a request's duration and time to
first token in milliseconds over the log columns, and the bucket of a duration.

Shared by the aggregates that count buckets (``latency.py``) and the raw rows of polls
(``SpendSql.raw_rows``), whose durations ``core.latency_cells`` buckets in Python: both
must compute the same milliseconds.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from spendtui.core.latency import GAMMA, MAX_MS, N_BUCKETS, NO_BUCKET

if TYPE_CHECKING:
    from spendtui.sources.db.sql import SpendSql

#: A duration that is there but cannot be used (negative, or over a day).
UNUSABLE = -2


def ms_between(sql: SpendSql, start: str, end: str) -> str:
    """Milliseconds from timestamp column ``start`` to ``end`` (NULL if either is)."""
    if not sql.d.sqlite:
        return f"(extract(epoch from ({end} - {start})) * 1000)"

    def jd(column: str) -> str:  # ISO text (any zone suffix) or epoch seconds
        epoch = f"typeof({column}) IN ('integer', 'real')"
        return f"(CASE WHEN {epoch} THEN julianday({column}, 'unixepoch') ELSE julianday({column}) END)"

    # julianday() differences are off by up to ~0.05 ms; SQLite keeps whole milliseconds
    return f"round(({jd(end)} - {jd(start)}) * 86400000.0)"


def bucket_sql(sql: SpendSql, ms: str) -> str:
    """The bucket of ``ms`` (a column or expression): NO_BUCKET for NULL, UNUSABLE out of
    range; else ``core.latency.bucket_of``."""
    ln_gamma = repr(math.log(GAMMA))
    top = N_BUCKETS - 1
    least = "min" if sql.d.sqlite else "least"
    ceil = f"CAST(ceil(ln({ms}) / {ln_gamma}) AS INTEGER)"
    return (
        f"CASE WHEN {ms} IS NULL THEN {NO_BUCKET} WHEN {ms} < 0 OR {ms} > {MAX_MS} THEN {UNUSABLE} "
        f"WHEN {ms} < 1 THEN 0 ELSE {least}({top}, {ceil} + 1) END"
    )


def latency_exprs(sql: SpendSql) -> tuple[str | None, str | None]:
    """The duration and time-to-first-token expressions in milliseconds over the log
    columns (double precision), None where this database lacks what they need."""
    col, q = sql.schema.col, sql.d.q
    start, end = q("startTime"), q("endTime")
    span = ms_between(sql, start, end) if col("startTime") and col("endTime") else None
    duration: str | None
    if col("request_duration_ms"):
        duration = f"coalesce(request_duration_ms, {span})" if span else "request_duration_ms"
    else:
        duration = span
    ttft = None
    if col("completionStartTime") and col("startTime") and col("endTime"):
        first = q("completionStartTime")
        ttft = f"CASE WHEN {first} < {end} THEN {ms_between(sql, start, first)} END"
    if sql.d.sqlite:
        return duration, ttft
    real = lambda e: None if e is None else f"CAST({e} AS double precision)"  # noqa: E731
    return real(duration), real(ttft)
