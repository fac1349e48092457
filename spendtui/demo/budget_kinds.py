"""The demo's organization, project, team-member, tag and per-model budgets.

Written after the request logs, with LiteLLM-style counters: each counter is the spend of
its scope in its current window, counted from the logs already written, so it agrees with
them, except ``OFF_ORGANIZATION``'s, which LiteLLM "missed" part of (the counter and logs
disagree, as users report when a budget is not enforced). Limits are sized against that
spend so some are near or over. Nothing here draws from the generator's random streams.
The simulator moves every counter with the requests it adds (``bump``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from spendtui.core.durations import current_window, next_reset, parse_duration
from spendtui.demo.world import DemoKey, DemoWorld

_ADMIN = "default_user_id"
#: The organization (by position) whose counter holds only this share of its logged spend.
OFF_ORGANIZATION = 1
OFF_SHARE = 0.8
#: Budget sizes, as multiples of the window's spend, cycled through: over, near, comfortable.
_SIZES = (0.9, 1.15, 2.5, 1.6)
_BUDGET_INSERT = (
    'INSERT INTO "LiteLLM_BudgetTable" (budget_id, max_budget, soft_budget, budget_duration, budget_reset_at, '
    "created_at, created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?)"
)


def _fmt(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S.000") if moment else None


class _Logs:
    """The written request logs, read once: what every counter is computed from."""

    def __init__(self, conn: sqlite3.Connection, world: DemoWorld) -> None:
        self.keys = {k.token: k for k in world.keys}
        self.rows = conn.execute(
            'SELECT "startTime", api_key, organization_id, team_id, "user", model_group, request_tags, spend '
            'FROM "LiteLLM_SpendLogs"'
        ).fetchall()

    def spend(self, since: datetime, scope: str) -> dict[Any, float]:
        """Spend per value of ``scope`` (organization, project, member, tag, model) since ``since``."""
        text = since.strftime("%Y-%m-%d %H:%M:%S")
        out: dict[Any, float] = {}
        for start, api_key, org, team, user, model, tags, spend in self.rows:
            if start < text:
                continue
            for value in self._values(scope, self.keys.get(api_key), api_key, org, team, user, model, tags):
                out[value] = out.get(value, 0.0) + spend
        return out

    @staticmethod
    def _values(
        scope: str, key: DemoKey | None, api_key: str, org: Any, team: Any, user: Any, model: Any, tags: Any
    ) -> Iterable[Any]:
        if scope == "organization":
            owner = (
                org
                or (key.organization_id if key else None)
                or (key.team.organization_id if key and key.team else None)
            )
            return [owner] if owner else []
        if scope == "project":
            return [key.project_id] if key and key.project_id else []
        if scope == "member":
            return [(team, user)] if team and user else []
        if scope == "tag":
            try:
                found = json.loads(tags) if tags else []
            except ValueError:
                return []
            return list(dict.fromkeys(found)) if isinstance(found, list) else []
        return [(api_key, model), (team, model)] if model else [(api_key, model)]


def _window(duration: str, now: datetime) -> tuple[datetime, datetime]:
    d = parse_duration(duration)
    return current_window(d, now)[0], next_reset(d, now)


def write_budget_kinds(conn: sqlite3.Connection, world: DemoWorld, now: datetime) -> None:
    """Budgets for organizations, projects, team members, tags and models (LiteLLM layout)."""
    logs = _Logs(conn, world)
    now_text = _fmt(now)
    audit = (now_text, _ADMIN, now_text, _ADMIN)
    budgets: list[tuple[object, ...]] = []

    def budget(ident: str, spent: float, i: int, duration: str, soft: bool = False) -> str:
        _, reset = _window(duration, now)
        limit = round(max(spent, 1.0) * _SIZES[i % len(_SIZES)], 0)
        budgets.append((ident, limit, round(limit * 0.75, 2) if soft else None, duration, _fmt(reset), *audit))
        return ident

    # organizations: a monthly budget on each, in the budget row LiteLLM already links
    start, _ = _window("1mo", now)
    by_org = logs.spend(start, "organization")
    for i, org in enumerate(world.organizations):
        spent = by_org.get(org.organization_id, 0.0)
        counter = spent * OFF_SHARE if i == OFF_ORGANIZATION else spent
        limit = round(max(spent, 1.0) * _SIZES[i % len(_SIZES)], 0)
        conn.execute(
            'UPDATE "LiteLLM_BudgetTable" SET max_budget = ?, soft_budget = ?, budget_duration = ?, '
            'budget_reset_at = ? WHERE budget_id = (SELECT budget_id FROM "LiteLLM_OrganizationTable" '
            "WHERE organization_id = ?)",
            (limit, round(limit * 0.8, 2), "1mo", _fmt(_window("1mo", now)[1]), org.organization_id),
        )
        conn.execute(
            'UPDATE "LiteLLM_OrganizationTable" SET spend = ? WHERE organization_id = ?', (counter, org.organization_id)
        )
    # projects: every other one a weekly budget
    start, _ = _window("7d", now)
    by_project = logs.spend(start, "project")
    for i, project in enumerate(world.projects):
        if i % 2:
            continue
        spent = by_project.get(project.project_id, 0.0)
        ident = budget(f"budget-{world.seed}-proj-{i:02d}", spent, i, "7d")
        conn.execute(
            'UPDATE "LiteLLM_ProjectTable" SET spend = ?, budget_id = ? WHERE project_id = ?',
            (spent, ident, project.project_id),
        )
    # team members: every user in a team is a member; every fourth with a monthly budget
    start, _ = _window("30d", now)
    by_member = logs.spend(start, "member")
    members = []
    for i, (user_id, team) in enumerate(world.users):
        if team is None or team.deleted:
            continue
        spent = by_member.get((team.team_id, user_id), 0.0)
        member_budget = budget(f"budget-{world.seed}-member-{i:02d}", spent, i, "30d") if i % 4 == 0 else None
        members.append((user_id, team.team_id, spent, member_budget, spent))
    conn.executemany(
        'INSERT INTO "LiteLLM_TeamMembership" (user_id, team_id, spend, budget_id, total_spend) VALUES (?,?,?,?,?)',
        members,
    )
    # tags: the environments and two features, daily or monthly
    tag_rows: list[tuple[object, ...]] = []
    for i, (tag, duration) in enumerate((("env:prod", "30d"), ("env:staging", "1d"), ("feature:chat", "7d"))):
        spent = logs.spend(_window(duration, now)[0], "tag").get(tag, 0.0)
        ident = budget(f"budget-{world.seed}-tag-{i:02d}", spent, i + 1, duration, soft=True)
        tag_rows.append((tag, f"demo budget on {tag}", spent, ident, now_text, _ADMIN, now_text))
    tag_rows.append(("env:dev", "no budget", 0.0, None, now_text, _ADMIN, now_text))
    conn.executemany(
        'INSERT INTO "LiteLLM_TagTable" (tag_name, description, spend, budget_id, created_at, created_by, '
        "updated_at) VALUES (?,?,?,?,?,?,?)",
        tag_rows,
    )
    conn.executemany(_BUDGET_INSERT, budgets)
    _write_model_budgets(conn, world, logs, now)


def _model_limit(spent: float, size: float) -> dict[str, object]:
    return {"budget_limit": round(max(spent, 1.0) * size, 0), "time_period": "30d"}


def _write_model_budgets(conn: sqlite3.Connection, world: DemoWorld, logs: _Logs, now: datetime) -> None:
    """Per-model budgets on the five busiest live keys with a team (the last one without a
    model_spend entry: counted from the logs) and on one team."""
    start, _ = _window("30d", now)
    by_model = logs.spend(start, "model")
    lifetime: dict[str, float] = {}
    for key, spend in ((k, s) for (k, _m), s in by_model.items()):
        lifetime[key] = lifetime.get(key, 0.0) + spend
    keys = [k for k in world.keys if not k.deleted and k.team is not None and k.token in lifetime]
    keys.sort(key=lambda k: (-lifetime[k.token], k.token))
    for n, key in enumerate(keys[:5]):
        models = sorted({m for (k, m) in by_model if k == key.token})[:2]
        limits = {
            m: {"budget_limit": round(max(by_model[(key.token, m)], 1.0) * _SIZES[n % 4], 0), "time_period": "30d"}
            for m in models
        }
        spends = {} if n == 4 else {m: by_model[(key.token, m)] for m in models}
        conn.execute(
            'UPDATE "LiteLLM_VerificationToken" SET model_max_budget = ?, model_spend = ? WHERE token = ?',
            (json.dumps(limits), json.dumps(spends), key.token),
        )
    team = next((t for t in world.teams if not t.deleted), None)
    if team is not None:
        models = sorted({m for (k, m) in by_model if k == team.team_id})[:1]
        limits = {
            m: {"budget_limit": round(max(by_model[(team.team_id, m)], 1.0) * 1.2, 0), "time_period": "30d"}
            for m in models
        }
        spends = {m: by_model[(team.team_id, m)] for m in models}
        conn.execute(
            'UPDATE "LiteLLM_TeamTable" SET model_max_budget = ?, model_spend = ? WHERE team_id = ?',
            (json.dumps(limits), json.dumps(spends), team.team_id),
        )


def bump(conn: sqlite3.Connection, world: DemoWorld, columns: dict[str, list[Any]]) -> None:
    """Move the organization, project, member, tag and model counters by new requests."""
    keys = {k.token: k for k in world.keys}
    sums: dict[str, dict[Any, float]] = {s: {} for s in ("organization", "project", "member", "tag", "model")}
    rows = zip(
        columns["api_key"],
        columns["organization_id"],
        columns["team_id"],
        columns["user"],
        columns["model_group"],
        columns["request_tags"],
        columns["spend"],
        strict=True,
    )
    for api_key, org, team, user, model, tags, spend in rows:
        key = keys.get(api_key)
        for scope, target in sums.items():
            for value in _Logs._values(scope, key, api_key, org, team, user, model, tags):
                target[value] = target.get(value, 0.0) + spend
    conn.executemany(
        'UPDATE "LiteLLM_OrganizationTable" SET spend = spend + ? WHERE organization_id = ?',
        [(s, o) for o, s in sums["organization"].items()],
    )
    conn.executemany(
        'UPDATE "LiteLLM_ProjectTable" SET spend = spend + ? WHERE project_id = ?',
        [(s, p) for p, s in sums["project"].items()],
    )
    conn.executemany(
        'UPDATE "LiteLLM_TeamMembership" SET spend = spend + ?, total_spend = total_spend + ? '
        "WHERE team_id = ? AND user_id = ?",
        [(s, s, t, u) for (t, u), s in sums["member"].items()],
    )
    conn.executemany(
        'UPDATE "LiteLLM_TagTable" SET spend = spend + ? WHERE tag_name = ?', [(s, t) for t, s in sums["tag"].items()]
    )
    for table, column in (("LiteLLM_VerificationToken", "token"), ("LiteLLM_TeamTable", "team_id")):
        owned = conn.execute(
            f"SELECT {column}, model_spend FROM \"{table}\" WHERE model_spend IS NOT NULL AND model_spend != '{{}}'"  # noqa: S608
        ).fetchall()
        for owner, raw in owned:
            spends = json.loads(raw)
            moved = False
            for (who, model), s in sums["model"].items():
                if who == owner and model in spends:
                    spends[model] += s
                    moved = True
            if moved:
                conn.execute(f'UPDATE "{table}" SET model_spend = ? WHERE {column} = ?', (json.dumps(spends), owner))  # noqa: S608
