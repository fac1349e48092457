"""Soak: the dashboard headless for a long run on the demo simulator, checked against SQL.

    python -m benchmarks.soak --minutes 10 --rate 50 --refresh 1

Samples RSS, Textual timers, workers and asyncio tasks every 10 s; after a warm-up
(the first quarter of the run) reports their growth, then compares the dashboard's
totals with a plain SQL sum over the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from spendtui.config import Config, Profile
from spendtui.core.selection import Window
from spendtui.demo.simulator import Simulator, prepare_demo
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


def counts(app: SpendApp) -> tuple[int, int, int]:
    timers = sum(len(getattr(node, "_timers", ())) for node in app.walk_children(with_self=True))
    return timers, len(app.workers), len(asyncio.all_tasks())


async def soak(db: Path, minutes: float, rate: float, refresh: float) -> dict[str, object]:
    simulator = Simulator(db, rate=rate)
    profile = Profile(name="soak", database_url=f"sqlite:///{db}")
    app = SpendApp(Launch(config=Config(path=None, profiles={}, active=profile), refresh=refresh))
    samples: list[tuple[float, float, int, int, int]] = []
    started = time.monotonic()
    async with app.run_test(size=(120, 40)) as pilot:
        simulator.start(interval=1.0)
        panes = "1234567891"
        i = 0
        while time.monotonic() - started < minutes * 60:
            await pilot.pause(10)
            await pilot.press(panes[i % len(panes)])  # visit every pane now and then
            i += 1
            samples.append((time.monotonic() - started, rss_mb(), *counts(app)))
        simulator.stop()
        await pilot.pause(3 * refresh + 1)  # let the last rows be polled
        app.action_refresh_now()
        await pilot.pause(2)
        engine = app.engine
        assert engine is not None
        today = engine.today()
        window = Window(today - 400, today)
        with app.session.lock:
            shown = engine.query.totals(window)
    with sqlite3.connect(db) as conn:
        spend, requests = conn.execute(
            'SELECT sum(spend), count(*) FROM "LiteLLM_SpendLogs" WHERE spend BETWEEN 0 AND 1000000'
        ).fetchone()
    warm = [s for s in samples if s[0] >= minutes * 60 / 4] or samples
    return {
        "written": simulator.written,
        "rss_start_mb": warm[0][1],
        "rss_end_mb": warm[-1][1],
        "rss_max_mb": max(s[1] for s in warm),
        "timers": (warm[0][2], warm[-1][2]),
        "workers": (warm[0][3], warm[-1][3]),
        "tasks": (warm[0][4], warm[-1][4]),
        "requests_shown": shown.requests,
        "requests_sql": requests,
        "spend_shown": shown.spend / 1e12,
        "spend_sql": spend,
        "samples": len(samples),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=50, help="simulated requests per second")
    parser.add_argument("--refresh", type=float, default=1.0)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="spendtui-soak-"))
    try:
        db = work / "demo.db"
        prepare_demo(db, now=datetime.now(UTC))
        r = asyncio.run(soak(db, args.minutes, args.rate, args.refresh))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    growth = (r["rss_end_mb"] - r["rss_start_mb"]) / r["rss_start_mb"] * 100  # type: ignore[operator]
    print(
        f"soak: {args.minutes:g} min, {args.rate:g} rows/s simulated ({r['written']:,} written), "
        f"refresh {args.refresh:g} s, {r['samples']} samples"
    )
    print(
        f"RSS after warm-up: {r['rss_start_mb']:.1f} MB -> {r['rss_end_mb']:.1f} MB ({growth:+.1f} %), "
        f"max {r['rss_max_mb']:.1f} MB (target growth < 10 %)"
    )
    print(
        f"timers {r['timers'][0]} -> {r['timers'][1]}, workers {r['workers'][0]} -> {r['workers'][1]}, "  # type: ignore[index]
        f"asyncio tasks {r['tasks'][0]} -> {r['tasks'][1]}"
    )  # type: ignore[index]
    same = r["requests_shown"] == r["requests_sql"] and abs(r["spend_shown"] - r["spend_sql"]) < 1e-6  # type: ignore[operator]
    print(
        f"totals: shown {r['requests_shown']:,} requests ${r['spend_shown']:.6f}; "
        f"SQL {r['requests_sql']:,} requests ${r['spend_sql']:.6f} -> {'EQUAL' if same else 'DIFFERENT'}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
