"""Names, budgets, model prices and health from the proxy's management endpoints.

* Names: ``/key/list?return_full_object=true`` (aliases, ``sk-...abcd`` names, and the
  organization, project and agent each key belongs to), ``/team/list`` (aliases and
  organizations), ``/customer/list`` (aliases), the deleted keys and teams
  (``/key/list?status=deleted``, ``/v2/team/list?status=deleted``), ``/organization/list``
  (an Enterprise feature: refused by a free proxy), ``/project/list``, ``/v1/agents``.
* Budgets: the same key objects, teams, ``/user/list`` and customers. A key's or a
  customer's soft budget lives in its linked budget row (``litellm_budget_table``, or
  ``/budget/list`` by ``budget_id`` when the row is not embedded); a team's in the team.
  ``spend`` is LiteLLM's budget-window counter (reset at ``budget_reset_at``).
* Keys (``spendtui keys list``): the same key objects, with or without a limit.
* Prices: ``/model/info`` ``model_info.*_cost_per_token`` (USD per token, whole
  pico-dollars in practice).
* Health: ``/health/readiness`` (public) and ``/health/readiness/details`` (needs the
  key) for ``litellm_version``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spendtui.core.budget_state import BudgetState, KeyStates, budget_usd
from spendtui.core.names import Names, Row, abbreviate_hash
from spendtui.errors import SourceDataError
from spendtui.timeutil import parse_timestamp

#: One JSON object from the proxy: read field by field, each checked where it is used.
Obj = dict[str, Any]


@dataclass(frozen=True)
class ModelPrice:
    """One deployment of a public model name and its list prices (pico-dollars per token)."""

    name: str
    provider: str | None
    model: str | None
    deployment_id: str | None
    input_per_token: int | None
    output_per_token: int | None
    cache_read_per_token: int | None
    max_input_tokens: int | None


@dataclass(frozen=True)
class ProxyHealth:
    """What the status line shows about the proxy."""

    status: str
    db: str | None
    version: str | None
    mode: str


def money(value: object) -> int | None:
    """A USD amount from the API as pico-dollars (None for null, unreadable, non-finite
    or absurd amounts: the same rules as the database source's budget columns)."""
    return budget_usd(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def list_of(body: object, field: str | None, where: str) -> list[Obj]:
    """The list of objects in ``body[field]`` (or ``body`` itself when field is None)."""
    items = body.get(field) if isinstance(body, dict) and field else body
    if not isinstance(items, list):
        raise SourceDataError(f"{where}: expected a list{f' in {field!r}' if field else ''}")
    return [item for item in items if isinstance(item, dict)]


@dataclass
class NameLists:
    """What the proxy lists, for ``names_from`` (an endpoint it lacks: an empty list)."""

    keys: list[Obj] = field(default_factory=list)
    teams: list[Obj] = field(default_factory=list)
    customers: list[Obj] = field(default_factory=list)
    #: ``/key/list?status=deleted`` and ``/v2/team/list?status=deleted`` (their rows in
    #: ``LiteLLM_Deleted*``: a deleted key's spend stays in the logs under its hash).
    deleted_keys: list[Obj] = field(default_factory=list)
    deleted_teams: list[Obj] = field(default_factory=list)
    organizations: list[Obj] = field(default_factory=list)
    projects: list[Obj] = field(default_factory=list)
    agents: list[Obj] = field(default_factory=list)


def _keep(target: dict[str, str], ident: object, value: object) -> None:
    if (i := _text(ident)) and (v := _text(value)):
        target[i] = v


_KEY_FIELDS = ("key_alias", "key_name", "organization_id", "project_id", "agent_id")
_TEAM_FIELDS = ("team_alias", "organization_id")


def _rows(items: list[Obj], ident: str, fields: tuple[str, ...], deleted: bool = False) -> list[Row]:
    """(id, text fields) of the items that have an id; ``deleted``: only the items
    that really are (see ``_deleted``)."""
    return [
        (i, {f: _text(item.get(f)) for f in fields})
        for item in items
        if (i := _text(item.get(ident))) and (not deleted or _deleted(item))
    ]


def _embedded_aliases(names: Names, key: Obj) -> None:
    """A full key object may embed its organization and project rows: their aliases."""
    for embedded, ident, alias, target in (
        ("litellm_organization_table", "organization_id", "organization_alias", names.organization_alias),
        ("litellm_project_table", "project_id", "project_alias", names.project_alias),
    ):
        row = key.get(embedded)
        if isinstance(row, dict):
            _keep(target, row.get(ident), row.get(alias))


def _deleted(item: Obj) -> bool:
    """A row of a deleted-items list (an older proxy ignores ``status`` and lists the live ones)."""
    return bool(item.get("deleted_at"))


def names_from(lists: NameLists) -> Names:
    """Aliases, owners and deleted keys and teams, the way the database source reads
    them (``sources/db/names.py``): a deleted key or team keeps its alias and owners and
    is marked deleted; a live one of the same id wins."""
    names = Names()
    names.add_keys(_rows(lists.keys, "token", _KEY_FIELDS), _rows(lists.deleted_keys, "token", _KEY_FIELDS, True))
    names.add_teams(
        _rows(lists.teams, "team_id", _TEAM_FIELDS), _rows(lists.deleted_teams, "team_id", _TEAM_FIELDS, True)
    )
    for key in lists.keys + lists.deleted_keys:
        _embedded_aliases(names, key)
    for customer in lists.customers:
        _keep(names.customer_alias, customer.get("user_id"), customer.get("alias"))
    for org in lists.organizations:
        _keep(names.organization_alias, org.get("organization_id"), org.get("organization_alias"))
    for project in lists.projects:
        _keep(names.project_alias, project.get("project_id"), project.get("project_alias"))
    for agent in lists.agents:
        _keep(names.agent_name, agent.get("agent_id"), agent.get("agent_name"))
    return names


def _budget_row(item: Obj, budgets: dict[str, Obj]) -> Obj:
    row = item.get("litellm_budget_table")
    if isinstance(row, dict):
        return row
    budget_id = _text(item.get("budget_id"))
    return budgets.get(budget_id, {}) if budget_id else {}


def _state(kind: str, ident: str, name: str, item: Obj, limits: Obj, **extra: Any) -> BudgetState:
    return BudgetState(
        kind=kind,
        id=ident,
        name=name,
        spend=money(item.get("spend")) or 0,
        max_budget=money(limits.get("max_budget")),
        soft_budget=money(limits.get("soft_budget")),
        budget_duration=_text(limits.get("budget_duration")),
        budget_reset_at=parse_timestamp(limits.get("budget_reset_at")),
        blocked=bool(item.get("blocked")),
        log_scope=((kind, ident),),
        **extra,
    )


def budgets_from(
    keys: list[Obj], teams: list[Obj], users: list[Obj], customers: list[Obj], budget_rows: list[Obj]
) -> list[BudgetState]:
    """Every key, team, user and customer as a BudgetState (``has_limit`` tells which
    have a budget)."""
    by_id = {b["budget_id"]: b for b in budget_rows if _text(b.get("budget_id"))}
    out: list[BudgetState] = []
    for key in keys:
        token = _text(key.get("token"))
        if not token:
            continue
        row = _budget_row(key, by_id)
        limits = {
            "max_budget": key.get("max_budget"),
            "soft_budget": row.get("soft_budget", key.get("soft_budget")),
            "budget_duration": key.get("budget_duration"),
            "budget_reset_at": key.get("budget_reset_at"),
        }
        label = _text(key.get("key_alias")) or _text(key.get("key_name")) or abbreviate_hash(token)
        out.append(
            _state(
                "key",
                token,
                label,
                key,
                limits,
                key_name=_text(key.get("key_name")),
                team_id=_text(key.get("team_id")),
                user_id=_text(key.get("user_id")),
                alias=_text(key.get("key_alias")),
                expires=parse_timestamp(key.get("expires")),
            )
        )
    for team in teams:
        team_id = _text(team.get("team_id"))
        if team_id:
            out.append(_state("team", team_id, _text(team.get("team_alias")) or team_id, team, team))
    for user in users:
        user_id = _text(user.get("user_id"))
        if user_id:
            label = _text(user.get("user_alias")) or _text(user.get("user_email")) or user_id
            out.append(_state("user", user_id, label, user, user, user_id=user_id))
    for customer in customers:
        customer_id = _text(customer.get("user_id"))
        if customer_id:
            row = _budget_row(customer, by_id)
            label = _text(customer.get("alias")) or customer_id
            out.append(_state("customer", customer_id, label, customer, row))
    return out


def key_states_from(keys: list[Obj], teams: list[Obj], budget_rows: list[Obj]) -> KeyStates:
    """Every key from ``/key/list`` (full objects), with team aliases from ``/team/list``.
    A key whose linked budget row is neither embedded nor in ``budget_rows`` (``/budget/list``
    refused) has an unknown soft budget, not "none"."""
    by_id = {_text(b.get("budget_id")) for b in budget_rows}
    unread = [
        k
        for k in keys
        if _text(k.get("budget_id"))
        and not isinstance(k.get("litellm_budget_table"), dict)
        and _text(k.get("budget_id")) not in by_id
    ]
    notes: tuple[str, ...] = ()
    unknown: frozenset[str] = frozenset()
    if unread:
        unknown = frozenset({"soft_budget"})
        notes = (
            f"soft budgets unknown: {len(unread)} key(s) link a LiteLLM_BudgetTable row that the proxy did not "
            "return (/budget/list needs an admin key)",
        )
    names = {t["team_id"]: t["team_alias"] for t in teams if _text(t.get("team_id")) and _text(t.get("team_alias"))}
    return KeyStates(budgets_from(keys, [], [], [], budget_rows), notes, unknown, names)


def _per_token(info: Obj, name: str) -> int | None:
    return money(info.get(name))


def models_from(body: object, where: str) -> list[ModelPrice]:
    out = []
    for item in list_of(body, "data", where):
        raw_info, raw_params = item.get("model_info"), item.get("litellm_params")
        info: Obj = raw_info if isinstance(raw_info, dict) else {}
        params: Obj = raw_params if isinstance(raw_params, dict) else {}
        max_input = info.get("max_input_tokens")
        out.append(
            ModelPrice(
                name=_text(item.get("model_name")) or "",
                provider=_text(info.get("litellm_provider")),
                model=_text(params.get("model")),
                deployment_id=_text(info.get("id")),
                input_per_token=_per_token(info, "input_cost_per_token"),
                output_per_token=_per_token(info, "output_cost_per_token"),
                cache_read_per_token=_per_token(info, "cache_read_input_token_cost"),
                max_input_tokens=max_input if isinstance(max_input, int) else None,
            )
        )
    out.sort(key=lambda m: (m.name, m.deployment_id or ""))
    return out


def health_from(readiness: object, details: object | None, mode: str) -> ProxyHealth:
    ready = readiness if isinstance(readiness, dict) else {}
    extra = details if isinstance(details, dict) else {}
    version = _text(ready.get("litellm_version")) or _text(extra.get("litellm_version"))
    return ProxyHealth(
        status=_text(ready.get("status")) or _text(extra.get("status")) or "unknown",
        db=_text(ready.get("db")) or _text(extra.get("db")),
        version=version,
        mode=mode,
    )
