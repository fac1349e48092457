"""The budget board on demo data: plans and hourly burn against SQL ground truth."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from spendtui.budgets.board import budget_board, plans_first_day
from spendtui.budgets.config import parse_budget_settings
from spendtui.core.budget_eval import urgency_key
from spendtui.core.budget_state import LITELLM_KINDS
from spendtui.core.hourly import hourly_by
from spendtui.core.plans import BudgetPlan, period_dates, plan_amount
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_number, day_of, day_start, fixed_clock
from tests.helpers import FIXED_NOW
from tests.truth import Truth

TODAY = FIXED_NOW.date()
NOV1 = date(2026, 11, 1)


def engine(db: Path) -> SpendEngine:
    e = SpendEngine(DatabaseSource(parse_database_url(f"sqlite:///{db}")), clock=fixed_clock(FIXED_NOW))
    e.load(day_of(FIXED_NOW) - 1)
    return e


@pytest.mark.parametrize(
    ("period", "today", "first", "last"),
    [
        ("daily", date(2026, 11, 27), date(2026, 11, 27), date(2026, 11, 27)),
        ("weekly", date(2026, 11, 27), date(2026, 11, 23), date(2026, 11, 29)),
        ("monthly", date(2026, 2, 10), date(2026, 2, 1), date(2026, 2, 28)),
        ("quarterly", date(2026, 11, 27), date(2026, 10, 1), date(2026, 12, 31)),
        ("quarterly", date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
        ("yearly", date(2026, 11, 27), date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_period_dates(period: str, today: date, first: date, last: date) -> None:
    assert period_dates(period, today) == (first, last)


def test_seed_quarterly_amounts() -> None:
    plan = BudgetPlan("q", "quarterly", amounts={"Q1": 500, "Q2": 750, "Q3": 600, "Q4": 1000})
    assert [plan_amount(plan, date(2026, m, 1)) for m in (1, 4, 7, 10)] == [500, 750, 600, 1000]


def test_hourly_burn_per_key_matches_sql(litellm_db: Path) -> None:
    e = engine(litellm_db)
    today = day_of(FIXED_NOW)
    with sqlite3.connect(litellm_db) as conn:
        rows = conn.execute(
            """SELECT api_key, substr("startTime", 1, 13), sum(spend) FROM "LiteLLM_SpendLogs"
               WHERE "startTime" >= ? AND spend >= 0 GROUP BY 1, 2""",
            (str(TODAY - timedelta(days=1)),),
        ).fetchall()
    keys = sorted({r[0] for r in rows})[:40] + ["never-seen"]
    series = hourly_by(e.query, "key", keys, today - 1, today, FIXED_NOW)
    start = day_start(today - 1)
    assert series["never-seen"].values == (0,) * 48
    checked = 0
    for api_key, hour_text, spend in rows:
        if api_key not in series:
            continue
        index = int((day_start(day_of_text(hour_text)) - start).total_seconds() // 3600) + int(hour_text[11:13])
        assert abs(series[api_key].values[index] / 1e12 - spend) <= 1e-6
        checked += 1
    assert checked > 100


def day_of_text(text: str) -> int:
    return day_number(date.fromisoformat(text[:10]))


PLANS = {
    "budgets": [
        {"name": "company", "period": "quarterly", "amounts": {"Q1": 500, "Q2": 750, "Q3": 600, "Q4": 1000}},
        {"name": "web-app", "tag": "project:web-app", "amount": 20, "period": "monthly"},
        {"name": "gpt", "model": "gpt-4o", "amount": 5, "period": "monthly"},
        {"name": "week", "period": "weekly", "amount": 100},
        {"name": "launch", "amount": 40, "start": "2026-11-20", "end": "2026-12-15"},
        {"name": "past", "amount": 40, "start": "2026-01-01", "end": "2026-01-31"},
    ]
}


def test_plans_match_sql_ground_truth(litellm_db: Path) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    settings = parse_budget_settings(PLANS)
    e = engine(litellm_db)
    assert plans_first_day(settings, FIXED_NOW) == day_of_text("2026-10-01")
    board = budget_board(e, settings, kinds=["plan"])
    plans = {b.state.name: b for b in board.budgets}
    assert set(plans) == {"company", "web-app", "gpt", "week", "launch"}  # "past" is over
    expected = {
        "company": truth.total(date(2026, 10, 1), TODAY)[0],
        "web-app": truth.tags(NOV1, TODAY)["project:web-app"][0],
        "gpt": truth.model(NOV1, TODAY)["gpt-4o"][0],
        "week": truth.total(date(2026, 11, 23), TODAY)[0],
        "launch": truth.total(date(2026, 11, 20), TODAY)[0],
    }
    for name, spend in expected.items():
        assert spend > 0 and abs(plans[name].spend / 1e12 - spend) <= 1e-6, name
    company = plans["company"]
    assert company.limit == 1000 * 10**12 and company.state.scope == "all spend"
    assert (company.window.start, company.window.end) == (
        day_start(day_of_text("2026-10-01")),
        day_start(day_of_text("2027-01-01")),
    )
    assert plans["web-app"].state.scope == "tag project:web-app"
    assert [b.state.name for b in board.budgets] == [b.state.name for b in sorted(board.budgets, key=urgency_key)]
    assert board.notes == ()


def test_plan_scopes_resolve_aliases_and_flag_unknown_names(litellm_db: Path) -> None:
    truth = Truth(f"sqlite:///{litellm_db}")
    e = engine(litellm_db)
    e.ensure_loaded(day_of_text("2026-11-01"))
    team_id, team_alias = next(iter(e.names.team_alias.items()))
    token, alias = next((t, a) for t, a in e.names.key_alias.items() if truth.by("api_key", NOV1, TODAY).get(t))
    settings = parse_budget_settings(
        {
            "budgets": [
                {"name": "team", "team": team_alias, "amount": 1, "period": "monthly"},
                {"name": "key", "key": alias, "amount": 1, "period": "monthly"},
                {"name": "typo", "tag": "project:no-such-thing", "amount": 1, "period": "monthly"},
            ]
        }
    )
    board = budget_board(e, settings, kinds=["plan"])
    plans = {b.state.name: b for b in board.budgets}
    assert abs(plans["team"].spend / 1e12 - truth.by("team_id", NOV1, TODAY)[team_id][0]) <= 1e-6
    assert abs(plans["key"].spend / 1e12 - truth.by("api_key", NOV1, TODAY)[token][0]) <= 1e-6
    assert plans["typo"].spend == 0
    assert board.notes == ("plan 'typo': no loaded record has tag 'project:no-such-thing'",)


def test_board_of_litellm_budgets(litellm_db: Path) -> None:
    board = budget_board(engine(litellm_db), parse_budget_settings({}))
    counts = board.counts()
    assert counts["exceeded"] and counts["warning"] and counts["ok"]
    assert board.level == "exceeded"
    assert board.alerting() == [b for b in board.budgets if b.level != "ok"]
    assert {b.state.kind for b in board.budgets} == set(LITELLM_KINDS)
    assert board.of_kind("team") == [b for b in board.budgets if b.state.kind == "team"]
    keyed = [b for b in board.budgets if b.state.kind == "key" and b.forecast.rate_last_24h]
    assert keyed, "keys with recent spend have a 24 h burn rate"
