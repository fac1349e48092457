"""A separate process that writes spend rows into a SQLite database at a steady rate.

    python -m tests.reliability.writer DB SECONDS RATE JOURNAL_MODE

Prints one JSON line at the end: rows written and the slowest commit (seconds).
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
    written, slowest = 0, 0.0
    start = time.monotonic()
    tick = 0.05
    while time.monotonic() - start < seconds:
        n = int(rng.poisson(rate * tick))
        if n:
            now = datetime.now(UTC)
            batch = generate_rows(world, rng, now - timedelta(seconds=5), now, n, growth=False)
            began = time.monotonic()
            conn.execute("BEGIN IMMEDIATE")
            write_rows(conn, batch, "litellm")
            conn.execute("COMMIT")
            slowest = max(slowest, time.monotonic() - began)
            written += n
        time.sleep(tick)
    print(json.dumps({"written": written, "slowest_commit": slowest}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
