"""Which LiteLLM tables and columns a database has, found by reflection.

Two layouts are recognised:

* ``litellm``: LiteLLM's own ``"LiteLLM_SpendLogs"`` (``request_id``, ``"startTime"``,
  ``model_group``, ``api_key``, ``"user"``, ``team_id``, ``end_user``, ``request_tags``...),
  as on PostgreSQL; older LiteLLM versions lack some columns, which is fine.
* ``compact``: ``LiteLLM_SpendLogs(id, api_key, user, team_id, request_tags, model_group,
  api_base, spend, total_tokens, completion_tokens, prompt_tokens, created_at)``.

Everything else spendtui reads (aliases, budgets) is optional and detected the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from spendtui.errors import SourceDataError

SPEND_LOGS = "LiteLLM_SpendLogs"
TOKENS = "LiteLLM_VerificationToken"
TEAMS = "LiteLLM_TeamTable"
USERS = "LiteLLM_UserTable"
END_USERS = "LiteLLM_EndUserTable"
BUDGETS = "LiteLLM_BudgetTable"
ORGANIZATIONS = "LiteLLM_OrganizationTable"
PROJECTS = "LiteLLM_ProjectTable"
AGENTS = "LiteLLM_AgentsTable"
DELETED_TOKENS = "LiteLLM_DeletedVerificationToken"
DELETED_TEAMS = "LiteLLM_DeletedTeamTable"
TAGS = "LiteLLM_TagTable"
MEMBERSHIPS = "LiteLLM_TeamMembership"
PROXY_MODELS = "LiteLLM_ProxyModelTable"


@dataclass(frozen=True)
class Table:
    """A reflected table: its real name and its columns (real spelling)."""

    name: str
    schema: str | None
    columns: frozenset[str]

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)


@dataclass(frozen=True)
class SpendSchema:
    """What the source can read, and how."""

    layout: str  # "litellm" or "compact"
    logs: Table
    #: Column holding the request time (UTC).
    time_column: str
    #: Column holding the insert time, if any (``created_at`` on LiteLLM >= 2026-08).
    written_column: str | None
    #: Unique request id column (None on the compact layout: rowid is used).
    id_column: str | None
    tokens: Table | None = None
    teams: Table | None = None
    users: Table | None = None
    end_users: Table | None = None
    budgets: Table | None = None
    organizations: Table | None = None
    projects: Table | None = None
    agents: Table | None = None
    deleted_tokens: Table | None = None
    deleted_teams: Table | None = None
    tags: Table | None = None
    memberships: Table | None = None
    #: Models added through the proxy's API (``STORE_MODEL_IN_DB``), with their prices.
    proxy_models: Table | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def col(self, name: str) -> bool:
        return name in self.logs.columns

    def fingerprint(self) -> str:
        """Identity of the layout, for cache keys."""
        return f"{self.layout}:{self.logs.name}:" + ",".join(sorted(self.logs.columns))


def _find(names: list[str], wanted: str) -> str | None:
    if wanted in names:
        return wanted
    lowered = {n.lower(): n for n in names}
    return lowered.get(wanted.lower())


#: Every table's (and view's) columns in one PostgreSQL catalog read: SQLAlchemy's
#: inspector runs a type-resolving query per table (~45 ms for six tables, on every start).
_PG_COLUMNS = """
SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON a.attrelid = c.oid
JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid
WHERE n.nspname = coalesce(:schema, current_schema()) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND a.attnum > 0 AND NOT a.attisdropped
"""


def _all_columns(conn: Connection, schema: str | None) -> dict[str, frozenset[str]]:
    """Table name -> column names, for every table of ``schema`` (default: the current one)."""
    if conn.dialect.name == "postgresql":
        found: dict[str, set[str]] = {}
        for table, column in conn.execute(text(_PG_COLUMNS), {"schema": schema}):
            found.setdefault(table, set()).add(column)
        return {t: frozenset(c) for t, c in found.items()}
    insp = inspect(conn)
    return {t: frozenset(c["name"] for c in insp.get_columns(t, schema=schema)) for t in insp.get_table_names(schema)}


def _table(tables: dict[str, frozenset[str]], wanted: str, schema: str | None) -> Table | None:
    real = _find(list(tables), wanted)
    return None if real is None else Table(real, schema, tables[real])


def reflect(conn: Connection, schema: str | None = None) -> SpendSchema:
    """Inspect the database; SourceDataError naming what is missing if it is unusable."""
    tables = _all_columns(conn, schema)
    names = list(tables)
    logs = _table(tables, SPEND_LOGS, schema)
    where = f" in schema {schema!r}" if schema else ""
    if logs is None:
        raise SourceDataError(
            f"no {SPEND_LOGS} table{where}: is this a LiteLLM database? "
            f"(tables found: {', '.join(sorted(names)[:8]) or 'none'})"
        )
    notes: list[str] = []
    if logs.has("startTime"):
        layout, time_column = "litellm", "startTime"
        id_column = "request_id" if logs.has("request_id") else None
        written = "created_at" if logs.has("created_at") else None
        if written is None:
            notes.append(
                "LiteLLM_SpendLogs has no created_at column (LiteLLM before 2026-08): "
                "new rows are found by re-reading a recent startTime window"
            )
    elif logs.has("created_at"):
        layout, time_column, written = "compact", "created_at", None
        id_column = "id" if logs.has("id") else None
    else:
        raise SourceDataError(
            f'{logs.name} has neither a "startTime" nor a created_at column, so spend cannot '
            f"be placed in time (columns: {', '.join(sorted(logs.columns))})"
        )
    if "spend" not in logs.columns:
        raise SourceDataError(f"{logs.name} has no spend column (columns: {', '.join(sorted(logs.columns))})")
    missing = [c for c in ("model_group", "api_key") if c not in logs.columns]
    if missing and not (layout == "litellm" and logs.has("model")):
        notes.append(f"{logs.name} lacks {', '.join(missing)}: those breakdowns show (none)")
    return SpendSchema(
        layout=layout,
        logs=logs,
        time_column=time_column,
        written_column=written,
        id_column=id_column,
        tokens=_table(tables, TOKENS, schema),
        teams=_table(tables, TEAMS, schema),
        users=_table(tables, USERS, schema),
        end_users=_table(tables, END_USERS, schema),
        budgets=_table(tables, BUDGETS, schema),
        organizations=_table(tables, ORGANIZATIONS, schema),
        projects=_table(tables, PROJECTS, schema),
        agents=_table(tables, AGENTS, schema),
        deleted_tokens=_table(tables, DELETED_TOKENS, schema),
        deleted_teams=_table(tables, DELETED_TEAMS, schema),
        tags=_table(tables, TAGS, schema),
        memberships=_table(tables, MEMBERSHIPS, schema),
        proxy_models=_table(tables, PROXY_MODELS, schema),
        notes=tuple(notes),
    )
