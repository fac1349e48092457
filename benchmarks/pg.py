"""PostgreSQL benchmarks: the same demo rows in LiteLLM's real schema on a local server.

The database ``perf_bench_<rows>`` is created on the server from ``--pg``
(``$SPENDTUI_TEST_PG`` by default, e.g. the one ``bash .ci/postgres.sh start`` runs), with
the recorded LiteLLM 1.108.7 schema (its indexes included), filled by ``COPY`` from the
SQLite demo database of the same size (so both engines hold identical rows), then
``VACUUM ANALYZE``d. It is kept between runs; rows a benchmark appends are deleted again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from benchmarks.common import NOW, TABLE, WINDOW_DAYS, log, median_ms, new_rows
from benchmarks.engine import cold_and_queries, refresh_numbers, restart_numbers
from spendtui.demo.world import build_world
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


def pg_numbers(admin_url: str, sqlite_path: Path, rows: int, runs: int) -> dict[str, float]:
    """Every PostgreSQL measure for one size."""
    import psycopg

    from tests.helpers import insert_pg_rows

    url = pg_database(admin_url, sqlite_path, rows)
    out = floor_and_naive(url, runs)
    out.update(cold_and_queries(url, runs))
    appended: list[str] = []

    def append(i: int) -> None:  # 500 rows in the hour after the data ends
        batch = new_rows(seed=20_000 + i, at=NOW + timedelta(minutes=i % 59))
        appended.extend(batch.columns["request_id"])
        insert_pg_rows(url, batch)

    try:
        out.update(refresh_numbers(url, runs, append))
        out.update(restart_numbers(url, runs, WINDOW_DAYS, append))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DELETE FROM {TABLE} WHERE request_id = ANY(%s)", (appended,))
    return out
