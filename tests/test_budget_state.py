"""Budget state read from both SQLite layouts, the real PostgreSQL schema and recorded
proxy answers, compared with SQL (or JSON) read independently."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spendtui.core.budget_state import LITELLM_KINDS, BudgetSource, BudgetState
from spendtui.demo.generator import create_demo_db
from spendtui.sources.budget_json import customer_budgets, key_budgets, team_budgets, user_budgets
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from tests.helpers import FIXED_NOW, RESPONSES, create_pg_database, load_real_schema

TRUTH_SQL = {
    "key": """
        SELECT k.token, coalesce(k.max_budget, b.max_budget), b.soft_budget, k.spend,
               CASE WHEN k.budget_duration IS NULL THEN b.budget_duration ELSE k.budget_duration END,
               CASE WHEN k.budget_duration IS NULL THEN b.budget_reset_at ELSE k.budget_reset_at END,
               coalesce(k.key_alias, k.key_name)
        FROM "LiteLLM_VerificationToken" k LEFT JOIN "LiteLLM_BudgetTable" b ON b.budget_id = k.budget_id
        WHERE coalesce(k.max_budget, b.max_budget) IS NOT NULL OR b.soft_budget IS NOT NULL""",
    "team": """
        SELECT team_id, max_budget, soft_budget, spend, budget_duration, budget_reset_at, team_alias
        FROM "LiteLLM_TeamTable" WHERE max_budget IS NOT NULL OR soft_budget IS NOT NULL""",
    "user": """
        SELECT user_id, max_budget, NULL, spend, budget_duration, budget_reset_at, user_id
        FROM "LiteLLM_UserTable" WHERE max_budget IS NOT NULL""",
    "customer": """
        SELECT c.user_id, b.max_budget, b.soft_budget, c.spend, b.budget_duration, b.budget_reset_at,
               coalesce(c.alias, c.user_id)
        FROM "LiteLLM_EndUserTable" c JOIN "LiteLLM_BudgetTable" b ON b.budget_id = c.budget_id
        WHERE b.max_budget IS NOT NULL OR b.soft_budget IS NOT NULL""",
}
COMPACT_SQL = "SELECT token, max_budget, NULL, spend, NULL, NULL, NULL FROM LiteLLM_VerificationToken"


def _usd(value: float | None) -> float | None:
    return None if value is None else value / 1e12


def assert_states_match(states: list[BudgetState], kind: str, rows: list[tuple]) -> None:
    got = {s.id: s for s in states if s.kind == kind}
    assert set(got) == {r[0] for r in rows}, kind
    for ident, max_budget, soft, spend, duration, reset_at, name in rows:
        s = got[ident]
        assert abs(_usd(s.spend) - float(spend)) <= 1e-6, (kind, ident)
        for mine, theirs in ((s.max_budget, max_budget), (s.soft_budget, soft)):
            assert (mine is None) == (theirs is None) and (mine is None or abs(_usd(mine) - theirs) <= 1e-6)
        assert s.budget_duration == duration
        if reset_at is None:
            assert s.budget_reset_at is None
        else:
            stamp = reset_at if isinstance(reset_at, datetime) else datetime.fromisoformat(reset_at)
            assert s.budget_reset_at == stamp.replace(tzinfo=UTC)
        if name is not None:
            assert s.name == name


def test_litellm_layout_matches_sql(litellm_db: Path) -> None:
    source = DatabaseSource(parse_database_url(f"sqlite:///{litellm_db}"))
    assert isinstance(source, BudgetSource)
    states = source.budgets()
    with sqlite3.connect(litellm_db) as conn:
        for kind, sql in TRUTH_SQL.items():
            rows = conn.execute(sql).fetchall()
            assert rows, f"the demo database has {kind} budgets"
            assert_states_match(states, kind, rows)
        linked = conn.execute(
            'SELECT count(*) FROM "LiteLLM_VerificationToken" k JOIN "LiteLLM_BudgetTable" b '
            "ON b.budget_id = k.budget_id WHERE b.soft_budget IS NOT NULL"
        ).fetchone()[0]
    assert linked and sum(1 for s in states if s.kind == "key" and s.soft_budget is not None) == linked
    kinds = [s.kind for s in states]
    assert kinds == sorted(kinds, key=LITELLM_KINDS.index)


def test_entities_without_a_window_of_their_own_follow_their_budget_row(litellm_db: Path, tmp_path: Path) -> None:
    """LiteLLM resets a key without budget_duration, and every customer, on the linked
    budget row's schedule."""
    path = tmp_path / "linked.db"
    path.write_bytes(litellm_db.read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute(
            """UPDATE "LiteLLM_BudgetTable"
               SET budget_duration = '7d', budget_reset_at = '2026-11-30 00:00:00'"""
        )
        conn.execute(
            """UPDATE "LiteLLM_VerificationToken" SET budget_duration = NULL, budget_reset_at = NULL
               WHERE budget_id IS NOT NULL AND rowid % 2 = 0"""
        )
    states = DatabaseSource(parse_database_url(f"sqlite:///{path}")).budgets()
    with sqlite3.connect(path) as conn:
        for kind in ("key", "customer"):
            assert_states_match(states, kind, conn.execute(TRUTH_SQL[kind]).fetchall())
    following = [s for s in states if s.kind in ("key", "customer") and s.budget_duration == "7d"]
    assert {s.kind for s in following} == {"key", "customer"}
    assert all(s.budget_reset_at == datetime(2026, 11, 30, tzinfo=UTC) for s in following)


def test_compact_layout_matches_sql(compact_db: Path) -> None:
    states = DatabaseSource(parse_database_url(f"sqlite:///{compact_db}")).budgets()
    with sqlite3.connect(compact_db) as conn:
        rows = conn.execute(COMPACT_SQL + " WHERE max_budget IS NOT NULL").fetchall()
    assert rows
    assert_states_match(states, "key", rows)
    assert {s.kind for s in states} == {"key"}
    assert all(s.budget_duration is None and s.name.startswith("#") for s in states)


def test_database_without_budget_tables_has_no_budgets(tmp_path: Path) -> None:
    path = tmp_path / "logs-only.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE LiteLLM_SpendLogs (id INTEGER PRIMARY KEY, spend REAL, created_at TEXT)")
    assert DatabaseSource(parse_database_url(f"sqlite:///{path}")).budgets() == []


_PG_COPY = {
    "LiteLLM_BudgetTable": (
        "budget_id",
        "max_budget",
        "soft_budget",
        "budget_duration",
        "budget_reset_at",
        "created_by",
        "updated_by",
    ),
    "LiteLLM_VerificationToken": (
        "token",
        "key_name",
        "key_alias",
        "spend",
        "max_budget",
        "budget_duration",
        "budget_reset_at",
        "budget_id",
        "user_id",
        "team_id",
    ),
    "LiteLLM_TeamTable": (
        "team_id",
        "team_alias",
        "spend",
        "max_budget",
        "budget_duration",
        "budget_reset_at",
    ),
    "LiteLLM_UserTable": ("user_id", "spend", "max_budget", "budget_duration", "budget_reset_at"),
    "LiteLLM_EndUserTable": ("user_id", "alias", "spend", "budget_id"),
}


@pytest.mark.postgres
def test_real_postgres_schema_matches_sql(tmp_path: Path) -> None:
    import psycopg

    url = create_pg_database("budgets_state")
    load_real_schema(url)
    demo = tmp_path / "demo.db"
    create_demo_db(demo, rows=3_000, days=40, seed=23, now=FIXED_NOW)
    with sqlite3.connect(demo) as lite, psycopg.connect(url) as pg:
        for table, cols in _PG_COPY.items():
            names = ", ".join(f'"{c}"' for c in cols)
            rows = lite.execute(f'SELECT {names} FROM "{table}"').fetchall()
            with pg.cursor() as cur:
                cur.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(["%s"] * len(cols))})', rows)
        pg.execute("""UPDATE "LiteLLM_TeamTable" SET soft_budget = max_budget / 2 WHERE team_alias = 'Growth'""")
        pg.commit()
        states = DatabaseSource(parse_database_url(url)).budgets()
        for kind, sql in TRUTH_SQL.items():
            rows = pg.execute(sql).fetchall()
            assert rows, kind
            assert_states_match(states, kind, rows)
    growth = next(s for s in states if s.kind == "team" and s.name == "Growth")
    assert growth.soft_budget is not None and growth.soft_budget * 2 == growth.max_budget


def _recorded(name: str) -> object:
    return json.loads((RESPONSES / f"{name}.json").read_text())


def test_recorded_proxy_answers() -> None:
    """The shapes a real LiteLLM 1.108.7 returned, parsed into the same states."""
    raw_keys = _recorded("key_list")
    keys = key_budgets(raw_keys)
    assert [k.name for k in keys] == ["alice-alpha", "bob-alpha", "carol-beta", "dave-tiny"]
    by_alias = {k["key_alias"]: k for k in raw_keys["keys"]}  # type: ignore[index]
    for state in keys:
        raw = by_alias[state.name]
        assert state.id == raw["token"] and state.key_name == raw["key_name"]
        assert abs(state.spend / 1e12 - raw["spend"]) <= 1e-6
        assert abs(state.max_budget / 1e12 - raw["max_budget"]) <= 1e-6  # type: ignore[operator]
        assert state.budget_duration == raw["budget_duration"]
        assert state.budget_reset_at == datetime.fromisoformat(raw["budget_reset_at"].replace("Z", "+00:00"))
    teams = team_budgets(_recorded("team_list"))
    assert [(t.id, t.name, t.max_budget) for t in teams] == [
        ("team-alpha", "Alpha", 50 * 10**12),
        ("team-beta", "Beta", 20 * 10**12),
    ]
    # a team's counter is the sum of its keys' counters (LiteLLM adds each request to both)
    alpha_keys = sum(k.spend for k in keys if k.team_id == "team-alpha")
    assert abs(teams[0].spend - alpha_keys) <= 10**6  # 1e-6 USD
    # the recorded customers have no budget rows, and /user/info gives alice's $20 budget
    assert customer_budgets(_recorded("customer_list")) == []
    alice = user_budgets(_recorded("user_info_alice"))
    assert [(u.id, u.max_budget, u.budget_duration) for u in alice] == [("alice", 20 * 10**12, None)]


def test_proxy_shapes_with_budget_rows() -> None:
    """Soft budgets and customer budgets come inlined as litellm_budget_table."""
    reset = "2026-12-01T00:00:00Z"
    table = {"max_budget": 10.0, "soft_budget": 8.0, "budget_duration": "30d", "budget_reset_at": reset}
    customers = [{"user_id": "acme", "alias": "Acme", "spend": 9.5, "budget_id": "b1", "litellm_budget_table": table}]
    [acme] = customer_budgets(customers)
    assert (acme.name, acme.spend, acme.max_budget, acme.soft_budget) == (
        "Acme",
        9_500_000_000_000,
        10**13,
        8 * 10**12,
    )
    assert acme.budget_reset_at == datetime(2026, 12, 1, tzinfo=UTC)
    key = {"token": "ab" * 32, "spend": 1.0, "max_budget": None, "litellm_budget_table": {"soft_budget": 2.0}}
    [state] = key_budgets({"keys": [key, "not-an-object", {"no": "token"}]})
    assert state.name == "#abababab" and state.soft_budget == 2 * 10**12 and state.max_budget is None
