"""The cost audit's benchmarks (issue 20): ``spendtui audit`` over the 30-day window in a
fresh process, the dashboard's audit read on first use, the Costs pane's figures from the
held cells, and a refresh of 500 new rows with the audit held (the rows are folded into its
cells, nothing is read again).

    python -m benchmarks.audit URL FIRST_DAY LAST_DAY    # one `spendtui audit` run, as JSON

The module's ``__main__`` is what ``audit_numbers`` runs in a child process: it runs the
command line as a user would (``--format json`` to /dev/null) and prints its wall time
and peak RSS.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from benchmarks.common import median_ms
from benchmarks.engine import engine, timed_refreshes, window
from spendtui.core.query import NO_FILTERS
from spendtui.dashboard.costs import costs
from spendtui.timeutil import day_date


def audit_process(url: str, first_day: int, last_day: int) -> dict[str, float]:
    """``spendtui audit`` over the window in a fresh process: seconds and peak RSS (MB)."""
    argv = [sys.executable, "-m", "benchmarks.audit", url, str(first_day), str(last_day)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.audit failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def audit_numbers(url: str, runs: int, append: Callable[[int], None] | None = None) -> dict[str, float]:
    """Every audit measure for one database (``append(i)`` writes 500 new rows)."""
    win = window()
    cli = [audit_process(url, win.first_day, win.last_day) for _ in range(max(1, runs // 2))]
    out = {
        "audit_cli": statistics.median(r["seconds"] for r in cli) * 1000,
        "audit_cli_rss": statistics.median(r["rss_mb"] for r in cli),
    }
    eng = engine(url)
    eng.load(win.first_day)

    def read() -> None:
        eng._audit = None  # a fresh audit cache: the read a pane's first look triggers
        if eng.audit(win.first_day) is not None:
            raise RuntimeError("the audit was not due")
        eng.read_due()
        if not hasattr(eng.audit(win.first_day), "by"):
            raise RuntimeError(f"the audit read failed: {eng.audit(win.first_day)}")

    out["audit_read"] = median_ms(read, max(1, runs // 2))
    out["audit_costs"] = median_ms(lambda: costs(eng, win, NO_FILTERS), runs)
    if append is not None:

        def still_held() -> None:
            if eng.reads_due:
                raise RuntimeError("the refresh made the audit due again")

        out["refresh_500_audit"] = timed_refreshes(eng, runs, append, still_held)
    eng.close()
    return out


def _main(url: str, first_day: int, last_day: int) -> None:
    from spendtui.cli import main

    argv = ["audit", "--db", url, "--start", str(day_date(first_day)), "--end", str(day_date(last_day))]
    started = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        code = main([*argv, "--format", "json"])
    seconds = time.perf_counter() - started
    if code not in (0, 2):  # 2: findings, which the demo data has
        raise SystemExit(f"spendtui audit exited {code}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb}))


if __name__ == "__main__":
    _main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
