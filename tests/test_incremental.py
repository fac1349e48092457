"""Incremental refresh gives exactly the cube of a cold load: SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from datetime import timedelta

import numpy as np
import psycopg
import pytest

from spendtui.core.query import DIMENSIONS, Window
from spendtui.demo.generator import generate_rows, write_rows
from spendtui.demo.world import build_world
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_of, fixed_clock
from tests.helpers import FIXED_NOW, create_pg_database, insert_pg_rows, load_real_schema
from tests.truth import Truth

LATER = FIXED_NOW + timedelta(days=1, hours=2)  # the clock after appends: a new UTC day


def engine_for(url: str, clock_at=LATER) -> SpendEngine:
    return SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(clock_at))


def answers(engine: SpendEngine, window: Window) -> dict:
    q = engine.query
    out = {"total": q.totals(window), "daily": q.daily(window)}
    for dim in (*DIMENSIONS, "tag:project"):
        out[dim] = {g.name: g.totals for g in q.breakdown(dim, window)}
    out["hourly"] = q.hourly(day_of(LATER))
    return out


def appended_batches(seed: int):
    world = build_world(seed)
    rng = np.random.default_rng(99)
    recent = generate_rows(world, rng, FIXED_NOW, FIXED_NOW + timedelta(hours=3), 600, growth=False)
    late = generate_rows(world, rng, FIXED_NOW - timedelta(hours=36), FIXED_NOW - timedelta(hours=20), 150)
    new_day = generate_rows(world, rng, LATER - timedelta(hours=2), LATER, 400, growth=False)
    # late rows are written now, with request times days ago (LiteLLM's batched, late writes)
    written = (FIXED_NOW + timedelta(hours=3, minutes=5)).strftime("%Y-%m-%d %H:%M:%S.000")
    late.columns["created_at"] = [written] * len(late)
    late.columns["updated_at"] = [written] * len(late)
    return recent, late, new_day


def test_sqlite_incremental_equals_cold_load(litellm_db, tmp_path) -> None:
    db = tmp_path / "live.db"
    shutil.copy(litellm_db, db)
    url = f"sqlite:///{db}"
    live = engine_for(url)
    window = Window(day_of(FIXED_NOW) - 20, day_of(LATER))
    live.load(window.first_day)
    before = live.query.totals(window)
    recent, late, new_day = appended_batches(11)
    for batch in (recent, late, new_day):
        with sqlite3.connect(db) as conn:
            write_rows(conn, batch, "litellm")
        stats = live.refresh()
        assert stats.rows == len(batch)  # the rowid cursor finds late rows on any poll
    assert live.refresh().rows == 0  # nothing new, nothing re-read
    after = live.query.totals(window)
    assert after.requests == before.requests + 600 + 150 + 400
    cold = engine_for(url)
    cold.load(window.first_day)
    assert answers(live, window) == answers(cold, window)
    truth = Truth(url)
    spend, requests, *_ = truth.total(window.first, window.last)
    assert after.requests == requests and abs(after.spend / 1e12 - spend) < 1e-6


def test_compact_incremental(compact_db, tmp_path) -> None:
    db = tmp_path / "compact-live.db"
    shutil.copy(compact_db, db)
    url = f"sqlite:///{db}"
    live = engine_for(url)
    window = Window(day_of(FIXED_NOW) - 10, day_of(LATER))
    live.load(window.first_day)
    recent, late, new_day = appended_batches(12)
    for batch in (recent, late, new_day):
        with sqlite3.connect(db) as conn:
            write_rows(conn, batch, "compact")
        live.refresh()
    cold = engine_for(url)
    cold.load(window.first_day)
    assert answers(live, window) == answers(cold, window)


@pytest.mark.postgres
@pytest.mark.parametrize("with_created_at", [True, False], ids=["created_at", "startTime-overlap"])
def test_postgres_incremental_with_overlap_and_duplicates(with_created_at: bool) -> None:
    url = create_pg_database(f"spendtui_test_incr_{int(with_created_at)}")
    load_real_schema(url)
    world = build_world(31)
    rng = np.random.default_rng(3)
    history = generate_rows(world, rng, FIXED_NOW - timedelta(days=15), FIXED_NOW - timedelta(minutes=1), 4000)
    insert_pg_rows(url, history)
    if not with_created_at:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute('ALTER TABLE "LiteLLM_SpendLogs" DROP COLUMN created_at')
    window = Window(day_of(FIXED_NOW) - 20, day_of(LATER))
    live = engine_for(url)
    live.load(window.first_day)
    assert live.refresh().rows == 0  # the overlap re-read finds only rows already counted
    recent, late, new_day = appended_batches(31)
    # without created_at, rows arriving later than the re-read overlap cannot be found:
    # the late batch is only exercised where LiteLLM records the insert time
    columns = (
        None
        if with_created_at
        else tuple(
            c
            for c in (
                "request_id",
                "call_type",
                "api_key",
                "spend",
                "total_tokens",
                "prompt_tokens",
                "completion_tokens",
                "startTime",
                "endTime",
                "model",
                "model_group",
                "custom_llm_provider",
                "user",
                "request_tags",
                "team_id",
                "end_user",
                "status",
                "cache_hit",
            )
        )
    )
    for batch in (recent, new_day) if not with_created_at else (recent, late, new_day):
        if columns:
            insert_pg_rows(url, batch, columns)
        else:
            insert_pg_rows(url, batch)
        live.refresh(deep=True)
        assert live.refresh().rows == 0  # a second poll re-reads the overlap: no double count
        assert live.refresh(deep=True).rows == 0
    cold = engine_for(url)
    cold.load(window.first_day)
    assert answers(live, window) == answers(cold, window)
    truth = Truth(url)
    spend, requests, *_ = truth.total(window.first, window.last)
    total = live.query.totals(window)
    assert total.requests == requests and abs(total.spend / 1e12 - spend) < 1e-6


@pytest.mark.postgres
def test_postgres_rows_committed_after_newer_ones_are_found_once() -> None:
    """Several proxies flush at once: a transaction that began earlier (``created_at`` is
    its start) may commit after newer rows were read. A normal poll re-reads a minute of
    inserts before the newest one it read, a deep poll five; each such row counts once."""
    url = create_pg_database("spendtui_test_commit_lag")
    load_real_schema(url)
    world = build_world(32)
    history = generate_rows(world, np.random.default_rng(5), FIXED_NOW - timedelta(days=3), FIXED_NOW, 1500)
    insert_pg_rows(url, history)
    window = Window(day_of(FIXED_NOW) - 5, day_of(LATER))
    live = engine_for(url)
    live.load(window.first_day)

    def batch(seed: int, n: int, written) -> object:  # type: ignore[no-untyped-def]
        rows = generate_rows(world, np.random.default_rng(seed), LATER - timedelta(minutes=20), LATER, n)
        rows.columns["created_at"] = [written.strftime("%Y-%m-%d %H:%M:%S.000")] * n
        insert_pg_rows(url, rows)
        return rows

    newest = LATER - timedelta(minutes=2)
    batch(6, 40, newest)
    assert live.refresh().rows == 40
    batch(7, 30, newest - timedelta(seconds=40))  # committed late, began 40 s before
    batch(8, 20, newest - timedelta(minutes=3))  # ... began 3 minutes before
    assert live.refresh().rows == 30  # within a normal poll's re-read
    assert live.refresh().rows == 0
    assert live.refresh(deep=True).rows == 20  # the deep poll's
    assert live.refresh(deep=True).rows == 0 and live.refresh().rows == 0
    spend, requests, *_ = Truth(url).total(window.first, window.last)
    total = live.query.totals(window)
    assert total.requests == requests and abs(total.spend / 1e12 - spend) < 1e-6


@pytest.mark.postgres
def test_slow_deep_polls_are_spaced_out() -> None:
    """A deep poll reads two days of requests; on a busy proxy that takes seconds. Then the
    next automatic one waits until deep polls take at most 1/DEEP_SHARE of the time, and a
    quick one brings back the minute. Made slow here by another session's table lock."""
    from spendtui.engine import DEEP_EVERY, DEEP_SHARE

    url = create_pg_database("spendtui_test_deep_pace")
    load_real_schema(url)
    world = build_world(16)
    insert_pg_rows(url, generate_rows(world, np.random.default_rng(9), FIXED_NOW - timedelta(days=2), FIXED_NOW, 300))
    live = engine_for(url)
    live.load(day_of(FIXED_NOW) - 3)
    live.refresh(deep=True)
    assert live.deep_every == DEEP_EVERY

    locked, hold = threading.Event(), 0.8

    def lock_the_table() -> None:
        with psycopg.connect(url) as conn:
            conn.execute('LOCK TABLE "LiteLLM_SpendLogs" IN ACCESS EXCLUSIVE MODE')
            locked.set()
            time.sleep(hold)
            conn.rollback()

    holder = threading.Thread(target=lock_the_table)
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    live.refresh(deep=True)
    took = time.monotonic() - started
    holder.join()
    assert took >= hold * 0.9 and DEEP_SHARE * took > DEEP_EVERY  # (the lock made it slow)
    assert live.deep_every == pytest.approx(DEEP_SHARE * took, rel=0.05)
    assert live.fetch().rows == [] and live.deep_every > DEEP_EVERY  # a normal poll: no change
    live.refresh(deep=True)
    assert live.deep_every == DEEP_EVERY


def test_tail_keeps_the_newest_requests_across_refreshes(litellm_db, tmp_path) -> None:
    from spendtui.engine import TAIL_SIZE

    db = tmp_path / "tail.db"
    shutil.copy(litellm_db, db)
    engine = engine_for(f"sqlite:///{db}")
    engine.load(day_of(FIXED_NOW) - 3)
    assert len(engine.tail) == TAIL_SIZE
    newest_before = engine.tail[-1].request_id
    recent, _, _ = appended_batches(11)
    with sqlite3.connect(db) as conn:
        write_rows(conn, recent, "litellm")
    engine.refresh()
    assert len(engine.tail) == TAIL_SIZE  # bounded, and not reset by a refresh
    ids = [r.request_id for r in engine.tail]
    assert ids[-1] == recent.columns["request_id"][-1]
    assert newest_before in ids or len(recent) >= TAIL_SIZE
    assert len(set(ids)) == len(ids)


class _WrittenBeforeTailRead(DatabaseSource):
    """A database source whose first read of the newest requests comes after a writer
    appended a batch: what a busy proxy does between a load's cursor and its tail read."""

    def __init__(self, url: str, db, batch) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parse_database_url(url))
        self.db, self.batch = db, batch

    def recent(self, limit: int = 200):  # type: ignore[no-untyped-def]
        if self.batch is not None:
            with sqlite3.connect(self.db) as conn:
                write_rows(conn, self.batch, "litellm")
            self.batch = None
        return super().recent(limit)


def test_tail_holds_each_request_once_when_rows_land_during_a_load(litellm_db, tmp_path) -> None:
    """Rows written after a load fixed its cursor but before it read the tail are read
    twice (by the tail read and by the next poll): the tail keeps one of each, which the
    live tail pane keys its rows by (issue 24: DuplicateKey crash)."""
    db = tmp_path / "race.db"
    shutil.copy(litellm_db, db)
    batch = generate_rows(build_world(12), np.random.default_rng(12), FIXED_NOW, LATER, 50, growth=False)
    source = _WrittenBeforeTailRead(f"sqlite:///{db}", db, batch)
    engine = SpendEngine(source, clock=fixed_clock(LATER))
    engine.load(day_of(FIXED_NOW) - 3)
    fetched = engine.fetch()
    polled_ids = {r.request_id for r in fetched.rows}
    assert set(batch.columns["request_id"]) <= polled_ids  # the poll reads them again...
    assert set(batch.columns["request_id"]) <= {r.request_id for r in engine.tail}  # ...the tail had them
    engine.absorb(fetched)
    ids = [r.request_id for r in engine.tail]
    assert len(ids) == len(set(ids))
    window = Window(day_of(FIXED_NOW) - 3, day_of(LATER))
    _, requests, *_ = Truth(f"sqlite:///{db}").total(window.first, window.last)
    assert engine.query.totals(window).requests == requests  # and the cube counted each once


@pytest.mark.postgres
@pytest.mark.parametrize("written_after", [timedelta(minutes=-2), timedelta(minutes=10)], ids=["among", "newest"])
def test_postgres_cold_load_split_counts_late_rows_once(written_after: timedelta) -> None:
    """Rows written in the cold load's last minutes come back raw so polls can recognise
    them, but only those with request times a poll can reach (two days back): a row
    written then for a request five days earlier is aggregated instead. Either way every
    request is counted once, by the load and by any number of polls after it."""
    url = create_pg_database(f"spendtui_test_split_{int(written_after.total_seconds()) + 1000}")
    load_real_schema(url)
    world = build_world(32)
    rng = np.random.default_rng(4)
    history = generate_rows(world, rng, FIXED_NOW - timedelta(days=15), FIXED_NOW - timedelta(minutes=1), 3000)
    insert_pg_rows(url, history)
    # written among the newest requests, or after all of them (the load's split is then
    # placed by the newest requests, below the true newest insert time)
    written = (FIXED_NOW + written_after).strftime("%Y-%m-%d %H:%M:%S.000")
    for days_back, n in ((5, 40), (1, 60)):  # beyond and within a poll's reach
        late = generate_rows(
            world, rng, FIXED_NOW - timedelta(days=days_back, hours=2), FIXED_NOW - timedelta(days=days_back), n
        )
        late.columns["created_at"] = [written] * n
        late.columns["updated_at"] = [written] * n
        insert_pg_rows(url, late)
    window = Window(day_of(FIXED_NOW) - 20, day_of(FIXED_NOW))
    engine = engine_for(url, clock_at=FIXED_NOW)
    engine.load(window.first_day)
    assert engine.refresh(deep=True).rows == 0 and engine.refresh().rows == 0
    spend, requests, *_ = Truth(url).total(window.first, window.last)
    total = engine.query.totals(window)
    assert total.requests == requests == 3100 and abs(total.spend / 1e12 - spend) < 1e-6


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["followups", "deep poll"])
def test_postgres_cold_load_reads_old_late_rows_after_the_first_screen(first: str) -> None:
    """The dashboard's cold load (followups deferred) reads raw only the rows written in
    its last minutes that a normal poll can reach (30 minutes of request time). Those
    written then for requests up to two days earlier are read right after the first
    screen (a two-day scan without an index on the insert time), or by a deep poll if one
    comes first: counted once either way, never by a normal poll."""
    url = create_pg_database(f"spendtui_test_band_{first.replace(' ', '_')}")
    load_real_schema(url)
    world = build_world(33)
    rng = np.random.default_rng(6)
    insert_pg_rows(
        url, generate_rows(world, rng, FIXED_NOW - timedelta(days=10), FIXED_NOW - timedelta(minutes=1), 2000)
    )
    written = (FIXED_NOW - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S.000")
    for back, n in ((timedelta(minutes=20), 30), (timedelta(days=1), 50)):  # raw at once; the band
        late = generate_rows(world, rng, FIXED_NOW - back - timedelta(minutes=5), FIXED_NOW - back, n)
        late.columns["created_at"] = late.columns["updated_at"] = [written] * n
        insert_pg_rows(url, late)
    window = Window(day_of(FIXED_NOW) - 20, day_of(FIXED_NOW))
    spend, requests, *_ = Truth(url).total(window.first, window.last)
    engine = engine_for(url, clock_at=FIXED_NOW)
    engine.defer_followups = True
    engine.load(window.first_day)
    assert engine.query.totals(window).requests == requests - 50 and engine.followups_pending
    assert engine.refresh(deep=False).rows == 0  # a normal poll does not reach the band
    if first == "deep poll":
        assert engine.refresh(deep=True).rows == 50
    engine.run_followups()
    assert engine.refresh(deep=True).rows == 0 and not engine.followups_pending
    total = engine.query.totals(window)
    assert total.requests == requests == 2080 and abs(total.spend / 1e12 - spend) < 1e-6
    engine.close()
