"""Engine benchmark: spendtui against SQLite's own floor and the naive way, side by side.

    python -m benchmarks.engine                      # 1M rows (built once, cached)
    python -m benchmarks.engine --rows 100000 1000000 5000000 --runs 5

For each database size it prints medians of ``--runs`` runs of:

* the floor: SQLite's bare ``SELECT sum(spend), count(*)`` over the table and the window;
* the naive way: one ``GROUP BY`` query per breakdown (total, model, key, user, team, day, tags);
* spendtui: cold load of the 30-day window (every breakdown ready), an incremental refresh
  after 500 new rows, a breakdown change and a filter change on the loaded cube, and the
  RSS of a fresh process holding 90 days.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from spendtui.core.query import Filters, Window
from spendtui.demo.generator import create_demo_db, generate_rows, write_rows
from spendtui.demo.world import build_world
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_of, fixed_clock

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WINDOW_DAYS = 30


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def database(data_dir: Path, rows: int) -> Path:
    path = data_dir / f"demo-{rows}.db"
    if not path.exists():
        started = time.perf_counter()
        create_demo_db(path, rows=rows, days=90, seed=7, now=NOW, chunk=250_000)
        print(f"  built {path.name} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return path


def floor_and_naive(path: Path, runs: int, window_start: str) -> dict[str, float]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    table = '"LiteLLM_SpendLogs"'
    where = '"startTime" >= ?'

    def q(sql: str, *params: str) -> Callable[[], object]:
        return lambda: conn.execute(sql, params).fetchall()

    out = {
        "floor_table": median_ms(q(f"SELECT sum(spend), count(*) FROM {table}"), runs),
        "floor_window": median_ms(q(f"SELECT sum(spend), count(*) FROM {table} WHERE {where}", window_start), runs),
    }
    naive = [
        f"SELECT sum(spend), count(*) FROM {table} WHERE {where}",
        f"SELECT model_group, sum(spend), count(*) FROM {table} WHERE {where} GROUP BY 1",
        f"SELECT api_key, sum(spend), count(*) FROM {table} WHERE {where} GROUP BY 1",
        f'SELECT "user", sum(spend), count(*) FROM {table} WHERE {where} GROUP BY 1',
        f"SELECT team_id, sum(spend), count(*) FROM {table} WHERE {where} GROUP BY 1",
        f'SELECT substr("startTime", 1, 10), sum(spend), count(*) FROM {table} WHERE {where} GROUP BY 1',
        f"SELECT j.value, sum(spend), count(*) FROM {table}, json_each(request_tags) j WHERE {where} GROUP BY 1",
    ]
    out["naive"] = median_ms(lambda: [conn.execute(s, (window_start,)).fetchall() for s in naive], runs)
    conn.close()
    return out


def engine(path: Path) -> SpendEngine:
    return SpendEngine(DatabaseSource(parse_database_url(str(path))), clock=fixed_clock(NOW))


def spendtui_numbers(path: Path, runs: int) -> dict[str, float]:
    today = day_of(NOW)
    window = Window(today - WINDOW_DAYS + 1, today)
    out: dict[str, float] = {}
    eng = engine(path)
    out["cold_load"] = median_ms(lambda: (eng.load(window.first_day), eng.query.breakdown("model", window)), runs)
    out["cells"] = eng.cube.n
    # incremental: 500 rows appended by another writer, then one refresh
    world = build_world(7)
    rng = np.random.default_rng(1234)
    times = []
    for i in range(runs):
        batch = generate_rows(world, rng, NOW + timedelta(minutes=i), NOW + timedelta(minutes=i + 1), 500)
        with sqlite3.connect(path) as conn:
            write_rows(conn, batch, "litellm")
        started = time.perf_counter()
        stats = eng.refresh()
        times.append(time.perf_counter() - started)
        assert stats.rows == 500, stats
    out["refresh_500"] = statistics.median(times) * 1000
    q = eng.query
    dims = ["model", "key", "user", "team", "customer", "tag", "tag:project"]
    out["breakdown"] = median_ms(lambda: [q.breakdown(d, window) for d in dims], runs) / len(dims)
    top_model = q.breakdown("model", window)[0].value
    top_tag = q.breakdown("tag:project", window)[0].value
    filt = Filters(model=frozenset({top_model}), tag=frozenset({f"project:{top_tag}"}))
    out["filter_change"] = median_ms(lambda: (q.totals(window, filt), q.breakdown("key", window, filt)), runs)
    eng.close()
    return out


def rss_90_days(path: Path) -> float:
    """RSS (MB) of a fresh process that loaded 90 days and answered one breakdown."""
    code = (
        "import sys; from benchmarks.engine import engine, NOW\n"
        "from spendtui.timeutil import day_of\n"
        "e = engine(sys.argv[1]); e.load(day_of(NOW) - 89); e.query.breakdown('model', None)\n"
        "import gc; gc.collect()\n"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "spendtui-bench")
    parser.add_argument("--json", action="store_true", help="print raw numbers as JSON")
    args = parser.parse_args(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    window_start = (NOW - timedelta(days=WINDOW_DAYS - 1)).strftime("%Y-%m-%d")
    results = {}
    for rows in args.rows:
        print(f"{rows:,} rows…", file=sys.stderr)
        path = database(args.data_dir, rows)
        r = floor_and_naive(path, args.runs, window_start)
        r.update(spendtui_numbers(path, args.runs))
        r["rss_mb"] = rss_90_days(path)
        results[rows] = r
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"machine: {machine()}; medians of {args.runs} runs; window {WINDOW_DAYS} days of 90\n")
    cols = list(results)
    header = "| measure | " + " | ".join(f"{c:,} rows" for c in cols) + " |"
    print(header)
    print("|" + "---|" * (len(cols) + 1))
    lines = [
        ("SQLite bare sum+count, table (ms)", "floor_table", "{:.0f}"),
        ("SQLite bare sum+count, 30-day window (ms)", "floor_window", "{:.0f}"),
        ("naive: 7 GROUP BY queries (ms)", "naive", "{:.0f}"),
        ("spendtui cold load, 30 days (ms)", "cold_load", "{:.0f}"),
        ("  cells in the cube", "cells", "{:,.0f}"),
        ("spendtui refresh, 500 new rows (ms)", "refresh_500", "{:.1f}"),
        ("spendtui breakdown change (ms)", "breakdown", "{:.2f}"),
        ("spendtui filter change (ms)", "filter_change", "{:.2f}"),
        ("RSS, 90 days loaded (MB)", "rss_mb", "{:.0f}"),
    ]
    for label, key, fmt in lines:
        print(f"| {label} | " + " | ".join(fmt.format(results[c][key]) for c in cols) + " |")
    print(
        "| cold load ÷ bare table scan | "
        + " | ".join(f"{results[c]['cold_load'] / results[c]['floor_table']:.1f}×" for c in cols)
        + " |"
    )
    print(
        "| cold load ÷ naive | "
        + " | ".join(f"{results[c]['cold_load'] / results[c]['naive']:.2f}×" for c in cols)
        + " |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
