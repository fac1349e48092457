"""PostgreSQL benchmarks: the same demo rows in LiteLLM's real schema on a local server.

The database ``perf_bench_<rows>`` is created on the server from ``--pg``
(``$SPENDTUI_TEST_PG`` by default, e.g. the one ``bash .ci/postgres.sh start`` runs), with
the recorded LiteLLM 1.108.7 schema (its indexes included), filled by ``COPY`` from the
SQLite demo database of the same size (so both engines hold identical rows), then
``VACUUM ANALYZE``d. It is kept between runs; rows a benchmark appends are deleted again.

For ``history: daily`` LiteLLM's daily tables must hold what LiteLLM would have written
for those rows. They are filled **once, at setup** (when the user table is empty), by one
``INSERT … SELECT … GROUP BY`` per table over the copied request logs: per (UTC day,
entity, key, model, model group, provider), as LiteLLM upserts them (NULL for an empty
user/team/customer; one tag-table row per tag of a request). Building them is not timed.

``python -m benchmarks.pg --rows 1000000 --runs 5`` measures only the cold loads
(``history: logs`` and ``history: daily``) for one size.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from benchmarks.common import NOW, TABLE, WINDOW_DAYS, log, median_ms, new_rows, timed
from benchmarks.engine import cold_and_queries, refresh_numbers, restart_numbers, window
from spendtui.demo.world import build_world
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import fixed_clock
from tests.helpers import LOG_COLUMNS_PG, insert_pg_keys, load_real_schema

NAIVE_PG = [
    "SELECT sum(spend), count(*) FROM {t} WHERE {w}",
    "SELECT model_group, sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1",
    "SELECT api_key, sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1",
    'SELECT "user", sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1',
    "SELECT team_id, sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1",
    "SELECT date_trunc('day', \"startTime\"), sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1",
    "SELECT j, sum(spend), count(*) FROM {t}, jsonb_array_elements_text(request_tags) AS j WHERE {w} GROUP BY 1",
]


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def pg_database(admin_url: str, sqlite_path: Path, rows: int) -> str:
    """The benchmark database with the rows of ``sqlite_path``, built once."""
    import psycopg

    name = f"perf_bench_{rows}"
    url = database_url(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists:
        with psycopg.connect(url, autocommit=True) as conn:
            # rows a benchmark appended (all after NOW) and failed to delete
            conn.execute(f'DELETE FROM {TABLE} WHERE "startTime" >= %s', (NOW.replace(tzinfo=None),))
            if conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] == rows:
                return url
    log(f"  building PostgreSQL {name} from {sqlite_path.name}…")
    started = time.perf_counter()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    load_real_schema(url)
    _copy_rows(sqlite_path, url)
    insert_pg_keys(url, build_world(7))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"VACUUM ANALYZE {TABLE}")
    log(f"  built {name} in {time.perf_counter() - started:.0f}s")
    return url


def _copy_rows(sqlite_path: Path, url: str) -> None:
    import sqlite3

    import psycopg

    cols = ", ".join(f'"{c}"' for c in LOG_COLUMNS_PG)
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    cursor = source.execute(f"SELECT {cols} FROM {TABLE} ORDER BY rowid")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY {TABLE} ({cols}) FROM STDIN") as copy:
            while batch := cursor.fetchmany(50_000):
                for row in batch:
                    copy.write_row(row)
        conn.commit()
    source.close()


def floor_and_naive(url: str, runs: int) -> dict[str, float]:
    import psycopg

    since = (NOW - timedelta(days=WINDOW_DAYS - 1)).replace(hour=0, minute=0, second=0, tzinfo=None)
    where = '"startTime" >= %s'
    with psycopg.connect(url) as conn:

        def q(sql: str, *params: object) -> Callable[[], object]:
            return lambda: conn.execute(sql, params).fetchall()

        out = {
            "floor_table": median_ms(q(f"SELECT sum(spend), count(*) FROM {TABLE}"), runs),
            "floor_window": median_ms(q(f"SELECT sum(spend), count(*) FROM {TABLE} WHERE {where}", since), runs),
        }
        naive = [s.format(t=TABLE, w=where) for s in NAIVE_PG]
        out["naive"] = median_ms(lambda: [conn.execute(s, (since,)).fetchall() for s in naive], runs)
        out["window_rows"] = conn.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", (since,)).fetchone()[0]
    return out


_DAILY_INSERT = """
INSERT INTO "{table}" (id, {entity}, date, api_key, model, model_group, custom_llm_provider,
    prompt_tokens, completion_tokens, spend, api_requests, successful_requests, failed_requests, updated_at)
SELECT gen_random_uuid()::text, e, to_char("startTime", 'YYYY-MM-DD'), api_key, model, model_group,
    custom_llm_provider, sum(coalesce(prompt_tokens, 0)), sum(coalesce(completion_tokens, 0)),
    sum(CASE WHEN spend BETWEEN 0 AND 1000000 THEN spend ELSE 0 END), count(*),
    count(*) FILTER (WHERE status IS DISTINCT FROM 'failure'), count(*) FILTER (WHERE status = 'failure'), now()
FROM {source}
GROUP BY e, 3, api_key, model, model_group, custom_llm_provider
"""
_DAILY_TABLES = {
    "LiteLLM_DailyUserSpend": ("user_id", f"(SELECT *, nullif(\"user\", '') AS e FROM {TABLE}) s"),
    "LiteLLM_DailyTeamSpend": ("team_id", f"(SELECT *, nullif(team_id, '') AS e FROM {TABLE}) s"),
    "LiteLLM_DailyEndUserSpend": ("end_user_id", f"(SELECT *, nullif(end_user, '') AS e FROM {TABLE}) s"),
    "LiteLLM_DailyTagSpend": (
        "tag",
        f"(SELECT l.*, t.e FROM {TABLE} l, jsonb_array_elements_text("
        "CASE WHEN jsonb_typeof(l.request_tags) = 'array' THEN l.request_tags ELSE '[]' END) AS t(e)) s",
    ),
}


def fill_daily_tables(url: str) -> int:
    """LiteLLM's daily tables from the request logs (once); returns the user table's rows."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        have = conn.execute('SELECT count(*) FROM "LiteLLM_DailyUserSpend"').fetchone()[0]
        if have:
            return have
        log("  filling LiteLLM's daily tables from the request logs (once)…")
        started = time.perf_counter()
        for table, (entity, source) in _DAILY_TABLES.items():
            conn.execute(_DAILY_INSERT.format(table=table, entity=entity, source=source))  # type: ignore[arg-type]
            conn.execute(f'VACUUM ANALYZE "{table}"')  # type: ignore[arg-type]
        log(f"  filled in {time.perf_counter() - started:.0f}s")
        return conn.execute('SELECT count(*) FROM "LiteLLM_DailyUserSpend"').fetchone()[0]


def cold_loads(url: str, runs: int, histories: tuple[str, ...] = ("logs", "daily")) -> dict[str, float]:
    """Cold load of the 30-day window plus one breakdown, from the logs and from the daily tables."""
    out: dict[str, float] = {"daily_rows": fill_daily_tables(url)}
    win = window()
    for history in histories:
        eng = SpendEngine(DatabaseSource(parse_database_url(url), history=history), clock=fixed_clock(NOW))
        # as the dashboard loads: the data first, then the daily tables' cross-check (a
        # note), run once the data is drawn and timed on its own
        eng.defer_followups = True
        ready, checks = [], []
        for _ in range(runs):
            ready += timed(lambda eng=eng: (eng.load(win.first_day), eng.query.breakdown("model", win)), 1)
            checks += timed(eng.run_followups, 1)
        out[f"cold_load_{history}"] = statistics.median(ready) * 1000
        if history == "daily":
            out["daily_check"] = statistics.median(checks) * 1000
            out["daily_notes"] = len(eng.cube.quality.notes)
            out["daily_cells"] = sum(f.cube.n for f in eng.fact_cubes) + eng.cube.n
        eng.close()
    return out


def pg_numbers(admin_url: str, sqlite_path: Path, rows: int, runs: int) -> dict[str, float]:
    """Every PostgreSQL measure for one size."""
    import psycopg

    from benchmarks.audit import audit_numbers

    url = pg_database(admin_url, sqlite_path, rows)
    out = floor_and_naive(url, runs)
    out.update(cold_and_queries(url, runs))
    out.update(cold_loads(url, runs, ("daily",)))  # (cold_and_queries measured the logs)
    with appender(url) as append:
        out.update(refresh_numbers(url, runs, append))
        out.update(audit_numbers(url, runs, lambda i: append(100 + i)))
        out.update(restart_numbers(url, runs, WINDOW_DAYS, append))
        # LiteLLM's schema has no index on created_at, so the catch-up poll of a warm
        # restart reads two days of "startTime" to find rows written late; with one:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE INDEX IF NOT EXISTS bench_created_at_idx ON {TABLE} (created_at)")
            conn.execute(f"ANALYZE {TABLE}")
        try:
            indexed = restart_numbers(url, runs, WINDOW_DAYS, lambda i: append(i, hour=1))  # written later
            out["warm_ready_30d_idx"] = indexed["warm_ready_30d"]
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP INDEX IF EXISTS bench_created_at_idx")
                conn.execute(f"ANALYZE {TABLE}")
        # (last: the rows appended carry their insert time, which must only grow)
        out.update(daily_restarts(url, runs, append))
    return out


@contextmanager
def appender(url: str) -> Iterator[Callable[..., None]]:
    """``append(i, hour=0)``: 500 new rows in the hour(s) after the data ends, written
    (``created_at``) then too, so later calls must not use earlier hours; every row
    appended is deleted again on the way out.

    As LiteLLM inserts a batch, the rows carry one insert time: the batch's newest
    generated one, never before an earlier call's (a request's generated write time can lie
    minutes after its start, and ``created_at`` going back by more than the poll's overlap
    is what an insert-time column never does)."""
    import psycopg

    from tests.helpers import insert_pg_rows

    appended: list[str] = []
    written = [""]

    def append(i: int, hour: int = 0) -> None:
        batch = new_rows(seed=20_000 + 100 * hour + i, at=NOW + timedelta(hours=hour, minutes=i % 59))
        written[0] = max(written[0], *batch.columns["created_at"])
        batch.columns["created_at"] = [written[0]] * len(batch)
        appended.extend(batch.columns["request_id"])
        insert_pg_rows(url, batch)

    try:
        yield append
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DELETE FROM {TABLE} WHERE request_id = ANY(%s)", (appended,))


def daily_restarts(url: str, runs: int, append: Callable[..., None]) -> dict[str, float]:
    """Warm restarts with ``history: daily`` (the closed days' fact cubes are cached too)."""
    got = restart_numbers(url, runs, WINDOW_DAYS, lambda i: append(i, hour=2), history="daily")
    return {"warm_ready_30d_daily": got["warm_ready_30d"], "warm_total_30d_daily": got["warm_total_30d"]}


def _exists(admin_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def main() -> None:
    import argparse
    import os

    from benchmarks.common import sqlite_db

    parser = argparse.ArgumentParser(description="PostgreSQL cold loads: history logs vs daily")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--histories", nargs="+", default=["logs", "daily"], choices=("logs", "daily"))
    parser.add_argument("--pg", default=os.environ.get("SPENDTUI_TEST_PG"))
    args = parser.parse_args()
    if not args.pg:
        raise SystemExit("set --pg or SPENDTUI_TEST_PG")
    for rows in args.rows:
        # an existing benchmark database is used as it is (another run may be appending to it)
        url = database_url(args.pg, f"perf_bench_{rows}")
        if not _exists(args.pg, f"perf_bench_{rows}"):
            url = pg_database(args.pg, sqlite_db(rows), rows)
        got = cold_loads(url, args.runs, tuple(args.histories))
        if "logs" in args.histories:
            print(f"{rows:>10,} rows: cold load, history: logs {got['cold_load_logs']:.0f} ms", flush=True)
        if "daily" in args.histories:
            with appender(url) as append:
                got.update(daily_restarts(url, args.runs, append))
            print(
                f"{rows:>10,} rows: cold load, history: daily {got['cold_load_daily']:.0f} ms, then its check "
                f"{got['daily_check']:.0f} ms (daily user table {got['daily_rows']:,.0f} rows; "
                f"{got['daily_cells']:,.0f} cells; {got['daily_notes']:.0f} notes); warm restart "
                f"{got['warm_ready_30d_daily']:.0f} ms, process start to data {got['warm_total_30d_daily']:.0f} ms "
                f"(medians of {args.runs})",
                flush=True,
            )


if __name__ == "__main__":
    main()
