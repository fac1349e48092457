"""``history: daily``: closed days from LiteLLM's daily aggregate tables, on PostgreSQL.

LiteLLM upserts one row per (entity, UTC day, key, model, provider, MCP tool, endpoint)
into ``"LiteLLM_Daily<Entity>Spend"`` as it writes ``"LiteLLM_SpendLogs"``. At millions of
requests a day those tables hold a few thousand rows a day, so reading them instead of the
logs makes a cold load cost what the number of *combinations* costs, not the number of
requests. This module reads them with ``GROUP BY`` on the server into the same
``DailyTable`` marginals the proxy source fills from LiteLLM's REST daily endpoints, so
``build_history`` turns both into the same fact cubes (and the same refusals:
``NotExact`` for a question the tables do not cross, e.g. customers of one model).

* Tables are found by reflection; the user table is required, the team, organization,
  agent, end-user and tag tables are used where present. Without the organization or
  agent table (LiteLLM before 2025-11 / 2025-12), questions about organizations or agents
  on closed days are refused (``NotExact``, naming the missing table), never zeros.
* Names are the database's own: NULL becomes ``""`` (shown ``(none)``), as on the logs
  path; the model is ``model_group``, else ``model``, as on the logs path.
* ``api_requests`` counts every request LiteLLM logged except its internal sub-calls;
  cache hits are not kept (only cache-read token counts), so they are 0 here.
* Cross-check: the two newest closed days (the last closed day, and the days the user
  table has) are compared with a ``SUM`` over the request logs for the same day (an index
  range scan on ``"startTime"``); where they differ, a note says so and by how much
  instead of silently trusting one of them. Checking every day would read every request,
  which is what this mode avoids.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from spendtui.errors import SourceError
from spendtui.money import PICO
from spendtui.sources.daily.history import HistoryBuilder
from spendtui.sources.daily.tables import DailyTable
from spendtui.sources.db.access import DatabaseAccess
from spendtui.sources.db.cursor import Cursor
from spendtui.sources.db.load import PG_WORK_MEM, LoadResult, load_postgres
from spendtui.sources.db.sql import SpendSql
from spendtui.timeutil import day_date, day_number, day_start, parse_day

if TYPE_CHECKING:
    from spendtui.core.facts import FactCube

#: entity -> (table, entity column), in the order build_history takes them (and they are read).
DAILY_TABLES = {
    "user": ("LiteLLM_DailyUserSpend", "user_id"),
    "team": ("LiteLLM_DailyTeamSpend", "team_id"),
    # LiteLLM 2025-11-14 and 2025-12-10 on; without them organization and agent questions
    # about closed days are refused
    "organization": ("LiteLLM_DailyOrganizationSpend", "organization_id"),
    "agent": ("LiteLLM_DailyAgentSpend", "agent_id"),
    "customer": ("LiteLLM_DailyEndUserSpend", "end_user_id"),
    "tag": ("LiteLLM_DailyTagSpend", "tag"),
}
_REQUIRED = ("date", "api_key", "spend", "api_requests")
#: Closed days whose totals are checked against the request logs: the newest ones among
#: the last closed day and the days the daily tables have.
CHECK_DAYS = 2
#: Disagreement below this is float summation order, not a difference (USD).
CHECK_SLACK_USD = 1e-6


@dataclass(frozen=True)
class DailySpec:
    """A daily table found by reflection: its real name, entity column and columns."""

    entity: str
    table: str
    entity_column: str
    columns: frozenset[str]


def reflect_daily(conn: Connection, schema: str | None) -> tuple[dict[str, DailySpec], list[str]]:
    """The usable daily tables, and notes on those that are missing or unreadable."""
    insp = inspect(conn)
    names = {n.lower(): n for n in insp.get_table_names(schema=schema)}
    found: dict[str, DailySpec] = {}
    notes: list[str] = []
    for entity, (table, column) in DAILY_TABLES.items():
        real = names.get(table.lower())
        if real is None:
            if entity == "user":
                notes.append(f"history: daily needs {table}, which this database lacks (older LiteLLM)")
            continue
        columns = frozenset(c["name"] for c in insp.get_columns(real, schema=schema))
        missing = [c for c in (*_REQUIRED, column) if c not in columns]
        if missing:
            notes.append(f"{real} lacks {', '.join(missing)}: not used")
            continue
        found[entity] = DailySpec(entity, real, column, columns)
    if "user" not in found:
        found = {}
    return found, notes


def _qualified(spec: DailySpec, schema: str | None) -> str:
    name = f'"{spec.table}"'
    return f'"{schema}".{name}' if schema else name


def _model_expr(spec: DailySpec) -> str:
    has_group, has_model = "model_group" in spec.columns, "model" in spec.columns
    if has_group and has_model:
        return "CASE WHEN coalesce(model_group, '') = '' THEN coalesce(model, '') ELSE model_group END"
    if has_group or has_model:
        return f"coalesce({'model_group' if has_group else 'model'}, '')"
    return "''"


#: Spend in pico-dollars per table row, summed on the server (bigint: exact).
_SPEND_PICO = "coalesce(sum(CASE WHEN spend BETWEEN 0 AND 1e9 THEN round(spend * 1e12)::bigint ELSE 0 END), 0)::bigint"
#: The same sum in float8: every term is a whole number of pico-dollars and none is
#: negative, so the sum is exact while it stays below 2**53 (about $9,007 per cell).
_SPEND_PICO_FLOAT = "coalesce(sum(CASE WHEN spend BETWEEN 0 AND 1e9 THEN round(spend * 1e12) ELSE 0 END), 0)::bigint"
FLOAT_EXACT = 2**53


def _measures(spec: DailySpec, fast: bool) -> str:
    """spend (pico-dollars), requests, prompt, completion, prompt + completion, failed, 0
    (cache hits: not kept), cache-read and cache-creation tokens (0 where a column is missing).

    ``fast``: sums in float8 (spend) and of ``int4`` (counts), whose per-group states
    PostgreSQL keeps by value; bigint sums allocate a numeric state per group, which
    doubled the tables' read time. An ``int4`` count sum is exact or fails (a value past
    2**31 is out of range); a spend sum is exact below ``FLOAT_EXACT``. ``read_rows``
    falls back to the exact sums otherwise."""

    def col(name: str) -> str:
        if name not in spec.columns:
            return "0::bigint"
        return f"coalesce(sum({name}::int4), 0)" if fast else f"coalesce(sum({name}), 0)::bigint"

    spend = _SPEND_PICO_FLOAT if fast else _SPEND_PICO
    prompt, completion = col("prompt_tokens"), col("completion_tokens")
    counts = (col("api_requests"), prompt, completion, f"{prompt} + {completion}", col("failed_requests"))
    cached = (col("cache_read_input_tokens"), col("cache_creation_input_tokens"))
    return ", ".join((spend, *counts, "0", *cached))


def read_rows(
    conn: Connection, statement: Callable[[bool], str], params: dict[str, Any], spend_at: int
) -> list[tuple[Any, ...]]:
    """The rows of ``statement(fast=True)`` if its sums are exact, else of ``statement(False)``."""
    import psycopg  # the driver of this path (an optional dependency: not imported before)

    try:
        rows = _rows(conn, statement(True), params)
        if all(row[spend_at] < FLOAT_EXACT for row in rows):
            return rows
    except psycopg.errors.NumericValueOutOfRange:  # a count past int4, or spend past bigint
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.rollback()
    return _rows(conn, statement(False), params)


def _rows(conn: Connection, statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """All rows as plain tuples, straight from the driver (tens of thousands of rows:
    SQLAlchemy's Row objects would cost more than the query)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor(binary=True) as cur:
        # hash the groups in memory rather than sort them on disk, and no parallel
        # workers: the live days' aggregate runs beside this read on the server's other
        # core (this transaction only)
        cur.execute(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cur.execute(statement.replace(":first", "%(first)s").replace(":last", "%(last)s"), params)
        rows: list[tuple[Any, ...]] = cur.fetchall()
        return rows


#: The key column (NOT NULL in LiteLLM's schema; NULL would be the key "", as on the logs path).
_KEY = "coalesce(api_key, '')"


def _read_user(conn: Connection, spec: DailySpec, schema: str | None, params: dict[str, Any]) -> DailyTable:
    """Per-key totals and the model, provider and user breakdowns, in one scan."""
    model = _model_expr(spec)
    provider = "coalesce(custom_llm_provider, '')" if "custom_llm_provider" in spec.columns else "''"
    entity = f"coalesce({spec.entity_column}, '')"
    statement = lambda fast: (  # noqa: E731
        f"SELECT date, {_KEY}, {model}, {provider}, {entity}, "  # noqa: S608  (names from reflection)
        f"GROUPING({model}), GROUPING({provider}), GROUPING({entity}), {_measures(spec, fast)} "
        f"FROM {_qualified(spec, schema)} WHERE date BETWEEN :first AND :last "
        f"GROUP BY GROUPING SETS ((date, {_KEY}), (date, {_KEY}, {model}), "
        f"(date, {_KEY}, {provider}), (date, {_KEY}, {entity}))"
    )
    table = DailyTable("user")
    for row in read_rows(conn, statement, params, spend_at=8):
        day, key, m, p, e, gm, gp, ge = row[:8]
        cell = row[8:]
        if not gm:
            table.cells["model"][(day, m, key)] = cell
        elif not gp:
            table.cells["provider"][(day, p, key)] = cell
        elif not ge:
            table.cells["entity"][(day, e, key)] = cell
        else:
            table.keys[(day, key)] = cell
    table.pages = 1
    return table


def _read_entity(conn: Connection, spec: DailySpec, schema: str | None, params: dict[str, Any]) -> DailyTable:
    """The (day, entity, key) breakdown of a team, end-user or tag table."""
    entity = f"coalesce({spec.entity_column}, '')"
    statement = lambda fast: (  # noqa: E731
        f"SELECT date, {entity}, {_KEY}, {_measures(spec, fast)} "  # noqa: S608  (names from reflection)
        f"FROM {_qualified(spec, schema)} WHERE date BETWEEN :first AND :last "
        f"GROUP BY date, {entity}, {_KEY}"
    )
    table = DailyTable(spec.entity)
    # (day, entity, key) -> measures: slices of the driver's tuples, the cheapest form
    table.cells["entity"] = {row[:3]: row[3:] for row in read_rows(conn, statement, params, spend_at=3)}
    table.pages = 1
    return table


def read_daily_table(
    conn: Connection, spec: DailySpec, schema: str | None, first_day: int, last_day: int
) -> DailyTable:
    """One table's cells for ``first_day``..``last_day`` (the user table with its per-key totals)."""
    params = {"first": day_date(first_day).isoformat(), "last": day_date(last_day).isoformat()}
    read = _read_user if spec.entity == "user" else _read_entity
    return read(conn, spec, schema, params)


def check_against_logs(
    conn: Connection, sql: SpendSql, user: DailySpec, schema: str | None, first_day: int, last_day: int
) -> list[str]:
    """Compare the newest ``CHECK_DAYS`` closed days (of ``first_day``..``last_day``) of the
    user table with the request logs; a note for each day where spend or requests differ."""
    table = _qualified(user, schema)
    present = conn.execute(
        text(
            f"SELECT DISTINCT date FROM {table} WHERE date BETWEEN :first AND :last "  # noqa: S608
            f"ORDER BY date DESC LIMIT {CHECK_DAYS}"
        ),
        {"first": day_date(first_day).isoformat(), "last": day_date(last_day).isoformat()},
    ).scalars()
    days = sorted({last_day, *(day_number(parse_day(d)) for d in present)}, reverse=True)[:CHECK_DAYS]
    from_logs = (
        f"SELECT coalesce(sum({sql.spend_pico()}), 0), count(*) FROM {sql.table} "  # noqa: S608
        f"WHERE {sql.ts} >= :lo AND {sql.ts} < :hi"
    )
    from_daily = f"SELECT {_SPEND_PICO}, coalesce(sum(api_requests), 0) FROM {table} WHERE date = :d"  # noqa: S608
    notes = []
    for number in days:
        lo, hi = day_start(number).replace(tzinfo=None), day_start(number + 1).replace(tzinfo=None)
        logs_spend, logs_requests = (int(v or 0) for v in conn.execute(text(from_logs), {"lo": lo, "hi": hi}).one())
        found = conn.execute(text(from_daily), {"d": day_date(number).isoformat()}).one()
        daily_spend, daily_requests = (int(v or 0) for v in found)
        spend_gap = abs(daily_spend - logs_spend) / PICO
        if daily_requests != logs_requests or spend_gap > CHECK_SLACK_USD:
            notes.append(
                f"LiteLLM's daily tables and request logs disagree on {day_date(number)}: "
                f"daily tables ${daily_spend / PICO:,.6f} over {daily_requests:,} requests, "
                f"request logs ${logs_spend / PICO:,.6f} over {logs_requests:,} "
                f"(closed days are shown from the daily tables; checked: "
                f"{', '.join(str(day_date(d)) for d in days)} only)"
            )
    return notes


def _history(
    reads: dict[str, Future[DailyTable | None]], first_day: int, last_day: int
) -> tuple[list[FactCube], list[str]]:
    """The history cubes of the tables, each as it arrives. The tables (some 200,000
    cells at 10M rows) are freed when this returns, while the live days' aggregate still
    runs: freed after it, they took 30-40 ms more before the first screen."""
    user = reads.pop("user").result()
    assert user is not None
    owners = {entity: reads.pop(entity).result() for entity in ("team", "organization", "agent")}
    history = HistoryBuilder(first_day, last_day, user, **owners)
    for entity in ("organization", "agent"):
        if owners[entity] is None:
            name = DAILY_TABLES[entity][0]
            history.refuse(entity, f"this database has no usable {name} (older LiteLLM)")
    for entity, add in (("customer", history.add_customer), ("tag", history.add_tag)):
        if (table := reads.pop(entity).result()) is not None:
            add(table)
    return history.facts, history.notes


def load_postgres_daily(source: DatabaseAccess, first_day: int, hourly_from_day: int) -> tuple[LoadResult, Cursor]:
    """Closed days (before the live days) from the daily tables, the live days from the
    request logs exactly as ``history: logs`` loads them. The live days' aggregate and the
    table reads (one after another) run at once on two connections, while this thread
    builds each table's views as it arrives."""
    schema = source.target.schema
    live_first = max(first_day, hourly_from_day)
    with source.connection() as conn:
        specs, notes = reflect_daily(conn, schema)
        conn.rollback()
    if not specs or first_day >= live_first:
        result, cursor = load_postgres(source, first_day, hourly_from_day)
        result.notes = notes
        return result, cursor

    def read(entity: str) -> DailyTable | None:
        if entity not in specs:
            return None
        with source.connection() as conn:
            table = read_daily_table(conn, specs[entity], schema, first_day, live_first - 1)
            conn.rollback()
        return table

    def check() -> list[str]:
        """Run after the data (``SpendEngine.run_followups``): its failure is a note."""
        try:
            with source.connection() as conn:
                found = check_against_logs(conn, source.sql, specs["user"], schema, first_day, live_first - 1)
                conn.rollback()
        except SourceError as exc:
            return [f"the daily tables were not checked against the request logs: {exc}"]
        return found

    with ThreadPoolExecutor(2, thread_name_prefix="spendtui-daily") as pool:
        # the live days' aggregate is the longest query: started first, it keeps one of
        # the server's cores busy throughout. The daily tables are read one after another
        # on the other thread (four at once only made the server's processes and this one
        # wait for each other's cores), and this thread turns each into history cubes as
        # it arrives, while the next is read.
        live = pool.submit(load_postgres, source, live_first, hourly_from_day)
        reads = {entity: pool.submit(read, entity) for entity in DAILY_TABLES}  # in build order
        facts, history_notes = _history(reads, first_day, live_first - 1)
        result, cursor = live.result()
    result.fact_cubes = facts
    result.live_first_day = live_first
    result.notes = [*notes, *history_notes]
    # the cross-check yields a note, not figures: the engine runs it after the data (the
    # dashboard once the first screen is drawn, so it does not compete with the load for
    # the server's cores; a report before it prints)
    result.followups = [check]
    result.partial_measures = {
        "cache_hits": (
            f"cache hits are counted from request logs only (from {day_date(live_first)}): "
            "LiteLLM's daily tables do not keep them"
        )
    }
    return result, cursor
