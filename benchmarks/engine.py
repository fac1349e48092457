"""SQLite benchmarks: spendtui against SQLite's own floor and the naive way.

For one demo database it measures (medians of ``runs`` runs):

* the floor: SQLite's bare ``SELECT sum(spend), count(*)`` over the table and the window;
* the naive way: one ``GROUP BY`` query per breakdown (total, model, key, user, team,
  day, tags);
* spendtui: cold load of the 30-day window (every breakdown ready), a breakdown change
  and a filter change on the loaded cube, an incremental refresh after 500 new rows (and
  one with nothing new), warm restarts from the cube cache in a fresh process for the
  30-day and the 90-day window (500 rows written since the last run each time), and the
  RSS of a fresh process holding 90 days, loaded cold and restored warm.

``python -m benchmarks`` runs this for every size and prints the tables.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from benchmarks.common import NOW, TABLE, WINDOW_DAYS, append_sqlite, median_ms, scratch_copy, window_start
from spendtui.core.latency_cells import LatencyCells, LatencySource
from spendtui.core.query import Filters, Window
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_of, fixed_clock

NAIVE = [
    "SELECT sum(spend), count(*) FROM {t} WHERE {w}",
    "SELECT model_group, sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1",
    "SELECT api_key, sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1",
    'SELECT "user", sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1',
    "SELECT team_id, sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1",
    'SELECT substr("startTime", 1, 10), sum(spend), count(*) FROM {t} WHERE {w} GROUP BY 1',
    "SELECT j.value, sum(spend), count(*) FROM {t}, json_each(request_tags) AS j WHERE {w} GROUP BY 1",
]


def floor_and_naive(path: Path, runs: int) -> dict[str, float]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    where = '"startTime" >= ?'
    since = window_start()

    def q(sql: str, *params: str) -> Callable[[], object]:
        return lambda: conn.execute(sql, params).fetchall()

    out = {
        "floor_table": median_ms(q(f"SELECT sum(spend), count(*) FROM {TABLE}"), runs),
        "floor_window": median_ms(q(f"SELECT sum(spend), count(*) FROM {TABLE} WHERE {where}", since), runs),
    }
    naive = [s.format(t=TABLE, w=where) for s in NAIVE]
    out["naive"] = median_ms(lambda: [conn.execute(s, (since,)).fetchall() for s in naive], runs)
    out["window_rows"] = conn.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", (since,)).fetchone()[0]
    conn.close()
    return out


def engine(url: str) -> SpendEngine:
    return SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(NOW))


def window() -> Window:
    today = day_of(NOW)
    return Window(today - WINDOW_DAYS + 1, today)


def cold_and_queries(url: str, runs: int, latency: bool = True) -> dict[str, float]:
    """Cold load of the window, then breakdown and filter changes on the loaded cube."""
    win = window()
    eng = engine(url)
    out: dict[str, float] = {}
    out["cold_load"] = median_ms(lambda: (eng.load(win.first_day), eng.query.breakdown("model", win)), runs)
    out["cells"] = eng.cube.n
    q = eng.query
    dims = ["model", "key", "user", "team", "customer", "tag", "tag:project"]
    out["breakdown"] = median_ms(lambda: [q.breakdown(d, win) for d in dims], runs) / len(dims)
    top_model = q.breakdown("model", win)[0].value
    top_tag = q.breakdown("tag:project", win)[0].value
    filt = Filters(model=frozenset({top_model}), tag=frozenset({f"project:{top_tag}"}))
    out["filter_change"] = median_ms(lambda: (q.totals(win, filt), q.breakdown("key", win, filt)), runs)
    # latency: the window's durations read on first use (not part of the load), then the
    # per-model percentiles of a pane
    if latency:
        out["latency_read"] = median_ms(lambda: latency_read(eng, win), max(1, runs // 2))
        cells = latency_read(eng, win)
        out["latency_models"] = median_ms(lambda: cells.by("model", win), runs)
    eng.close()
    return out


def latency_read(eng: SpendEngine, win: Window) -> LatencyCells:
    """A fresh read of the window's latency histograms into cells over the cube's dimensions."""
    source = eng.source
    assert isinstance(source, LatencySource)
    cells = LatencyCells(eng.cube.dims)
    cells.replace(source.latency_groups(win.first_day, win.last_day))
    return cells


def refresh_numbers(url: str, runs: int, append: Callable[[int], None]) -> dict[str, float]:
    """A refresh after 500 rows written by another process, and one with nothing new."""
    eng = engine(url)
    eng.load(window().first_day)
    busy = timed_refreshes(eng, runs, append)
    idle = median_ms(lambda: eng.refresh(deep=False), runs)
    eng.close()
    return {"refresh_500": busy, "refresh_idle": idle}


def timed_refreshes(
    eng: SpendEngine, runs: int, append: Callable[[int], None], after: Callable[[], None] | None = None
) -> float:
    """Median ms of a refresh after ``append(i)`` wrote 500 rows (``after``: a check of
    the engine once each refresh is done)."""
    times = []
    for i in range(runs):
        append(i)
        started = time.perf_counter()
        stats = eng.refresh(deep=False)
        times.append(time.perf_counter() - started)
        if stats.rows != 500:
            raise RuntimeError(f"refresh read {stats.rows} rows, expected 500")
        if after is not None:
            after()
    return statistics.median(times) * 1000


def start_process(url: str, days: int, cache: Path | None, history: str = "logs") -> dict:
    """One spendtui start in a fresh process (see benchmarks/restart.py)."""
    argv = [sys.executable, "-m", "benchmarks.restart", url, str(days), repr(time.time()), "--history", history]
    if cache is not None:
        argv += ["--cache", str(cache)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.restart failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def restart_numbers(
    url: str, runs: int, days: int, append: Callable[[int], None], history: str = "logs"
) -> dict[str, float]:
    """Warm restarts of a ``days`` window, each after 500 rows were written since the last
    run; the first (cold, no cache yet) start gives the cold RSS."""
    with tempfile.TemporaryDirectory(prefix="spendtui-bench-cache-") as cache_dir:
        first = start_process(url, days, Path(cache_dir), history)
        if "no cube cache" not in first["status"]:
            raise RuntimeError(f"expected a cold first start, got: {first['status']}")
        warm = []
        for i in range(runs):
            append(1000 + days * 100 + i)
            result = start_process(url, days, Path(cache_dir), history)
            if not result["status"].startswith("restored") or "500 new rows" not in result["status"]:
                raise RuntimeError(f"warm restart did not restore: {result['status']}")
            warm.append(result)
    tag = f"_{days}d"
    return {
        f"warm_ready{tag}": statistics.median(r["ready"] for r in warm) * 1000,
        f"warm_total{tag}": statistics.median(r["total"] for r in warm) * 1000,
        f"warm_late{tag}": statistics.median(r["late"] for r in warm) * 1000,
        f"warm_rss{tag}": statistics.median(r["rss_mb"] for r in warm),
        f"cache_save{tag}": statistics.median(r["save"] for r in warm) * 1000,
        f"cold_start_ready{tag}": first["ready"] * 1000,
        f"cold_rss{tag}": first["rss_mb"],
        f"cells{tag}": first["cells"],
    }


def import_seconds(runs: int, driver: str = "sqlalchemy.dialects.sqlite") -> float:
    """What a start pays before any data: interpreter, spendtui's engine and the database
    driver imports (ms)."""
    code = f"import spendtui.engine, spendtui.cache, spendtui.sources.db.source, {driver}"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def sqlite_numbers(path: Path, runs: int) -> dict[str, float]:
    """Every SQLite measure for one kept demo database."""
    from benchmarks.audit import audit_numbers

    out = floor_and_naive(path, runs)
    out.update(cold_and_queries(f"sqlite:///{path}", runs))
    scratch = scratch_copy(path)
    try:
        url = f"sqlite:///{scratch}"

        def append(i: int) -> None:  # 500 rows in the hour after the data ends
            append_sqlite(scratch, seed=10_000 + i, at=NOW + timedelta(minutes=i % 59))

        out.update(refresh_numbers(url, runs, append))
        out.update(audit_numbers(url, runs, lambda i: append(100 + i)))
        out.update(restart_numbers(url, runs, WINDOW_DAYS, append))
        out.update(restart_numbers(url, runs, 90, append))
        # the demo databases use a rollback journal, which a cold load reads in small
        # bites, one at a time, so writers get in; in WAL mode it reads large chunks on
        # every core
        with sqlite3.connect(scratch) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        out["cold_load_wal"] = cold_and_queries(url, runs, latency=False)["cold_load"]
    finally:
        scratch.unlink(missing_ok=True)
    return out
