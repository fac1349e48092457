"""Budget state from LiteLLM's tables: keys, teams, users and customers with a limit.

What LiteLLM enforces, read as it reads it (1.110.2):

* Keys: ``max_budget`` on the key row; the key's soft budget (and a max budget the key
  row lacks) on its linked ``LiteLLM_BudgetTable`` row (``budget_id``). A key without a
  ``budget_duration`` of its own resets on its linked budget row's schedule.
* Teams and users: their own ``max_budget``/``soft_budget``/``budget_duration``/
  ``budget_reset_at`` (users have no soft budget).
* Customers (``LiteLLM_EndUserTable``): ``spend`` on the customer row, everything else on
  the linked budget row.
* ``spend`` is always LiteLLM's own counter for the current window, shown as it is.

The compact layout has ``LiteLLM_VerificationToken(token, spend, max_budget, user_id,
team_id)`` only: key budgets without windows. Any table or column that is absent simply
contributes nothing (``read_key_states`` says which key fields are therefore unknown).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.core.budget_state import BudgetList, BudgetState, KeyStates, state_from_row, text_or_none
from spendtui.core.names import abbreviate_hash
from spendtui.sources.db.budget_kinds import read_model_budgets, read_owner_budgets
from spendtui.sources.db.schema import SpendSchema, Table
from spendtui.sources.db.sql import Dialect

_BUDGET_COLUMNS = ("budget_id", "max_budget", "soft_budget", "budget_duration", "budget_reset_at")


def _rows(
    conn: Connection, d: Dialect, table: Table, wanted: tuple[str, ...], where: list[str]
) -> list[dict[str, Any]]:
    """Rows of ``table`` with the ``wanted`` columns it has, where any present column of
    ``where`` is not NULL (no rows when none of them exists)."""
    present = [c for c in wanted if c in table.columns]
    conditions = [f"{d.q(c)} IS NOT NULL" for c in where if c in table.columns]
    if not present or not conditions:
        return []
    name = (d.q(table.schema) + "." if table.schema else "") + d.q(table.name)
    sql = f"SELECT {', '.join(d.q(c) for c in present)} FROM {name} WHERE {' OR '.join(conditions)}"  # noqa: S608
    result = conn.execute(text(sql))
    return [dict(zip(present, row, strict=True)) for row in result]


#: Key columns read (those a table has); ``token`` is the only one required.
_KEY_COLUMNS = (
    "token",
    "key_alias",
    "key_name",
    "spend",
    "max_budget",
    "budget_duration",
    "budget_reset_at",
    "budget_id",
    "blocked",
    "user_id",
    "team_id",
    "expires",
)


def _linked(conn: Connection, schema: SpendSchema, d: Dialect) -> dict[str, dict[str, Any]]:
    """``LiteLLM_BudgetTable`` rows by budget_id."""
    linked: dict[str, dict[str, Any]] = {}
    if schema.budgets is not None:
        for row in _rows(conn, d, schema.budgets, _BUDGET_COLUMNS, ["budget_id"]):
            linked[str(row["budget_id"])] = row
    return linked


def _keys(
    conn: Connection, d: Dialect, tokens: Table, linked: dict[str, dict[str, Any]], where: list[str]
) -> list[BudgetState]:
    """Key states, sorted by name, from rows where a ``where`` column is not NULL."""
    keys = []
    for row in _rows(conn, d, tokens, _KEY_COLUMNS, where):
        token = text_or_none(row.get("token"))
        if token is None:
            continue
        name = text_or_none(row.get("key_alias")) or text_or_none(row.get("key_name")) or abbreviate_hash(token)
        keys.append(state_from_row("key", token, name, row, linked.get(str(row.get("budget_id")))))
    return sorted(keys, key=lambda s: (s.name, s.id))


#: Key columns and the BudgetState field each fills.
_KEY_FIELDS = {
    "key_alias": "alias",
    "key_name": "key_name",
    "team_id": "team_id",
    "user_id": "user_id",
    "spend": "spend",
    "max_budget": "max_budget",
    "budget_duration": "budget_duration",
    "budget_reset_at": "budget_reset_at",
    "blocked": "blocked",
    "expires": "expires",
}


def read_key_states(conn: Connection, schema: SpendSchema, d: Dialect) -> KeyStates:
    """Every virtual key, with a limit or without, sorted by name, and which fields this
    database cannot tell (a simplified layout lacks most key columns)."""
    tokens = schema.tokens
    if tokens is None or "token" not in tokens.columns:
        what = "no LiteLLM_VerificationToken table" if tokens is None else f"no token column in {tokens.name}"
        return KeyStates([], (f"this database has {what}, so it lists no virtual keys",))
    notes = []
    missing = [c for c in _KEY_FIELDS if c not in tokens.columns]
    unknown = {_KEY_FIELDS[c] for c in missing}
    if missing:
        notes.append(
            f"{tokens.name} has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''} "
            "(a simplified layout): shown as '?' (unknown)"
        )
    if "budget_id" not in tokens.columns or schema.budgets is None:
        unknown.add("soft_budget")
        notes.append(
            "soft budgets unknown: LiteLLM keeps a key's soft budget in LiteLLM_BudgetTable (via budget_id), "
            "which this database lacks"
        )
    states = _keys(conn, d, tokens, _linked(conn, schema, d), ["token"])
    teams: dict[str, str] = {}
    if schema.teams is not None:
        for row in _rows(conn, d, schema.teams, ("team_id", "team_alias"), ["team_alias"]):
            team_id, alias = text_or_none(row.get("team_id")), text_or_none(row.get("team_alias"))
            if team_id and alias:
                teams[team_id] = alias
    conn.rollback()
    return KeyStates(states, tuple(notes), frozenset(unknown), teams)


def read_budgets(conn: Connection, schema: SpendSchema, d: Dialect) -> BudgetList:
    """Every budget with a limit: keys, teams, users, customers, then the kinds of
    ``budget_kinds`` (organizations, projects, members, tags, models), each sorted by name;
    with notes on the tables and values that could not be read."""
    linked = _linked(conn, schema, d)
    out: list[BudgetState] = []
    team_alias: dict[str, str] = {}
    if schema.tokens is not None:
        out += _keys(conn, d, schema.tokens, linked, ["max_budget", "budget_id"])
    if schema.teams is not None:
        cols: tuple[str, ...] = ("team_id", "team_alias", "spend", "max_budget", "soft_budget", "budget_duration")
        cols += ("budget_reset_at", "blocked")
        teams = []
        for row in _rows(conn, d, schema.teams, cols, ["team_id"]):
            team_id = text_or_none(row.get("team_id"))
            if team_id is not None:
                name = text_or_none(row.get("team_alias")) or team_id
                team_alias[team_id] = name
                teams.append(state_from_row("team", team_id, name, row))
        out += sorted(teams, key=lambda s: (s.name, s.id))
    if schema.users is not None:
        cols = ("user_id", "spend", "max_budget", "budget_duration", "budget_reset_at")
        users = []
        for row in _rows(conn, d, schema.users, cols, ["max_budget"]):
            user_id = text_or_none(row.get("user_id"))
            if user_id is not None:
                users.append(state_from_row("user", user_id, user_id, row))
        out += sorted(users, key=lambda s: (s.name, s.id))
    if schema.end_users is not None and linked:
        cols = ("user_id", "alias", "spend", "budget_id", "blocked")
        customers = []
        for row in _rows(conn, d, schema.end_users, cols, ["budget_id"]):
            customer = text_or_none(row.get("user_id"))
            budget = linked.get(str(row.get("budget_id")))
            if customer is None or budget is None:
                continue
            own = {"spend": row.get("spend"), "blocked": row.get("blocked")}
            customers.append(
                state_from_row("customer", customer, text_or_none(row.get("alias")) or customer, own, budget)
            )
        out += sorted(customers, key=lambda s: (s.name, s.id))
    owners, notes = read_owner_budgets(conn, schema, d, linked, team_alias)
    models, model_notes = read_model_budgets(conn, schema, d)
    conn.rollback()
    return BudgetList([s for s in [*out, *owners, *models] if s.has_limit], [*notes, *model_notes])
