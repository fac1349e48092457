"""Dashboard benchmark: first frame, data on screen, UI-thread cost per refresh, idle CPU.

    python -m benchmarks.tui                 # uses (or builds) a 200k-row demo database
    python -m benchmarks.tui --idle 60       # also idle CPU over 60 s in a real terminal (tmux)

* first frame / data on screen: a fresh ``python`` process starts the real app headless
  (Textual's ``run_test``, 120x40); times are from process start, medians of ``--runs``.
* UI-thread time per refresh: time spent applying snapshots on the UI thread, for polls
  that found no new rows (the steady state) and for ones that did.
* idle CPU: ``spendtui --db DB`` in a real tmux terminal for ``--idle`` seconds at the
  default 2 s refresh, CPU seconds from ``/proc/<pid>/stat``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import asyncio, json, sys, time
T0 = float(sys.argv[2])
from spendtui.config import Config, Profile
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch

async def main():
    profile = Profile(name="bench", database_url="sqlite:///" + sys.argv[1])
    app = SpendApp(Launch(config=Config(path=None, profiles={}, active=profile), refresh=1.0))
    async with app.run_test(size=(120, 40)) as pilot:
        while "first_data" not in app.timings:
            await asyncio.sleep(0.01)
        await asyncio.sleep(float(sys.argv[3]))  # let a few no-change polls happen
        steady = list(app.apply_seconds)[1:]
    print(json.dumps({"first_frame": app.timings["first_frame"] - T0,
                      "first_data": app.timings["first_data"] - T0,
                      "apply_ms": [s * 1000 for s in steady]}))

asyncio.run(main())
"""


def startup(db: Path, runs: int, settle: float) -> dict[str, float]:
    frames, datas, applies = [], [], []
    for _ in range(runs):
        t0 = time.time()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(db), str(t0), str(settle)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        doc = json.loads(out.stdout.strip().splitlines()[-1])
        frames.append(doc["first_frame"])
        datas.append(doc["first_data"])
        applies.extend(doc["apply_ms"])
    return {
        "first_frame_s": statistics.median(frames),
        "first_data_s": statistics.median(datas),
        "apply_ms_median": statistics.median(applies) if applies else float("nan"),
        "apply_ms_max": max(applies) if applies else float("nan"),
        "applies": len(applies),
    }


def idle_cpu(db: Path, seconds: float) -> float | None:
    """Percent of one core used by the dashboard idling in a real terminal."""
    if not shutil.which("tmux"):
        return None
    session = f"spendtui-bench-{os.getpid()}"
    # this tree's code, whatever the environment's console script points at
    cmd = f"env PYTHONPATH={ROOT} {sys.executable} -m spendtui --db sqlite:///{db}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", cmd], check=True)
    try:
        time.sleep(8)  # load, then idle
        pid = subprocess.run(
            ["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[0]

        def cpu() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        before, started = cpu(), time.monotonic()
        time.sleep(seconds)
        used = cpu() - before
        return used / (time.monotonic() - started) * 100
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


def measure(db: Path, runs: int, settle: float = 5.0, idle: float = 60.0) -> list[tuple[str, str]]:
    """The TUI measures as (label, value) rows, for this script and ``python -m benchmarks``."""
    # warm the file cache first: the targets are for a warm start
    subprocess.run([sys.executable, "-c", "import spendtui.tui.app"], check=True, cwd=ROOT)
    r = startup(db, runs, settle)
    rows = [
        ("first frame after start (target <= 0.5 s)", f"{r['first_frame_s']:.2f} s"),
        ("data on screen after start (target <= 1 s)", f"{r['first_data_s']:.2f} s"),
        (
            "UI thread per refresh (target < 5 ms)",
            f"{r['apply_ms_median']:.2f} ms median, {r['apply_ms_max']:.1f} ms max over {r['applies']} refreshes",
        ),
    ]
    if idle:
        pct = idle_cpu(db, idle)
        value = f"{pct:.2f} % of one core over {idle:.0f} s" if pct is not None else "not measured: tmux not found"
        rows.append(("idle CPU at 2 s refresh (target < 2 %)", value))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="demo database (default: build a 200k-row one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=5.0, help="seconds of polling per run")
    parser.add_argument("--idle", type=float, default=0.0, help="seconds of idle-CPU measurement (0: skip)")
    args = parser.parse_args(argv)
    work = None
    db = args.db
    if db is None:
        work = Path(tempfile.mkdtemp(prefix="spendtui-tui-bench-"))
        db = work / "demo.db"
        from spendtui.demo.generator import create_demo_db

        create_demo_db(db, rows=200_000, days=90, seed=7)
    try:
        rows = measure(db, args.runs, args.settle, args.idle)
        print(f"database: {db} ({db.stat().st_size / 1e6:.0f} MB); medians of {args.runs} runs")
        for label, value in rows:
            print(f"{label + ':':46} {value}")
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
