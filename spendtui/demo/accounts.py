"""The demo's keys, teams, users and customers, with LiteLLM-style spend counters and budgets.

Budgets are sized against the real spend in each budget window, so some keys and teams
are comfortably under, some near and some over their limits.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Protocol

import numpy as np

from spendtui.core.durations import current_window, next_reset, parse_duration
from spendtui.demo.world import DemoWorld, abbreviate_key


class RowLike(Protocol):
    """The columns of a generator.RowBatch this module reads."""

    columns: dict[str, list]


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
    """Write keys, teams, users and customers with LiteLLM-style counters."""
    lifetime_by_key = index.since("api_key", None)
    now_text = _fmt(now)
    if layout == "compact":
        rows = []
        for key in world.keys:
            rows.append(
                (
                    key.token,
                    lifetime_by_key.get(key.token, 0.0),
                    key.max_budget,
                    key.user_id,
                    key.team.team_id if key.team else None,
                )
            )
        conn.executemany(
            "INSERT INTO LiteLLM_VerificationToken (token, spend, max_budget, user_id, team_id) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        return
    budget_rows, key_rows = [], []
    for i, key in enumerate(world.keys):
        spend = lifetime_by_key.get(key.token, 0.0)
        reset_at = None
        if key.budget_duration:
            duration = parse_duration(key.budget_duration)
            start, _ = current_window(duration, now)
            spend = index.since("api_key", start).get(key.token, 0.0)
            reset_at = next_reset(duration, now)
        budget_id = None
        if key.soft_budget is not None:
            budget_id = f"budget-{world.seed}-{i:04d}"
            budget_rows.append(
                (
                    budget_id,
                    None,
                    key.soft_budget,
                    None,
                    None,
                    None,
                    "{}",
                    None,
                    None,
                    now_text,
                    "default_user_id",
                    now_text,
                    "default_user_id",
                )
            )
        key_rows.append(
            (
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
                "default_user_id",
                now_text,
                "default_user_id",
                lifetime_by_key.get(key.token, 0.0),
            )
        )
    conn.executemany(
        'INSERT INTO "LiteLLM_BudgetTable" (budget_id, max_budget, soft_budget, max_parallel_requests, '
        "tpm_limit, rpm_limit, model_max_budget, budget_duration, budget_reset_at, created_at, "
        "created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        budget_rows,
    )
    conn.executemany(
        'INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, spend, models, user_id, '
        "team_id, metadata, tpm_limit, rpm_limit, max_budget, budget_duration, budget_reset_at, "
        "budget_id, created_at, created_by, updated_at, updated_by, total_spend) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        key_rows,
    )
    team_rows = []
    for team in world.teams:
        spend, reset_at = 0.0, None
        if team.budget_duration:
            duration = parse_duration(team.budget_duration)
            start, _ = current_window(duration, now)
            spend = index.since("team_id", start).get(team.team_id, 0.0)
            reset_at = next_reset(duration, now)
        else:
            spend = index.since("team_id", None).get(team.team_id, 0.0)
        team_rows.append(
            (
                team.team_id,
                team.alias,
                json.dumps({"tags": [f"team:{team.tag}"]}),
                team.max_budget,
                spend,
                team.budget_duration,
                _fmt(reset_at),
            )
        )
    conn.executemany(
        'INSERT INTO "LiteLLM_TeamTable" (team_id, team_alias, metadata, max_budget, spend, '
        "budget_duration, budget_reset_at) VALUES (?,?,?,?,?,?,?)",
        team_rows,
    )
    by_user = index.since("user", None)
    user_rows = []
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
    user_rows.append(
        (
            "default_user_id",
            "Proxy admin",
            None,
            "[]",
            "proxy_admin",
            None,
            by_user.get("default_user_id", 0.0),
            None,
        )
    )
    conn.executemany(
        'INSERT INTO "LiteLLM_UserTable" (user_id, user_alias, team_id, teams, user_role, '
        "max_budget, spend, user_email) VALUES (?,?,?,?,?,?,?,?)",
        user_rows,
    )
    by_customer = index.since("end_user", None)
    customer_rows, customer_budgets = [], []
    for i, customer in enumerate(world.customers):
        budget_id = None
        if i % 10 == 0:
            budget_id = f"budget-{world.seed}-cust-{i:04d}"
            customer_budgets.append(
                (
                    budget_id,
                    round(by_customer.get(customer, 0.0) * 1.2 + 5, 0),
                    None,
                    None,
                    None,
                    None,
                    "{}",
                    None,
                    None,
                    now_text,
                    "default_user_id",
                    now_text,
                    "default_user_id",
                )
            )
        customer_rows.append((customer, None, by_customer.get(customer, 0.0), budget_id))
    conn.executemany(
        'INSERT INTO "LiteLLM_BudgetTable" (budget_id, max_budget, soft_budget, max_parallel_requests, '
        "tpm_limit, rpm_limit, model_max_budget, budget_duration, budget_reset_at, created_at, "
        "created_by, updated_at, updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        customer_budgets,
    )
    conn.executemany(
        'INSERT INTO "LiteLLM_EndUserTable" (user_id, alias, spend, budget_id) VALUES (?,?,?,?)',
        customer_rows,
    )
