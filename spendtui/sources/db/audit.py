"""The request rows ``spendtui audit`` re-prices, read from LiteLLM's request logs.

One row per request of a range of UTC days, with what its price is looked up by (model,
model group, provider), its tokens, the usage object its cache and reasoning tokens are
read from (``core.repricing.usage_from_log``), its logged spend, and the value of the
dimension the audit groups by. SQLite reads in the cold load's rowid chunks (a rollback
journal's read lock is held a chunk at a time); PostgreSQL streams one query.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import text

from spendtui.core.audit import AUDIT_BY, AuditRequest
from spendtui.core.audit_vector import AuditColumns
from spendtui.core.cache_tokens import PATHS as CACHE_PATHS
from spendtui.core.cache_tokens import cache_tokens
from spendtui.core.measures import MAX_TOKENS
from spendtui.core.read_bound import ReadMark
from spendtui.core.repricing import REASONING_PATH, reasoning_tokens, usage_from_log
from spendtui.errors import SourceDataError
from spendtui.money import MAX_REQUEST_USD, PICO, to_pico
from spendtui.sources.db.access import DatabaseAccess
from spendtui.sources.db.decode import _int
from spendtui.sources.db.load import sqlite_plan
from spendtui.sources.db.top import day_range_where


def _columns(source: DatabaseAccess, by: str) -> str:
    sql = source.sql
    d, col = sql.d, sql.schema.col
    if not col("spend"):
        raise SourceDataError(f"this database's {sql.schema.logs.name} has no spend column: there is nothing to audit")
    column = AUDIT_BY[by]
    group = sql.model_expr() if column is None else (f"coalesce({d.q(column)}, '')" if col(column) else "''")
    p, c, _ = sql.tokens()
    if not col("metadata"):
        usage = "NULL"
    elif d.sqlite:  # (the few values the rule reads, as a small JSON array: see _tokens)
        names = " OR ".join(f"instr(metadata, '{p[-1]}')" for p in (*CACHE_PATHS, REASONING_PATH))
        paths = ", ".join("'$.usage_object." + ".".join(p) + "'" for p in (*CACHE_PATHS, REASONING_PATH))
        usage = f"CASE WHEN ({names}) AND json_valid(metadata) THEN json_extract(metadata, {paths}) END"
    else:
        usage = "metadata::jsonb -> 'usage_object'"
    return ", ".join(
        [
            (d.q(sql.schema.id_column) if sql.schema.id_column else "NULL") + " AS request_id",
            f"{sql.ts} AS ts",
            f"{group} AS grp",
            sql._coalesced("model"),
            sql._coalesced("model_group"),
            sql._coalesced("custom_llm_provider"),
            p,
            c,
            "spend",
            sql._col("cache_hit", "NULL"),
            sql._col("status", "NULL"),
            sql._col("request_duration_ms", "NULL"),
            usage,
        ]
    )


def read_audit_requests(
    source: DatabaseAccess,
    by: str,
    first_day: int,
    last_day: int,
    keyed: tuple[ReadMark, tuple[str, datetime] | None] | None = None,
    model: str | None = None,
) -> Iterator[AuditRequest]:
    """Every request of UTC days ``first_day``..``last_day``, as the audit reads it.

    ``keyed`` (the dashboard's audit cells): each request also carries its UTC day and the
    cube's composite key, and the mark collects where the read stopped (``core.read_bound``:
    SQLite's highest planned rowid; on PostgreSQL the ids of the rows from ``since`` on,
    the column and mark of the poll cursor's re-read overlap). ``model``: only the
    requests of that model (as the cube names it: the model group, else the model)."""
    sql = source.sql
    where, params = day_range_where(sql, first_day, last_day)
    if model is not None:
        where, params = f"{where} AND {sql.model_expr()} = :model", {**params, "model": model}
    columns = _columns(source, by)
    since = None
    if keyed is not None:
        mark, since = keyed
        key = sql.composite_expr(sql.dimension_exprs())
        columns += f", substr({sql.bucket_expr()}, 1, 10), {key}"
        if since is not None:
            column = (
                sql.d.q(sql.schema.written_column) if since[0] == "written" and sql.schema.written_column else sql.ts
            )
            columns += f", CASE WHEN {column} >= :since THEN 1 ELSE 0 END"
            params = {**params, "since": since[1]}
    select = f"SELECT {columns} FROM {sql.table}"  # noqa: S608
    for batch in _batches(source, select, where, params, first_day, keyed[0] if keyed else None):
        yield from (_keyed(r, keyed) for r in batch)


def _batches(
    source: DatabaseAccess, select: str, where: str, params: dict[str, Any], first_day: int, mark: ReadMark | None
) -> Iterator[Sequence[Sequence[Any]]]:
    """The rows of ``select`` ... ``where``: SQLite in the cold load's rowid chunks (noting
    the highest planned rowid in ``mark``), PostgreSQL streamed in batches."""
    sql = source.sql
    if sql.d.sqlite:
        plan = sqlite_plan(source, first_day)
        if mark is not None:
            mark.upto_rowid = plan.high
        statement = text(f"{select} WHERE rowid BETWEEN :lo AND :hi AND {where}")
        for lo, hi in plan.bounds:
            with source.connection() as conn:
                rows = conn.execute(statement, {**params, "lo": lo, "hi": hi}).fetchall()
                conn.rollback()
            yield rows
        return
    with source.connection() as conn:
        result = conn.execution_options(stream_results=True).execute(text(f"{select} WHERE {where}"), params)
        while batch := result.fetchmany(BATCH):
            yield batch
        conn.rollback()


#: Rows PostgreSQL streams at a time.
BATCH = 20_000


def read_audit_columns(
    source: DatabaseAccess,
    first_day: int,
    last_day: int,
    mark: ReadMark | None,
    since: tuple[str, datetime] | None = None,
    by: str = "model",
) -> Iterator[tuple[AuditColumns, list[str], list[str], list[str]]]:
    """The requests of UTC days ``first_day``..``last_day`` as columns, batch by batch,
    each with the value its requests are grouped by (``by``, as ``read_audit_requests``)
    and, with a ``mark`` (the dashboard's audit cells; as in ``read_audit_requests``),
    their UTC days and composite keys (else two empty lists)."""
    sql = source.sql
    where, params = day_range_where(sql, first_day, last_day)
    columns = _columns(source, by)
    if mark is not None:
        columns += f", substr({sql.bucket_expr()}, 1, 10), " + sql.composite_expr(sql.dimension_exprs())
    if mark is not None and since is not None:
        written = sql.schema.written_column
        column = sql.d.q(written) if since[0] == "written" and written else sql.ts
        columns += f", CASE WHEN {column} >= :since THEN 1 ELSE 0 END"
        params = {**params, "since": since[1]}
    select = f"SELECT {columns} FROM {sql.table}"  # noqa: S608
    for batch in _batches(source, select, where, params, first_day, mark):
        if not batch:
            continue
        rows = list(zip(*batch, strict=True))
        cols = _audit_columns(rows[:13])
        if mark is not None and since is not None:
            mark.ids.update(i for i, fresh in zip(cols.request_id, rows[15], strict=True) if fresh)
        grp = [str(g) for g in rows[2]]
        if mark is None:
            yield cols, grp, [], []
        else:
            yield cols, grp, [str(d) for d in rows[13]], [str(k) for k in rows[14]]


def read_audit_columns_with(
    source: DatabaseAccess, first_day: int, last_day: int, extra: Sequence[str], params: dict[str, Any]
) -> Iterator[tuple[AuditColumns, list[str], list[tuple[Any, ...]]]]:
    """The requests of UTC days ``first_day``..``last_day`` as ``read_audit_columns`` reads
    them (grouped by model), batch by batch, each with the values of the ``extra`` SQL
    expressions (one tuple per expression, a value per request); ``params`` are bound
    over the range's own (``:hourly_from`` may be one: ``SpendSql.bucket_expr``)."""
    sql = source.sql
    where, bound = day_range_where(sql, first_day, last_day)
    columns = ", ".join([_columns(source, "model"), *extra])
    select = f"SELECT {columns} FROM {sql.table}"  # noqa: S608
    for batch in _batches(source, select, where, {**bound, **params}, first_day, None):
        if not batch:
            continue
        rows = list(zip(*batch, strict=True))
        yield _audit_columns(rows[:13]), [str(g) for g in rows[2]], rows[13:]


def _audit_columns(rows: Sequence[Sequence[Any]]) -> AuditColumns:
    """The 13 columns ``_columns`` selects (one sequence each) as ``AuditColumns``."""
    request_id, ts, _, model, group, provider, p, c, spend, cache_hit, status, duration, usage = rows
    prompt, completion, read, write, reasoning = _token_columns(p, c, usage)
    logged = _picos(spend)
    return AuditColumns(
        request_id=[str(r) for r in request_id],
        start=[str(t) for t in ts],
        model=[str(m) for m in model],
        model_group=[str(g) for g in group],
        provider=[str(v) for v in provider],
        prompt=prompt,
        completion=completion,
        cache_read=read,
        cache_creation=write,
        reasoning=reasoning,
        logged=np.array([-1 if v is None else v for v in logged], np.int64),
        hit=np.array([isinstance(h, str) and h.lower() == "true" for h in cache_hit], bool),
        failed=np.array([s == "failure" for s in status], bool),
        duration_ms=np.array([-1 if d is None else _int(d) for d in duration], np.int64),
    )


def _keyed(r: Sequence[Any], keyed: tuple[ReadMark, object] | None) -> AuditRequest:
    if keyed is None:
        return _request(r)
    found = _request(r[:13], str(r[13]), str(r[14]))
    if len(r) > 15 and r[15]:
        keyed[0].ids.add(found.request_id)
    return found


def _picos(spend: Sequence[Any]) -> list[int | None]:
    """``money.to_pico`` of each stored spend: floats (what both databases store) at once,
    rounded as ``to_pico`` rounds them; anything else value by value."""
    if not all(type(s) is float for s in spend):
        return [to_pico(s) for s in spend]
    values = np.array(spend, dtype=np.float64)
    ok = np.isfinite(values) & (np.abs(values) <= MAX_REQUEST_USD)
    pico = np.rint(np.where(ok, values, 0) * PICO).astype(np.int64)
    ok &= (pico >= 0) & (pico <= MAX_REQUEST_USD * PICO)
    return [int(v) if good else None for v, good in zip(pico.tolist(), ok.tolist(), strict=True)]


def _token_columns(p: Sequence[Any], c: Sequence[Any], usage: Sequence[Any]) -> list[np.ndarray]:
    """``_tokens`` of a batch as five int64 columns: integer token counts at once, the few
    requests with a usage object (or other values) one by one."""
    n = len(p)
    columns = [np.zeros(n, np.int64) for _ in range(5)]
    slow: Sequence[int] = range(n)
    if all(type(v) is int and -MAX_TOKENS <= v <= MAX_TOKENS for v in (*p, *c)):  # (what _int keeps)
        columns[0][:], columns[1][:] = p, c
        slow = [i for i, u in enumerate(usage) if u is not None]
    for i in slow:
        for column, value in zip(columns, _tokens(p[i], c[i], usage[i]), strict=True):
            column[i] = value
    return columns


def _tokens(p: Any, c: Any, usage: Any) -> tuple[int, int, int, int, int]:
    """Prompt, completion, cache-read, cache-creation and reasoning tokens: SQLite gives
    the usage values as a JSON array (``CACHE_PATHS`` then ``REASONING_PATH``), PostgreSQL
    the usage object."""
    if usage is None:
        return _int(p), _int(c), 0, 0, 0
    if isinstance(usage, str):
        try:
            values = json.loads(usage)
        except ValueError:
            values = None
        if isinstance(values, list) and len(values) == len(CACHE_PATHS) + 1:
            read, write = cache_tokens(values[:-1])
            reasoning = reasoning_tokens({REASONING_PATH[0]: {REASONING_PATH[1]: values[-1]}})
            return _int(p), _int(c), read, write, reasoning
        usage = None
    use = usage_from_log(_int(p), _int(c), usage)
    return (
        use.prompt_tokens,
        use.completion_tokens,
        use.cache_read_tokens,
        use.cache_creation_tokens,
        use.reasoning_tokens,
    )


def _request(r: Sequence[Any], day: str = "", key: str = "") -> AuditRequest:
    request_id, ts, group, model, model_group, provider, p, c, spend, cache_hit, status, duration, usage = r
    prompt, completion, read, write, reasoning = _tokens(p, c, usage)
    return AuditRequest(
        request_id=str(request_id),
        start=str(ts),
        group=str(group),
        model=str(model),
        model_group=str(model_group),
        provider=str(provider),
        prompt_tokens=prompt,
        completion_tokens=completion,
        cache_read_tokens=read,
        cache_creation_tokens=write,
        reasoning_tokens=reasoning,
        logged=to_pico(spend),
        cache_hit=isinstance(cache_hit, str) and cache_hit.lower() == "true",
        failed=status == "failure",
        duration_ms=_int(duration) if duration is not None else None,
        day=day,
        key=key,
    )
