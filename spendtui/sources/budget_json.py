"""Budget state from LiteLLM's JSON answers: ``/key/list``, ``/team/list``, ``/customer/list``.

Pure parsing (no HTTP), so the proxy source can turn what it fetched into the same
``BudgetState`` list the database source reads, and tests can feed recorded answers:

* ``/key/list?return_full_object=true`` objects carry the key row plus the view fields
  LiteLLM joins in (``soft_budget``, ``litellm_budget_table``); a key without a budget
  duration of its own follows its budget row's window, as in the database.
* ``/team/list`` (or ``/v2/team/list``'s ``teams``) objects are team rows.
* ``/customer/list`` objects are customer rows with ``litellm_budget_table`` inlined.
* ``/user/info``'s ``user_info`` (or ``/user/list``'s ``users``) objects are user rows.

Objects without a limit are left out; malformed entries (not a mapping, no id) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spendtui.core.budget_state import BudgetState, state_from_row, text_or_none


def _linked(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    budget = obj.get("litellm_budget_table")
    return budget if isinstance(budget, Mapping) else {}


def _mappings(items: object) -> Iterable[Mapping[str, Any]]:
    if isinstance(items, Mapping):
        # accept the whole answer: {"keys": [...]}, {"teams": [...]}, {"users": [...]}
        for field in ("keys", "teams", "users", "customers", "data"):
            if isinstance(items.get(field), list):
                items = items[field]
                break
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, Mapping)]


def _keep(states: list[BudgetState]) -> list[BudgetState]:
    return sorted((s for s in states if s.has_limit), key=lambda s: (s.name, s.id))


def key_budgets(answer: object) -> list[BudgetState]:
    """Budgeted keys from ``/key/list`` full objects (hash strings are skipped)."""
    out = []
    for obj in _mappings(answer):
        token = text_or_none(obj.get("token"))
        if token is None:
            continue
        name = text_or_none(obj.get("key_alias")) or text_or_none(obj.get("key_name")) or f"#{token[:8]}"
        out.append(state_from_row("key", token, name, obj, _linked(obj)))
    return _keep(out)


def team_budgets(answer: object) -> list[BudgetState]:
    """Budgeted teams from ``/team/list`` (or ``/v2/team/list``)."""
    out = []
    for obj in _mappings(answer):
        team_id = text_or_none(obj.get("team_id"))
        if team_id is not None:
            out.append(state_from_row("team", team_id, text_or_none(obj.get("team_alias")) or team_id, obj, {}))
    return _keep(out)


def user_budgets(answer: object) -> list[BudgetState]:
    """Budgeted users from ``/user/list``'s ``users`` or ``/user/info``'s ``user_info``."""
    if isinstance(answer, Mapping) and isinstance(answer.get("user_info"), Mapping):
        answer = [answer["user_info"]]
    out = []
    for obj in _mappings(answer):
        user_id = text_or_none(obj.get("user_id"))
        if user_id is not None:
            out.append(state_from_row("user", user_id, user_id, obj, {}))
    return _keep(out)


def customer_budgets(answer: object) -> list[BudgetState]:
    """Customers whose budget row has a limit, from ``/customer/list``."""
    out = []
    for obj in _mappings(answer):
        customer = text_or_none(obj.get("user_id"))
        budget = _linked(obj)
        if customer is None or not budget:
            continue
        own = {"spend": obj.get("spend"), "blocked": obj.get("blocked")}
        out.append(state_from_row("customer", customer, text_or_none(obj.get("alias")) or customer, own, budget))
    return _keep(out)
