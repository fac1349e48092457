"""``history: daily`` on LiteLLM's real PostgreSQL: closed days from the daily tables LiteLLM
itself wrote, live days from its request logs, each checked against independent SQL.

The peer's database is only read (SELECT). Tests that change data work on a scratch copy
of the peer's tables on the test server (``SPENDTUI_TEST_PG``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from spendtui import timeutil
from spendtui.cache import CubeCache
from spendtui.cli import main
from spendtui.config import Config, Profile
from spendtui.core.facts import NotExact
from spendtui.core.query import Filters, Window
from spendtui.dashboard.snapshot import source_note
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import fixed_clock
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from tests.helpers import create_pg_database, load_real_schema, need
from tests.peer import PEER_DB, Workload, peer_problem, wait_until_written, written
from tests.test_reports_sqlite import assert_rows, assert_total
from tests.truth import Truth

pytestmark = [pytest.mark.peer, pytest.mark.postgres]

DAILY = ("LiteLLM_DailyUserSpend", "LiteLLM_DailyTeamSpend", "LiteLLM_DailyTagSpend", "LiteLLM_DailyEndUserSpend")
DAILY_USER = '"LiteLLM_DailyUserSpend"'
MODEL = "CASE WHEN coalesce(model_group, '') = '' THEN coalesce(model, '') ELSE model_group END"
SUMS = (
    "sum(spend), sum(api_requests), sum(prompt_tokens), sum(completion_tokens), sum(prompt_tokens + completion_tokens)"
)
KINDS = {"models": MODEL, "keys": "api_key", "daily": "date", "users": "user_id"}


@pytest.fixture(scope="module")
def peer() -> str:
    problem = peer_problem()
    need(problem is None, problem or "")
    with _engine(PEER_DB).connect() as conn:
        rows = conn.execute(text('SELECT count(*) FROM "LiteLLM_DailyUserSpend"')).scalar_one()
    if not rows:  # a fresh peer: give LiteLLM something to write
        work = Workload()
        work.create()
        baseline = written(PEER_DB)["logs"][0]
        work.send()
        wait_until_written(PEER_DB, at_least=baseline + work.sent)
    else:  # requests sent by earlier tests: LiteLLM writes its daily tables in batches
        wait_until_written(PEER_DB, at_least=written(PEER_DB)["logs"][0])
    return PEER_DB


def _engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def _rows(url: str, sql: str, params: dict) -> dict:
    with _engine(url).connect() as conn:
        found = conn.execute(text(sql), params).fetchall()
    return {(r[0] if r[0] not in (None, "") else "(none)"): tuple(float(v or 0) for v in r[1:]) for r in found}


def daily_truth(url: str, kind: str, first: date, last: date) -> dict:
    """Independent SQL over LiteLLM's user daily table for closed days."""
    sql = (
        f'SELECT {KINDS[kind]}, {SUMS} FROM "LiteLLM_DailyUserSpend" '  # noqa: S608
        f"WHERE date BETWEEN :a AND :b GROUP BY 1"
    )
    return _rows(url, sql, {"a": first.isoformat(), "b": last.isoformat()})


def logs_truth(url: str, kind: str, first: date, last: date) -> dict:
    truth = Truth(url)
    if kind == "models":
        return truth.model(first, last)
    if kind == "daily":
        return truth.daily(first, last)
    return truth.by({"keys": "api_key", "users": '"user"'}[kind], first, last)


def combined(*parts: dict) -> dict:
    out: dict[str, tuple] = {}
    for part in parts:
        for name, values in part.items():
            have = out.get(name, (0.0, 0, 0, 0, 0))
            out[name] = tuple(a + b for a, b in zip(have, values, strict=True))
    return {n: (v[0], int(v[1]), int(v[2]), int(v[3]), int(v[4])) for n, v in out.items() if v[1] or v[0] > 1e-12}


def run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main([*argv, "--format", "json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if code == 0 else None), out.err


def nonzero(doc: dict) -> dict:
    return {**doc, "rows": [r for r in doc["rows"] if r["requests"] or r["spend"] > 1e-12]}


def shift_clock(monkeypatch: pytest.MonkeyPatch, days: int) -> date:
    """Make spendtui's clock run ``days`` ahead; returns the new today."""

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime.now(tz) + timedelta(days=days)

    monkeypatch.setattr(timeutil, "datetime", Later)
    return (datetime.now(UTC) + timedelta(days=days)).date()


def test_closed_days_come_from_litellms_daily_tables(capsys, monkeypatch, peer) -> None:
    """Three days on, every day the peer wrote is closed: reports equal SQL over the daily tables."""
    today = shift_clock(monkeypatch, 3)
    first = today - timedelta(days=9)
    window = ["--start", first.isoformat(), "--end", today.isoformat()]
    for attempt in range(3):  # noqa: B007  # the peer is shared: retry if LiteLLM wrote meanwhile
        before = {k: daily_truth(peer, k, first, today) for k in KINDS}
        docs = {k: run(capsys, "report", k, "--db", peer, "--history", "daily", *window) for k in KINDS}
        if before == {k: daily_truth(peer, k, first, today) for k in KINDS}:
            break
    assert attempt < 2, "the peer kept writing"
    for kind, (code, doc, err) in docs.items():
        assert code == 0, err
        assert doc is not None
        expected = combined(before[kind])
        assert expected, "the peer's daily tables are empty"
        assert_rows(nonzero(doc), expected)
        assert "disagree" not in err, err


def test_live_days_come_from_the_request_logs(capsys, peer) -> None:
    """Without a clock shift every row is live: daily mode reads the logs, as logs mode does."""
    for kind in KINDS:
        code, daily, err = run(capsys, "report", kind, "--db", peer, "--history", "daily")
        assert code == 0, err
        code, logs, err = run(capsys, "report", kind, "--db", peer)
        assert code == 0, err
        assert daily == logs, kind
        assert daily is not None
        start, end = date.fromisoformat(daily["start"]), date.fromisoformat(daily["end"])
        assert_total(daily, Truth(peer).total(start, end))


def test_questions_the_daily_tables_cannot_answer_are_refused(peer) -> None:
    clock = fixed_clock(datetime.now(UTC) + timedelta(days=3))
    engine = SpendEngine(DatabaseSource(parse_database_url(peer), history="daily"), clock=clock)
    try:
        today = engine.today()
        engine.load(today - 9)
        window = Window(today - 9, today)
        model = engine.query.breakdown("model", window)[0].name
        with pytest.raises(NotExact, match="cannot answer customer × model exactly"):
            engine.query.breakdown("customer", window, Filters(model=frozenset({model})))
        assert engine.save_cache() is False  # no warm restart from a cube without the history
        assert "daily tables" in source_note(engine)
    finally:
        engine.close()


# --------------------------------------------------------------------- scratch copy
def _columns(conn, table: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Column -> type; LiteLLM's big JSON columns (prompts, metadata) are left out."""
    sql = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t"
    skip = {"metadata", "messages", "response", "proxy_server_request"}
    return {r[0]: r[1] for r in conn.execute(text(sql), {"t": table}) if r[0] not in skip}


@pytest.fixture
def scratch(peer) -> tuple[str, date]:
    """The peer's newest day of logs and daily rows, copied into a scratch database twice:
    as today (live) and as two days ago (the newest closed day)."""
    url = create_pg_database("spendtui_test_pgdaily")
    load_real_schema(url)
    today = datetime.now(UTC).date()
    with _engine(peer).connect() as src, _engine(url).begin() as dst:
        newest = src.execute(text('SELECT max(date) FROM "LiteLLM_DailyUserSpend"')).scalar_one()
        source_day = date.fromisoformat(newest)
        for table in ("LiteLLM_SpendLogs", *DAILY):
            types = _columns(src, table)
            cols = [c for c in types if c in _columns(dst, table)]
            where = '"startTime"::date = :d' if table == "LiteLLM_SpendLogs" else "date = :d"
            picked = ", ".join(f'"{c}"::text AS "{c}"' if types[c] == "jsonb" else f'"{c}"' for c in cols)
            rows = src.execute(
                text(f'SELECT {picked} FROM "{table}" WHERE {where}'),  # noqa: S608
                {"d": source_day if table == "LiteLLM_SpendLogs" else newest},
            ).mappings()
            batch = [dict(r) for r in rows]
            for to_day, suffix in ((today, ""), (today - timedelta(days=2), "-closed")):
                moved = []
                for r in batch:
                    r = dict(r)
                    shift = to_day - source_day
                    if table == "LiteLLM_SpendLogs":
                        r["request_id"] += suffix
                        for c in ("startTime", "endTime", "completionStartTime", "created_at", "updated_at"):
                            if r.get(c) is not None:
                                r[c] = r[c] + shift
                    else:
                        r["id"] += suffix
                        r["date"] = to_day.isoformat()
                    moved.append(r)
                if moved:
                    names = ", ".join(f'"{c}"' for c in cols)
                    values = ", ".join(f"CAST(:{c} AS jsonb)" if types[c] == "jsonb" else f":{c}" for c in cols)
                    dst.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({values})'), moved)  # noqa: S608
        # live days must not come from the daily tables: spoil today's rows there
        dst.execute(text('UPDATE "LiteLLM_DailyUserSpend" SET spend = spend * 7 WHERE date = :d'), {"d": str(today)})
    return url, today


def test_closed_and_live_days_together(capsys, scratch) -> None:
    url, today = scratch
    first = today - timedelta(days=6)
    window = ["--start", first.isoformat(), "--end", today.isoformat()]
    closed_last = today - timedelta(days=2)
    # closed days must come from the daily tables: make the closed day's logs differ
    with _engine(url).begin() as conn:
        conn.execute(
            text('UPDATE "LiteLLM_SpendLogs" SET spend = spend * 3 WHERE "startTime" < :d'),
            {"d": datetime.combine(today - timedelta(days=1), datetime.min.time())},
        )
    for kind in KINDS:
        code, doc, err = run(capsys, "report", kind, "--db", url, "--history", "daily", *window)
        assert code == 0, err
        assert doc is not None
        expected = combined(
            daily_truth(url, kind, first, closed_last),
            logs_truth(url, kind, today - timedelta(days=1), today),
        )
        assert_rows(nonzero(doc), expected)
        assert f"disagree on {closed_last}" in err, err


def test_a_disagreement_between_tables_and_logs_is_said(capsys, scratch) -> None:
    url, today = scratch
    closed = today - timedelta(days=2)
    _spoil_closed_day(url, closed)
    code, doc, err = run(capsys, "report", "daily", "--db", url, "--history", "daily")
    assert code == 0, err
    assert f"disagree on {closed}" in err and f"checked: {today - timedelta(days=2)}" in err, err
    # the logs mode reads the logs only and has nothing to compare
    code, _, err = run(capsys, "report", "daily", "--db", url)
    assert code == 0 and "disagree" not in err


def _spoil_closed_day(url: str, closed: date) -> None:
    with _engine(url).begin() as conn:
        conn.execute(
            text(
                'UPDATE "LiteLLM_DailyUserSpend" SET spend = spend + 0.5 '
                'WHERE id = (SELECT min(id) FROM "LiteLLM_DailyUserSpend" WHERE date = :d)'
            ),
            {"d": closed.isoformat()},
        )


def test_the_dashboard_checks_the_tables_after_drawing_their_figures(scratch) -> None:
    """The engine can leave the cross-check (a note, not figures) until the data is out;
    the figures are the daily tables' either way, and the note arrives once it has run."""
    url, today = scratch
    closed = today - timedelta(days=2)
    _spoil_closed_day(url, closed)
    engine = SpendEngine(DatabaseSource(parse_database_url(url), history="daily"))
    try:
        engine.defer_followups = True
        first = engine.today() - 6
        engine.load(first)
        assert engine.followups_pending
        assert not any("disagree" in n for n in engine.cube.quality.notes)
        window = Window(first, engine.today())
        total = engine.query.totals(window)
        closed_truth = daily_truth(url, "daily", today - timedelta(days=6), closed)
        live_truth = logs_truth(url, "daily", today - timedelta(days=1), today)
        expected = sum(v[0] for v in closed_truth.values()) + sum(v[0] for v in live_truth.values())
        assert expected > 0 and abs(total.spend / 10**12 - expected) < 1e-6  # the spoilt half dollar included
        assert engine.run_followups() is True
        assert any(f"disagree on {closed}" in n for n in engine.cube.quality.notes), engine.cube.quality.notes
        assert not engine.followups_pending and engine.run_followups() is False
    finally:
        engine.close()


async def test_the_dashboard_shows_the_disagreement_once_checked(scratch) -> None:
    url, today = scratch
    closed = today - timedelta(days=2)
    _spoil_closed_day(url, closed)
    profile = Profile(name="pg", database_url=url, history="daily")
    app = SpendApp(Launch(config=Config(path=None, profiles={}, active=profile), autopoll=False))
    async with app.run_test(size=(120, 45)) as pilot:
        for _ in range(300):
            await pilot.pause(0.1)
            if f"disagree on {closed}" in app.status.extra:
                break
        assert f"disagree on {closed}" in app.status.extra, app.status.extra
        assert app.engine is not None and not app.engine.followups_pending


def test_a_key_with_two_users_refuses_a_user_report_with_exit_3(capsys, scratch) -> None:
    url, today = scratch
    closed = (today - timedelta(days=2)).isoformat()
    with _engine(url).begin() as conn:
        row = (
            conn.execute(
                text(
                    "SELECT * FROM \"LiteLLM_DailyUserSpend\" WHERE date = :d AND coalesce(user_id, '') <> '' LIMIT 1"
                ),
                {"d": closed},
            )
            .mappings()
            .one()
        )
        other = {**row, "id": row["id"] + "-other", "user_id": row["user_id"] + "-other"}
        names = ", ".join(f'"{c}"' for c in other)
        conn.execute(
            text(f'INSERT INTO "LiteLLM_DailyUserSpend" ({names}) VALUES ({", ".join(f":{c}" for c in other)})'),  # noqa: S608
            other,
        )
    code, _, err = run(capsys, "report", "user", row["user_id"], "--db", url, "--history", "daily")
    assert code == 3, err
    assert "cannot answer" in err and "user" in err, err
    code, _, err = run(capsys, "report", "user", row["user_id"], "--db", url)  # logs: exact
    assert code == 0, err


def _write_request(url: str, request_id: str, api_key: str, spend: float, hours_before: int = 0) -> None:
    """One request log row, written now, as LiteLLM writes it, for a request that started
    now or ``hours_before`` hours ago (a late batch), but not before today's UTC midnight:
    a late row for a day the cube cache holds closed makes a warm start load in full (the
    safe way), which in the small hours (UTC) made the warm-restart test below fail."""
    now = "now() AT TIME ZONE 'UTC'"
    started = f"greatest({now} - make_interval(hours => {int(hours_before)}), date_trunc('day', {now}))"
    with _engine(url).begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, "startTime", "endTime", '
                f"model, model_group, created_at, updated_at) VALUES (:id, 'acompletion', :key, :spend, "
                f"{started}, {started}, 'm', 'm', {now}, {now})"
            ),
            {"id": request_id, "key": api_key, "spend": spend},
        )


def test_polls_add_new_requests_to_the_live_days(scratch) -> None:
    url, today = scratch
    engine = SpendEngine(DatabaseSource(parse_database_url(url), history="daily"))
    try:
        engine.load(engine.today() - 6)
        window = Window(engine.today() - 6, engine.today())
        before = engine.query.totals(window)
        _write_request(url, "poll-1", "k-poll", 0.25)
        assert engine.refresh(deep=True).rows == 1
        after = engine.query.totals(window)
        assert after.requests == before.requests + 1
        assert after.spend - before.spend == 250_000_000_000
        assert source_note(SpendEngine(DatabaseSource(parse_database_url(url)))) == ""  # logs: nothing to say
    finally:
        engine.close()


def _answers(engine: SpendEngine, window: Window) -> dict:
    out = {"total": engine.query.totals(window)}
    for dim in ("model", "provider", "key", "user", "team", "customer", "tag"):
        out[dim] = sorted((g.name, g.totals) for g in engine.query.breakdown(dim, window))
    out["daily"] = engine.query.daily(window)
    out["hourly"] = engine.query.hourly(window.last_day)
    return out


def test_a_warm_restart_keeps_the_daily_history(scratch, tmp_path) -> None:
    """history: daily is cached like history: logs: the next start restores the closed
    days' fact cubes with the live cube, reads what was written since, and answers as a
    cold load does (refusals included); a history: logs start does not take its file."""
    url, today = scratch
    source = lambda history: DatabaseSource(parse_database_url(url), history=history)  # noqa: E731
    first = today - timedelta(days=6)
    window = Window(timeutil.day_number(first), timeutil.day_number(today))
    cached = SpendEngine(source("daily"), cache=CubeCache(tmp_path))
    cached.load(window.first_day)
    assert cached.fact_cubes and cached.cache is not None and cached.cache.status.startswith("no cube cache yet")
    cached.close()  # saves
    _write_request(url, "away-1", "k-away", 0.125)  # written while spendtui was away
    warm = SpendEngine(source("daily"), cache=CubeCache(tmp_path))
    cold = SpendEngine(source("daily"))
    try:
        warm.load(window.first_day)
        assert warm.cache is not None and warm.cache.status.startswith("restored"), warm.cache.status
        assert "1 new rows" in warm.cache.status and "of closed days' history" in warm.cache.status, warm.cache.status
        cold.load(window.first_day)
        assert [f.name for f in warm.fact_cubes] == [f.name for f in cold.fact_cubes]
        assert (warm.live_first_day, warm.partial_measures) == (cold.live_first_day, cold.partial_measures)
        assert _answers(warm, window) == _answers(cold, window)
        expected = combined(
            daily_truth(url, "daily", first, today - timedelta(days=2)),
            logs_truth(url, "daily", today - timedelta(days=1), today),
        )
        total = warm.query.totals(window)
        assert total.requests == sum(v[1] for v in expected.values())
        assert abs(total.spend / 10**12 - sum(v[0] for v in expected.values())) < 1e-6
        model = warm.query.breakdown("model", window)[0].name
        with pytest.raises(NotExact, match="cannot answer customer × model exactly"):
            warm.query.breakdown("customer", window, Filters(model=frozenset({model})))
    finally:
        warm.close()
        cold.close()
    logs = SpendEngine(source("logs"), cache=CubeCache(tmp_path))
    try:
        logs.load(window.first_day)
        assert logs.cache is not None and logs.cache.status.startswith("no cube cache yet"), logs.cache.status
        assert not logs.fact_cubes
    finally:
        logs.close()


def test_without_the_user_table_every_day_comes_from_the_logs(capsys, scratch) -> None:
    url, today = scratch
    with _engine(url).begin() as conn:
        conn.execute(text('DROP TABLE "LiteLLM_DailyUserSpend"'))
    first = today - timedelta(days=6)
    window = ["--start", first.isoformat(), "--end", today.isoformat()]
    code, doc, err = run(capsys, "report", "models", "--db", url, "--history", "daily", *window)
    assert code == 0, err
    assert "history: daily needs LiteLLM_DailyUserSpend" in err
    assert doc is not None
    assert_rows(nonzero(doc), logs_truth(url, "models", first, today))


def test_without_the_team_table_teams_over_closed_days_are_refused(capsys, scratch) -> None:
    url, today = scratch
    with _engine(url).begin() as conn:
        conn.execute(text('DROP TABLE "LiteLLM_DailyTeamSpend"'))
    first = today - timedelta(days=6)
    window = ["--start", first.isoformat(), "--end", today.isoformat()]
    code, _, err = run(capsys, "report", "teams", "--db", url, "--history", "daily", *window)
    assert code == 3 and "cannot answer team exactly" in err, err
    code, doc, err = run(capsys, "report", "models", "--db", url, "--history", "daily", *window)
    assert code == 0, err


async def test_the_dashboard_restarts_warm_then_reads_the_rows_written_late(scratch) -> None:
    """A warm restart draws what the cache and the rows written since give (found through
    the "startTime" index), then reads the rows written while it was away for requests
    long before (a scan of two days without an index on created_at), and shows them."""
    url, today = scratch
    profile = Profile(name="pg", database_url=url, history="daily")

    def dashboard() -> SpendApp:
        return SpendApp(Launch(config=Config(path=None, profiles={}, active=profile), autopoll=False))

    async def settled(app: SpendApp, pilot) -> None:  # type: ignore[no-untyped-def]
        for _ in range(300):
            await pilot.pause(0.1)
            if app.applied is not None and app.engine is not None and not app.engine.followups_pending:
                await app.workers.wait_for_complete()
                await pilot.pause(0.1)
                return
        raise AssertionError("the dashboard never settled")

    _write_request(url, "before-1", "k-before", 0.5)  # the cache's mark: now
    app = dashboard()
    async with app.run_test(size=(120, 45)) as pilot:
        await settled(app, pilot)
    _write_request(url, "away-new", "k-away", 0.125)  # while spendtui was away
    _write_request(url, "away-late", "k-away", 0.375, hours_before=6)  # ... for a request 6 h before
    app = dashboard()
    async with app.run_test(size=(120, 45)) as pilot:
        await settled(app, pilot)
        engine = app.engine
        assert engine is not None and engine.cache is not None
        assert "1 new rows read, then 1 written late for earlier requests" in engine.cache.status, engine.cache.status
        shown = app.applied.kpis.window
        first = app.state.window_for(today).first
        expected = combined(
            daily_truth(url, "daily", first, today - timedelta(days=2)),
            logs_truth(url, "daily", today - timedelta(days=1), today),
        )
        assert shown.requests == sum(v[1] for v in expected.values())
        assert abs(shown.spend / 10**12 - sum(v[0] for v in expected.values())) < 1e-6
