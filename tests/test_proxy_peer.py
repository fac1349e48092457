"""End to end against a real LiteLLM proxy and its PostgreSQL (``shared/litellm-peer``).

After a workload of keys, users, teams, customers and tags, every report read through the
proxy's REST API equals the same report read from the database, and both equal SQL ground
truth to 1e-6 USD: for the live days (request logs) and, with the clock moved three days
on, for history days (LiteLLM's daily tables).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from spendtui.cli import main
from spendtui.core.facts import NotExact
from spendtui.core.query import Filters, Window
from spendtui.engine import SpendEngine
from spendtui.errors import SourceAuthError
from spendtui.reports.build import REPORT_KINDS, build_report, build_user_report
from spendtui.reports.render import render
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.sources.proxy.reads import read_daily
from spendtui.timeutil import day_of, fixed_clock
from tests.helpers import need
from tests.peer import (
    MASTER,
    PEER_DB,
    PEER_URL,
    Workload,
    call,
    must,
    peer_problem,
    wait_until_written,
    written,
)
from tests.test_reports_sqlite import assert_rows, assert_total
from tests.truth import Truth

pytestmark = pytest.mark.peer


@pytest.fixture(scope="module")
def workload() -> Workload:
    problem = peer_problem()
    need(problem is None, problem or "")
    work = Workload()
    work.create()
    baseline = written(PEER_DB)["logs"][0]
    work.send()
    wait_until_written(PEER_DB, at_least=baseline + work.sent)
    return work


def cli_json(capsys, *argv: str) -> dict:
    code = main([*argv, "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def truth_for(kind: str, truth: Truth, start: date, end: date) -> dict:
    column = {
        "keys": "api_key",
        "users": '"user"',
        "teams": "team_id",
        "customers": "end_user",
        "providers": "custom_llm_provider",
    }
    if kind in column:
        return truth.by(column[kind], start, end)
    return {"models": truth.model, "daily": truth.daily, "tags": truth.tags}[kind](start, end)


REPORTS = [k for k in REPORT_KINDS if k != "spend"]
LATENCY_FIELDS = ("latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "ttft_p95_ms")


def strip_latency(doc: dict) -> list[float | None]:
    """Take the latency fields out of a report's rows and total; their values."""
    taken = []
    for part in [*doc["rows"], doc["total"]]:
        taken += [part.pop(field) for field in LATENCY_FIELDS]
    return taken


def test_every_report_through_the_proxy_equals_the_database_and_sql(capsys, workload) -> None:
    proxy = ["--proxy", PEER_URL, "--key", MASTER]
    database = ["--db", PEER_DB]
    truth = Truth(PEER_DB)
    for kind in ["spend", *REPORTS]:
        via_db = cli_json(capsys, "report", kind, *database)
        if kind == "organizations":
            # a free proxy keeps organizations (and their daily activity) for Enterprise
            # users: closed days are refused, saying so, never zeros
            assert main(["report", kind, *proxy, "--format", "json"]) == 3
            err = capsys.readouterr().err
            assert "cannot answer organization exactly" in err
            assert "/organization/daily/activity: needs a LiteLLM Enterprise licence (HTTP 403)" in err
            continue
        via_proxy = cli_json(capsys, "report", kind, *proxy)
        if kind in ("models", "keys", "teams"):
            # latency comes from the request logs' durations, which the REST API's daily
            # activity does not have: null through the proxy (a note says why), measured
            # from the database; every other figure is the same
            db_latency, proxy_latency = strip_latency(via_db), strip_latency(via_proxy)
            assert any(v is not None for v in db_latency) and all(v is None for v in proxy_latency), kind
        assert via_proxy == via_db, kind
        start, end = date.fromisoformat(via_db["start"]), date.fromisoformat(via_db["end"])
        assert_total(via_proxy, truth.total(start, end))
        if kind in ("projects", "agents"):
            continue  # (their SQL ground truth: tests/test_proxy_entities.py)
        if kind != "spend":
            expected = truth_for(kind, truth, start, end)
            if kind == "daily":
                expected = {d: v for d, v in expected.items()}
                via_proxy = {**via_proxy, "rows": [r for r in via_proxy["rows"] if r["requests"]]}
            assert_rows(via_proxy, expected)
    user = workload.name("u1")
    assert cli_json(capsys, "report", "user", user, *proxy) == cli_json(capsys, "report", "user", user, *database)
    tags = cli_json(capsys, "report", "tags", "--tag-prefix", "feature", *proxy)
    assert tags == cli_json(capsys, "report", "tags", "--tag-prefix", "feature", *database)


def engines(shift: timedelta) -> tuple[SpendEngine, SpendEngine]:
    clock = fixed_clock(datetime.now(UTC) + shift)
    proxy = SpendEngine(ProxySource(HttpSettings(PEER_URL, MASTER), clock=clock), clock=clock)
    database = SpendEngine(DatabaseSource(parse_database_url(PEER_DB)), clock=clock)
    return proxy, database


def doc(report) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(render(report, "json"))


def test_reports_from_litellms_daily_tables_equal_the_database(workload) -> None:
    proxy, database = engines(timedelta(days=3))
    truth = Truth(PEER_DB)
    try:
        today = proxy.today()
        window = Window(today - 9, today)
        proxy.load(window.first_day)
        database.load(window.first_day)
        unusable = {f.name: f.unusable for f in proxy.fact_cubes if f.unusable}
        assert proxy.fact_cubes and list(unusable) == ["daily organization × key"]  # (Enterprise-only)
        for kind in ["spend", *REPORTS]:
            if kind == "organizations":  # (Enterprise-only on a free proxy: refused)
                with pytest.raises(NotExact, match="Enterprise licence"):
                    build_report(proxy.query, kind, window, proxy.names)
                continue
            got = build_report(proxy.query, kind, window, proxy.names)
            want = doc(build_report(database.query, kind, window, database.names))
            if kind == "tags":
                assert any("(untagged)" in note for note in got.notes)
                want["rows"] = [r for r in want["rows"] if r["name"] != "(untagged)"]
            truth_rows = {
                r["name"]: (
                    r["spend"],
                    r["requests"],
                    r["prompt_tokens"],
                    r["completion_tokens"],
                    r["total_tokens"],
                )
                for r in want["rows"]
            }
            assert_rows(doc(got), truth_rows)
            assert_total(doc(got), truth.total(window.first, window.last))
        user = workload.name("u1")
        got = doc(build_user_report(proxy.query, user, window, proxy.names))
        want = doc(build_user_report(database.query, user, window, database.names))
        for section in ("daily", "models"):
            assert_rows(
                {"rows": got[section]},
                {
                    r["name"]: (
                        r["spend"],
                        r["requests"],
                        r["prompt_tokens"],
                        r["completion_tokens"],
                        r["total_tokens"],
                    )
                    for r in want[section]
                },
            )
        crossed = Filters(customer=frozenset({workload.name("cust-x")}))
        assert {g.name: g.totals for g in proxy.query.breakdown("team", window, crossed)} == {
            g.name: g.totals for g in database.query.breakdown("team", window, crossed)
        }
    finally:
        proxy.close()
        database.close()


def test_daily_pages_split_over_table_rows_merge_exactly(workload) -> None:
    source = ProxySource(HttpSettings(PEER_URL, MASTER))
    try:
        today = day_of(datetime.now(UTC))
        for entity in ("user", "team", "customer", "tag"):
            whole = source.http.run(lambda e=entity: read_daily(source.http, e, today - 1, today))
            paged = source.http.run(lambda e=entity: read_daily(source.http, e, today - 1, today, page_size=2))
            assert paged.pages > 2
            for name in ("model", "provider", "entity"):
                a, b = whole.cells[name], paged.cells[name]
                assert a.keys() == b.keys()
                for k in a:
                    assert a[k][1:] == b[k][1:] and abs(a[k][0] - b[k][0]) <= 16
    finally:
        source.close()


def test_polls_bring_new_requests_exactly_once(workload) -> None:
    proxy, database = engines(timedelta(0))
    try:
        today = proxy.today()
        window = Window(today - 1, today)
        proxy.load(window.first_day)
        before = proxy.query.totals(window)
        extra = Workload(run=workload.run, keys=workload.keys)
        baseline = written(PEER_DB)["logs"][0]
        extra.send()
        wait_until_written(PEER_DB, at_least=baseline + extra.sent)
        database.load(window.first_day)
        want = database.query.totals(window)
        assert want.requests > before.requests
        assert proxy.refresh(deep=True).rows == want.requests - before.requests
        assert proxy.query.totals(window) == want
        assert proxy.refresh(deep=True).rows == 0  # re-reading the overlap adds nothing twice
        assert proxy.query.totals(window) == want
    finally:
        proxy.close()
        database.close()


def test_names_budgets_prices_and_health(workload) -> None:
    source = ProxySource(HttpSettings(PEER_URL, MASTER))
    try:
        names = source.names()
        budgets = {(b.kind, b.id): b for b in source.budgets()}
        models = {m.name: m for m in source.models()}
        health = source.health()
    finally:
        source.close()
    aliases = set(names.key_alias.values())
    assert {workload.name(k) for k in ("k1", "k2", "k3", "k4")} <= aliases
    assert names.team(workload.name("team-a")) == workload.name("Team a")
    k1 = next(b for b in budgets.values() if b.kind == "key" and b.name == workload.name("k1"))
    assert k1.max_budget == 5 * 10**12 and k1.budget_duration == "30d" and k1.budget_reset_at is not None
    assert k1.soft_budget == 4 * 10**12  # from the key's linked budget row
    customer = budgets[("customer", workload.name("cust-x"))]
    assert (customer.max_budget, customer.soft_budget, customer.budget_duration) == (
        7 * 10**12,
        2 * 10**12,
        "7d",
    )
    assert customer.spend > 0
    assert budgets[("team", workload.name("team-b"))].max_budget == 50 * 10**12
    assert budgets[("user", workload.name("u2"))].max_budget == 20 * 10**12
    assert models["gpt-4o"].input_per_token == 2_500_000 and models["gpt-4o"].output_per_token == 10_000_000
    assert health.status == "healthy" and health.version == "1.108.7"


def test_a_revoked_admin_key_is_an_auth_error(workload) -> None:
    admin = workload.name("admin")
    must(*call("POST", "/user/new", {"user_id": admin, "user_role": "proxy_admin"}), "user/new")
    key = must(*call("POST", "/key/generate", {"user_id": admin}), "key/generate")["key"]
    source = ProxySource(HttpSettings(PEER_URL, key))
    try:
        today = day_of(datetime.now(UTC))
        assert source.load(today - 1, today - 1).rows
        must(*call("POST", "/key/delete", {"keys": [key]}), "key/delete")
        with pytest.raises(SourceAuthError) as caught:
            source.poll(deep=True)
    finally:
        source.close()
    assert "HTTP 401" in str(caught.value) and "admin key" in str(caught.value)
    assert key not in str(caught.value)


def test_a_non_admin_key_is_refused_not_silently_scoped(workload) -> None:
    source = ProxySource(HttpSettings(PEER_URL, workload.keys["k1"]))
    try:
        today = day_of(datetime.now(UTC))
        with pytest.raises(SourceAuthError, match="may only read its own spend"):
            source.load(today - 1, today - 1)
    finally:
        source.close()
