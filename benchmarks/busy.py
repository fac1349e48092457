"""Polls against a busy proxy's PostgreSQL: how long normal and deep polls take, and how far
apart the deep ones are spaced (``spendtui.engine.deep_interval``).

    python -m benchmarks.busy --recent 3000000 6000000      # needs $SPENDTUI_TEST_PG

A deep poll reads every request of the last two days, so its cost follows the proxy's
request rate, not the table's size. The database ``perf_busy_<recent>`` is a copy of
``perf_bench_100000`` (100k requests over 90 days; built first if missing) plus ``recent``
requests spread evenly over the two days before the benchmark's clock (3M rows is about
17 requests a second), copied from its rows with new ids and times and inserted in time
order, as LiteLLM appends them. It is built once and kept. The engine loads the last two
days, then polls with nothing new: medians of ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

from benchmarks.common import NOW, TABLE, log, median_ms
from benchmarks.engine import engine, window
from benchmarks.pg import _exists, database_url, pg_database

#: Columns given new values in the copies (the rest are copied as they are).
_NEW = {
    "request_id": "'busy-' || g",
    "startTime": "t.ts",
    "endTime": "t.ts + interval '2 seconds'",
    "completionStartTime": "t.ts + interval '1 second'",
    "created_at": "t.ts + interval '10 seconds'",
    "updated_at": "t.ts + interval '10 seconds'",
}


def busy_database(admin_url: str, recent: int) -> str:
    import psycopg

    from benchmarks.common import sqlite_db

    name = f"perf_busy_{recent}"
    url = database_url(admin_url, name)
    if _exists(admin_url, name):
        return url
    base = "perf_bench_100000"
    if not _exists(admin_url, base):
        pg_database(admin_url, sqlite_db(100_000), 100_000)
    log(f"  building PostgreSQL {name}…")
    started = time.perf_counter()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
    with psycopg.connect(url, autocommit=True) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'LiteLLM_SpendLogs' "
                "ORDER BY ordinal_position"
            )
        ]
        values = ", ".join(_NEW.get(c, f's."{c}"') for c in columns)
        step_ms = 2 * 86_400_000 / recent
        newest = NOW.replace(tzinfo=None) - timedelta(minutes=3)  # (before the base's newest rows)
        conn.execute(
            f"INSERT INTO {TABLE} SELECT {values} FROM generate_series(1, %s) g "
            "CROSS JOIN LATERAL (SELECT %s - g * %s * interval '1 millisecond' AS ts) t "
            f"JOIN (SELECT row_number() OVER () - 1 AS n, * FROM {TABLE}) s ON s.n = g %% 100000 "
            "ORDER BY g DESC",
            (recent, newest, step_ms),
        )
        conn.execute(f"VACUUM ANALYZE {TABLE}")
    log(f"  built {name} in {time.perf_counter() - started:.0f}s")
    return url


def poll_numbers(url: str, runs: int) -> dict[str, float]:
    eng = engine(url)
    eng.load(window().last_day - 1)
    try:
        normal = median_ms(lambda: eng.refresh(deep=False), runs)
        deep = median_ms(lambda: eng.refresh(deep=True), runs)
        return {"normal": normal, "deep": deep, "deep_every": eng.deep_every}
    finally:
        eng.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recent", type=int, nargs="+", default=[3_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get("SPENDTUI_TEST_PG"))
    args = parser.parse_args()
    if not args.pg:
        raise SystemExit("set --pg or SPENDTUI_TEST_PG")
    for recent in args.recent:
        got = poll_numbers(busy_database(args.pg, recent), args.runs)
        rate = recent / 172_800
        print(
            f"{recent:>10,} requests in two days ({rate:.0f}/s): poll, nothing new {got['normal']:.1f} ms; "
            f"deep poll {got['deep']:.0f} ms; next automatic deep poll after {got['deep_every']:.0f} s "
            f"(medians of {args.runs})",
            flush=True,
        )


if __name__ == "__main__":
    main()
