"""Warm restart from the cube cache: same answers as a cold load, new rows exactly once,
and every kind of untrustworthy cache rebuilt (real SQLite files, real cache files)."""

from __future__ import annotations

import io
import json
import os
import pathlib
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from spendtui import cache as cache_mod
from spendtui.cache import CubeCache, default_directory
from spendtui.core import cube_file
from spendtui.core.cube import Cube, RawRow
from spendtui.core.cube_file import CorruptCache, build_cube, cube_arrays, read_cube_file, write_cube
from spendtui.core.query import DIMENSIONS, Query, Window
from spendtui.demo.generator import create_demo_db, generate_rows, write_rows
from spendtui.demo.world import build_world
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_of, fixed_clock
from tests.helpers import FIXED_NOW
from tests.truth import Truth

LATER = FIXED_NOW + timedelta(days=1, hours=2)  # the next start happens on a new UTC day
FIRST_DAY = day_of(FIXED_NOW) - 20
WINDOW = Window(FIRST_DAY, day_of(LATER))


def engine(db: Path, cache_dir: Path | None, at=LATER) -> SpendEngine:
    cache = CubeCache(cache_dir) if cache_dir is not None else None
    return SpendEngine(DatabaseSource(parse_database_url(f"sqlite:///{db}")), fixed_clock(at), cache=cache)


def answers(eng: SpendEngine) -> dict:
    """Every breakdown, the daily and hourly series and the data-quality counters."""
    q = eng.query
    out: dict = {"total": q.totals(WINDOW), "daily": q.daily(WINDOW), "quality": eng.cube.quality}
    for dim in (*DIMENSIONS, "tag:project", "tag:env"):
        out[dim] = {g.name: g.totals for g in q.breakdown(dim, WINDOW)}
    for day in range(day_of(FIXED_NOW) - 2, day_of(LATER) + 1):
        out[f"hourly {day}"] = q.hourly(day)
    return out


def cold_answers(db: Path) -> dict:
    cold = engine(db, None)
    cold.load(FIRST_DAY)
    try:
        return answers(cold)
    finally:
        cold.close()


def append(db: Path, seed: int, n: int, start, end, layout: str = "litellm") -> int:
    batch = generate_rows(build_world(11), np.random.default_rng(seed), start, end, n, growth=False)
    with sqlite3.connect(db) as conn:
        write_rows(conn, batch, layout)
    return len(batch)


@pytest.fixture
def live(litellm_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "live.db"
    shutil.copy(litellm_db, db)
    return db


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cube-cache"


def first_run(db: Path, cache_dir: Path) -> SpendEngine:
    """Yesterday's session: a cold load, a few polls, then quit (which saves the cache)."""
    eng = engine(db, cache_dir, at=FIXED_NOW)
    eng.load(FIRST_DAY)
    assert "no cube cache" in eng.cache.status
    append(db, 1, 300, FIXED_NOW - timedelta(hours=1), FIXED_NOW)
    assert eng.refresh().rows == 300
    eng.close()
    assert "saved" in eng.cache.status
    return eng


def test_warm_restart_equals_cold_load_and_reads_new_rows_once(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    appended = append(live, 2, 500, FIXED_NOW, LATER)  # written while spendtui was not running
    appended += append(live, 3, 120, FIXED_NOW - timedelta(hours=40), FIXED_NOW - timedelta(hours=30))
    warm = engine(live, cache_dir)
    warm.load(FIRST_DAY)
    assert warm.cache.status.startswith("restored"), warm.cache.status
    assert f"{appended:,} new rows read" in warm.cache.status
    assert answers(warm) == cold_answers(live)
    assert warm.refresh().rows == 0  # nothing read twice
    more = append(live, 4, 50, LATER - timedelta(minutes=5), LATER)
    assert warm.refresh().rows == more
    assert answers(warm) == cold_answers(live)
    truth = Truth(f"sqlite:///{live}")
    spend, requests, *_ = truth.total(WINDOW.first, WINDOW.last)
    total = warm.query.totals(WINDOW)
    assert total.requests == requests and abs(total.spend / 1e12 - spend) < 1e-6
    assert len(warm.tail) > 0 and warm.tail[-1].start >= warm.tail[0].start
    warm.close()


def test_many_new_rows_are_aggregated_in_sql(live: Path, cache_dir: Path, monkeypatch) -> None:
    first_run(live, cache_dir)
    monkeypatch.setattr(cache_mod, "CATCH_UP_ROWS", 100)
    appended = append(live, 5, 2_000, FIXED_NOW - timedelta(hours=30), LATER)
    warm = engine(live, cache_dir)
    warm.load(FIRST_DAY)
    assert warm.cache.status.startswith("restored")
    assert f"{appended:,} new rows read" in warm.cache.status
    assert answers(warm) == cold_answers(live)
    assert warm.refresh().rows == 0


def test_unchanged_database_is_not_rewritten(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    path = next(cache_dir.glob("cube-*.npz"))
    before = path.stat().st_mtime_ns
    warm = engine(live, cache_dir)
    warm.load(FIRST_DAY)
    assert "0 new rows read" in warm.cache.status
    warm.close()
    assert path.stat().st_mtime_ns == before
    assert (path.stat().st_mode & 0o777) == 0o600


def test_compacted_cache_keeps_the_answers(live: Path, cache_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache_mod, "COMPACT_FROM", 1)
    monkeypatch.setattr(cache_mod, "COMPACT_SHARE", 10**9)
    eng = engine(live, cache_dir, at=LATER)
    eng.load(FIRST_DAY)
    # late rows for older days arrive as hourly cells: saved merged into whole days
    append(live, 6, 400, FIXED_NOW - timedelta(days=5), FIXED_NOW - timedelta(days=2))
    assert eng.refresh().rows == 400
    live_cells = eng.cube.n
    eng.close()
    warm = engine(live, cache_dir)
    warm.load(FIRST_DAY)
    assert warm.cache.status.startswith("restored")
    assert warm.cube.n < live_cells
    assert answers(warm) == cold_answers(live)


# ---------------------------------------------------------------------- invalidation
def rebuilt(db: Path, cache_dir: Path, expect: str, first_day: int = FIRST_DAY, at=LATER) -> None:
    eng = engine(db, cache_dir, at=at)
    eng.load(first_day)
    assert expect in eng.cache.status, eng.cache.status
    assert not eng.cache.status.startswith("restored")
    if first_day == FIRST_DAY and at == LATER:
        assert answers(eng) == cold_answers(db)
    eng.close()  # and the rebuilt cube is saved again
    again = engine(db, cache_dir, at=at)
    again.load(first_day)
    assert again.cache.status.startswith("restored"), again.cache.status


def cache_file(cache_dir: Path) -> Path:
    (path,) = cache_dir.glob("cube-*.npz")
    return path


def test_truncated_cache_file(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    path = cache_file(cache_dir)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    rebuilt(live, cache_dir, "unreadable")


@pytest.mark.parametrize("where", [0.05, 0.3, 0.6, 0.97])
def test_bit_flip_in_cache_file(live: Path, cache_dir: Path, where: float) -> None:
    first_run(live, cache_dir)
    path = cache_file(cache_dir)
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x10
    path.write_bytes(bytes(data))
    rebuilt(live, cache_dir, "unreadable")


def test_checksum_catches_consistent_tampering(live: Path, cache_dir: Path) -> None:
    """A file whose zip CRCs are right but whose numbers changed (e.g. rewritten by a buggy
    tool) fails spendtui's own checksum."""
    first_run(live, cache_dir)
    path = cache_file(cache_dir)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["m0"] = arrays["m0"].copy()
    arrays["m0"][0] += 1  # one pico-dollar
    np.savez(path, **arrays)
    rebuilt(live, cache_dir, "checksum mismatch")


def test_cube_file_of_the_format_before_cache_tokens(live: Path, cache_dir: Path) -> None:
    """A file written before cells carried cache tokens (format 3, seven measures) is not
    read as if it had them: rebuilt from the database, saying why."""
    first_run(live, cache_dir)
    path = cache_file(cache_dir)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k not in ("m7", "m8")}
    meta = json.loads(arrays["meta"].tobytes())
    meta["format"] = 3
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    # (and the rebuilt cube answers as a cold load does, cache tokens included)
    rebuilt(live, cache_dir, "written by another spendtui version (cube file format 3, this one reads 4): rebuilt")


def test_loading_never_unpickles(live: Path, cache_dir: Path, tmp_path: Path) -> None:
    first_run(live, cache_dir)
    path = cache_file(cache_dir)
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (pathlib.Path.touch, (marker,))

    np.savez(path, meta=np.array([Payload()], dtype=object))
    rebuilt(live, cache_dir, "unreadable")
    assert not marker.exists()


def test_other_spendtui_version(live: Path, cache_dir: Path, monkeypatch) -> None:
    first_run(live, cache_dir)
    monkeypatch.setattr(cache_mod, "__version__", "99.0")
    rebuilt(live, cache_dir, "written by spendtui 0.1.0, this is 99.0")


def test_other_source(live: Path, cache_dir: Path, tmp_path: Path) -> None:
    """A cache file that ends up under another source's name is not used for it."""
    first_run(live, cache_dir)
    other = tmp_path / "other.db"
    shutil.copy(live, other)
    source = DatabaseSource(parse_database_url(f"sqlite:///{other}"))
    cache_file(cache_dir).rename(CubeCache(cache_dir).path_for(source))
    source.close()
    rebuilt(other, cache_dir, "written for another source")


def test_other_schema(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    path = cache_file(cache_dir)
    with sqlite3.connect(live) as conn:
        conn.execute('ALTER TABLE "LiteLLM_SpendLogs" ADD COLUMN extra TEXT')
    source = DatabaseSource(parse_database_url(f"sqlite:///{live}"))
    new_path = CubeCache(cache_dir).path_for(source)
    source.close()
    assert new_path != path  # the schema is part of the key...
    shutil.copy(path, new_path)  # ...and checked inside the file too
    rebuilt(live, cache_dir, "the database schema changed")


def test_database_replaced(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    create_demo_db(live, rows=31_000, days=45, layout="litellm", seed=99, now=FIXED_NOW)
    rebuilt(live, cache_dir, "replaced or truncated (row")


def test_database_truncated(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    with sqlite3.connect(live) as conn:
        newest = conn.execute('SELECT max(rowid) FROM "LiteLLM_SpendLogs"').fetchone()[0]
        conn.execute('DELETE FROM "LiteLLM_SpendLogs" WHERE rowid > ?', (newest - 1000,))
    rebuilt(live, cache_dir, "replaced or truncated (row")


def test_database_truncated_and_refilled(live: Path, cache_dir: Path) -> None:
    """Rows cut and new ones written past the old watermark: the anchor row differs."""
    first_run(live, cache_dir)
    with sqlite3.connect(live) as conn:
        newest = conn.execute('SELECT max(rowid) FROM "LiteLLM_SpendLogs"').fetchone()[0]
        conn.execute('DELETE FROM "LiteLLM_SpendLogs" WHERE rowid > ?', (newest - 1000,))
    append(live, 7, 1_500, FIXED_NOW, LATER)
    rebuilt(live, cache_dir, "replaced or truncated (row")


def test_closed_day_changed(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    day = (FIXED_NOW - timedelta(days=1)).strftime("%Y-%m-%d")
    with sqlite3.connect(live) as conn:
        conn.execute(
            'DELETE FROM "LiteLLM_SpendLogs" WHERE rowid IN (SELECT rowid FROM "LiteLLM_SpendLogs" '
            'WHERE substr("startTime", 1, 10) = ? LIMIT 3)',
            (day,),
        )
    rebuilt(live, cache_dir, f"rows of {day} changed")


def test_cache_does_not_reach_back_far_enough(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    rebuilt(live, cache_dir, "does not reach back far enough", first_day=FIRST_DAY - 5)


def test_clock_moved_back(live: Path, cache_dir: Path) -> None:
    first_run(live, cache_dir)
    rebuilt(live, cache_dir, "clock moved back", at=FIXED_NOW - timedelta(days=3))


def test_unwritable_cache_directory_is_reported_not_raised(live: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache directory should be")
    eng = engine(live, blocked / "cache")
    eng.load(FIRST_DAY)
    assert eng.save_cache() is False
    assert eng.cache.status.startswith("cube cache not saved")
    eng.close()


def test_default_directory_is_the_platform_cache_dir(tmp_path: Path) -> None:
    # conftest points XDG_CACHE_HOME into tmp_path
    assert default_directory() == Path(os.environ["XDG_CACHE_HOME"]) / "spendtui"


def test_compact_layout_warm_restart(compact_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "compact-live.db"
    shutil.copy(compact_db, db)
    cache_dir = tmp_path / "c"
    eng = engine(db, cache_dir, at=FIXED_NOW)
    eng.load(FIRST_DAY)
    eng.close()
    append(db, 8, 400, FIXED_NOW, LATER, layout="compact")
    warm = engine(db, cache_dir)
    warm.load(FIRST_DAY)
    assert "400 new rows read" in warm.cache.status
    assert answers(warm) == cold_answers(db)


# ---------------------------------------------------------------------- PostgreSQL
@pytest.mark.postgres
def test_postgres_warm_restart_and_replaced_database(tmp_path: Path) -> None:
    from tests.helpers import create_pg_database, insert_pg_rows, load_real_schema

    def fill(seed: int, n: int) -> str:
        url = create_pg_database("perf_cache_warm")
        load_real_schema(url)
        world = build_world(seed)
        rows = generate_rows(world, np.random.default_rng(seed), FIXED_NOW - timedelta(days=15), FIXED_NOW, n)
        insert_pg_rows(url, rows)
        return url

    def pg_engine(url: str, cache_dir: Path | None, at=LATER) -> SpendEngine:
        cache = CubeCache(cache_dir) if cache_dir is not None else None
        return SpendEngine(DatabaseSource(parse_database_url(url)), fixed_clock(at), cache=cache)

    def cold(url: str) -> dict:
        eng = pg_engine(url, None)
        eng.load(FIRST_DAY)
        out = answers(eng)
        eng.close()
        return out

    def written_at(rows, moment) -> None:
        rows.columns["created_at"] = [moment.strftime("%Y-%m-%d %H:%M:%S.000")] * len(rows)

    cache_dir = tmp_path / "pg-cache"
    url = fill(41, 3_000)
    # written just before the cache, for requests hours before: the cache holds them, and
    # the late-row read after a restart (which looks that far back) must not count them again
    flushed = generate_rows(build_world(41), np.random.default_rng(4), FIXED_NOW - timedelta(hours=4), FIXED_NOW, 30)
    written_at(flushed, FIXED_NOW - timedelta(minutes=1))
    insert_pg_rows(url, flushed)
    first = pg_engine(url, cache_dir, at=FIXED_NOW)
    first.load(FIRST_DAY)
    first.close()
    later = generate_rows(build_world(41), np.random.default_rng(2), FIXED_NOW, LATER, 400, growth=False)
    insert_pg_rows(url, later)
    without_late = Truth(url).total(WINDOW.first, WINDOW.last)
    # written while spendtui was away, for requests hours earlier (LiteLLM's late batches)
    late = generate_rows(
        build_world(41),
        np.random.default_rng(3),
        FIXED_NOW - timedelta(hours=9),
        FIXED_NOW - timedelta(hours=5),
        70,
    )
    written_at(late, LATER - timedelta(hours=1))
    insert_pg_rows(url, late)
    spare = tmp_path / "pg-cache-copy"
    shutil.copytree(cache_dir, spare)

    # headless (spendtui report): the late rows are read before load returns
    report = pg_engine(url, spare)
    report.load(FIRST_DAY)
    assert report.cache.status.startswith("restored"), report.cache.status
    assert "400 new rows read, then 70 written late for earlier requests" in report.cache.status
    assert not report.followups_pending
    assert answers(report) == cold(url)

    # the dashboard: the rows found through the "startTime" index first, the rest after
    warm = pg_engine(url, cache_dir)
    warm.defer_followups = True
    warm.load(FIRST_DAY)
    assert warm.cache.status.startswith("restored") and "400 new rows read" in warm.cache.status
    got = warm.query.totals(WINDOW)
    assert (got.requests, round(got.spend / 1e12, 6)) == (without_late[1], round(without_late[0], 6))
    assert warm.followups_pending
    assert warm.refresh().rows == 0  # a normal poll in between does not read the band
    assert warm.run_followups() and "then 70 written late" in warm.cache.status
    assert answers(warm) == cold(url)
    spend, requests, *_ = Truth(url).total(WINDOW.first, WINDOW.last)
    assert (got.requests, round(got.spend / 1e12, 6)) != (requests, round(spend, 6))  # (the test saw them arrive)
    got = warm.query.totals(WINDOW)
    assert (got.requests, round(got.spend / 1e12, 6)) == (requests, round(spend, 6))
    assert warm.refresh(deep=True).rows == 0
    warm.close()
    fill(42, 3_000)  # dropped and re-created under the same URL with other rows
    again = pg_engine(url, cache_dir)
    again.load(FIRST_DAY)
    assert "replaced or truncated" in again.cache.status, again.cache.status
    assert answers(again) == cold(url)
    again.close()


# ---------------------------------------------------------------------- the file format
def _row(i: int, spend: int, tags: object = '["project:a"]', start: str = "2026-11-20 10:00:00") -> RawRow:
    return RawRow(
        f"r{i}",
        start,
        f"model-{i % 3}",
        "openai",
        f"key{i % 5}",
        "u",
        "t",
        None,
        tags,
        spend,
        i,
        2**40,
        7,
        i % 2 == 0,
        False,
    )


@pytest.mark.parametrize("n_rows", [0, 1, 300])
def test_cube_file_round_trip(n_rows: int) -> None:
    cube = Cube()
    spends = [10**18, 0, 127, 128, 2**31, 12_345] + [2**40] * 300  # 10**18 pico: $1M, the most a row may cost
    cube.add_rows(_row(i, spends[i], tags="not json" if i == 7 else '["project:a", "env:x"]') for i in range(n_rows))
    cube.quality.notes.append("a note ✓")
    out = io.BytesIO()
    write_cube(out, cube, {"extra": [1, "two"]})
    meta, arrays = read_cube_file(out.getvalue())
    assert meta["extra"] == [1, "two"]
    back = build_cube(meta, arrays, hourly_from_day=0)
    assert back.n == cube.n and back.spend_bound == cube.spend_bound and back.quality == cube.quality
    for name in ("day", "hour", "mctx", "kctx", "cust", "tagset", "m"):
        assert np.array_equal(back.view(name), cube.view(name)), name
    for name in ("models", "keys", "tags", "customers"):
        assert getattr(back.dims, name).values == getattr(cube.dims, name).values
    assert back.dims.tagset_tags == cube.dims.tagset_tags
    assert Query(back).breakdown("tag", None) == Query(cube).breakdown("tag", None)
    back.add_rows([_row(1000, 5)])  # the restored cube still grows
    assert back.n == cube.n + 1
    assert Query(back).totals(None).spend == Query(cube).totals(None).spend + 5


def test_cube_file_keeps_the_cubes_that_go_with_it_under_one_checksum() -> None:
    """``parts`` (history: daily's fact cubes) come back cell for cell, and a flipped byte in
    one of them rejects the whole file."""
    main, part = Cube(), Cube()
    main.add_rows(_row(i, 10) for i in range(20))
    part.add_rows(_row(100 + i, 7, start="2026-11-02 08:00:00") for i in range(30))
    about = {"name": "daily model × key", "known": ["key", "model"], "first_day": 1, "last_day": 2}
    out = io.BytesIO()
    write_cube(out, main, {"x": 1}, [(about, part)])
    meta, arrays = read_cube_file(out.getvalue())
    [(described, back)] = cube_file.part_cubes(meta, arrays)
    assert {k: described[k] for k in about} == about
    assert Query(back).breakdown("model", None) == Query(part).breakdown("model", None)
    assert Query(build_cube(meta, arrays, 0)).totals(None) == Query(main).totals(None)
    data = bytearray(out.getvalue())
    spot = data.find(b"p0_m0.npy")  # the part's spend column, by its zip entry name
    assert spot > 0
    data[data.index(b"\x93NUMPY", spot) + 130] ^= 0x01  # past the 128-byte .npy header: a value
    with pytest.raises(CorruptCache):
        read_cube_file(bytes(data))


def test_cube_file_rejects_ids_out_of_range() -> None:
    """A file with a correct checksum but impossible contents is still refused."""
    cube = Cube()
    cube.add_rows(_row(i, 10) for i in range(20))
    arrays = cube_arrays(cube)
    arrays["kctx"] = arrays["kctx"].astype(np.int32)
    arrays["kctx"][0] = 999
    meta = {
        "magic": "spendtui-cube",
        "format": cube_file.FORMAT,
        "n": cube.n,
        "sorted_n": cube.sorted_n,
        "spend_bound": 200,
        "quality": {"bad_spend": 0, "bad_time": 0, "bad_tags": 0, "duplicates": 0, "notes": []},
        "arrays": {k: [v.dtype.str, list(v.shape)] for k, v in arrays.items()},
    }
    meta["checksum"] = cube_file._checksum(meta, arrays)
    out = io.BytesIO()
    np.savez(out, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    meta2, arrays2 = read_cube_file(out.getvalue())
    with pytest.raises(CorruptCache, match="kctx"):
        build_cube(meta2, arrays2, 0)


def test_reports_use_the_cache_and_stay_exact(live: Path, capsys) -> None:
    from spendtui.cli import main

    argv = ["report", "models", "--db", f"sqlite:///{live}", "--start", "2026-11-10", "--end", "2026-11-27"]

    def run() -> dict:
        assert main([*argv, "--format", "json"]) == 0
        return json.loads(capsys.readouterr().out)

    first = run()
    (saved,) = (Path(os.environ["XDG_CACHE_HOME"]) / "spendtui").glob("cube-*.npz")
    assert run() == first
    append(live, 9, 200, FIXED_NOW - timedelta(hours=2), FIXED_NOW)
    third = run()
    assert third["total"]["requests"] == first["total"]["requests"] + 200
    truth = Truth(f"sqlite:///{live}")
    spend, requests, *_ = truth.total(date(2026, 11, 10), date(2026, 11, 27))
    assert third["total"]["requests"] == requests and abs(third["total"]["spend"] - spend) < 1e-6
    assert saved.exists()
