"""The demo's keys, teams, users and customers, with LiteLLM-style spend counters and budgets,
and the organizations, projects and agents they belong to.

Budgets are sized against the real spend in each budget window, so some keys and teams
are comfortably under, some near and some over their limits. A few keys and one team are
deleted (``choose_deleted``): LiteLLM keeps them in its deleted tables, their logs stay.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np

from spendtui.core.durations import current_window, next_reset, parse_duration
from spendtui.demo.budget_kinds import write_budget_kinds
from spendtui.demo.schema import insert_sql
from spendtui.demo.world import DemoWorld, abbreviate_key


class RowLike(Protocol):
    """The columns of a generator.RowBatch this module reads."""

    columns: dict[str, list[Any]]


class SpendIndex:
    """Spend per entity since a moment, computed once per distinct window start."""

    def __init__(self, batch: RowLike) -> None:
        self.batch = batch
        self._cache: dict[tuple[str, str], dict[str, float]] = {}

    def since(self, who: str, start: datetime | None) -> dict[str, float]:
        text = start.strftime("%Y-%m-%d %H:%M:%S") if start else ""
        found = self._cache.get((who, text))
        if found is None:
            found = self._cache[(who, text)] = _spend_by(self.batch, who, text)
        return found

    def last_seen(self, who: str) -> dict[str, str]:
        """The latest request time (``startTime`` text) per entity."""
        out: dict[str, str] = {}
        for w, t in zip(self.batch.columns[who], self.batch.columns["startTime"], strict=True):
            if w is not None and t > out.get(w, ""):
                out[w] = t
        return out


def _spend_by(batch: RowLike, who: str, since: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for w, t, s in zip(batch.columns[who], batch.columns["startTime"], batch.columns["spend"], strict=True):
        if w is not None and t >= since:
            out[w] = out.get(w, 0.0) + s
    return out


def _fmt(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000") if moment else None


def assign_budgets(world: DemoWorld, index: SpendIndex, now: datetime, rng: np.random.Generator) -> None:
    """Give keys and teams budgets sized against their real window spend: some over, some near."""
    for key in world.keys:
        if rng.random() >= 0.4:
            continue
        key.budget_duration = str(rng.choice(["30d", "1mo", "7d", "1d", "30d"]))
        start, _ = current_window(parse_duration(key.budget_duration), now)
        spent = index.since("api_key", start).get(key.token, 0.0)
        band = rng.random()
        if spent <= 0:
            key.max_budget = float(rng.choice([5, 10, 25, 50]))
        elif band < 0.12:
            key.max_budget = round(spent * rng.uniform(0.7, 0.97), 2) or 0.01
        elif band < 0.3:
            key.max_budget = round(spent * rng.uniform(1.03, 1.3), 2) or 0.01  # (never a $0 budget)
        else:
            key.max_budget = round(spent * rng.uniform(1.6, 5.0) + 1, 0)
        if rng.random() < 0.3:
            key.soft_budget = round(key.max_budget * 0.8, 2)
    for team in world.teams:
        if team.budget_duration is None:
            continue
        start, _ = current_window(parse_duration(team.budget_duration), now)
        spent = index.since("team_id", start).get(team.team_id, 0.0)
        team.max_budget = round(max(spent, 1.0) * float(rng.uniform(0.9, 2.5)), 0)


def write_world(conn: sqlite3.Connection, world: DemoWorld, index: SpendIndex, now: datetime, layout: str) -> None:
    """Write keys, teams, users and customers with LiteLLM-style counters (and, in the
    LiteLLM layout, organizations, projects, agents and the deleted keys and team)."""
    if layout == "compact":
        _write_compact_keys(conn, world, index)
        return
    now_text = _fmt(now)
    _write_owners(conn, world, index, now_text)
    _write_keys(conn, world, index, now, now_text)
    _write_teams(conn, world, index, now)
    _write_users(conn, world, index)
    _write_customers(conn, world, index, now_text)
    write_budget_kinds(conn, world, now)


_ADMIN = "default_user_id"
_BUDGET_INSERT = (
    'INSERT INTO "LiteLLM_BudgetTable" (budget_id, max_budget, soft_budget, max_parallel_requests, '
    "tpm_limit, rpm_limit, model_max_budget, budget_duration, budget_reset_at, created_at, "
    "created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_KEY_COLUMNS = (
    "token",
    "key_name",
    "key_alias",
    "spend",
    "models",
    "user_id",
    "team_id",
    "metadata",
    "tpm_limit",
    "rpm_limit",
    "max_budget",
    "budget_duration",
    "budget_reset_at",
    "budget_id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "total_spend",
    "organization_id",
    "project_id",
    "agent_id",
)
_KEY_INSERT = insert_sql("LiteLLM_VerificationToken", _KEY_COLUMNS)
_DELETED = ("id", "deleted_at", "deleted_by")
_DELETED_KEY_INSERT = insert_sql("LiteLLM_DeletedVerificationToken", _KEY_COLUMNS + _DELETED)
_TEAM_COLUMNS = (
    "team_id",
    "team_alias",
    "metadata",
    "max_budget",
    "spend",
    "budget_duration",
    "budget_reset_at",
    "organization_id",
)
_TEAM_INSERT = insert_sql("LiteLLM_TeamTable", _TEAM_COLUMNS)
_DELETED_TEAM_INSERT = insert_sql("LiteLLM_DeletedTeamTable", _TEAM_COLUMNS + _DELETED)
_ORGANIZATION_INSERT = (
    'INSERT INTO "LiteLLM_OrganizationTable" (organization_id, organization_alias, budget_id, spend, '
    "created_at, created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?)"
)
_PROJECT_INSERT = (
    'INSERT INTO "LiteLLM_ProjectTable" (project_id, project_alias, team_id, spend, created_at, '
    "created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?)"
)
_AGENT_INSERT = (
    'INSERT INTO "LiteLLM_AgentsTable" (agent_id, agent_name, agent_card_params, spend, created_at, '
    "created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?)"
)
_USER_INSERT = (
    'INSERT INTO "LiteLLM_UserTable" (user_id, user_alias, team_id, teams, user_role, '
    "max_budget, spend, user_email) VALUES (?,?,?,?,?,?,?,?)"
)
_CUSTOMER_INSERT = 'INSERT INTO "LiteLLM_EndUserTable" (user_id, alias, spend, budget_id) VALUES (?,?,?,?)'


def _budget_row(
    budget_id: str, now_text: str | None, *, max_budget: float | None = None, soft_budget: float | None = None
) -> tuple[object, ...]:
    """A ``LiteLLM_BudgetTable`` row, in ``_BUDGET_INSERT`` order, created by the proxy admin."""
    return (budget_id, max_budget, soft_budget, None, None, None, "{}", None, None, now_text, _ADMIN, now_text, _ADMIN)


def _window_counter(
    index: SpendIndex, who: str, ident: str, budget_duration: str | None, now: datetime
) -> tuple[float, datetime | None]:
    """LiteLLM's spend counter and next reset: spend in the current budget window, or lifetime without one."""
    if not budget_duration:
        return index.since(who, None).get(ident, 0.0), None
    duration = parse_duration(budget_duration)
    start, _ = current_window(duration, now)
    return index.since(who, start).get(ident, 0.0), next_reset(duration, now)


def _write_compact_keys(conn: sqlite3.Connection, world: DemoWorld, index: SpendIndex) -> None:
    """The compact layout's keys: lifetime spend and max budget only."""
    lifetime_by_key = index.since("api_key", None)
    rows = [
        (
            key.token,
            lifetime_by_key.get(key.token, 0.0),
            key.max_budget,
            key.user_id,
            key.team.team_id if key.team else None,
        )
        for key in world.keys
    ]
    conn.executemany(
        "INSERT INTO LiteLLM_VerificationToken (token, spend, max_budget, user_id, team_id) VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def _write_keys(
    conn: sqlite3.Connection, world: DemoWorld, index: SpendIndex, now: datetime, now_text: str | None
) -> None:
    """The keys, each soft budget in a linked budget row (written first, as LiteLLM links them)."""
    lifetime_by_key = index.since("api_key", None)
    last_seen = index.last_seen("api_key")
    budget_rows, key_rows, deleted_rows = [], [], []
    for i, key in enumerate(world.keys):
        spend, reset_at = _window_counter(index, "api_key", key.token, key.budget_duration, now)
        budget_id = None
        if key.soft_budget is not None:
            budget_id = f"budget-{world.seed}-{i:04d}"
            budget_rows.append(_budget_row(budget_id, now_text, soft_budget=key.soft_budget))
        row = (
            key.token,
            abbreviate_key(key.raw),
            key.alias,
            spend,
            json.dumps(list(key.models_allowed)),
            key.user_id,
            key.team.team_id if key.team else None,
            json.dumps({"tags": [f"project:{key.project}", f"env:{key.env}"]}),
            key.tpm_limit,
            key.rpm_limit,
            key.max_budget,
            key.budget_duration,
            _fmt(reset_at),
            budget_id,
            now_text,
            _ADMIN,
            now_text,
            _ADMIN,
            lifetime_by_key.get(key.token, 0.0),
            key.organization_id,
            key.project_id,
            key.agent_id,
        )
        if key.deleted:
            last = datetime.strptime(last_seen[key.token][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            deleted_at = last + timedelta(hours=1)
            deleted_rows.append((*row, _deleted_id(key.token), _fmt(deleted_at), _ADMIN))
        else:
            key_rows.append(row)
    conn.executemany(_BUDGET_INSERT, budget_rows)
    conn.executemany(_KEY_INSERT, key_rows)
    conn.executemany(_DELETED_KEY_INSERT, deleted_rows)


def _write_teams(conn: sqlite3.Connection, world: DemoWorld, index: SpendIndex, now: datetime) -> None:
    """The teams; a deleted one in LiteLLM_DeletedTeamTable, deleted after its last request."""
    team_rows, deleted_rows = [], []
    for team in world.teams:
        spend, reset_at = _window_counter(index, "team_id", team.team_id, team.budget_duration, now)
        row = (
            team.team_id,
            team.alias,
            json.dumps({"tags": [f"team:{team.tag}"]}),
            team.max_budget,
            spend,
            team.budget_duration,
            _fmt(reset_at),
            team.organization_id,
        )
        if team.deleted:  # just after its last request: its keys went with it
            last = index.last_seen("team_id").get(team.team_id)
            at = datetime.strptime(last[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) if last else now
            deleted_at = min(now, at + timedelta(minutes=1))
            deleted_rows.append((*row, _deleted_id(team.team_id), _fmt(deleted_at), _ADMIN))
        else:
            team_rows.append(row)
    conn.executemany(_TEAM_INSERT, team_rows)
    conn.executemany(_DELETED_TEAM_INSERT, deleted_rows)


def _deleted_id(ident: str) -> str:
    """The id of a deleted-table row (LiteLLM: a uuid), fixed by what was deleted."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"spendtui-demo-deleted:{ident}"))


def _write_owners(conn: sqlite3.Connection, world: DemoWorld, index: SpendIndex, now_text: str | None) -> None:
    """Organizations (each with the budget row LiteLLM requires, without limits), projects
    (none in a deleted team) and agents; spend counters from their keys' lifetime spend."""
    lifetime = index.since("api_key", None)
    by_org: dict[str, float] = {}
    by_project: dict[str, float] = {}
    by_agent: dict[str, float] = {}
    for key in world.keys:
        spent = lifetime.get(key.token, 0.0)
        owner = key.organization_id or (key.team.organization_id if key.team else None)
        for target, ident in ((by_org, owner), (by_project, key.project_id), (by_agent, key.agent_id)):
            if ident is not None:
                target[ident] = target.get(ident, 0.0) + spent
    budgets, orgs = [], []
    for i, org in enumerate(world.organizations):
        budget_id = f"budget-{world.seed}-org-{i:02d}"
        budgets.append(_budget_row(budget_id, now_text))
        orgs.append((org.organization_id, org.alias, budget_id, by_org.get(org.organization_id, 0.0)))
    conn.executemany(_BUDGET_INSERT, budgets)
    audit = (now_text, _ADMIN, now_text, _ADMIN)
    gone = {t.team_id for t in world.teams if t.deleted}  # (LiteLLM: ON DELETE SET NULL)
    conn.executemany(_ORGANIZATION_INSERT, [(*o, *audit) for o in orgs])
    conn.executemany(
        _PROJECT_INSERT,
        [
            (p.project_id, p.alias, None if p.team_id in gone else p.team_id, by_project.get(p.project_id, 0.0), *audit)
            for p in world.projects
        ],
    )
    conn.executemany(
        _AGENT_INSERT,
        [
            (a.agent_id, a.name, json.dumps(_agent_card(a.name, a.description)), by_agent.get(a.agent_id, 0.0), *audit)
            for a in world.agents
        ],
    )


def _agent_card(name: str, description: str) -> dict[str, object]:
    """An A2A agent card, as LiteLLM stores it in agent_card_params."""
    return {
        "name": name,
        "description": description,
        "url": f"http://agents.internal/{name}",
        "version": "1.0.0",
        "capabilities": {"streaming": True},
        "defaultInputModes": ["text"],
        "defaultOutputModes": ["text"],
        "skills": [],
    }


def _write_users(conn: sqlite3.Connection, world: DemoWorld, index: SpendIndex) -> None:
    """The internal users (every third with a budget), then the proxy admin."""
    by_user = index.since("user", None)
    user_rows: list[tuple[object, ...]] = []
    for i, (user_id, team) in enumerate(world.users):
        max_budget = round(by_user.get(user_id, 0.0) * 1.5 + 20, 0) if i % 3 == 0 else None
        user_rows.append(
            (
                user_id,
                user_id.capitalize(),
                team.team_id if team else None,
                json.dumps([team.team_id] if team else []),
                "internal_user",
                max_budget,
                by_user.get(user_id, 0.0),
                f"{user_id}@example.com",
            )
        )
    user_rows.append((_ADMIN, "Proxy admin", None, "[]", "proxy_admin", None, by_user.get(_ADMIN, 0.0), None))
    conn.executemany(_USER_INSERT, user_rows)


def _write_customers(conn: sqlite3.Connection, world: DemoWorld, index: SpendIndex, now_text: str | None) -> None:
    """The customers (end users), every tenth with a max budget in its own budget row."""
    by_customer = index.since("end_user", None)
    customer_rows, customer_budgets = [], []
    for i, customer in enumerate(world.customers):
        budget_id = None
        if i % 10 == 0:
            budget_id = f"budget-{world.seed}-cust-{i:04d}"
            max_budget = round(by_customer.get(customer, 0.0) * 1.2 + 5, 0)
            customer_budgets.append(_budget_row(budget_id, now_text, max_budget=max_budget))
        customer_rows.append((customer, None, by_customer.get(customer, 0.0), budget_id))
    conn.executemany(_BUDGET_INSERT, customer_budgets)
    conn.executemany(_CUSTOMER_INSERT, customer_rows)
