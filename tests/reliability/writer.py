"""A separate process that writes spend rows into a SQLite database at a steady rate.

    python -m tests.reliability.writer DB SECONDS RATE JOURNAL_MODE

Prints one JSON line at the end: rows written, the slowest transaction (BEGIN IMMEDIATE
to COMMIT, seconds), and the slowest waits for a lock: BEGIN IMMEDIATE (another writer or,
in rollback-journal mode, a reader's lock) and COMMIT (in rollback-journal mode it waits
for readers to let go).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from spendtui.demo.generator import generate_rows, write_rows
from spendtui.demo.world import build_world


def main() -> int:
    db, seconds, rate, mode = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    world = build_world(7)
    rng = np.random.default_rng(11)
    conn = sqlite3.connect(db, timeout=10, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={mode}")
    written, slowest, begin_wait, commit_wait = 0, 0.0, 0.0, 0.0
    start = time.monotonic()
    tick = 0.05
    while time.monotonic() - start < seconds:
        n = int(rng.poisson(rate * tick))
        if n:
            now = datetime.now(UTC)
            batch = generate_rows(world, rng, now - timedelta(seconds=5), now, n, growth=False)
            began = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            begun = time.monotonic()
            write_rows(conn, batch, "litellm")
            committing = time.monotonic()
            conn.execute("COMMIT")
            done = time.monotonic()
            slowest = max(slowest, done - began)
            begin_wait = max(begin_wait, begun - began)
            commit_wait = max(commit_wait, done - committing)
            written += n
        time.sleep(tick)
    print(
        json.dumps(
            {"written": written, "slowest_commit": slowest, "begin_wait": begin_wait, "commit_wait": commit_wait}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
