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
from typing import Any

from sqlalchemy import text

from spendtui.core.audit import AuditRequest
from spendtui.core.repricing import usage_from_log
from spendtui.errors import SourceDataError
from spendtui.money import to_pico
from spendtui.sources.db.access import DatabaseAccess
from spendtui.sources.db.decode import _int
from spendtui.sources.db.load import sqlite_plan
from spendtui.sources.db.top import day_range_where

#: ``spendtui audit --by``: the column each groups by (``model``: the model group, else the model).
AUDIT_BY = {
    "model": None,
    "provider": "custom_llm_provider",
    "key": "api_key",
    "team": "team_id",
    "user": "user",
    "customer": "end_user",
}


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
    elif d.sqlite:
        usage = "CASE WHEN json_valid(metadata) THEN json_extract(metadata, '$.usage_object') END"
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


def read_audit_requests(source: DatabaseAccess, by: str, first_day: int, last_day: int) -> Iterator[AuditRequest]:
    """Every request of UTC days ``first_day``..``last_day``, as the audit reads it."""
    sql = source.sql
    where, params = day_range_where(sql, first_day, last_day)
    select = f"SELECT {_columns(source, by)} FROM {sql.table}"  # noqa: S608
    if sql.d.sqlite:
        plan = sqlite_plan(source, first_day)
        statement = text(f"{select} WHERE rowid BETWEEN :lo AND :hi AND {where}")
        for lo, hi in plan.bounds:
            with source.connection() as conn:
                rows = conn.execute(statement, {**params, "lo": lo, "hi": hi}).fetchall()
                conn.rollback()
            yield from map(_request, rows)
        return
    with source.connection() as conn:
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(
            text(f"{select} WHERE {where}"), params
        )
        for row in result:
            yield _request(row)
        conn.rollback()


def _request(r: Sequence[Any]) -> AuditRequest:
    request_id, ts, group, model, model_group, provider, p, c, spend, cache_hit, status, duration, usage = r
    if isinstance(usage, str):
        try:
            usage = json.loads(usage)
        except ValueError:
            usage = None
    duration_ms = _int(duration) if duration is not None else None
    use = usage_from_log(_int(p), _int(c), usage, duration_ms)
    return AuditRequest(
        request_id=str(request_id),
        start=str(ts),
        group=str(group),
        model=str(model),
        model_group=str(model_group),
        provider=str(provider),
        prompt_tokens=use.prompt_tokens,
        completion_tokens=use.completion_tokens,
        cache_read_tokens=use.cache_read_tokens,
        cache_creation_tokens=use.cache_creation_tokens,
        reasoning_tokens=use.reasoning_tokens,
        logged=to_pico(spend),
        cache_hit=isinstance(cache_hit, str) and cache_hit.lower() == "true",
        failed=status == "failure",
        duration_ms=duration_ms,
    )
