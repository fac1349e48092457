"""Display names from the database (key, team, user, customer, organization, project and agent
aliases) and what keys and teams belong to (``Names.key_organization``...)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.core.names import Names, Row
from spendtui.sources.db.schema import SpendSchema, Table
from spendtui.sources.db.sql import Dialect


def _select(
    conn: Connection, d: Dialect, table: Table | None, id_col: str, cols: list[str]
) -> list[tuple[Any, dict[str, Any]]]:
    if table is None:
        return []
    present = [c for c in cols if c in table.columns]
    if id_col not in table.columns or not present:
        return []
    name = (d.q(table.schema) + "." if table.schema else "") + d.q(table.name)
    selected = ", ".join(d.q(c) for c in [id_col, *present])
    rows = conn.execute(text(f"SELECT {selected} FROM {name}")).fetchall()  # noqa: S608
    return [(r[0], dict(zip(present, r[1:], strict=True))) for r in rows]


def _keep(target: dict[str, str], ident: Any, value: Any) -> None:
    if ident and value:
        target[str(ident)] = str(value)


_KEY_COLUMNS = ["key_alias", "key_name", "organization_id", "project_id", "agent_id"]


def _rows(conn: Connection, d: Dialect, table: Table | None, id_col: str, cols: list[str]) -> list[Row]:
    return [(str(ident), row) for ident, row in _select(conn, d, table, id_col, cols)]


def read_names(conn: Connection, schema: SpendSchema, d: Dialect) -> Names:
    """Read every alias the schema offers; tables that are absent just give no names."""
    names = Names()
    team_columns = ["team_alias", "organization_id"]
    names.add_keys(
        _rows(conn, d, schema.tokens, "token", _KEY_COLUMNS),
        _rows(conn, d, schema.deleted_tokens, "token", _KEY_COLUMNS),
    )
    names.add_teams(
        _rows(conn, d, schema.teams, "team_id", team_columns),
        _rows(conn, d, schema.deleted_teams, "team_id", team_columns),
    )
    for user, row in _select(conn, d, schema.users, "user_id", ["user_alias"]):
        _keep(names.user_alias, user, row.get("user_alias"))
    for customer, row in _select(conn, d, schema.end_users, "user_id", ["alias"]):
        _keep(names.customer_alias, customer, row.get("alias"))
    for org, row in _select(conn, d, schema.organizations, "organization_id", ["organization_alias"]):
        _keep(names.organization_alias, org, row.get("organization_alias"))
    for project, row in _select(conn, d, schema.projects, "project_id", ["project_alias"]):
        _keep(names.project_alias, project, row.get("project_alias"))
    for agent, row in _select(conn, d, schema.agents, "agent_id", ["agent_name"]):
        _keep(names.agent_name, agent, row.get("agent_name"))
    conn.rollback()
    return names
