"""The proxy source's parsers against recorded answers of a real LiteLLM 1.108.7 proxy,
served by a real HTTP server on 127.0.0.1.

The recording (``tests/data/litellm-1.108.7/responses``) holds 50 requests: the request
log (``spend_logs_v2``) is complete, and so is ``user_daily_activity``; every figure the
daily parser produces is checked against sums computed here from the request log.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from spendtui.core.cube import Cube
from spendtui.money import to_pico
from spendtui.sources.daily.tables import DailyTable
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.sources.proxy.errors import EnterpriseOnly, FeatureMissing
from spendtui.sources.proxy.reads import optional, read_daily
from spendtui.timeutil import day_number, fixed_clock
from tests.helpers import DATA
from tests.proxy_server import FixtureServer, LogStore, Reply, recorded, recorded_rows

RECORDED_DAY = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ALICE = "26b823c6b9261485fd001f2308baa1a9a91feebd742e4ac6042a84fdd69e2110"


@pytest.fixture
def server():
    with FixtureServer() as s:
        s.route("/spend/logs/v2", LogStore(recorded_rows()))
        s.route("/user/daily/activity", recorded("user_daily_activity"))
        s.route("/key/list", recorded("key_list"))
        s.route("/team/list", recorded("team_list"))
        s.route("/customer/list", recorded("customer_list"))
        s.route("/global/spend/report", recorded("global_spend_report", 400))
        s.route("/key/spend/report", recorded("key_spend_report", 403))
        yield s


def source_for(server: FixtureServer) -> ProxySource:
    return ProxySource(HttpSettings(server.url, "sk-test-master"), clock=fixed_clock(RECORDED_DAY))


def log_sums(by) -> dict:
    """Sums over the recorded request log, grouped by ``by(row)`` (pico, requests, tokens)."""
    out: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in recorded_rows():
        acc = out[by(row)]
        acc[0] += to_pico(row["spend"])
        acc[1] += 1
        acc[2] += row["prompt_tokens"]
        acc[3] += row["completion_tokens"]
        acc[4] += 1 if row["status"] == "failure" else 0
    return dict(out)


def table_sums(cells: dict) -> dict:
    return {k: [c[0], c[1], c[2], c[3], c[5]] for k, c in cells.items() if c[1] or c[0]}


def read_user_table(server: FixtureServer) -> DailyTable:
    source = source_for(server)
    try:
        day = day_number(RECORDED_DAY.date())
        return source.http.run(lambda: read_daily(source.http, "user", day - 1, day))
    finally:
        source.close()


def close(a: dict, b: dict) -> None:
    """Same keys, same counts, spend within a few pico-dollars (float sums)."""
    assert a.keys() == b.keys()
    for k in a:
        assert a[k][1:] == b[k][1:], k
        assert abs(a[k][0] - b[k][0]) <= 16, k


def test_user_daily_activity_matches_the_request_log(server) -> None:
    table = read_user_table(server)
    date = "2026-11-27"
    close(table_sums(table.keys), log_sums(lambda r: (date, r["api_key"])))
    close(
        table_sums(table.cells["model"]),
        log_sums(lambda r: (date, r["model_group"] or r["model"], r["api_key"])),
    )
    close(
        table_sums(table.cells["provider"]),
        log_sums(lambda r: (date, r["custom_llm_provider"], r["api_key"])),
    )
    close(table_sums(table.cells["entity"]), log_sums(lambda r: (date, r["user"], r["api_key"])))
    assert table.pages == 1


def test_spend_logs_rows_become_raw_rows(server) -> None:
    source = source_for(server)
    try:
        result = source.load(day_number(RECORDED_DAY.date()) - 1, day_number(RECORDED_DAY.date()) - 1)
    finally:
        source.close()
    rows = result.rows
    assert len(rows) == 50 and len({r.request_id for r in rows}) == 50
    assert result.fact_cubes == []
    assert sum(r.spend for r in rows) == sum(to_pico(r["spend"]) for r in recorded_rows())
    assert Counter(r.failed for r in rows) == {False: 41, True: 9}
    assert {r.model for r in rows} == {
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "gemini-2.5-flash",
    }
    alice = [r for r in rows if r.api_key == ALICE]
    assert {r.user for r in alice} == {"alice"} and {r.team for r in alice} == {"team-alpha"}
    cube = Cube()
    cube.add_rows(rows)
    assert cube.quality.skipped == 0 and cube.quality.bad_tags == 0


def test_names_and_budgets_from_the_key_team_and_customer_lists(server) -> None:
    server.route("/user/list", Reply(404, {"detail": "Not Found"}))
    source = source_for(server)
    try:
        names = source.names()
        budgets = {(b.kind, b.id): b for b in source.budgets()}
    finally:
        source.close()
    assert names.key(ALICE) == "alice-alpha"
    assert names.key("15a5d13e75" + "0" * 54) != ""  # unknown keys still get a label
    assert names.team("team-alpha") == "Alpha"
    alice = budgets[("key", ALICE)]
    assert alice.max_budget == 5 * 10**12 and alice.budget_duration == "30d"
    assert alice.budget_reset_at == datetime(2026, 12, 1, tzinfo=UTC)
    assert alice.spend == to_pico(0.00174795) and alice.key_name == "sk-...6bYg"
    assert alice.team_id == "team-alpha" and alice.user_id == "alice"
    dave = next(b for b in budgets.values() if b.name == "dave-tiny")
    assert dave.max_budget == 300_000_000 and dave.budget_duration == "1h"
    beta = budgets[("team", "team-beta")]
    assert beta.max_budget == 20 * 10**12 and beta.name == "Beta"
    acme = budgets[("customer", "eu-acme")]
    assert acme.spend == to_pico(0.0018949) and not acme.has_limit
    assert any("/user/list" in n for n in source.notes)


def test_enterprise_gated_answers_are_recognised(server) -> None:
    source = source_for(server)
    try:
        for path in ("/global/spend/report", "/key/spend/report"):
            with pytest.raises(EnterpriseOnly, match="Enterprise licence"):
                source.http.get(path, {"start_date": "2026-11-26", "end_date": "2026-11-28"})
        with pytest.raises(FeatureMissing, match="HTTP 404"):
            source.http.get("/no/such/endpoint")
        params = {"start_date": "2026-11-26", "end_date": "2026-11-28"}

        def report():  # type: ignore[no-untyped-def]
            return source.http.aget("/global/spend/report", params)

        for _ in range(2):
            assert source.http.run(lambda: optional(report, source._note_missing)) is None
    finally:
        source.close()
    assert len(source.notes) == 1  # said once
    assert source.notes[0].startswith("/global/spend/report needs a LiteLLM Enterprise licence")


@pytest.mark.parametrize(
    ("name", "status", "kind", "text"),
    [
        ("nodb_spend_logs", 500, "SourceUnavailable", "Database not connected"),
        ("nodb_key_list", 500, "SourceUnavailable", "Database not connected"),
        ("nodb_user_daily_activity", 500, "SourceUnavailable", "DB not connected"),
    ],
)
def test_recorded_error_shapes_give_one_line_messages(server, name, status, kind, text) -> None:
    server.route("/probe", recorded(name, status))
    source = source_for(server)
    try:
        with pytest.raises(Exception) as caught:
            source.http.get("/probe")
    finally:
        source.close()
    assert type(caught.value).__name__ == kind
    message = str(caught.value)
    assert text in message and "\n" not in message and "HTTP 500" in message


EXTRA = DATA / "litellm-1.108.7-extra"


def extra(name: str) -> Reply:
    return Reply(200, (EXTRA / f"{name}.json").read_bytes())


def test_prices_health_users_and_budget_rows(server) -> None:
    server.route("/model/info", extra("model_info"))
    server.route("/health/readiness", extra("health_readiness"))
    server.route("/health/readiness/details", extra("health_readiness_details"))
    server.route("/user/list", extra("user_list"))
    server.route("/budget/list", extra("budget_list"))
    source = source_for(server)
    try:
        models = source.models()
        health = source.health()
        budgets = {(b.kind, b.id): b for b in source.budgets()}
    finally:
        source.close()
    by_name = {m.name: m for m in models}
    assert set(by_name) == {
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "gemini-2.5-flash",
    }
    assert by_name["gpt-4o"].input_per_token == 2_500_000 and by_name["gpt-4o"].output_per_token == 10_000_000
    assert by_name["gpt-4o-mini"].input_per_token == 150_000 and by_name["gpt-4o"].provider == "openai"
    assert by_name["gpt-4o"].cache_read_per_token == 1_250_000
    assert (health.status, health.db, health.version) == ("healthy", "connected", "1.108.7")
    assert [r.path for r in server.requests if r.path.startswith("/health")] == [
        "/health/readiness",
        "/health/readiness/details",
    ]
    alice = budgets[("user", "alice")]
    assert alice.max_budget == 20 * 10**12 and alice.spend > 0 and alice.name == "alice@example.test"
    assert budgets[("user", "dave")].max_budget == 10**12
