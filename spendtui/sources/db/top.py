"""Sessions and MCP tools ranked by spend, aggregated in SQL for a range of UTC days.

The day of a request is the cube's (``SpendSql.bucket_expr``: the UTC day of its request
time, whatever the stored form); spend is the cube's integer pico-dollars, and rows with
unusable spend are counted apart, as a cold load counts them. Two statements: the ranking
(with the totals of every value) and, for the ranked values only, their distinct models
and keys.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from spendtui.core.top import TOP_COLUMNS, TopAnswer, TopRow
from spendtui.errors import SourceDataError
from spendtui.sources.db.sql import SpendSql
from spendtui.timeutil import day_start, parse_timestamp

#: When each column came to LiteLLM's request log (said when a database lacks it).
_SINCE = {"session_id": "LiteLLM 2025-04", "mcp_namespaced_tool_name": "LiteLLM 2025-06"}


def _window(sql: SpendSql, first_day: int, last_day: int) -> tuple[str, dict[str, Any]]:
    """The WHERE text and parameters of UTC days ``first_day``..``last_day``."""
    ts = sql.ts
    lo, hi = day_start(first_day), day_start(last_day + 1)
    if not sql.d.sqlite:
        return f"{ts} >= CAST(:lo AS timestamp) AND {ts} < CAST(:hi AS timestamp)", {
            "lo": lo.strftime("%Y-%m-%d %H:%M:%S"),
            "hi": hi.strftime("%Y-%m-%d %H:%M:%S"),
        }
    # the text index narrows the rows; the UTC day of each decides (zone suffixes, epochs)
    loose = f"(({ts} >= :lo_loose AND {ts} < :hi_loose) OR typeof({ts}) != 'text')"
    day = f"substr({sql.bucket_expr()}, 1, 10)"
    return f"{loose} AND {day} BETWEEN :first AND :last", {
        "lo_loose": (lo - timedelta(days=1)).strftime("%Y-%m-%d"),
        "hi_loose": (hi + timedelta(days=1)).strftime("%Y-%m-%d"),
        "first": lo.strftime("%Y-%m-%d"),
        "last": (hi - timedelta(days=1)).strftime("%Y-%m-%d"),
        "hourly_from": "9999",  # bucket_expr: whole days only
    }


def _int(value: Any) -> int:
    return int(value or 0)


def read_top(conn: Connection, sql: SpendSql, dimension: str, first_day: int, last_day: int, limit: int) -> TopAnswer:
    """The ``limit`` values of ``dimension`` (``session`` or ``tool``) with the most spend."""
    column = TOP_COLUMNS[dimension]
    if not sql.schema.col(column):
        raise SourceDataError(
            f"this database's {sql.schema.logs.name} has no {column} column (it came with "
            f"{_SINCE[column]}): it records no {dimension}s"
        )
    where, params = _window(sql, first_day, last_day)
    col = sql.d.q(column)
    has = f"({col} IS NOT NULL AND {col} != '' AND {sql.spend_ok()})"
    p, c, t = sql.tokens()
    rows_sql = (
        f"SELECT {col} AS v, {sql.d.as_int(has)} AS has, {sql.d.as_int(sql.spend_ok())} AS ok, "  # noqa: S608
        f"{sql.spend_pico()} AS s, {p} AS p, {c} AS c, {t} AS t, {sql.failed_expr()} AS f, {sql.ts} AS ts "
        f"FROM {sql.table} WHERE {where}"
    )
    totals = conn.execute(
        text(
            "SELECT count(DISTINCT CASE WHEN has = 1 THEN v END), "  # noqa: S608
            "sum(CASE WHEN has = 1 THEN s ELSE 0 END), sum(has), "
            "sum(CASE WHEN has = 1 THEN 0 ELSE s END), sum(ok - has), sum(1 - ok) "
            f"FROM ({rows_sql}) AS r"
        ),
        params,
    ).one()
    ranked = conn.execute(
        text(
            "SELECT v, sum(s), count(*), sum(p), sum(c), sum(t), sum(f), min(ts), max(ts) "  # noqa: S608
            f"FROM ({rows_sql}) AS r WHERE has = 1 GROUP BY v ORDER BY 2 DESC, 3 DESC, 1 LIMIT :limit"
        ),
        {**params, "limit": limit},
    ).all()
    ids = [str(r[0]) for r in ranked]
    models: dict[str, set[str]] = {i: set() for i in ids}
    keys: dict[str, set[str]] = {i: set() for i in ids}
    if ids:
        key = sql.d.q("api_key") if sql.schema.col("api_key") else "''"
        detail = text(
            f"SELECT {col}, {sql.model_expr()}, {key} FROM {sql.table} "  # noqa: S608
            f"WHERE {where} AND {has} AND {col} IN :ids GROUP BY 1, 2, 3"
        ).bindparams(bindparam("ids", expanding=True))
        for value, model, api_key in conn.execute(detail, {**params, "ids": ids}):
            if model:
                models[str(value)].add(str(model))
            if api_key:
                keys[str(value)].add(str(api_key))
    conn.rollback()
    rows = [
        TopRow(
            id=str(v),
            spend=_int(s),
            requests=_int(n),
            prompt_tokens=_int(pt),
            completion_tokens=_int(ct),
            total_tokens=_int(tt),
            failures=_int(f),
            first_seen=parse_timestamp(first),
            last_seen=parse_timestamp(last),
            models=tuple(sorted(models[str(v)])),
            keys=tuple(sorted(keys[str(v)])),
        )
        for v, s, n, pt, ct, tt, f, first, last in ranked
    ]
    groups, spend, requests, spend_without, requests_without, skipped = (_int(x) for x in totals)
    return TopAnswer(dimension, rows, groups, spend, requests, spend_without, requests_without, skipped)
