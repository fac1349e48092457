"""Organization, project and agent on a real demo database, SQLite and PostgreSQL: every
breakdown row, filtered question and label equals plain SQL (tests/truth.py OWNER_SQL).

The demo logs organization_id only on requests of its last 20 days (older rows are
attributed from their key, else their team), agent_id on part of an agent key's requests,
and has deleted keys and a deleted team whose spend stays in the logs.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from spendtui.config import Profile
from spendtui.core.query import Breakdown, Filters, Window
from spendtui.demo.generator import create_demo_db
from spendtui.demo.world import DemoWorld
from spendtui.engine import SpendEngine
from spendtui.sources.factory import build_source
from spendtui.timeutil import day_of, fixed_clock
from tests.helpers import FIXED_NOW, copy_demo_db_to_pg, create_pg_database, load_real_schema
from tests.truth import MODEL_SQL, OWNER_SQL, Truth

OWNERS = ("organization", "project", "agent")
TODAY = day_of(FIXED_NOW)
WINDOWS = {"today": Window(TODAY, TODAY), "7d": Window(TODAY - 6, TODAY), "30d": Window(TODAY - 29, TODAY)}
BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoWorld]:
    path = tmp_path_factory.mktemp("entities") / "demo.db"
    world = create_demo_db(path, rows=20_000, days=40, seed=13, now=FIXED_NOW)
    return path, world


@pytest.fixture(scope="module")
def pg_url(demo: tuple[Path, DemoWorld]) -> str:
    url = create_pg_database("spendtui_test_entities")
    load_real_schema(url)
    copy_demo_db_to_pg(demo[0], url)
    return url


@pytest.fixture
def url(request: pytest.FixtureRequest, backend: str, demo: tuple[Path, DemoWorld]) -> str:
    return request.getfixturevalue("pg_url") if backend == "pg" else f"sqlite:///{demo[0]}"


def open_engine(url: str) -> SpendEngine:
    engine = SpendEngine(build_source(Profile(name="entities", database_url=url)), clock=fixed_clock(FIXED_NOW))
    engine.load(TODAY - 39)
    return engine


@pytest.fixture
def engine(url: str) -> Iterator[SpendEngine]:
    engine = open_engine(url)
    yield engine
    engine.close()


def as_truth(rows: Breakdown) -> dict[str, tuple[float, int, int, int, int]]:
    """Breakdown rows in Truth's shape ('(none)' for the empty value)."""
    return {
        (g.value or "(none)"): (
            g.totals.spend / 1e12,
            g.totals.requests,
            g.totals.prompt_tokens,
            g.totals.completion_tokens,
            g.totals.total_tokens,
        )
        for g in rows
    }


def assert_same(got: dict, want: dict, what: object) -> None:
    assert set(got) == set(want), (what, set(got) ^ set(want))
    for name, (spend, *counts) in want.items():
        assert abs(got[name][0] - spend) <= 1e-6, (what, name, got[name][0], spend)
        assert list(got[name][1:]) == counts, (what, name)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_owner_row_equals_sql(engine: SpendEngine, url: str) -> None:
    truth = Truth(url)
    for dim in OWNERS:
        for label, window in WINDOWS.items():
            want = truth.owners(dim, window.first, window.last)
            assert want, (dim, label)
            assert_same(as_truth(engine.query.breakdown(dim, window)), want, (dim, label))
    month = WINDOWS["30d"]
    # the demo has several of each, and requests of none
    for dim, least in (("organization", 4), ("project", 7), ("agent", 4)):
        found = truth.owners(dim, month.first, month.last)
        assert len(found) >= least + 1 and "(none)" in found, (dim, sorted(found))


@pytest.mark.parametrize("backend", BACKENDS)
def test_owner_filters_crossed_with_other_dimensions_equal_sql(engine: SpendEngine, url: str) -> None:
    truth = Truth(url)
    window = WINDOWS["30d"]
    crosses = [("model", MODEL_SQL), ("project", OWNER_SQL["project"]), ("organization", OWNER_SQL["organization"])]
    for dim in OWNERS:
        values = [v if v != "(none)" else "" for v in truth.owners(dim, window.first, window.last)]
        for value in values:
            filters = Filters(**{dim: frozenset({value})})
            for other, other_sql in crosses:
                if other == dim:
                    continue
                want = truth.owners(dim, window.first, window.last, only=(dim, value), group_sql=other_sql)
                got = as_truth(engine.query.breakdown(other, window, filters))
                assert_same(got, want, (dim, value, other))
    # and the other way round: one model, by owner
    model = max(truth.model(window.first, window.last).items(), key=lambda kv: kv[1][1])[0]
    for dim in OWNERS:
        want = {}
        for owner in truth.owners(dim, window.first, window.last):
            value = "" if owner == "(none)" else owner
            by_model = truth.owners(dim, window.first, window.last, only=(dim, value), group_sql=MODEL_SQL)
            if model in by_model:
                want[owner] = by_model[model]
        got = as_truth(engine.query.breakdown(dim, window, Filters(model=frozenset({model}))))
        assert_same(got, want, (model, dim))


@pytest.mark.parametrize("backend", BACKENDS)
def test_labels_are_aliases_and_deleted_keys_and_teams_say_so(engine: SpendEngine, url: str) -> None:
    truth = Truth(url)
    window = WINDOWS["30d"]
    names = engine.names
    for dim in OWNERS:
        aliases = truth.owner_names(dim)
        rows = engine.query.breakdown(dim, window)
        for g in rows:
            assert g.value == "" or names.label(dim, g.value) == aliases[g.value], (dim, g.value)
        assert [g.name for g in rows if not g.value] == ["(none)"], dim
    with truth.engine.connect() as conn:
        deleted_keys = pairs(conn.execute(text('SELECT token, key_alias FROM "LiteLLM_DeletedVerificationToken"')))
        deleted_teams = pairs(conn.execute(text('SELECT team_id, team_alias FROM "LiteLLM_DeletedTeamTable"')))
        live = {t for (t,) in conn.execute(text('SELECT token FROM "LiteLLM_VerificationToken"'))}
    assert len(deleted_keys) >= 2 and len(deleted_teams) == 1 and not set(deleted_keys) & live
    spent = {g.value for g in engine.query.breakdown("key", window)}
    assert set(deleted_keys) <= spent  # their spend stays in the logs, and shows
    for token, alias in deleted_keys.items():
        assert names.label("key", token) == f"{alias} (deleted)"
    [(team_id, team_alias)] = deleted_teams.items()
    assert team_id in {g.value for g in engine.query.breakdown("team", window)}
    assert names.label("team", team_id) == f"{team_alias} (deleted)"
    assert not any(names.label("key", t).endswith("(deleted)") for t in live)


def pairs(result: Any) -> dict[Any, Any]:
    """The two columns of a SQL answer as a dict."""
    return {r[0]: r[1] for r in result}


def _key_orgs(url: str) -> dict[str, tuple[str | None, str | None]]:
    """token -> (the key's own organization_id, its team's, live or deleted), from SQL (live keys)."""
    sql = (
        "SELECT k.token, k.organization_id, COALESCE(t.organization_id, dt.organization_id) "
        'FROM "LiteLLM_VerificationToken" k LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = k.team_id '
        'LEFT JOIN "LiteLLM_DeletedTeamTable" dt ON dt.team_id = k.team_id'
    )
    with Truth(url).engine.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(text(sql))}


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_without_organization_id_follow_their_key_then_their_team(
    engine: SpendEngine, url: str, demo: tuple[Path, DemoWorld]
) -> None:
    world = demo[1]
    window = WINDOWS["30d"]
    orgs = _key_orgs(url)
    with Truth(url).engine.connect() as conn:
        unlogged = pairs(
            conn.execute(
                text('SELECT api_key, count(*) FROM "LiteLLM_SpendLogs" WHERE organization_id IS NULL GROUP BY api_key')
            )
        )
    spent = {g.value: g.totals.requests for g in engine.query.breakdown("key", window)}
    cases = {"key": 0, "team": 0, "none": 0}
    for key in world.keys:
        token = key.token
        if key.deleted or token not in spent or not unlogged.get(token):
            continue
        own, team = orgs[token]
        rows = engine.query.breakdown("organization", window, Filters(key=frozenset({token})))
        if token in {k.token for k in world.keys if k.logged_organization_id != (k.organization_id or team)}:
            continue  # (a key that moved: its logged rows keep their old organization)
        expected = own or team or ""
        assert [(g.value, g.totals.requests) for g in rows] == [(expected, spent[token])], (key.alias, own, team)
        cases["key" if own else "team" if team else "none"] += 1
    assert all(cases.values()), cases  # each rule met on real rows
    # the master key's requests have no key, team or organization: (none)
    master = engine.query.breakdown("organization", window, Filters(key=frozenset({"litellm_proxy_master_key"})))
    assert [g.value for g in master] == [""]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_logged_organization_wins_over_the_keys_current_one(
    engine: SpendEngine, url: str, demo: tuple[Path, DemoWorld]
) -> None:
    """Two demo keys changed organization: rows logged before keep the logged one."""
    world = demo[1]
    window = WINDOWS["30d"]
    orgs = _key_orgs(url)
    moved = [
        k for k in world.keys if k.token in orgs and k.logged_organization_id != (orgs[k.token][0] or orgs[k.token][1])
    ]
    assert len(moved) == 2
    with Truth(url).engine.connect() as conn:
        for key in moved:
            want = pairs(
                conn.execute(
                    text(
                        'SELECT organization_id, count(*) FROM "LiteLLM_SpendLogs" WHERE api_key = :k '
                        'AND "startTime" >= :lo GROUP BY 1'
                    ),
                    {"k": key.token, "lo": window.first.isoformat()},
                )
            )
            if not want:
                continue
            current = orgs[key.token][0] or orgs[key.token][1] or ""
            expected: dict[str, int] = {}
            for logged, n in want.items():
                org = logged or current
                expected[org] = expected.get(org, 0) + n
            rows = engine.query.breakdown("organization", window, Filters(key=frozenset({key.token})))
            assert {g.value: g.totals.requests for g in rows} == expected, key.alias


def _strip_new_litellm(path: Path) -> None:
    """Make a demo database look like LiteLLM before organizations, projects and agents."""
    conn = sqlite3.connect(path)
    try:
        for table in (
            "LiteLLM_OrganizationTable",
            "LiteLLM_ProjectTable",
            "LiteLLM_AgentsTable",
            "LiteLLM_DeletedVerificationToken",
            "LiteLLM_DeletedTeamTable",
        ):
            conn.execute(f'DROP TABLE "{table}"')
        for table, columns in (
            ("LiteLLM_SpendLogs", ("organization_id", "agent_id", "mcp_namespaced_tool_name")),
            ("LiteLLM_VerificationToken", ("organization_id", "project_id", "agent_id")),
            ("LiteLLM_TeamTable", ("organization_id",)),
        ):
            for column in columns:
                conn.execute(f'ALTER TABLE "{table}" DROP COLUMN {column}')
        conn.commit()
    finally:
        conn.close()


def test_an_older_litellm_database_loads_and_counts_everything_under_none(
    demo: tuple[Path, DemoWorld], tmp_path: Path, compact_db: Path
) -> None:
    old = tmp_path / "old.db"
    shutil.copy(demo[0], old)
    _strip_new_litellm(old)
    for path in (old, compact_db):
        url = f"sqlite:///{path}"
        layout = "litellm" if path == old else "compact"
        with sqlite3.connect(path) as conn:
            columns = {r[1] for r in conn.execute('PRAGMA table_info("LiteLLM_SpendLogs")')}
        assert not columns & {"organization_id", "agent_id"}
        truth = Truth(url, layout)
        engine = open_engine(url)
        try:
            for window in WINDOWS.values():
                spend, *counts = truth.total(window.first, window.last)
                for dim in OWNERS:
                    rows = engine.query.breakdown(dim, window)
                    assert [g.name for g in rows] == ["(none)"], (path.name, dim)
                    t = rows[0].totals
                    assert abs(t.spend / 1e12 - spend) <= 1e-6
                    assert [t.requests, t.prompt_tokens, t.completion_tokens, t.total_tokens] == counts
                assert_same(
                    as_truth(engine.query.breakdown("key", window)),
                    truth.by("api_key", window.first, window.last),
                    (path.name, "key"),
                )
            assert not engine.names.organization_alias and not engine.names.deleted_keys
        finally:
            engine.close()


def test_the_live_simulator_logs_organizations_and_agents(demo: tuple[Path, DemoWorld], tmp_path: Path) -> None:
    from datetime import timedelta

    from spendtui.demo.simulator import Simulator

    path, world = demo
    live = tmp_path / "live.db"
    shutil.copy(path, live)
    url = f"sqlite:///{live}"
    engine = open_engine(url)
    try:
        sim = Simulator(live, world=world, rate=200, clock=lambda: FIXED_NOW)
        sim.step(FIXED_NOW - timedelta(seconds=60))
        written = sim.step(FIXED_NOW)
        assert written > 5_000
        with sqlite3.connect(live) as conn:
            logged, unlogged, agents = conn.execute(
                "SELECT count(organization_id), sum(organization_id IS NULL AND api_key != ?), count(agent_id) "
                'FROM (SELECT * FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT ?)',
                ("litellm_proxy_master_key", written),
            ).fetchone()
            # a deleted key's requests are refused by LiteLLM: none are logged after its deletion
            since_deletion = conn.execute(
                'SELECT count(*) FROM (SELECT api_key FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT ?) '
                'WHERE api_key IN (SELECT token FROM "LiteLLM_DeletedVerificationToken")',
                (written,),
            ).fetchone()[0]
            deleted = conn.execute('SELECT count(*) FROM "LiteLLM_DeletedVerificationToken"').fetchone()[0]
            # nor of a deleted team, whose keys go with it; its last request is older than its deletion
            team_since_deletion, last_team_request, team_deleted_at = conn.execute(
                'SELECT (SELECT count(*) FROM (SELECT team_id FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT ?) '
                "WHERE team_id = d.team_id), "
                '(SELECT max("startTime") FROM "LiteLLM_SpendLogs" WHERE team_id = d.team_id), d.deleted_at '
                'FROM "LiteLLM_DeletedTeamTable" AS d',
                (written,),
            ).fetchone()
        assert logged > written // 2 and agents and logged + unlogged <= written
        assert deleted >= 2 and since_deletion == 0
        assert team_since_deletion == 0 and last_team_request < team_deleted_at
        engine.refresh()
        truth = Truth(url)
        for dim in OWNERS:
            window = WINDOWS["today"]
            assert_same(
                as_truth(engine.query.breakdown(dim, window)), truth.owners(dim, window.first, window.last), dim
            )
    finally:
        engine.close()


def test_a_live_key_without_an_alias_is_not_taken_for_its_deleted_twin(tmp_path: Path) -> None:
    """A hash in both the live and the deleted key tables is live, even when the live row
    has no alias or key name to tell it by (LiteLLM regenerates a key under the old hash)."""
    from sqlalchemy import create_engine

    from spendtui.sources.db.names import read_names
    from spendtui.sources.db.schema import reflect
    from spendtui.sources.db.sql import Dialect

    path = tmp_path / "twins.db"
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "LiteLLM_SpendLogs" (request_id TEXT, "startTime" TEXT, spend REAL, api_key TEXT)')
        conn.execute('CREATE TABLE "LiteLLM_VerificationToken" (token TEXT, key_alias TEXT, organization_id TEXT)')
        conn.execute(
            'CREATE TABLE "LiteLLM_DeletedVerificationToken" '
            "(id TEXT, token TEXT, key_alias TEXT, organization_id TEXT)"
        )
        conn.execute("""INSERT INTO "LiteLLM_VerificationToken" VALUES ('h1', NULL, 'org-live'), ('h2', 'two', NULL)""")
        conn.execute(
            """INSERT INTO "LiteLLM_DeletedVerificationToken" VALUES """
            "('d1', 'h1', 'old-one', 'org-old'), ('d2', 'h3', 'three', 'org-3')"
        )
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        names = read_names(conn, reflect(conn), Dialect("sqlite"))
    engine.dispose()
    assert names.deleted_keys == {"h3"}
    assert names.key("h3") == "three (deleted)" and names.key_organization["h3"] == "org-3"
    assert "(deleted)" not in names.key("h1") and names.key_organization["h1"] == "org-live"
    assert names.key("h2") == "two"
