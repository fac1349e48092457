"""Display names: key aliases, team aliases, user, customer, organization, project and
agent names; and what keys and teams belong to (``Attribution``).

Plain data and the fallbacks for what has no name; the sources fill it (the database
source in ``sources/db/names.py``, the proxy source from its admin endpoints).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from spendtui.core.dims import Attribution

#: What LiteLLM (1.110.2) logs as ``api_key`` for a request made with the master key.
MASTER_KEY_ALIAS = "litellm_proxy_master_key"


@dataclass
class Names:
    """What to call things. Every lookup falls back to something readable."""

    key_alias: dict[str, str] = field(default_factory=dict)
    key_name: dict[str, str] = field(default_factory=dict)
    team_alias: dict[str, str] = field(default_factory=dict)
    user_alias: dict[str, str] = field(default_factory=dict)
    customer_alias: dict[str, str] = field(default_factory=dict)
    organization_alias: dict[str, str] = field(default_factory=dict)
    project_alias: dict[str, str] = field(default_factory=dict)
    agent_name: dict[str, str] = field(default_factory=dict)
    #: What keys and teams belong to: the organization, project and agent a request is
    #: counted under when its log row does not say (see ``dims.Attribution``).
    key_organization: dict[str, str] = field(default_factory=dict)
    key_project: dict[str, str] = field(default_factory=dict)
    key_agent: dict[str, str] = field(default_factory=dict)
    team_organization: dict[str, str] = field(default_factory=dict)
    #: Keys and teams LiteLLM has deleted (``LiteLLM_Deleted*``): their spend stays in the
    #: logs, and their names say "(deleted)".
    deleted_keys: set[str] = field(default_factory=set)
    deleted_teams: set[str] = field(default_factory=set)

    def key(self, token: str) -> str:
        """Alias, else LiteLLM's ``sk-...abcd`` form, else an abbreviated hash."""
        if not token:
            return ""
        if token == MASTER_KEY_ALIAS:
            return "master key"
        label = self.key_alias.get(token) or self.key_name.get(token) or abbreviate_hash(token)
        return f"{label} (deleted)" if token in self.deleted_keys else label

    def team(self, team_id: str) -> str:
        label = self.team_alias.get(team_id) or team_id
        return f"{label} (deleted)" if team_id in self.deleted_teams else label

    def user(self, user_id: str) -> str:
        return user_id

    def customer(self, customer_id: str) -> str:
        return self.customer_alias.get(customer_id) or customer_id

    def organization(self, organization_id: str) -> str:
        return self.organization_alias.get(organization_id) or organization_id

    def project(self, project_id: str) -> str:
        return self.project_alias.get(project_id) or project_id

    def agent(self, agent_id: str) -> str:
        return self.agent_name.get(agent_id) or agent_id

    def label(self, dimension: str, value: str) -> str:
        """Human label for a breakdown row value."""
        if dimension == "key":
            return self.key(value)
        if dimension == "team":
            return self.team(value)
        if dimension == "customer":
            return self.customer(value)
        if dimension == "organization":
            return self.organization(value)
        if dimension == "project":
            return self.project(value)
        if dimension == "agent":
            return self.agent(value)
        return value

    def add_keys(self, live: Iterable[Row], deleted: Iterable[Row] = ()) -> None:
        """Keys' aliases, ``sk-...`` names and owners, from token-table rows or ``/key/list``
        objects (the same field names), as (hash, row). A deleted key (its spend stays in
        the logs) keeps them and is marked deleted, unless a live key has its hash."""
        _live_then_deleted(self, live, deleted, _KEY_FIELDS, self.deleted_keys)

    def add_teams(self, live: Iterable[Row], deleted: Iterable[Row] = ()) -> None:
        """Teams' aliases and organizations, from team-table rows or ``/team/list``
        objects, as (team id, row); deleted ones as for ``add_keys``."""
        _live_then_deleted(self, live, deleted, _TEAM_FIELDS, self.deleted_teams)

    @property
    def attribution(self) -> Attribution:
        """A copy (these maps may still be merged into)."""
        return Attribution(
            dict(self.key_organization), dict(self.key_project), dict(self.key_agent), dict(self.team_organization)
        )

    def merge(self, other: Names) -> None:
        for name in _MAPS:
            getattr(self, name).update(getattr(other, name))
        self.deleted_keys |= other.deleted_keys
        self.deleted_teams |= other.deleted_teams


_MAPS = (
    "key_alias",
    "key_name",
    "team_alias",
    "user_alias",
    "customer_alias",
    "organization_alias",
    "project_alias",
    "agent_name",
    "key_organization",
    "key_project",
    "key_agent",
    "team_organization",
)


#: Token-table column (``/key/list`` field) -> the map it fills.
_KEY_FIELDS = (
    ("key_alias", "key_alias"),
    ("key_name", "key_name"),
    ("organization_id", "key_organization"),
    ("project_id", "key_project"),
    ("agent_id", "key_agent"),
)


_TEAM_FIELDS = (("team_alias", "team_alias"), ("organization_id", "team_organization"))
#: (id, row): a key hash or team id and its table row or API object.
Row = tuple[str, Mapping[str, object]]


def _live_then_deleted(
    names: Names, live: Iterable[Row], deleted: Iterable[Row], fields: tuple[tuple[str, str], ...], marked: set[str]
) -> None:
    seen: set[str] = set()
    for ident, row in live:
        seen.add(ident)
        _fill(names, ident, row, fields)
    for ident, row in deleted:
        if ident not in seen:
            marked.add(ident)
            _fill(names, ident, row, fields)


def _fill(names: Names, ident: str, row: Mapping[str, object], fields: tuple[tuple[str, str], ...]) -> None:
    for column, target in fields:
        value = row.get(column)
        if value:
            getattr(names, target)[ident] = str(value)


def abbreviate_hash(token: str) -> str:
    """``#1a2b3c4d`` for a key known only by its sha256."""
    return f"#{token[:8]}" if len(token) > 12 else token
