"""``spendtui me`` (a key's own view) against the real LiteLLM proxy peer, with ordinary
keys of several kinds, compared with the peer's PostgreSQL read with SQL; and against a
real HTTP server on 127.0.0.1 for the proxy's failures."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from spendtui.cli import main
from spendtui.core.budget_state import budget_usd
from spendtui.core.me_model import NOT_VISIBLE, MyKeyView
from spendtui.reports.me import read_me
from spendtui.sources.proxy.http import HttpSettings
from spendtui.sources.proxy.source import ProxySource
from spendtui.timeutil import day_of, day_start
from tests.helpers import need
from tests.peer import MASTER, PEER_DB, PEER_URL, call, must, peer_problem
from tests.proxy_server import FixtureServer, Reply, recorded

PICO = 10**12


# ---------------------------------------------------------------------- the peer's keys
@dataclass
class World:
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    keys: dict[str, str] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)

    def name(self, part: str) -> str:
        return f"me-{part}-{self.run}"

    def token(self, kind: str) -> str:
        return hashlib.sha256(self.keys[kind].encode()).hexdigest()


def sql(query: str, *args: object) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(PEER_DB) as conn:
        return conn.execute(query, args).fetchall()  # type: ignore[arg-type]


def _chat(key: str, model: str, words: int) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "spend " * words}]}
    status, answer = call("POST", "/chat/completions", body, key=key)
    assert status == 200, f"completion failed: HTTP {status}: {str(answer)[:200]}"


def _settled(world: World, deadline: float) -> None:
    """Poll the peer's database until every request is in the key's counter, the request
    log and the daily table (LiteLLM writes 2-15 s after the response)."""
    while True:
        pending = []
        for kind, n in world.sent.items():
            token = world.token(kind)
            logs = sql(
                'SELECT count(*), coalesce(sum(spend), 0) FROM "LiteLLM_SpendLogs" '
                "WHERE api_key = %s AND call_type NOT LIKE '/%%'",
                token,
            )[0]
            counter = sql('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = %s', token)[0][0]
            daily = sql(
                'SELECT coalesce(sum(api_requests), 0) FROM "LiteLLM_DailyUserSpend" WHERE api_key = %s', token
            )[0][0]
            has_user = kind not in ("teamsa",)
            if logs[0] < n or abs(counter - float(logs[1])) > 1e-12 or (has_user and int(daily) < n):
                pending.append((kind, logs, counter, daily))
        if not pending:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"LiteLLM did not write every request in time: {pending}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    problem = peer_problem()
    need(problem is None, problem or "")
    w = World()
    team, user, admin = w.name("team"), w.name("u1"), w.name("adm")
    must(*call("POST", "/team/new", {"team_id": team, "team_alias": w.name("Team"), "max_budget": 3}), "team")
    must(*call("POST", "/user/new", {"user_id": user, "user_role": "internal_user", "max_budget": 20}), "user")
    must(*call("POST", "/user/new", {"user_id": admin, "user_role": "proxy_admin"}), "admin user")
    member = {"role": "user", "user_id": user}
    must(*call("POST", "/team/member_add", {"team_id": team, "member": member}), "member_add")
    specs: dict[str, dict[str, Any]] = {
        "budgeted": {
            "user_id": user,
            "max_budget": 1,
            "soft_budget": 0.5,
            "budget_duration": "30d",
            "rpm_limit": 100,
            "tpm_limit": 100000,
            "max_parallel_requests": 5,
            "models": ["gpt-4o-mini", "gpt-4o"],
        },
        "member": {"user_id": user, "team_id": team},
        "teamsa": {"team_id": team, "max_budget": 1},
        "warn": {"user_id": user, "max_budget": 1},
        "over": {"user_id": user, "max_budget": 1},
        "admin": {"user_id": admin},
        "expired": {"user_id": user, "duration": "1s"},
        "blocked": {"user_id": user},
    }
    for kind, spec in specs.items():
        w.keys[kind] = must(*call("POST", "/key/generate", {"key_alias": w.name(kind), **spec}), kind)["key"]
    must(*call("POST", "/key/block", {"key": w.keys["blocked"]}), "block")
    plan = {"budgeted": ["gpt-4o-mini", "gpt-4o", "gpt-4o-mini"], "member": ["gpt-4o-mini"] * 2}
    plan |= {"teamsa": ["gpt-4o-mini"], "warn": ["gpt-4o"], "over": ["gpt-4o"], "admin": ["gpt-4o-mini"]}
    for kind, models in plan.items():
        for i, model in enumerate(models):
            _chat(w.keys[kind], model, 3 + i)
        w.sent[kind] = len(models)
    _settled(w, time.monotonic() + 90)
    # the warn key at 90 % of its budget, the over key at 200 %: budgets set from the spend
    for kind, factor in (("warn", Decimal("0.9")), ("over", Decimal("2"))):
        spend = Decimal(
            repr(sql('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = %s', w.token(kind))[0][0])
        )
        must(*call("POST", "/key/update", {"key": w.keys[kind], "max_budget": float(spend / factor)}), kind)
    deadline = time.monotonic() + 30
    while call("GET", "/key/info", key=w.keys["expired"])[0] != 401:  # (expires 1 s after creation)
        assert time.monotonic() < deadline, "the 1 s key did not expire"
        time.sleep(0.2)
    yield w
    call("POST", "/key/delete", {"keys": list(w.keys.values())})
    call("POST", "/team/delete", {"team_ids": [team]})


def view_of(key: str, now: datetime | None = None) -> MyKeyView:
    source = ProxySource(HttpSettings(base_url=PEER_URL, api_key=key))
    try:
        return read_me(source, now or datetime.now(UTC))
    finally:
        source.close()


def run_me(capsys: pytest.CaptureFixture[str], key: str, *argv: str) -> tuple[int, str, str]:
    code = main(["--proxy", PEER_URL, "--key", key, "me", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------------- against the peer
@pytest.mark.peer
def test_a_budgeted_key_sees_its_counter_limits_days_models_and_requests_exactly(world: World) -> None:
    token = world.token("budgeted")
    view = view_of(world.keys["budgeted"])
    counter, max_budget = sql('SELECT spend, max_budget FROM "LiteLLM_VerificationToken" WHERE token = %s', token)[0]
    assert view.budget is not None and view.key is not None
    assert view.budget.spend == budget_usd(counter) and view.budget.spend > 0
    assert view.budget.limit == budget_usd(max_budget) == PICO
    assert view.budget.remaining == PICO - view.budget.spend
    assert view.budget.state.soft_budget == PICO // 2
    assert view.budget.window.end is not None and view.budget.resets_in is not None
    assert view.budget.forecast.rate_last_24h is not None  # from the key's own request log
    assert view.level == "ok" and view.alias == world.name("budgeted")
    limits = view.key.limits
    assert (limits.rpm, limits.tpm, limits.max_parallel_requests) == (100, 100000, 5)
    assert set(view.models_allowed) == {"gpt-4o-mini", "gpt-4o"} and set(view.models_usable or ()) == {
        "gpt-4o-mini",
        "gpt-4o",
    }
    # today and per model: the key's rows of LiteLLM's daily user table, read with SQL
    today = datetime.now(UTC).date()
    rows = sql(
        'SELECT model_group, sum(spend), sum(api_requests) FROM "LiteLLM_DailyUserSpend" '
        "WHERE api_key = %s AND date = %s GROUP BY model_group",
        token,
        today.isoformat(),
    )
    want = {m: (budget_usd(s), int(n)) for m, s, n in rows}
    got = {m.model: (m.spend, m.requests) for m in view.per_model}
    assert got == want and sum(n for _, n in want.values()) == world.sent["budgeted"]
    assert view.today.value == sum(s for s, _ in want.values()) and view.today.seen.source == "/user/daily/activity"
    month = sql(
        'SELECT coalesce(sum(spend), 0) FROM "LiteLLM_DailyUserSpend" WHERE api_key = %s AND date >= %s',
        token,
        today.replace(day=1).isoformat(),
    )[0][0]
    assert view.month.value == budget_usd(month)
    # a 30d budget's window is the calendar month (LiteLLM resets on the 1st)
    assert view.budget.window.start == datetime(today.year, today.month, 1, tzinfo=UTC)
    assert view.window.value == budget_usd(month)
    # the tail: this key's requests in the request log, newest first
    logged = sql(
        'SELECT request_id, spend FROM "LiteLLM_SpendLogs" WHERE api_key = %s AND call_type NOT LIKE %s '
        'ORDER BY "startTime" DESC',
        token,
        "/%",
    )
    assert [r.request_id for r in view.recent] == [r for r, _ in logged]
    assert [r.spend for r in view.recent] == [round(s * PICO) for _, s in logged]


@pytest.mark.peer
def test_json_and_line_formats_and_exit_code_0(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    raw = world.keys["budgeted"]
    code, out, err = run_me(capsys, raw, "--format", "json")
    assert code == 0, err
    doc = json.loads(out, parse_float=Decimal)
    counter = sql('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = %s', world.token("budgeted"))[0][0]
    assert doc["budget"]["spend"] == round(Decimal(repr(counter)), 6)
    assert doc["budget"]["max_budget"] == 1 and doc["budget"]["soft_budget"] == Decimal("0.5")
    assert doc["exit_code"] == 0 and doc["status"] == "ok" and doc["key_name"] == f"sk-...{raw[-4:]}"
    assert doc["spend"]["today"]["visible"] is True and doc["recent"]["visible"] is True
    assert len(doc["recent"]["requests"]) == world.sent["budgeted"]
    assert raw not in out + err
    code, out, err = run_me(capsys, raw, "--format", "line")
    assert code == 0, err
    assert re.fullmatch(r"\$0\.0\d+ / \$1\.00 \(0 %\), resets in \d+ (d|h|min)\n", out), out
    # the member key has no budget of its own
    code, out, _ = run_me(capsys, world.keys["member"], "--format", "line")
    assert code == 0 and re.fullmatch(r"\$0\.0\d+ spent, no budget\n", out), out


@pytest.mark.peer
def test_a_team_members_key_sees_the_team_budget(world: World) -> None:
    view = view_of(world.keys["member"])
    spend, max_budget = sql('SELECT spend, max_budget FROM "LiteLLM_TeamTable" WHERE team_id = %s', world.name("team"))[
        0
    ]
    assert view.team_seen is not None and view.team_seen.visible
    assert view.team_budget is not None and view.team_name == world.name("Team")
    assert view.team_budget.spend == budget_usd(spend) and view.team_budget.limit == budget_usd(max_budget) == 3 * PICO
    assert view.user_budget is not None and view.user_budget.limit == 20 * PICO
    assert view.budget is not None and view.budget.limit is None and view.level == "ok"


@pytest.mark.peer
def test_a_teams_key_without_a_user_is_shown_what_it_may_see_and_not_zeros(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    view = view_of(world.keys["teamsa"])
    counter = sql('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = %s', world.token("teamsa"))[0][0]
    assert view.budget is not None and view.budget.spend == budget_usd(counter) > 0
    assert view.team_budget is not None and view.team_seen is not None and view.team_seen.visible
    for part in (view.today, view.month):
        assert part.value is None and not part.seen.visible
        assert (part.seen.reason or "").startswith(NOT_VISIBLE) and "(this key has no user_id)" in (
            part.seen.reason or ""
        )
    assert not view.recent_seen.visible and view.recent == () and view.per_day == ()
    code, out, _ = run_me(capsys, world.keys["teamsa"], "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["spend"]["today"] == {
        "spend": None,
        "requests": None,
        "visible": False,
        "source": "/user/daily/activity",
        "reason": view.today.seen.reason,
    }
    # LiteLLM logs a refused management call as a failure row: none was made for this key
    assert sql(
        'SELECT count(*) FROM "LiteLLM_SpendLogs" WHERE api_key = %s AND call_type LIKE %s', world.token("teamsa"), "/%"
    ) == [(0,)]


@pytest.mark.peer
@pytest.mark.parametrize(("kind", "code", "level"), [("warn", 1, "warning"), ("over", 2, "exceeded")])
def test_warning_and_over_budget_exit_codes(world: World, capsys, kind: str, code: int, level: str) -> None:
    got, out, err = run_me(capsys, world.keys[kind], "--format", "json")
    doc = json.loads(out, parse_float=Decimal)
    spend, max_budget = sql(
        'SELECT spend, max_budget FROM "LiteLLM_VerificationToken" WHERE token = %s', world.token(kind)
    )[0]
    assert got == code and doc["exit_code"] == code and doc["budget"]["level"] == level, err
    assert doc["budget"]["percent"] == round(Decimal(repr(spend)) / Decimal(repr(max_budget)) * 100, 2)
    got, out, _ = run_me(capsys, world.keys[kind], "--format", "line")
    floor = Decimal(repr(spend)) * 100 // Decimal(repr(max_budget))  # (percent rounded down, as shown)
    assert got == code and re.fullmatch(rf"\$\S+ / \$\S+ \({floor} %\)\n", out), out  # (no budget_duration: no reset)


@pytest.mark.peer
@pytest.mark.parametrize(("kind", "why"), [("expired", "has expired"), ("blocked", "is blocked")])
def test_expired_and_blocked_keys_are_said_to_be_rejected(world: World, capsys, kind: str, why: str) -> None:
    raw = world.keys[kind]
    code, out, err = run_me(capsys, raw)
    assert code == 3 and out == ""
    assert f"the proxy rejected the key sk-...{raw[-4:]}: the key {why}" in err
    assert raw not in err and raw[3:] not in err


@pytest.mark.peer
def test_an_admin_key_sees_its_own_view(world: World) -> None:
    view = view_of(world.keys["admin"])
    token = world.token("admin")
    counter = sql('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = %s', token)[0][0]
    assert view.budget is not None and view.budget.spend == budget_usd(counter)
    # an admin sees every user's rows: the view is still this key's alone
    assert [r.request_id for r in view.recent] == [
        r for (r,) in sql('SELECT request_id FROM "LiteLLM_SpendLogs" WHERE api_key = %s', token)
    ]
    assert view.today.value == sum(r.spend or 0 for r in view.recent if day_of(r.start) == day_of(view.now))


@pytest.mark.peer
def test_the_master_key_has_no_record_and_its_spend_is_read_as_litellm_logs_it(world: World, capsys) -> None:
    now = datetime.now(UTC)
    view = view_of(MASTER, now)
    assert view.key is None and not view.key_seen.visible and view.budget is None and view.level == "ok"
    first = day_start(day_of(now) - 1)
    logged = sql(
        'SELECT count(*) FROM "LiteLLM_SpendLogs" WHERE api_key = %s AND "startTime" >= %s AND call_type NOT LIKE %s',
        "litellm_proxy_master_key",
        first.replace(tzinfo=None),
        "/%",
    )[0][0]
    assert len(view.recent) == min(logged, 20) and view.recent_seen.visible
    code, out, _ = run_me(capsys, MASTER, "--format", "line")
    assert code == 0 and out.endswith("this month, no key record\n") and MASTER not in out


# ---------------------------------------------------------------------- without the peer
def test_a_database_source_is_refused(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    code = main(["me", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--key", "sk-abcdefghijklmnop"])
    err = capsys.readouterr().err
    assert code == 2 and "spendtui me reads a key's own view through the proxy: give --proxy and --key" in err


def test_an_unreachable_proxy_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    with FixtureServer() as server:
        url = server.url
    code = main(["me", "--proxy", url, "--key", "sk-abcdefghijklmnop"])
    assert code == 3 and "connection refused" in capsys.readouterr().err


RAW = "sk-rCqZh8LSDHdkQ8xDEl6bYg"  # the key of the recorded key_info_alice.json


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (
            Reply(401, {"error": {"message": f"Authentication Error, Invalid API key {RAW}", "code": "401"}}),
            "the proxy rejected the key sk-...6bYg: the proxy does not accept this key (HTTP 401",
        ),
        (Reply(503, {"error": {"message": "DB not connected", "code": "503"}}), "HTTP 503: DB not connected"),
        (Reply(200, b'{"key": "x", "info": {'), "not valid JSON"),
        (Reply(200, {"key": "x"}), "expected an object with an 'info' object"),
    ],
)
def test_proxy_failures_give_one_line_and_exit_3(reply: Reply, said: str, capsys) -> None:
    with FixtureServer() as server:
        server.route("/key/info", reply)
        code = main(["me", "--proxy", server.url, "--key", RAW])
        assert server.requests[0].query == {"key": hashlib.sha256(RAW.encode()).hexdigest()}
    out = capsys.readouterr()
    assert code == 3 and said in out.err and out.out == ""
    assert RAW not in out.err and "Traceback" not in out.err and len(out.err.strip().splitlines()) == 1


def test_a_refused_team_is_not_visible_and_a_failing_part_exits_3(capsys) -> None:
    with FixtureServer() as server:
        server.route("/key/info", recorded("key_info_alice"))
        server.route("/user/daily/activity", recorded("user_daily_activity"))
        server.route("/spend/logs/v2", Reply(200, {"data": [], "total": 0}))
        server.route("/v2/user/info", Reply(200, {"user_id": "alice", "spend": 0.5, "max_budget": 20.0}))
        server.route("/v1/models", Reply(200, {"data": [{"id": "gpt-4o"}]}))
        server.route("/team/info", Reply(403, {"error": {"message": "not a member of team-alpha", "code": "403"}}))
        code = main(["me", "--proxy", server.url, "--key", RAW, "--format", "json"])
        out = capsys.readouterr()
        doc = json.loads(out.out)
        assert code == 0, out.err
        assert doc["team"]["visible"] is False and doc["team"]["budget"] is None
        assert doc["team"]["reason"] == f"{NOT_VISIBLE} (HTTP 403: not a member of team-alpha)"
        assert doc["user"]["visible"] is True and doc["budget"]["max_budget"] == 5
        server.route("/user/daily/activity", Reply(502, "<html>bad gateway</html>", content_type="text/html"))
        code = main(["me", "--proxy", server.url, "--key", RAW])
        assert code == 3 and "/user/daily/activity" in capsys.readouterr().err


# ---------------------------------------------------------------------- the figures (pure)
def _reads(state_kw: dict[str, Any], cells: list[tuple[int, int]], logs: list[tuple[datetime, int]], now: datetime):
    from spendtui.core.budget_state import BudgetState
    from spendtui.core.me_model import DailyCell, KeyLimits, KeyRecord, LoggedRequest, MyKeyReads

    state = BudgetState(kind="key", id="t", name="k", **state_kw)
    requests = tuple(LoggedRequest(f"r{i}", at, at, "gpt-4o", spend, 1, 1, False) for i, (at, spend) in enumerate(logs))
    return MyKeyReads(
        proxy="p",
        key_name="sk-...abcd",
        read_at=now,
        key=KeyRecord(state, KeyLimits()),
        key_reason=None,
        daily=tuple(DailyCell(day, "gpt-4o", spend, 1, 1, 1, 0) for day, spend in cells),
        daily_days=(min(d for d, _ in cells), day_of(now)),
        logs=requests,
        logs_from=day_start(day_of(now) - 1),
    )


def test_today_month_and_window_sum_exactly_the_days_they_cover() -> None:
    from spendtui.core.me import build_view

    now = datetime(2026, 12, 8, 15, 30, tzinfo=UTC)
    today = day_of(now)
    # one amount a day from 20 days back: each a distinct power of two, so any wrong day shows
    cells = [(today - i, 2**i * PICO // 1000) for i in range(20)]
    reset = datetime(2027, 1, 1, tzinfo=UTC)
    reads = _reads({"spend": 5, "max_budget": PICO, "budget_duration": "30d", "budget_reset_at": reset}, cells, [], now)
    view = build_view(reads, now)
    by_day = dict(cells)
    assert view.today.value == by_day[today]
    assert view.month.value == sum(s for d, s in cells if d >= today - 7)  # 1 to 8 December
    assert view.window.value == view.month.value and view.window.seen.source == "/user/daily/activity"
    assert [d.day for d in view.per_day] == list(range(today - 19, today + 1))
    # a window that starts mid-day (1h budgets): from the request log, by request start
    hour = datetime(2026, 12, 8, 15, tzinfo=UTC)
    logs = [(hour.replace(minute=59, second=59) - (hour - hour.replace(hour=14)), 7), (hour, 11), (now, 13)]
    reads = _reads(
        {"spend": 5, "max_budget": PICO, "budget_duration": "1h", "budget_reset_at": hour.replace(hour=16)},
        cells,
        logs,
        now,
    )
    view = build_view(reads, now)
    assert view.window.value == 24 and view.window.seen.source == "/spend/logs/v2" and view.window.requests == 2
    assert view.budget is not None and view.budget.forecast.rate_last_hour is not None
    # a mid-day window older than the log read: not visible, never a partial sum
    reads = _reads(
        {
            "spend": 5,
            "max_budget": PICO,
            "budget_duration": "7d",
            "budget_reset_at": datetime(2026, 12, 11, 6, tzinfo=UTC),
        },
        cells,
        logs,
        now,
    )
    view = build_view(reads, now)
    assert view.window.value is None and (view.window.seen.reason or "").startswith(NOT_VISIBLE)


# ---------------------------------------------------------------------- the dashboard
def _dashboard(key: str):  # type: ignore[no-untyped-def]
    from spendtui.config import Config, Profile
    from spendtui.tui.app import SpendApp
    from spendtui.tui.launch import Launch

    profile = Profile(name="peer", proxy_url=PEER_URL, api_key=key)
    config = Config(path=None, profiles={}, active=profile)
    return SpendApp(Launch(config=config, autopoll=False, source_label="the peer"))  # type: ignore[arg-type]


async def _my_key_screen(app, pilot, wait: float = 60):  # type: ignore[no-untyped-def]
    from spendtui.tui.screens.my_key import MyKeyScreen

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        await pilot.pause(0.2)
        screen = app.screen
        if isinstance(screen, MyKeyScreen) and (screen.view is not None or screen.failed is not None):
            return screen
    raise AssertionError(f"no My key screen with a view: {app.screen!r}")


@pytest.mark.peer
async def test_the_dashboard_opens_my_key_for_an_ordinary_key(world: World) -> None:
    """An ordinary key opens the "My key" dashboard instead of a refusal: its gauge is the
    key's counter (SQL), its requests are its own rows, the dashboard's keys do nothing."""
    from textual.widgets import DataTable, Static

    token = world.token("budgeted")
    app = _dashboard(world.keys["budgeted"])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _my_key_screen(app, pilot)
        view = screen.view
        assert view is not None and view.alias == world.name("budgeted")
        (spend,) = sql('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = %s', token)[0]
        assert view.budget is not None and abs(view.budget.spend - round(Decimal(repr(spend)) * PICO)) <= 10**6
        budgets = str(screen.query_one("#me-budgets", Static).render())
        assert "key " in budgets and "of $1.00" in budgets and "resets in" in budgets
        head = str(screen.query_one("#me-head", Static).render())
        assert f"My key {world.name('budgeted')}" in head and "rpm 100" in head and "parallel 5" in head
        ids = {r[0] for r in sql('SELECT request_id FROM "LiteLLM_SpendLogs" WHERE api_key = %s', token)}
        recent = screen.query_one("#me-recent", DataTable)
        assert recent.row_count == len([r for r in view.recent]) and {r.request_id for r in view.recent} <= ids
        await pilot.press("2", "n", "f")  # the admin dashboard's keys: nothing to act on here
        await pilot.pause()
        assert app.screen is screen and len(app.screen_stack) == 2
        await pilot.press("q")


@pytest.mark.peer
async def test_the_dashboard_says_a_blocked_key_is_rejected(world: World) -> None:
    app = _dashboard(world.keys["blocked"])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _my_key_screen(app, pilot)
        from textual.widgets import Static

        head = str(screen.query_one("#me-head", Static).render())
        assert "cannot read this key's view" in head and "is blocked" in head
        assert world.keys["blocked"] not in head  # (the key is only ever shown masked)
