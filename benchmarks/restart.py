"""One spendtui start in a fresh process, as a user would start it: prints JSON timings.

    python -m benchmarks.restart DATABASE_URL DAYS SPAWNED_AT [--cache DIR] [--history daily]

Run by the benchmarks, not by hand. ``SPAWNED_AT`` is the parent's ``time.time()`` just
before it started this process, so ``total`` covers interpreter start and imports too.
``ready`` is from the start of ``engine.load`` to the first breakdown answered: the data
is on screen. ``late`` is what the dashboard runs after that screen (on a PostgreSQL
warm restart, the read of rows written late for older requests; on a cold ``history:
daily`` load, the check of the daily tables). With ``--cache`` the cube cache is used (a
warm restart when it is valid), and ``close`` saves it, timed as ``save``.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from benchmarks.common import NOW, rss_mb
from spendtui.cache import CubeCache
from spendtui.core.query import Window
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_of, fixed_clock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("days", type=int)
    parser.add_argument("spawned_at", type=float)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--history", default="logs", choices=("logs", "daily"))
    args = parser.parse_args()
    # the dialect and driver a first connection imports lazily count as imports, not load
    make_url(parse_database_url(args.url).url).get_dialect().import_dbapi()
    today = day_of(NOW)
    window = Window(today - args.days + 1, today)
    cache = CubeCache(args.cache) if args.cache else None
    source = DatabaseSource(parse_database_url(args.url), history=args.history)
    engine = SpendEngine(source, clock=fixed_clock(NOW), cache=cache)
    engine.defer_followups = True  # as the dashboard: what may wait runs after the first screen
    started = time.perf_counter()
    engine.load(window.first_day)
    engine.query.breakdown("model", window)
    ready = time.perf_counter() - started
    total = time.time() - args.spawned_at
    started = time.perf_counter()
    engine.run_followups()
    late = time.perf_counter() - started
    gc.collect()
    rss = rss_mb()
    status = cache.status if cache else "no cache"
    started = time.perf_counter()
    engine.close()
    save = time.perf_counter() - started
    out = {"ready": ready, "total": total, "late": late, "rss_mb": rss, "save": save, "cells": engine.cube.n}
    print(json.dumps({**out, "status": status, "save_status": cache.status if cache else ""}))


if __name__ == "__main__":
    main()
