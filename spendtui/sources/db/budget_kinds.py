"""LiteLLM's other budget kinds, read from its tables (1.108.7 schema):

* **organization**: ``LiteLLM_OrganizationTable.spend``, limits on its linked
  ``LiteLLM_BudgetTable`` row (``budget_id``); named by ``organization_alias``.
* **project**: ``LiteLLM_ProjectTable.spend`` and ``budget_id``; named by ``project_alias``.
* **member**: ``LiteLLM_TeamMembership(user_id, team_id)``: a user's ``spend`` inside one
  team against the membership's ``budget_id`` row; id ``team_id/user_id``, named
  ``user @ team``.
* **tag**: ``LiteLLM_TagTable(tag_name, spend, budget_id)`` (since 2025-10-11).
* **model**: ``model_max_budget`` JSON on keys, users and teams, spend from ``model_spend``
  (see ``core.model_budgets``).

Each keeps LiteLLM's counter as ``spend`` and names the request logs it counts
(``log_scope``), so the board can compare the two. A row whose ``budget_id`` is NULL or
names no budget row has no limit. A table or column an older LiteLLM lacks contributes
nothing, and a note says which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.core.budget_state import BudgetState, KindNote, state_from_row, text_or_none
from spendtui.core.model_budgets import model_states
from spendtui.core.names import abbreviate_hash
from spendtui.sources.db.schema import SpendSchema, Table
from spendtui.sources.db.sql import Dialect

Linked = dict[str, dict[str, Any]]
Row = dict[str, Any]


def _select(conn: Connection, d: Dialect, table: Table, columns: tuple[str, ...], where: str = "") -> list[Row]:
    """Every row of ``table`` with the ``columns`` it has (``where``: a SQL condition)."""
    present = [c for c in columns if c in table.columns]
    name = (d.q(table.schema) + "." if table.schema else "") + d.q(table.name)
    sql = f"SELECT {', '.join(d.q(c) for c in present)} FROM {name}" + (f" WHERE {where}" if where else "")  # noqa: S608
    return [dict(zip(present, row, strict=True)) for row in conn.execute(text(sql))]


def _missing(table: Table | None, label: str, columns: tuple[str, ...], kind: str) -> str | None:
    """Why ``kind`` budgets cannot be read from this table, or None."""
    if table is None:
        return f"no {label} table (an older LiteLLM): no {kind} budgets"
    lacking = [c for c in columns if c not in table.columns]
    if lacking:
        return f"{table.name} has no {', '.join(lacking)} column{'s' if len(lacking) > 1 else ''}: no {kind} budgets"
    return None


def _linked_states(
    rows: list[Row],
    linked: Linked,
    kind: str,
    ident: Callable[[Row], str | None],
    name: Callable[[Row, str], str],
) -> list[BudgetState]:
    """A state per row whose ``budget_id`` names a budget row (NULL or dangling: none)."""
    out = []
    for row in rows:
        key = ident(row)
        budget = linked.get(str(row["budget_id"])) if row.get("budget_id") is not None else None
        if key is None or budget is None:
            continue
        own = {"spend": row.get("spend"), "blocked": row.get("blocked")}
        out.append(state_from_row(kind, key, name(row, key), own, budget))
    return sorted(out, key=lambda s: (s.name, s.id))


def _organizations(conn: Connection, d: Dialect, table: Table, linked: Linked) -> list[BudgetState]:
    rows = _select(conn, d, table, ("organization_id", "organization_alias", "spend", "budget_id"))
    states = _linked_states(
        rows,
        linked,
        "organization",
        lambda r: text_or_none(r.get("organization_id")),
        lambda r, k: text_or_none(r.get("organization_alias")) or k,
    )
    return [replace(s, log_scope=(("organization", s.id),)) for s in states]


def _projects(conn: Connection, d: Dialect, table: Table, linked: Linked) -> list[BudgetState]:
    rows = _select(conn, d, table, ("project_id", "project_alias", "team_id", "spend", "budget_id", "blocked"))
    teams = {text_or_none(r.get("project_id")): text_or_none(r.get("team_id")) for r in rows}
    states = _linked_states(
        rows,
        linked,
        "project",
        lambda r: text_or_none(r.get("project_id")),
        lambda r, k: text_or_none(r.get("project_alias")) or k,
    )
    return [replace(s, team_id=teams.get(s.id), log_scope=(("project", s.id),)) for s in states]


def _member_id(row: Row) -> str | None:
    team, user = text_or_none(row.get("team_id")), text_or_none(row.get("user_id"))
    return None if team is None or user is None else f"{team}/{user}"


def _members(
    conn: Connection, d: Dialect, table: Table, linked: Linked, team_alias: dict[str, str]
) -> list[BudgetState]:
    rows = _select(conn, d, table, ("user_id", "team_id", "spend", "budget_id"))

    def name(row: Row, ident: str) -> str:
        team, _, user = ident.partition("/")
        return f"{user} @ {team_alias.get(team, team)}"

    out = []
    for s in _linked_states(rows, linked, "member", _member_id, name):
        team, _, user = s.id.partition("/")
        out.append(replace(s, team_id=team, user_id=user, log_scope=(("team", team), ("user", user))))
    return out


def _tags(conn: Connection, d: Dialect, table: Table, linked: Linked) -> list[BudgetState]:
    rows = _select(conn, d, table, ("tag_name", "spend", "budget_id"))
    states = _linked_states(rows, linked, "tag", lambda r: text_or_none(r.get("tag_name")), lambda r, k: k)
    return [replace(s, log_scope=(("tag", s.id),)) for s in states]


def read_owner_budgets(
    conn: Connection, schema: SpendSchema, d: Dialect, linked: Linked, team_alias: dict[str, str]
) -> tuple[list[BudgetState], list[str]]:
    """Organization, project, member and tag budgets (with or without a limit), and notes
    on the tables this database lacks (LiteLLM's layout only)."""
    notes: list[str] = []
    out: list[BudgetState] = []
    specs: tuple[tuple[str, Table | None, str, tuple[str, ...]], ...] = (
        ("organization", schema.organizations, "LiteLLM_OrganizationTable", ("organization_id", "spend", "budget_id")),
        ("project", schema.projects, "LiteLLM_ProjectTable", ("project_id", "spend", "budget_id")),
        ("member", schema.memberships, "LiteLLM_TeamMembership", ("user_id", "team_id", "spend", "budget_id")),
        ("tag", schema.tags, "LiteLLM_TagTable", ("tag_name", "spend", "budget_id")),
    )
    for kind, table, label, required in specs:
        problem = _missing(table, label, required, kind)
        if problem is None and schema.budgets is None:
            problem = f"no LiteLLM_BudgetTable table: no {kind} budgets"
        if problem is not None or table is None:
            if schema.layout == "litellm" and problem:
                notes.append(KindNote(kind, problem))
            continue
        if kind == "organization":
            out += _organizations(conn, d, table, linked)
        elif kind == "project":
            out += _projects(conn, d, table, linked)
        elif kind == "member":
            out += _members(conn, d, table, linked, team_alias)
        else:
            out += _tags(conn, d, table, linked)
    return out, notes


#: Owner kind, its table in the schema, its id column, and the columns naming it.
_MODEL_OWNERS = (
    ("key", "tokens", "token", ("key_alias", "key_name")),
    ("user", "users", "user_id", ("user_alias",)),
    ("team", "teams", "team_id", ("team_alias",)),
)


def read_model_budgets(conn: Connection, schema: SpendSchema, d: Dialect) -> tuple[list[BudgetState], list[str]]:
    """One ``model`` budget per model in the ``model_max_budget`` of keys, users and teams,
    and a note per row or entry that cannot be read."""
    out: list[BudgetState] = []
    notes: list[str] = []
    for kind, attr, id_column, name_columns in _MODEL_OWNERS:
        table: Table | None = getattr(schema, attr)
        if table is None or id_column not in table.columns:
            continue
        if "model_max_budget" not in table.columns:
            if schema.layout == "litellm":
                notes.append(
                    KindNote(
                        "model",
                        f"{table.name} has no model_max_budget column (an older LiteLLM): no {kind} model budgets",
                    )
                )
            continue
        columns = (id_column, *name_columns, "model_max_budget", "model_spend", "blocked")
        for row in _select(conn, d, table, columns, f"{d.q('model_max_budget')} IS NOT NULL"):
            ident = text_or_none(row.get(id_column))
            if ident is None:
                continue
            label = next((n for c in name_columns if (n := text_or_none(row.get(c)))), None)
            if label is None:
                label = abbreviate_hash(ident) if kind == "key" else ident
            states, found = model_states(
                kind, ident, label, row.get("model_max_budget"), row.get("model_spend"), bool(row.get("blocked"))
            )
            out += states
            notes += found
    return sorted(out, key=lambda s: (s.name, s.id)), notes
