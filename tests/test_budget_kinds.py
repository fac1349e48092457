"""Organization, project, team-member, tag and per-model budgets on a real demo database,
SQLite and PostgreSQL (LiteLLM 1.108.7's real schema): every budget and every "logs"
figure equals plain SQL written here; NULL budget ids, missing tables and corrupt JSON
give notes, never a crash."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from spendtui.budgets.board import BudgetBoard, budget_board
from spendtui.budgets.config import parse_budget_settings
from spendtui.config import Profile
from spendtui.core.budget_state import BudgetState
from spendtui.demo.budget_kinds import OFF_ORGANIZATION
from spendtui.demo.generator import create_demo_db
from spendtui.demo.world import DemoWorld
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.sources.factory import build_source
from spendtui.timeutil import day_of, fixed_clock
from tests.helpers import FIXED_NOW, copy_demo_db_to_pg, create_pg_database, load_real_schema

NEW_KINDS = ("organization", "project", "member", "tag", "model")
BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)]
#: The current window's start, as LiteLLM sets it, for the durations the demo uses (FIXED_NOW
#: is Friday 2026-11-27 12:00 UTC).
WINDOW_START = {
    "1mo": datetime(2026, 11, 1, tzinfo=UTC),
    "30d": datetime(2026, 11, 1, tzinfo=UTC),
    "7d": datetime(2026, 11, 23, tzinfo=UTC),
    "1d": datetime(2026, 11, 27, tzinfo=UTC),
}
USD = 10**12
SLACK = 10**6  # 1e-6 USD: LiteLLM's counters are doubles


def pico(value: Any) -> int:
    return int(Decimal(str(value)) * USD)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoWorld]:
    path = tmp_path_factory.mktemp("kinds") / "demo.db"
    world = create_demo_db(path, rows=20_000, days=40, seed=13, now=FIXED_NOW)
    return path, world


@pytest.fixture(scope="module")
def pg_url(demo: tuple[Path, DemoWorld]) -> str:
    url = create_pg_database("spendtui_test_budget_kinds")
    load_real_schema(url)
    copy_demo_db_to_pg(demo[0], url)
    return url


@pytest.fixture
def url(request: pytest.FixtureRequest, backend: str, demo: tuple[Path, DemoWorld]) -> str:
    return request.getfixturevalue("pg_url") if backend == "pg" else f"sqlite:///{demo[0]}"


def board_of(url: str) -> BudgetBoard:
    engine = SpendEngine(build_source(Profile(name="kinds", database_url=url)), clock=fixed_clock(FIXED_NOW))
    try:
        return budget_board(engine, parse_budget_settings({}))
    finally:
        engine.close()


def rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def since(url: str, duration: str) -> Any:
    """The window start as a bind value each backend compares with "startTime"."""
    start = WINDOW_START[duration]  # ("startTime" is UTC without a zone)
    return start.replace(tzinfo=None) if url.startswith("postgresql") else start.strftime("%Y-%m-%d %H:%M:%S")


# --- ground truth, plain SQL ------------------------------------------------------------

LINKED = {
    "organization": (
        "SELECT o.organization_id, o.organization_alias, o.spend, b.max_budget, b.soft_budget, b.budget_duration "
        'FROM "LiteLLM_OrganizationTable" o JOIN "LiteLLM_BudgetTable" b ON b.budget_id = o.budget_id '
        "WHERE b.max_budget IS NOT NULL OR b.soft_budget IS NOT NULL"
    ),
    "project": (
        "SELECT p.project_id, coalesce(p.project_alias, p.project_id), p.spend, b.max_budget, b.soft_budget, "
        'b.budget_duration FROM "LiteLLM_ProjectTable" p JOIN "LiteLLM_BudgetTable" b ON b.budget_id = p.budget_id '
        "WHERE b.max_budget IS NOT NULL OR b.soft_budget IS NOT NULL"
    ),
    "member": (
        "SELECT m.team_id || '/' || m.user_id, m.user_id || ' @ ' || coalesce(t.team_alias, m.team_id), m.spend, "
        'b.max_budget, b.soft_budget, b.budget_duration FROM "LiteLLM_TeamMembership" m '
        'JOIN "LiteLLM_BudgetTable" b ON b.budget_id = m.budget_id '
        'LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = m.team_id '
        "WHERE b.max_budget IS NOT NULL OR b.soft_budget IS NOT NULL"
    ),
    "tag": (
        "SELECT g.tag_name, g.tag_name, g.spend, b.max_budget, b.soft_budget, b.budget_duration "
        'FROM "LiteLLM_TagTable" g JOIN "LiteLLM_BudgetTable" b ON b.budget_id = g.budget_id '
        "WHERE b.max_budget IS NOT NULL OR b.soft_budget IS NOT NULL"
    ),
}
#: Spend in the logs since :start per scope value (organization as spendtui attributes it:
#: the log's, else its key's, else its team's).
_OWNERS = (
    'WITH k AS (SELECT token, organization_id, project_id FROM "LiteLLM_VerificationToken" UNION ALL '
    'SELECT token, organization_id, project_id FROM "LiteLLM_DeletedVerificationToken"), '
    't AS (SELECT team_id, organization_id FROM "LiteLLM_TeamTable" UNION ALL '
    'SELECT team_id, organization_id FROM "LiteLLM_DeletedTeamTable") '
)
LOGS = {
    "organization": _OWNERS + "SELECT coalesce(l.organization_id, k.organization_id, t.organization_id), sum(l.spend) "
    'FROM "LiteLLM_SpendLogs" l LEFT JOIN k ON k.token = l.api_key LEFT JOIN t ON t.team_id = l.team_id '
    'WHERE l."startTime" >= :start GROUP BY 1',
    "project": _OWNERS + 'SELECT k.project_id, sum(l.spend) FROM "LiteLLM_SpendLogs" l JOIN k ON k.token = l.api_key '
    'WHERE l."startTime" >= :start GROUP BY 1',
    "member": 'SELECT team_id || \'/\' || "user", sum(spend) FROM "LiteLLM_SpendLogs" '
    'WHERE "startTime" >= :start AND team_id IS NOT NULL GROUP BY 1',
}


def logs_by_tag(url: str, start: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for tags, spend in rows(
        url, 'SELECT request_tags, spend FROM "LiteLLM_SpendLogs" WHERE "startTime" >= :s', s=start
    ):
        found = tags if isinstance(tags, list) else json.loads(tags or "[]")
        for tag in set(found):
            out[tag] = out.get(tag, 0) + pico(spend)
    return out


def states_of(board: BudgetBoard, kind: str) -> dict[str, BudgetState]:
    return {b.state.id: b.state for b in board.of_kind(kind)}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["organization", "project", "member", "tag"])
def test_linked_budgets_and_their_logs_match_sql(url: str, kind: str) -> None:
    board = board_of(url)
    got = states_of(board, kind)
    truth = rows(url, LINKED[kind])
    assert truth, f"the demo has {kind} budgets"
    assert set(got) == {r[0] for r in truth}
    for ident, name, spend, max_budget, soft_budget, duration in truth:
        s = got[ident]
        assert s.name == name
        assert abs(s.spend - pico(spend)) <= SLACK
        assert s.max_budget == (pico(max_budget) if max_budget is not None else None)
        assert s.soft_budget == (pico(soft_budget) if soft_budget is not None else None)
        assert s.budget_duration == duration
        if kind == "tag":
            logs = logs_by_tag(url, since(url, duration)).get(ident, 0)
        else:
            logs = pico(dict(rows(url, LOGS[kind], start=since(url, duration))).get(ident, 0) or 0)
        assert s.logs_spend is not None and abs(s.logs_spend - logs) <= SLACK, ident


@pytest.mark.parametrize("backend", BACKENDS)
def test_model_budgets_match_their_json_and_logs(url: str) -> None:
    board = board_of(url)
    got = states_of(board, "model")
    expected: dict[str, tuple[int, int | None]] = {}
    for kind, table, id_column in (
        ("key", "LiteLLM_VerificationToken", "token"),
        ("team", "LiteLLM_TeamTable", "team_id"),
        ("user", "LiteLLM_UserTable", "user_id"),
    ):
        for ident, limits, spends in rows(url, f'SELECT {id_column}, model_max_budget, model_spend FROM "{table}"'):
            limits = limits if isinstance(limits, dict) else json.loads(limits or "{}")
            spends = spends if isinstance(spends, dict) else json.loads(spends or "{}")
            for model, entry in limits.items():
                spent = spends.get(model)
                expected[f"{kind}:{ident}/{model}"] = (
                    pico(entry["budget_limit"]),
                    None if spent is None else pico(spent),
                )
    assert expected and set(got) == set(expected)
    from_logs = 0
    for ident, (limit, spent) in expected.items():
        s = got[ident]
        (owner_kind, owner), (_, model) = s.log_scope
        column = {"key": "api_key", "team": "team_id", "user": '"user"'}[owner_kind]
        logs = rows(
            url,
            f'SELECT coalesce(sum(spend), 0) FROM "LiteLLM_SpendLogs" WHERE {column} = :o AND model_group = :m '
            'AND "startTime" >= :start',
            o=owner,
            m=model,
            start=since(url, "30d"),
        )[0][0]
        assert s.max_budget == limit and s.budget_duration == "30d"
        assert s.logs_spend is not None and abs(s.logs_spend - pico(logs)) <= SLACK
        if spent is None:  # no model_spend entry: the spend is the logs'
            from_logs += 1
            assert s.spend_from == "logs" and s.spend == s.logs_spend and not s.disagrees
        else:
            assert s.spend_from == "counter" and abs(s.spend - spent) <= SLACK
    assert from_logs, "the demo has a model budget without a model_spend entry"


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_the_demos_off_counter_disagrees_with_the_logs(url: str, demo: tuple[Path, DemoWorld]) -> None:
    board = board_of(url)
    off = demo[1].organizations[OFF_ORGANIZATION].organization_id
    flagged = [b for b in board.budgets if b.state.disagrees]
    assert [(b.state.kind, b.state.id) for b in flagged] == [("organization", off)]
    (b,) = flagged
    assert b.state.logs_spend is not None and b.state.spend < b.state.logs_spend
    assert any("differs from the request logs" in n for n in b.notes)
    # every other budget with a log scope was compared (the demo's windows are all loaded)
    compared = [x for x in board.budgets if x.state.log_scope]
    assert all(x.state.logs_spend is not None for x in compared), board.notes
    assert {x.state.kind for x in compared} >= set(NEW_KINDS)


# --- unusual databases -----------------------------------------------------------------


@pytest.fixture
def odd_db(demo: tuple[Path, DemoWorld], tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "odd.db"
    shutil.copy(demo[0], path)
    yield path


def read(path: Path) -> tuple[list[BudgetState], tuple[str, ...]]:
    states = DatabaseSource(parse_database_url(f"sqlite:///{path}")).budgets()
    return list(states), getattr(states, "notes", ())


def test_null_budget_ids_are_no_budgets(odd_db: Path) -> None:
    with sqlite3.connect(odd_db) as conn:
        conn.execute('UPDATE "LiteLLM_TagTable" SET budget_id = NULL')
        conn.execute('UPDATE "LiteLLM_TeamMembership" SET budget_id = NULL WHERE rowid % 2 = 0')
        # an organization whose budget row is gone (a dangling id)
        conn.execute("UPDATE \"LiteLLM_OrganizationTable\" SET budget_id = 'no-such-budget' WHERE rowid = 1")
        left = conn.execute(
            'SELECT count(*) FROM "LiteLLM_TeamMembership" m JOIN "LiteLLM_BudgetTable" b ON b.budget_id = m.budget_id '
            "WHERE b.max_budget IS NOT NULL"
        ).fetchone()[0]
        orgs = conn.execute(
            'SELECT count(*) FROM "LiteLLM_OrganizationTable" o '
            'JOIN "LiteLLM_BudgetTable" b ON b.budget_id = o.budget_id WHERE b.max_budget IS NOT NULL'
        ).fetchone()[0]
    states, notes = read(odd_db)
    kinds = [s.kind for s in states]
    assert kinds.count("tag") == 0
    assert kinds.count("member") == left > 0
    assert kinds.count("organization") == orgs == 3
    assert notes == ()


def test_missing_tables_and_columns_contribute_nothing_and_say_so(odd_db: Path) -> None:
    with sqlite3.connect(odd_db) as conn:
        conn.execute('DROP TABLE "LiteLLM_TagTable"')
        conn.execute('DROP TABLE "LiteLLM_TeamMembership"')
        conn.execute('ALTER TABLE "LiteLLM_ProjectTable" DROP COLUMN budget_id')
        conn.execute('ALTER TABLE "LiteLLM_TeamTable" DROP COLUMN model_max_budget')
    states, notes = read(odd_db)
    kinds = {s.kind for s in states}
    assert "tag" not in kinds and "member" not in kinds and "project" not in kinds
    assert {"key", "organization", "model"} <= kinds
    assert not any(s.kind == "model" and s.id.startswith("team:") for s in states)
    assert any("no LiteLLM_TagTable table" in n and "no tag budgets" in n for n in notes)
    assert any("no LiteLLM_TeamMembership table" in n for n in notes)
    assert any("LiteLLM_ProjectTable has no budget_id column" in n for n in notes)
    assert any("LiteLLM_TeamTable has no model_max_budget column" in n for n in notes)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is a JSON list, not an object of models"),
        ('{"gpt-4o": "ten dollars"}', "has no usable budget_limit"),
        ('{"gpt-4o": {"budget_limit": "x", "time_period": "30d"}}', "has no usable budget_limit"),
    ],
)
def test_corrupt_model_max_budget_gives_a_note_not_a_crash(odd_db: Path, value: str, problem: str) -> None:
    with sqlite3.connect(odd_db) as conn:
        token, alias = conn.execute(
            "SELECT token, key_alias FROM \"LiteLLM_VerificationToken\" WHERE model_max_budget != '{}' ORDER BY token"
        ).fetchone()
        conn.execute('UPDATE "LiteLLM_VerificationToken" SET model_max_budget = ? WHERE token = ?', (value, token))
        conn.execute(
            "UPDATE \"LiteLLM_UserTable\" SET model_max_budget = 'null', model_spend = '{\"a\": 1}' WHERE rowid = 1"
        )
        others = conn.execute(
            "SELECT count(*) FROM \"LiteLLM_VerificationToken\" WHERE model_max_budget != '{}' AND token != ?", (token,)
        ).fetchone()[0]
    states, notes = read(odd_db)
    assert not any(s.kind == "model" and s.id.startswith(f"key:{token}/") for s in states)
    assert len({s.id.split("/")[0] for s in states if s.kind == "model" and s.id.startswith("key:")}) == others
    assert [n for n in notes if problem in n and f"key {alias}" in n]


def test_check_kind_narrows_and_flags_the_disagreement(
    capsys: pytest.CaptureFixture[str], demo: tuple[Path, DemoWorld]
) -> None:
    from spendtui.cli import main

    db = demo[0]
    code = main(["check", "--db", f"sqlite:///{db}", "--now", "2026-11-27T12:00:00Z", "--all", "--format", "json",
                 "--kind", "organization"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert {b["kind"] for b in doc["budgets"]} == {"organization"}
    assert code == {"ok": 0, "warning": 1, "exceeded": 2}[doc["status"]]
    off = demo[1].organizations[OFF_ORGANIZATION].organization_id
    flagged = [b for b in doc["budgets"] if b["counter_disagrees"]]
    assert [b["id"] for b in flagged] == [off]
    assert flagged[0]["logs_spend"] > flagged[0]["spend"]
    for kind in NEW_KINDS:
        code = main(["check", "--db", f"sqlite:///{db}", "--now", "2026-11-27T12:00:00Z", "--all", "--kind", kind])
        out = capsys.readouterr().out
        body = [line for line in out.splitlines()[4:] if line and not line.startswith(("note:", "≠"))]
        assert body and all(line.split()[2] == kind for line in body), out
        assert code in (0, 1, 2)
        assert ("≠ organization" in out) == (kind == "organization")


def test_dashboard_flags_only_a_difference_that_holds(odd_db: Path, demo: tuple[Path, DemoWorld]) -> None:
    """The budget watch compares at each read of the counters: a difference seen once (a
    request in the counter and not yet in the logs) is not flagged; one that holds is."""
    from spendtui.budgets.monitor import READ_EVERY, BudgetMonitor

    clock = [0.0]
    monitor = BudgetMonitor(parse_budget_settings({}), monotonic=lambda: clock[0])
    engine = SpendEngine(DatabaseSource(parse_database_url(f"sqlite:///{odd_db}")), clock=fixed_clock(FIXED_NOW))
    engine.load(day_of(FIXED_NOW) - 45)
    off = f"organization:{demo[1].organizations[OFF_ORGANIZATION].organization_id}"

    def step(bump: float) -> dict[str, BudgetState]:
        with sqlite3.connect(odd_db) as conn:  # a request LiteLLM counted but has not logged yet
            conn.execute('UPDATE "LiteLLM_TagTable" SET spend = spend + ? WHERE tag_name = ?', (bump, "env:prod"))
        clock[0] += READ_EVERY
        monitor.evaluate(engine)
        assert monitor.board is not None
        return {b.state.uid: b.state for b in monitor.board.budgets}

    try:
        first = step(0.5)
        assert first["tag:env:prod"].differs and not first["tag:env:prod"].disagrees
        assert first[off].differs and not first[off].disagrees  # nothing to hold against yet
        second = step(-0.5)  # the logs caught up
        assert not second["tag:env:prod"].differs
        assert second[off].disagrees  # the organization's missed spend held
        assert [uid for uid, s in second.items() if s.disagrees] == [off]
        third = step(0.25)
        assert third["tag:env:prod"].differs and not third["tag:env:prod"].disagrees
        fourth = step(0.0)  # the same difference again: it held
        assert fourth["tag:env:prod"].disagrees and fourth[off].disagrees
    finally:
        engine.close()
