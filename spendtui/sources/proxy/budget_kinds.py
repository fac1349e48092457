"""LiteLLM's other budget kinds over the REST API (what the 1.108 proxy answers):

* organizations: ``/organization/list`` (Enterprise only: a free build answers 403, and
  the board says so instead of showing nothing); limits on ``litellm_budget_table``.
* projects: ``/project/list`` rows (``spend``, ``budget_id``, ``litellm_budget_table``).
* team members: ``team_memberships`` on each ``/team/list`` team (``spend``,
  ``budget_id``, ``litellm_budget_table``).
* tags: ``/tag/list`` rows carry the budget (``litellm_budget_table``) but no spend
  counter, so a tag's spend is counted from the request logs (``spend_from="logs"``).
* models: ``model_max_budget`` and ``model_spend`` on the keys, teams and users the
  source already reads.

A linked budget row the answer did not embed is looked up in ``/budget/list``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from spendtui.core.budget_state import BudgetState, state_from_row, text_or_none
from spendtui.core.model_budgets import model_states
from spendtui.core.names import abbreviate_hash

Obj = dict[str, Any]


def _limits(item: Obj, by_id: dict[str, Obj]) -> Obj | None:
    """The item's budget row: embedded, else from ``/budget/list``; None without one."""
    row = item.get("litellm_budget_table")
    if isinstance(row, dict):
        return row
    budget_id = text_or_none(item.get("budget_id"))
    return by_id.get(budget_id) if budget_id else None


def _linked(kind: str, ident: str | None, name: str, item: Obj, by_id: dict[str, Obj]) -> BudgetState | None:
    limits = _limits(item, by_id)
    if ident is None or limits is None:
        return None
    own = {"spend": item.get("spend"), "blocked": item.get("blocked")}
    return state_from_row(kind, ident, name, own, limits)


def owner_budgets_from(
    organizations: list[Obj], projects: list[Obj], teams: list[Obj], tags: list[Obj], budget_rows: list[Obj]
) -> list[BudgetState]:
    """Organization, project, member and tag budgets (``has_limit`` tells which count)."""
    by_id = {str(b["budget_id"]): b for b in budget_rows if text_or_none(b.get("budget_id"))}
    out: list[BudgetState] = []
    for org in organizations:
        ident = text_or_none(org.get("organization_id"))
        state = _linked("organization", ident, text_or_none(org.get("organization_alias")) or str(ident), org, by_id)
        if state is not None:
            out.append(replace(state, log_scope=(("organization", state.id),)))
    for project in projects:
        ident = text_or_none(project.get("project_id"))
        state = _linked("project", ident, text_or_none(project.get("project_alias")) or str(ident), project, by_id)
        if state is not None:
            owner = text_or_none(project.get("team_id"))
            out.append(replace(state, team_id=owner, log_scope=(("project", state.id),)))
    for team in teams:
        team_id = text_or_none(team.get("team_id"))
        alias = text_or_none(team.get("team_alias")) or team_id
        memberships = team.get("team_memberships")
        for member in memberships if isinstance(memberships, list) else []:
            user = text_or_none(member.get("user_id")) if isinstance(member, dict) else None
            if team_id is None or user is None:
                continue
            state = _linked("member", f"{team_id}/{user}", f"{user} @ {alias}", member, by_id)
            if state is not None:
                scope = (("team", team_id), ("user", user))
                out.append(replace(state, team_id=team_id, user_id=user, log_scope=scope))
    for tag in tags:
        name = text_or_none(tag.get("name")) or text_or_none(tag.get("tag_name"))
        state = _linked("tag", name, str(name), tag, by_id)
        if state is not None:
            counted = "spend" in tag  # (1.108's /tag/list has no spend: counted from the logs)
            out.append(replace(state, log_scope=(("tag", state.id),), spend_from="counter" if counted else "logs"))
    return [s for s in out if s.has_limit]


def model_budgets_from(keys: list[Obj], teams: list[Obj], users: list[Obj]) -> tuple[list[BudgetState], list[str]]:
    """Per-model budgets from the ``model_max_budget`` of keys, teams and users."""
    out: list[BudgetState] = []
    notes: list[str] = []
    owners: tuple[tuple[str, list[Obj], str, tuple[str, ...]], ...] = (
        ("key", keys, "token", ("key_alias", "key_name")),
        ("user", users, "user_id", ("user_alias", "user_email")),
        ("team", teams, "team_id", ("team_alias",)),
    )
    for kind, items, id_field, name_fields in owners:
        for item in items:
            ident = text_or_none(item.get(id_field))
            if ident is None or item.get("model_max_budget") in (None, {}, ""):
                continue
            label = next((n for f in name_fields if (n := text_or_none(item.get(f)))), None)
            label = label or (abbreviate_hash(ident) if kind == "key" else ident)
            states, found = model_states(
                kind, ident, label, item.get("model_max_budget"), item.get("model_spend"), bool(item.get("blocked"))
            )
            out += states
            notes += found
    return sorted(out, key=lambda s: (s.name, s.id)), notes
