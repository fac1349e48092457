"""Display names from the database: key aliases, team aliases and customer names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.core.names import Names
from spendtui.sources.db.schema import SpendSchema, Table
from spendtui.sources.db.sql import Dialect


def _select(
    conn: Connection, d: Dialect, table: Table, id_col: str, cols: list[str]
) -> list[tuple[Any, dict[str, Any]]]:
    present = [c for c in cols if c in table.columns]
    if id_col not in table.columns or not present:
        return []
    name = (d.q(table.schema) + "." if table.schema else "") + d.q(table.name)
    selected = ", ".join(d.q(c) for c in [id_col, *present])
    rows = conn.execute(text(f"SELECT {selected} FROM {name}")).fetchall()  # noqa: S608
    return [(r[0], dict(zip(present, r[1:], strict=True))) for r in rows]


def read_names(conn: Connection, schema: SpendSchema, d: Dialect) -> Names:
    """Read every alias the schema offers; tables that are absent just give no names."""
    names = Names()
    if schema.tokens is not None:
        for token, row in _select(conn, d, schema.tokens, "token", ["key_alias", "key_name"]):
            if row.get("key_alias"):
                names.key_alias[token] = str(row["key_alias"])
            if row.get("key_name"):
                names.key_name[token] = str(row["key_name"])
    if schema.teams is not None:
        for team_id, row in _select(conn, d, schema.teams, "team_id", ["team_alias"]):
            if row.get("team_alias"):
                names.team_alias[team_id] = str(row["team_alias"])
    if schema.end_users is not None:
        for customer, row in _select(conn, d, schema.end_users, "user_id", ["alias"]):
            if row.get("alias"):
                names.customer_alias[customer] = str(row["alias"])
    conn.rollback()
    return names
