"""What every benchmark shares: the fixed clock, timing, the machine, the demo databases.

Databases are built once with the project's generator and kept under
``$TMPDIR/spendtui-bench`` (never in the repository). Measurements that write (appended
rows for a refresh or a restart) run on a scratch copy, so the kept database stays exactly
what the generator wrote and every run measures the same data.
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from spendtui.demo.generator import create_demo_db, generate_rows, write_rows
from spendtui.demo.world import build_world

#: "Now" for every benchmark database: the clock is fixed, so runs are comparable.
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAYS = 90
SEED = 7
WINDOW_DAYS = 30
TABLE = '"LiteLLM_SpendLogs"'


def data_dir() -> Path:
    return Path(os.environ.get("TMPDIR", "/tmp")) / "spendtui-bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Seconds per run of ``fn``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def median_ms(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(fn, runs)) * 1000


def window_start(days: int = WINDOW_DAYS) -> str:
    return (NOW - timedelta(days=days - 1)).strftime("%Y-%m-%d")


def sqlite_db(rows: int, directory: Path | None = None) -> Path:
    """The demo database with ``rows`` rows (LiteLLM layout, 90 days), built once."""
    directory = directory or data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"litellm-{rows}.db"
    if path.exists() and _row_count(path) == rows:
        return path
    building = path.with_suffix(".building")
    log(f"  building {path.name} (1M rows take about 35 s, 5M about 3 min)…")
    started = time.perf_counter()
    create_demo_db(building, rows=rows, days=DAYS, seed=SEED, now=NOW, chunk=250_000)
    os.replace(building, path)  # a build cut short never looks finished
    log(f"  built {path.name} in {time.perf_counter() - started:.0f}s")
    return path


def _row_count(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return int(conn.execute(f"SELECT max(rowid) FROM {TABLE}").fetchone()[0] or 0)
    except sqlite3.Error:
        return -1


def scratch_copy(path: Path) -> Path:
    """A private copy of a kept database, for measurements that append rows."""
    copy = path.with_name(f"scratch-{os.getpid()}-{path.name}")
    shutil.copyfile(path, copy)
    return copy


def new_rows(seed: int, at: datetime, n: int = 500):  # type: ignore[no-untyped-def]
    """``n`` requests in the minute after ``at``, as a generator batch."""
    rng = np.random.default_rng(seed)
    return generate_rows(build_world(SEED), rng, at, at + timedelta(minutes=1), n, growth=False)


def append_sqlite(path: Path, seed: int, at: datetime, n: int = 500) -> None:
    batch = new_rows(seed, at, n)
    with sqlite3.connect(path) as conn:
        write_rows(conn, batch, "litellm")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            total_kb = int(info.readline().split()[1])
        memory = f", {total_kb / 1024**2:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, numpy {np.__version__}"
    )


def rss_mb() -> float:
    """This process's resident memory (Linux), MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")
