"""Display names: key aliases, team aliases, user and customer names, from the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.sources.db.schema import SpendSchema, Table
from spendtui.sources.db.sql import Dialect

MASTER_KEY_ALIAS = "litellm_proxy_master_key"


@dataclass
class Names:
    """What to call things. Every lookup falls back to something readable."""

    key_alias: dict[str, str] = field(default_factory=dict)
    key_name: dict[str, str] = field(default_factory=dict)
    team_alias: dict[str, str] = field(default_factory=dict)
    user_alias: dict[str, str] = field(default_factory=dict)
    customer_alias: dict[str, str] = field(default_factory=dict)

    def key(self, token: str) -> str:
        """Alias, else LiteLLM's ``sk-...abcd`` form, else an abbreviated hash."""
        if not token:
            return ""
        if token == MASTER_KEY_ALIAS:
            return "master key"
        alias = self.key_alias.get(token)
        if alias:
            return alias
        name = self.key_name.get(token)
        if name:
            return name
        return abbreviate_hash(token)

    def team(self, team_id: str) -> str:
        return self.team_alias.get(team_id) or team_id

    def user(self, user_id: str) -> str:
        return user_id

    def customer(self, customer_id: str) -> str:
        return self.customer_alias.get(customer_id) or customer_id

    def label(self, dimension: str, value: str) -> str:
        """Human label for a breakdown row value."""
        if dimension == "key":
            return self.key(value)
        if dimension == "team":
            return self.team(value)
        if dimension == "customer":
            return self.customer(value)
        return value

    def merge(self, other: Names) -> None:
        for name in ("key_alias", "key_name", "team_alias", "user_alias", "customer_alias"):
            getattr(self, name).update(getattr(other, name))


def abbreviate_hash(token: str) -> str:
    """``#1a2b3c4d`` for a key known only by its sha256."""
    return f"#{token[:8]}" if len(token) > 12 else token


def _select(conn: Connection, d: Dialect, table: Table, id_col: str, cols: list[str]) -> list[tuple]:
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
