"""Per-model budgets: LiteLLM's ``model_max_budget`` on keys, users and teams.

``model_max_budget`` is JSON, ``{model: {"budget_limit": 10.0, "time_period": "30d"}}``;
``model_spend`` on the same row is JSON ``{model: spend}``. Either may come as text (SQLite,
some drivers) or already decoded (PostgreSQL's jsonb, the REST API). Anything unreadable
gives a note naming the row and never stops the other budgets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from spendtui.core.budget_state import BudgetState, KindNote, budget_usd, text_or_none

#: The owner kinds that carry ``model_max_budget``, and the log dimension each one is.
OWNER_KINDS = ("key", "user", "team")


@dataclass(frozen=True)
class ModelBudget:
    """One model's limit on one owner row. Money in pico-dollars."""

    model: str
    limit: int
    time_period: str | None


def _decode(value: object, what: str) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON object (decoded or text); None and a problem when it is not one. NULL, blank
    and ``{}`` are no budgets, not problems."""
    if value is None:
        return None, None
    if isinstance(value, str):
        raw: str = value
        if not raw.strip():
            return None, None
        try:
            value = json.loads(raw)
        except ValueError:
            shown = raw if len(raw) <= 40 else raw[:37] + "..."
            return None, f"{what} is not valid JSON ({shown!r})"
    if value is None:
        return None, None
    if not isinstance(value, dict):
        return None, f"{what} is a JSON {type(value).__name__}, not an object of models"
    return value, None


def parse_model_max_budget(value: object, owner: str) -> tuple[list[ModelBudget], list[str]]:
    """The models' budgets of one row, and a note per entry that cannot be read."""
    decoded, problem = _decode(value, f"{owner}: model_max_budget")
    if decoded is None:
        return [], [problem] if problem else []
    budgets: list[ModelBudget] = []
    notes: list[str] = []
    for model, entry in decoded.items():
        name = text_or_none(model)
        limit = budget_usd(entry.get("budget_limit")) if isinstance(entry, dict) else None
        if name is None or limit is None or limit < 0:
            notes.append(
                f"{owner}: model_max_budget entry {model!r} has no usable budget_limit "
                f'(expected {{"budget_limit": 10.0, "time_period": "30d"}}): skipped'
            )
            continue
        period = text_or_none(entry.get("time_period")) if isinstance(entry, dict) else None
        budgets.append(ModelBudget(name, limit, period))
    return sorted(budgets, key=lambda b: b.model), notes


def parse_model_spend(value: object, owner: str) -> tuple[dict[str, int], list[str]]:
    """``model_spend`` as pico-dollars per model (unreadable entries left out, with a note)."""
    decoded, problem = _decode(value, f"{owner}: model_spend")
    if decoded is None:
        return {}, [problem] if problem else []
    out: dict[str, int] = {}
    notes: list[str] = []
    for model, raw in decoded.items():
        spend = budget_usd(raw)
        if spend is None:
            notes.append(f"{owner}: model_spend entry {model!r} is not an amount: counted from the logs")
            continue
        out[str(model)] = spend
    return out, notes


def model_states(
    owner_kind: str,
    owner_id: str,
    owner_name: str,
    model_max_budget: object,
    model_spend: object,
    blocked: bool = False,
) -> tuple[list[BudgetState], list[str]]:
    """One ``model`` budget per entry of an owner's ``model_max_budget``.

    The spend is the row's ``model_spend`` for the model; a model without an entry there
    is counted from the request logs (``spend_from="logs"``, filled by the board). LiteLLM
    keeps the window of these budgets in its cache, not in the database: the window is
    ``time_period`` applied to now, and a budget without one never resets.
    """
    owner = f"{owner_kind} {owner_name}"
    budgets, found = parse_model_max_budget(model_max_budget, owner)
    notes: list[str] = [KindNote("model", n) for n in found]
    if not budgets:
        return [], notes
    spends, spend_notes = parse_model_spend(model_spend, owner)
    notes += [KindNote("model", n) for n in spend_notes]
    base = BudgetState(
        kind="model",
        id="",
        name="",
        spend=0,
        blocked=blocked,
        team_id=owner_id if owner_kind == "team" else None,
        user_id=owner_id if owner_kind == "user" else None,
    )
    states = []
    for b in budgets:
        counted = spends.get(b.model)
        states.append(
            replace(
                base,
                id=f"{owner_kind}:{owner_id}/{b.model}",
                name=f"{owner_name} · {b.model}",
                spend=counted if counted is not None else 0,
                spend_from="counter" if counted is not None else "logs",
                max_budget=b.limit,
                budget_duration=b.time_period,
                log_scope=((owner_kind, owner_id), ("model", b.model)),
            )
        )
    return states, notes
