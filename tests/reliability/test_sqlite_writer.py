"""A writer process appends ~100 rows/s while spendtui loads and polls: no lock error reaches
the user, no row is missed or counted twice (WAL and rollback-journal modes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from spendtui.core.selection import Window
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from tests.helpers import ROOT
from tests.truth import Truth

#: Longest the writer may be held up (figures measured here are in docs/reliability.md).
WRITER_BOUND_MS = 100


@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_concurrent_writer(litellm_db, tmp_path, mode) -> None:
    db = tmp_path / f"busy-{mode}.db"
    shutil.copy(litellm_db, db)
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.writer", str(db), "8", "100", mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    engine = SpendEngine(DatabaseSource(parse_database_url(str(db)), busy_timeout=10))
    time.sleep(0.5)
    engine.load(engine.today() - 60)  # a cold load while the writer runs
    polls = 0
    while writer.poll() is None:
        engine.refresh()  # any SourceError here would fail the test: none may reach the user
        polls += 1
        time.sleep(0.2)
    engine.refresh()
    report = json.loads(writer.stdout.read().strip())
    slowest_ms = report["slowest_commit"] * 1000
    waits_ms = report["begin_wait"] * 1000, report["commit_wait"] * 1000
    print(
        f"\n{mode}: writer wrote {report['written']} rows, slowest transaction {slowest_ms:.1f} ms "
        f"(longest wait for BEGIN IMMEDIATE {waits_ms[0]:.1f} ms, for COMMIT {waits_ms[1]:.1f} ms), {polls} polls"
    )
    assert report["written"] > 300 and polls > 10
    # the issue asks for a few ms; 100 ms leaves room for this noisy, shared 2-core machine
    assert max(waits_ms) < WRITER_BOUND_MS and slowest_ms < WRITER_BOUND_MS
    window = Window(engine.today() - 60, engine.today())
    got = engine.query.totals(window)
    spend, requests, *_ = Truth(f"sqlite:///{db}").total(window.first, window.last)
    assert got.requests == requests  # nothing missed, nothing counted twice
    assert abs(got.spend / 1e12 - spend) < 1e-6


@pytest.mark.parametrize("mode", ["wal", "delete"])
def test_cold_load_finds_its_first_row_through_the_time_index(litellm_db, tmp_path, mode) -> None:
    """Finding where the window starts must not walk the table: SQLite answers
    ``min(rowid) WHERE "startTime" >= x`` by reading rows in rowid order until one matches,
    i.e. every older row, and the whole table when none does (at 1M rows that held the
    lock a writer waits for 230-330 ms). Every such probe of a cold load must plan as an
    index search."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    db = tmp_path / f"plan-{mode}.db"
    shutil.copy(litellm_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA journal_mode={mode}")
    probes: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, params, context, executemany) -> None:
        if "min(rowid" in statement and "startTime" in statement:
            probes.append((statement, params))

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        engine = SpendEngine(DatabaseSource(parse_database_url(str(db))))
        engine.load(engine.today() - 30)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert probes, "the cold load no longer probes for its first row: update this test"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for statement, params in probes:
            plan = " ".join(str(r[-1]) for r in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params))
            assert "INDEX" in plan and "SCAN" not in plan, (statement, plan)
