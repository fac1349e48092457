"""Latency percentiles (core/latency.py, core/latency_cells.py, sources/db/latency.py)
against ground truth written independently of spendtui: exact nearest-rank percentiles
in SQL (SQLite: ROW_NUMBER() over the usable durations; PostgreSQL: percentile_disc),
over a real LiteLLM-layout database with every kind of row the rule tells apart.

spendtui reports the value of a log bucket, so a percentile must be within
RELATIVE_ERROR (2 %) of the exact one; request counts must be equal."""

from __future__ import annotations

import random
import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from math import ceil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from spendtui.core.dims import Dimensions
from spendtui.core.latency import MAX_MS, N_BUCKETS, RELATIVE_ERROR, Latency, bucket_of, bucket_value, percentile_bucket
from spendtui.core.latency_cells import LatencyCache, LatencyCells
from spendtui.core.selection import NO_FILTERS, Filters, Window
from spendtui.demo.schema import LITELLM_DDL
from spendtui.engine import SpendEngine
from spendtui.errors import SourceDataError
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_date, day_number, fixed_clock
from tests.helpers import FIXED_NOW, pg_copy_of

FIRST, TODAY = date(2026, 11, 20), FIXED_NOW.date()  # 2026-11-20 .. 2026-11-27
FULL = Window.from_dates(FIRST, TODAY)
PART = Window.from_dates(date(2026, 11, 22), date(2026, 11, 24))
PROD = {"tag": frozenset({"env:prod"})}
BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)]
COLUMNS = (
    'request_id, call_type, api_key, spend, "startTime", "endTime", "completionStartTime", '
    "model, model_group, team_id, request_tags, status, request_duration_ms"
)
MODEL_SQL = "CASE WHEN coalesce(model_group, '') = '' THEN model ELSE model_group END"
GROUPS = {"model": MODEL_SQL, "key": "api_key", "team": "coalesce(team_id, '')"}
TAGS = ["[]", '["env:prod"]', '["env:dev"]', '["env:prod", "proj:alpha"]']


# ---------------------------------------------------------------- the bucket rule
@given(st.one_of(st.integers(0, MAX_MS), st.floats(0, MAX_MS, allow_nan=False)))
def test_bucket_value_is_within_relative_error(ms: float) -> None:
    value = bucket_value(bucket_of(ms))
    if ms < 1:
        assert bucket_of(ms) == 0 and value == 0
    else:
        assert abs(value - ms) <= RELATIVE_ERROR * ms * (1 + 1e-12)


@given(st.floats(0, MAX_MS, allow_nan=False), st.floats(0, MAX_MS, allow_nan=False))
def test_bucket_of_is_monotonic(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert 0 <= bucket_of(low) <= bucket_of(high) < N_BUCKETS


@given(st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=300), st.sampled_from([1, 50, 95, 99, 100]))
def test_percentile_bucket_is_the_bucket_of_the_nearest_rank_sample(samples: list[float], percent: int) -> None:
    counts = [0] * N_BUCKETS
    for x in samples:
        counts[bucket_of(x)] += 1
    exact = sorted(samples)[ceil(Fraction(percent * len(samples), 100)) - 1]
    assert percentile_bucket(counts, percent) == bucket_of(exact)
    assert percentile_bucket([0] * N_BUCKETS, percent) is None


# ---------------------------------------------------------------- a database with every kind of row
def stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}"


def row(
    rid: str,
    start: datetime,
    end_ms: int,
    *,
    duration: int | None,
    first_ms: int | None,
    model: str = "gpt-4o",
    key: str = "sk-a",
    team: str | None = "team-1",
    tags: str = "[]",
    status: str | None = "success",
    grouped: bool = True,
) -> tuple:
    """One log row; ``end_ms`` and ``first_ms`` (the first token) are ms after ``start``."""
    first = None if first_ms is None else stamp(start + timedelta(milliseconds=first_ms))
    end = stamp(start + timedelta(milliseconds=end_ms))
    names = (f"deploy/{model}", model) if grouped else (model, "")
    return (rid, "acompletion", key, 0.001, stamp(start), end, first, *names, team, tags, status, duration)


def nov(day: int, hour: int, minute: int = 0, second: int = 0, ms: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, ms * 1000, tzinfo=UTC)


def random_rows(seed: int, n: int, days: list[date], prefix: str) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        day = rng.choice(days)
        hour = rng.randrange(12) if day == TODAY else rng.randrange(24)
        start = nov(day.day, hour, rng.randrange(60), rng.randrange(60), rng.randrange(1000))
        dur = max(50, int(rng.lognormvariate(7, 1.1)))
        logged = rng.random() < 0.6  # else request_duration_ms is NULL: "endTime" - "startTime"
        end = dur + rng.randrange(40) if logged else dur  # (logged: the span is not the duration)
        kind = rng.random()
        first = rng.randint(1, dur - 1) if kind < 0.45 else end if kind < 0.8 else None
        status = rng.choice(["failure", None, None, "success", "success", "success", "success"])
        if status == "failure":  # slow and streamed: counted, they would move every percentile
            logged, dur, first = True, dur * 20, 10
        out.append(
            row(
                f"{prefix}{i}",
                start,
                end,
                duration=dur if logged else None,
                first_ms=first,
                model=rng.choice(["gpt-4o", "claude-3-5", "llama-3"]),
                key=rng.choice(["sk-a", "sk-b", "sk-c", "sk-d"]),
                team=rng.choice(["team-1", "team-2", "team-3", None]),
                tags=rng.choice(TAGS),
                status=status,
                grouped=rng.random() < 0.8,
            )
        )
    return out


def special_rows() -> list[tuple]:
    at = nov(21, 9, 30, 0, 125)
    return [
        # cache hits of 0 ms (their own key: its percentiles are exactly 0)
        *(row(f"zero{i}", at, 0, duration=0, first_ms=0, key="sk-zero", tags='["env:prod"]') for i in range(3)),
        row("zero-span", at, 0, duration=None, first_ms=None, key="sk-zero"),
        # unusable durations: negative, negative span, over a day
        row("neg", at, 300, duration=-5, first_ms=300),
        row("neg-span", at, -1000, duration=None, first_ms=None),
        row("huge", at, 500, duration=90_000_000, first_ms=None),
    ]


def insert(path: Path, rows: list[tuple]) -> None:
    with sqlite3.connect(path) as conn:
        conn.executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({", ".join("?" * 13)})', rows)
    conn.close()


@pytest.fixture(scope="module")
def lat_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("latency") / "latency.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(LITELLM_DDL)
    conn.close()
    days = [FIRST + timedelta(days=i) for i in range(8)]
    insert(path, random_rows(3, 600, days, "r") + special_rows())
    return path


@pytest.fixture(scope="module")
def pg_url(lat_db: Path) -> str:
    return pg_copy_of(lat_db, "spendtui_test_latency")


@pytest.fixture
def url(request: pytest.FixtureRequest, backend: str, lat_db: Path) -> str:
    return request.getfixturevalue("pg_url") if backend == "pg" else f"sqlite:///{lat_db}"


# ---------------------------------------------------------------- ground truth in SQL
Exact = dict[str, tuple[int, float, float]]


def truth(
    url: str, group: str, window: Window, what: str = "duration", extra: str = "", ok: str = "", **params: str
) -> Exact:
    """Per value of ``group``: successful requests (``ok``: which ones count) with a usable
    value of ``what`` (duration or ttft) in ``window``, and its exact nearest-rank p50 and p95."""
    pg = url.startswith("postgresql")
    if pg:
        ms = lambda c: f"(EXTRACT(EPOCH FROM {c}) * 1000)"  # noqa: E731
    else:  # whole seconds, then the millisecond digits: exact integers
        ms = lambda c: f"(CAST(strftime('%s', {c}) AS INTEGER) * 1000 + CAST(substr({c}, 21, 3) AS INTEGER))"  # noqa: E731
    start, end, first = '"startTime"', '"endTime"', '"completionStartTime"'
    value = {
        "duration": f"coalesce(request_duration_ms, {ms(end)} - {ms(start)})",
        "ttft": f"CASE WHEN {first} < {end} THEN {ms(first)} - {ms(start)} END",
    }[what]
    ts = "CAST(:{} AS timestamp)" if pg else ":{}"
    ok = ok or "(status IS NULL OR status <> 'failure')"
    where = f"{ok} AND {start} >= {ts.format('lo')} AND {start} < {ts.format('hi')} {extra}"
    usable = (
        f'SELECT {group} AS g, x FROM (SELECT *, {value} AS x FROM "LiteLLM_SpendLogs" WHERE {where}) AS s '  # noqa: S608
        f"WHERE x >= 0 AND x <= {MAX_MS}"
    )
    if pg:
        sql = (
            "SELECT g, count(*), percentile_disc(0.5) WITHIN GROUP (ORDER BY x), "
            f"percentile_disc(0.95) WITHIN GROUP (ORDER BY x) FROM ({usable}) AS u GROUP BY g"
        )
    else:  # the row whose rank r has (r - 1) < q * n <= r
        pick = "max(CASE WHEN rn * 100 >= {q} * n AND (rn - 1) * 100 < {q} * n THEN x END)"
        sql = (
            f"SELECT g, n, {pick.format(q=50)}, {pick.format(q=95)} FROM (SELECT g, x, "
            "ROW_NUMBER() OVER (PARTITION BY g ORDER BY x) AS rn, COUNT(*) OVER (PARTITION BY g) AS n "
            f"FROM ({usable}) AS u) AS r GROUP BY g, n"
        )
    params = {"lo": day_date(window.first_day).isoformat(), "hi": day_date(window.last_day + 1).isoformat(), **params}
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    engine.dispose()
    return {str(g): (int(n), float(p50), float(p95)) for g, n, p50, p95 in rows}


def tag_sql(filters: dict) -> tuple[str, dict[str, str]]:
    if not filters:
        return "", {}
    return "AND CAST(request_tags AS TEXT) LIKE :tag", {"tag": '%"env:prod"%'}


def near(reported: float | None, exact: float | None) -> bool:
    if exact is None or reported is None:
        return reported is exact
    if exact == 0:
        return reported == 0
    # (spans are whole milliseconds on both databases: spendtui rounds SQLite's julianday)
    return abs(reported - exact) <= RELATIVE_ERROR * exact * (1 + 1e-12)


def assert_matches(got: dict[str, Latency], spans: Exact, firsts: Exact) -> None:
    assert got, "the question should select some requests"
    assert set(got) == set(spans) | set(firsts)
    for g, lat in got.items():
        n, p50, p95 = spans.get(g, (0, None, None))
        tn, t50, t95 = firsts.get(g, (0, None, None))
        assert (lat.requests, lat.ttft_requests) == (n, tn), g
        for reported, exact in ((lat.p50_ms, p50), (lat.p95_ms, p95), (lat.ttft_p50_ms, t50), (lat.ttft_p95_ms, t95)):
            assert near(reported, exact), (g, lat, spans.get(g), firsts.get(g))


def read_cells(url: str, window: Window = FULL) -> LatencyCells:
    cells = LatencyCells(Dimensions())
    cells.replace(DatabaseSource(parse_database_url(url)).latency_groups(window.first_day, window.last_day))
    return cells


# ---------------------------------------------------------------- spendtui against the truth
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("window", [FULL, PART], ids=["all-days", "3-days"])
@pytest.mark.parametrize("tagged", [{}, PROD], ids=["no-filter", "tag"])
def test_breakdowns_and_overall_equal_sql(url: str, lat_db: Path, window: Window, tagged: dict) -> None:
    cells = read_cells(url)
    filters = Filters(**tagged)
    extra, params = tag_sql(tagged)
    for dimension, column in GROUPS.items():
        spans = truth(url, column, window, "duration", extra, **params)
        firsts = truth(url, column, window, "ttft", extra, **params)
        assert_matches(cells.by(dimension, window, filters), spans, firsts)
        if url.startswith("postgresql"):  # the two truths, one per engine, agree exactly
            assert spans == truth(f"sqlite:///{lat_db}", column, window, "duration", extra, **params)
    spans, firsts = (truth(url, "'all'", window, what, extra, **params) for what in ("duration", "ttft"))
    assert_matches({"all": cells.overall(window, filters)}, spans, firsts)
    assert spans["all"][0] > firsts["all"][0] > 20  # (streamed, not streamed, no first token)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("window", [FULL, PART], ids=["all-days", "3-days"])
def test_report_aggregate_equals_sql(url: str, window: Window) -> None:
    """Reports read one aggregate per dimension (``latency_by``), not the cells: the same
    truth, the unusable durations counted, and the total over every request."""
    source = DatabaseSource(parse_database_url(url))
    for dimension, column in GROUPS.items():
        found = source.latency_by(dimension, window.first_day, window.last_day)
        assert_matches(found.rows, truth(url, column, window, "duration"), truth(url, column, window, "ttft"))
        spans, firsts = (truth(url, "'all'", window, what) for what in ("duration", "ttft"))
        assert_matches({"all": found.total}, spans, firsts)
        assert found.unusable == (3 if window == FULL else read_cells(url, window).unusable)


@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_ms_failures_and_unusable_rows(url: str) -> None:
    cells = read_cells(url)
    zero = cells.by("key", FULL)["sk-zero"]
    assert zero == Latency(4, 0.0, 0.0, 0, None, None)  # (a first token at the end: not streamed)
    assert cells.unusable == 3  # -5 ms, a negative span, 25 hours
    successes, everything = (truth(url, "'all'", FULL, ok=ok)["all"][0] for ok in ("", "1 = 1"))
    assert cells.overall(FULL).requests == successes < everything - 40  # (failures are left out)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("tagged", [{}, PROD], ids=["no-filter", "tag"])
def test_daily_equals_sql(url: str, tagged: dict) -> None:
    day_sql = 'substr("startTime", 1, 10)' if url.startswith("sqlite") else "to_char(\"startTime\", 'YYYY-MM-DD')"
    extra, params = tag_sql(tagged)
    daily = read_cells(url).daily(FULL, Filters(**tagged))
    assert [d for d, _ in daily] == [FIRST + timedelta(days=i) for i in range(FULL.days)]
    got = {d.isoformat(): lat for d, lat in daily if lat.requests or lat.ttft_requests}
    assert len(got) == FULL.days
    assert_matches(
        got, truth(url, day_sql, FULL, "duration", extra, **params), truth(url, day_sql, FULL, "ttft", extra, **params)
    )


def test_engine_latency_cells_with_filters(lat_db: Path) -> None:
    url = f"sqlite:///{lat_db}"
    engine = SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(FIXED_NOW))
    try:
        engine.load(FULL.first_day)
        cells = engine.latency_cells(FULL.first_day)
        filters = Filters(model=frozenset({"claude-3-5"}), key=frozenset({"sk-a", "sk-b"}))
        extra = f"AND {MODEL_SQL} = 'claude-3-5' AND api_key IN ('sk-a', 'sk-b')"
        spans, firsts = (truth(url, "coalesce(team_id, '')", PART, what, extra) for what in ("duration", "ttft"))
        assert_matches(cells.by("team", PART, filters), spans, firsts)
    finally:
        engine.close()


# ---------------------------------------------------------------- LatencyCache: polls fold in
def fresh_rows(prefix: str, n: int, seed: int, newest: datetime, spread: timedelta) -> list[tuple]:
    """``n`` rows started within ``spread`` before ``newest``: streamed and not, logged
    durations and spans, failures, and one unusable duration."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = newest - spread * rng.random()
        dur = max(20, int(rng.lognormvariate(6.5, 1.0)))
        kind = rng.random()
        first = rng.randint(1, dur - 1) if kind < 0.5 else dur if kind < 0.8 else None
        status = rng.choice(["failure", None, "success", "success", "success"])
        logged = rng.random() < 0.7
        out.append(
            row(
                f"{prefix}{i}",
                start,
                dur,
                duration=(dur * 30 if status == "failure" else dur) if logged else None,
                first_ms=first,
                model=rng.choice(["gpt-4o", "claude-3-5"]),
                key=rng.choice(["sk-a", "sk-b"]),
                status=status,
            )
        )
    out.append(row(f"{prefix}-neg", newest - spread / 2, 300, duration=-7, first_ms=None))
    return out


def add_rows(url: str, rows: list[tuple]) -> None:
    """Insert log rows as the proxy would (PostgreSQL stamps ``created_at`` itself)."""
    if url.startswith("sqlite"):
        insert(Path(url.removeprefix("sqlite:///")), rows)
        return
    import psycopg

    holes = ", ".join(["%s"] * 10 + ["CAST(%s AS jsonb)", "%s", "%s"])
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({holes})', rows)


@pytest.mark.parametrize("backend", BACKENDS)
def test_polls_fold_into_the_percentiles_once(backend: str, tmp_path: Path) -> None:
    """Rows written after the load but before the latency read are counted by the read;
    the poll that then returns them must not add them again; rows written after the read
    are added by the poll (a late one for an earlier day too). Every figure equals the
    ground truth over the whole table afterwards."""
    now = datetime.now(UTC).replace(microsecond=0)
    first = day_number(now.date()) - 2
    window = Window(first, day_number(now.date()))
    path = tmp_path / "fold.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(LITELLM_DDL)
    conn.close()
    insert(path, fresh_rows("base", 300, 5, now - timedelta(minutes=3), timedelta(hours=40)))
    url = f"sqlite:///{path}" if backend == "sqlite" else pg_copy_of(path, "spendtui_test_latency_fold")
    engine = SpendEngine(DatabaseSource(parse_database_url(url)))
    try:
        engine.load(first)
        add_rows(url, fresh_rows("before-read", 40, 6, now - timedelta(seconds=5), timedelta(minutes=2)))
        held = engine.latency_cells(first).overall(window)
        add_rows(url, fresh_rows("after-read", 40, 7, now, timedelta(minutes=2)))
        add_rows(url, [row("late", now - timedelta(hours=30), 800, duration=800, first_ms=80, status=None)])
        engine.refresh()
        engine.refresh(deep=True)  # (the late row: PostgreSQL finds it on a deep poll)
        engine.refresh()
        cells = engine.latency_cells(first)
        assert cells.overall(window).requests > held.requests
        spans, firsts = (truth(url, MODEL_SQL, window, what) for what in ("duration", "ttft"))
        assert_matches(cells.by("model", window), spans, firsts)
        day_sql = 'substr("startTime", 1, 10)' if backend == "sqlite" else "to_char(\"startTime\", 'YYYY-MM-DD')"
        by_day = {d.isoformat(): lat for d, lat in cells.daily(window) if lat.requests or lat.ttft_requests}
        assert_matches(by_day, truth(url, day_sql, window), truth(url, day_sql, window, "ttft"))
        assert cells.unusable == 3  # one negative duration in each of the three batches
    finally:
        engine.close()


def test_a_poll_before_any_read_is_left_to_the_read(lat_db: Path) -> None:
    """Nothing is held before a pane asks: a poll adds nothing, the read counts it all."""
    now = [0.0]
    cache = LatencyCache(DatabaseSource(parse_database_url(f"sqlite:///{lat_db}")).latency_groups, lambda: now[0])
    dims = Dimensions()
    assert cache.held(FULL.first_day, FULL.last_day, dims) is None and cache.due
    assert cache.fold([], dims) == 0
    cells = cache.cells(FULL.first_day, FULL.last_day, dims)
    now[0] += 3600  # held from then on: no read is due however long it has been
    assert cache.held(FULL.first_day, FULL.last_day, dims) is cells and not cache.due
    assert cache.held(FULL.first_day - 1, FULL.last_day, dims) is None and cache.due  # further back: read


# ---------------------------------------------------------------- databases without the columns
def simple_db(path: Path, columns: str, rows: list[tuple]) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute(f'CREATE TABLE "LiteLLM_SpendLogs" ({columns})')
        conn.executemany(f'INSERT INTO "LiteLLM_SpendLogs" VALUES ({", ".join("?" * len(rows[0]))})', rows)
    conn.close()
    return f"sqlite:///{path}"


def test_without_duration_columns_it_says_so(tmp_path: Path) -> None:
    url = simple_db(
        tmp_path / "bare.db",
        'request_id TEXT, "startTime" TEXT, model TEXT, spend REAL',
        [("a", "2026-11-20 10:00:00", "m", 1.0)],
    )
    with pytest.raises(SourceDataError) as raised:
        read_cells(url)
    assert "request_duration_ms" in str(raised.value) and "endTime" in str(raised.value)


def test_without_request_duration_ms_the_span_is_the_duration(tmp_path: Path) -> None:
    start = nov(20, 10)
    rows = [(f"r{i}", stamp(start), stamp(start + timedelta(milliseconds=100 * i)), "m", 1.0) for i in range(1, 21)]
    url = simple_db(
        tmp_path / "span.db", 'request_id TEXT, "startTime" TEXT, "endTime" TEXT, model TEXT, spend REAL', rows
    )
    got = read_cells(url).overall(FULL, NO_FILTERS)
    assert (got.requests, got.ttft_requests, got.ttft_p50_ms) == (20, 0, None)
    assert near(got.p50_ms, 1000) and near(got.p95_ms, 1900)  # the 10th and 19th of 100..2000 ms


# ---------------------------------------------------------------- bugs found by these tests
def test_a_one_ms_span_on_sqlite_is_within_two_percent(tmp_path: Path) -> None:
    # BUG (sources/db/latency.py, _ms_between on SQLite): julianday() differences are off
    # by up to ~0.04 ms, so this 1 ms span is read as 0.966 ms: bucket 0, reported 0 ms.
    rows = [("r", "2026-11-20 10:00:00.999", "2026-11-20 10:00:01.000", "m", 1.0)]
    url = simple_db(
        tmp_path / "one.db", 'request_id TEXT, "startTime" TEXT, "endTime" TEXT, model TEXT, spend REAL', rows
    )
    got = read_cells(url).overall(FULL)
    assert got.requests == 1
    assert got.p50_ms is not None and abs(got.p50_ms - 1) <= RELATIVE_ERROR * (1 + 1e-12)


def test_a_locked_database_is_said_and_tried_again_after_a_minute(lat_db: Path, tmp_path: Path) -> None:
    """A read that fails (the file locked by a writer) is kept as the reason, not retried
    on every snapshot, and read again once ``RETRY_AFTER`` has passed."""
    import sqlite3

    from spendtui.core.lazy_cells import RETRY_AFTER

    db = tmp_path / "locked.db"
    shutil.copy(lat_db, db)
    now = [1000.0]
    source = DatabaseSource(parse_database_url(f"sqlite:///{db}"), busy_timeout=0.05)
    cache = LatencyCache(source.latency_groups, lambda: now[0])
    dims = Dimensions()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    assert cache.held(FULL.first_day, FULL.last_day, dims) is None and cache.due
    cache.read_due()
    assert cache.error is not None and "locked" in cache.error
    now[0] += RETRY_AFTER - 1
    assert cache.held(FULL.first_day, FULL.last_day, dims) is None and not cache.due  # (said, not retried)
    writer.execute("ROLLBACK")
    writer.close()
    now[0] += 1
    assert cache.held(FULL.first_day, FULL.last_day, dims) is None and cache.due
    cache.read_due()
    held = cache.held(FULL.first_day, FULL.last_day, dims)
    assert cache.error is None and held is not None
    assert held.overall(FULL).requests == truth(f"sqlite:///{db}", "'all'", FULL)["all"][0]
