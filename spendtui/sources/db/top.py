"""Sessions and MCP tools ranked by spend, aggregated in SQL for a range of UTC days.

The day of a request is the cube's (``SpendSql.bucket_expr``: the UTC day of its request
time, whatever the stored form); spend is the cube's integer pico-dollars, and rows with
unusable spend are counted apart, as a cold load counts them. Groups are split by the
cube's composite key, so ``core.top`` applies the dashboard's filters and attribution to
them exactly as the cube does, and ranks them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.core.top import TOP_COLUMNS, TopGroup, TopGroups
from spendtui.errors import SourceDataError
from spendtui.sources.db.sql import SpendSql
from spendtui.timeutil import day_start, parse_timestamp

#: ``:hourly_from`` for ``SpendSql.bucket_expr``: every bucket a whole day.
_NEVER = "9999-12-31"
#: When each column came to LiteLLM's request log (said when a database lacks it).
_SINCE = {"session_id": "LiteLLM 2025-04", "mcp_namespaced_tool_name": "LiteLLM 2025-06"}


def day_range_where(sql: SpendSql, first_day: int, last_day: int) -> tuple[str, dict[str, Any]]:
    """The WHERE text and parameters of UTC days ``first_day``..``last_day``."""
    ts = sql.ts
    lo, hi = day_start(first_day), day_start(last_day + 1)
    if not sql.d.sqlite:
        return f"{ts} >= CAST(:lo AS timestamp) AND {ts} < CAST(:hi AS timestamp)", {
            "lo": lo.strftime("%Y-%m-%d %H:%M:%S"),
            "hi": hi.strftime("%Y-%m-%d %H:%M:%S"),
            "hourly_from": _NEVER,
        }
    # the text index narrows the rows; the UTC day of each decides (zone suffixes, epochs)
    loose = f"(({ts} >= :lo_loose AND {ts} < :hi_loose) OR typeof({ts}) != 'text')"
    day = f"substr({sql.bucket_expr()}, 1, 10)"
    return f"{loose} AND {day} BETWEEN :first AND :last", {
        "lo_loose": (lo - timedelta(days=1)).strftime("%Y-%m-%d"),
        "hi_loose": (hi + timedelta(days=1)).strftime("%Y-%m-%d"),
        "first": lo.strftime("%Y-%m-%d"),
        "last": (hi - timedelta(days=1)).strftime("%Y-%m-%d"),
        "hourly_from": _NEVER,  # bucket_expr: whole days only
    }


def _int(value: Any) -> int:
    return int(value or 0)


def read_top_groups(conn: Connection, sql: SpendSql, dimension: str, first_day: int, last_day: int) -> TopGroups:
    """Every value of ``dimension`` (``session`` or ``tool``) in the range, split by UTC
    day and the cube's composite key (``Dimensions.composite``), so that the dashboard's
    filters apply to it as to the cube; and the spend and requests of the rows without a
    value. The measures are the cube's, cache tokens included (``SpendSql.rows_with_usage``)."""
    column = TOP_COLUMNS[dimension]
    if not sql.schema.col(column):
        raise SourceDataError(
            f"this database's {sql.schema.logs.name} has no {column} column (it came with "
            f"{_SINCE[column]}): it records no {dimension}s"
        )
    where, params = day_range_where(sql, first_day, last_day)
    col = sql.d.q(column)
    has = f"({col} IS NOT NULL AND {col} != '')"
    p, c, t = sql.tokens()
    key = sql.composite_expr(sql.dimension_exprs())
    rows, (r, w) = sql.rows_with_usage(f"{where} AND {has} AND {sql.spend_ok()}")
    rows_sql = (
        f"SELECT {col} AS v, {sql.bucket_expr()} AS b, {key} AS k, {sql.spend_pico()} AS s, "  # noqa: S608
        f"{p} AS p, {c} AS c, {t} AS t, {sql.failed_expr()} AS f, {sql.cache_expr()} AS h, "
        f"{r} AS r, {w} AS w, {sql.ts} AS ts FROM {rows}"
    )
    grouped = conn.execute(
        text(
            "SELECT v, b, k, sum(s), count(*), sum(p), sum(c), sum(t), sum(f), sum(h), sum(r), sum(w), "  # noqa: S608
            "min(ts), max(ts) "
            f"FROM ({rows_sql}) AS r GROUP BY v, b, k"
        ),
        params,
    ).all()
    ok = sql.d.as_int(sql.spend_ok())
    without, requests_without, skipped = conn.execute(
        text(
            f"SELECT sum(CASE WHEN {ok} = 1 THEN {sql.spend_pico()} ELSE 0 END), sum({ok}), "  # noqa: S608
            f"sum(1 - {ok}) FROM {sql.table} WHERE {where} AND NOT {has}"
        ),
        params,
    ).one()
    bad = conn.execute(
        text(f"SELECT count(*) FROM {sql.table} WHERE {where} AND {has} AND NOT {sql.spend_ok()}"),  # noqa: S608
        params,
    ).scalar_one()
    conn.rollback()
    groups = [
        TopGroup(
            value=str(v),
            day=str(b),
            key=str(k),
            measures=(_int(s), _int(n), _int(pt), _int(ct), _int(tt), _int(f), _int(h), _int(r), _int(w)),
            first_seen=parse_timestamp(first),
            last_seen=parse_timestamp(last),
        )
        for v, b, k, s, n, pt, ct, tt, f, h, r, w, first, last in grouped
    ]
    return TopGroups(dimension, groups, _int(without), _int(requests_without), _int(skipped) + _int(bad))
