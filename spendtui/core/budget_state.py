"""A budget as a source reports it: LiteLLM keys, teams, users and customers.

Sources (database, proxy) produce these; spendtui's own budget plans from the config are
evaluated into the same shape, so gauges, forecasts and alerts treat them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

KINDS = ("key", "team", "user", "customer", "plan")


@dataclass(frozen=True)
class BudgetState:
    """One budget. Money is integer pico-dollars; times are timezone-aware UTC."""

    kind: str
    #: Identity: key hash, team id, user id, customer id, or the plan's name.
    id: str
    #: What to show: key alias, team alias, user id, customer alias, plan name.
    name: str
    #: Spend in the current window as the source counts it (LiteLLM's ``spend`` column:
    #: it resets at ``budget_reset_at``; without a duration it never resets).
    spend: int
    max_budget: int | None = None
    soft_budget: int | None = None
    budget_duration: str | None = None
    budget_reset_at: datetime | None = None
    blocked: bool = False
    #: For keys: LiteLLM's ``sk-...abcd`` form; for others None.
    key_name: str | None = None
    team_id: str | None = None
    user_id: str | None = None

    @property
    def has_limit(self) -> bool:
        return self.max_budget is not None or self.soft_budget is not None
