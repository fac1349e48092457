"""spendtui's own budget plans: a scope, an amount and a period, counted from the records.

A plan's spend is whatever the engine's records say for its scope (any dimension: tag,
team, model, key, user, customer, provider; several dimensions combine with AND, several
values of one dimension with OR) over its current period. Periods are whole UTC days,
like every day spendtui shows: ``daily``, ``weekly`` (Monday to Sunday), ``monthly``,
``quarterly``, ``yearly``, or explicit ``start``/``end`` dates (inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from spendtui.core.budget_state import BudgetState
from spendtui.core.thresholds import AlertTarget, Threshold

PERIODS = ("daily", "weekly", "monthly", "quarterly", "yearly")
#: Dimensions a plan can be scoped by (what ``Filters`` accepts).
SCOPE_DIMENSIONS = ("tag", "team", "model", "key", "user", "customer", "provider", "organization", "project", "agent")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")


@dataclass(frozen=True)
class BudgetPlan:
    """One ``budgets:`` entry of the config that sets an amount (validated)."""

    name: str
    #: One of PERIODS, or None for explicit ``start``/``end`` dates.
    period: str | None
    #: Pico-dollars for every period, unless ``amounts`` names the period.
    amount: int | None = None
    #: Pico-dollars per named period: ``Q1``..``Q4`` (quarterly) or ``jan``..``dec`` (monthly).
    amounts: dict[str, int] = field(default_factory=dict)
    start: date | None = None
    end: date | None = None
    #: (dimension, values) pairs; empty for the whole proxy.
    scope: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Thresholds for this plan (None: the global ones).
    thresholds: tuple[Threshold, ...] | None = None
    alerts: tuple[AlertTarget, ...] = ()

    def describe_scope(self) -> str:
        """``all spend`` or ``tag project:web-app, team Alpha``."""
        if not self.scope:
            return "all spend"
        return ", ".join(f"{dim} {' or '.join(values)}" for dim, values in self.scope)


def period_dates(period: str, today: date) -> tuple[date, date]:
    """The first and last UTC day of the period containing ``today``."""
    if period == "daily":
        return today, today
    if period == "weekly":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if period == "monthly":
        first = today.replace(day=1)
    elif period == "quarterly":
        first = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    elif period == "yearly":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    else:
        raise ValueError(f"unknown period {period!r}")
    months = 1 if period == "monthly" else 3
    total = first.year * 12 + first.month - 1 + months
    return first, date(total // 12, total % 12 + 1, 1) - timedelta(days=1)


def plan_dates(plan: BudgetPlan, today: date) -> tuple[date, date] | None:
    """The plan's current period (inclusive UTC days), None outside explicit dates."""
    if plan.period is None:
        assert plan.start is not None and plan.end is not None
        return (plan.start, plan.end) if plan.start <= today <= plan.end else None
    return period_dates(plan.period, today)


def period_name(plan: BudgetPlan, first: date) -> str:
    """A readable name of one period: ``2026-Q4``, ``2026-11``, ``week of 2026-11-23``."""
    if plan.period == "quarterly":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if plan.period == "monthly":
        return f"{first.year}-{first.month:02d}"
    if plan.period == "yearly":
        return str(first.year)
    if plan.period == "weekly":
        return f"week of {first.isoformat()}"
    if plan.period == "daily":
        return first.isoformat()
    return f"{plan.start} – {plan.end}"


def plan_amount(plan: BudgetPlan, first: date) -> int | None:
    """The amount for the period starting ``first`` (None: no budget in that period)."""
    if plan.period == "quarterly":
        label = QUARTERS[(first.month - 1) // 3]
    elif plan.period == "monthly":
        label = MONTHS[first.month - 1]
    else:
        label = ""
    return plan.amounts.get(label, plan.amount)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def plan_state(plan: BudgetPlan, first: date, last: date, spend: int) -> BudgetState:
    """The plan as a budget state for the period [first, last] with ``spend`` counted."""
    return BudgetState(
        kind="plan",
        id=plan.name,
        name=plan.name,
        spend=spend,
        max_budget=plan_amount(plan, first),
        budget_duration=plan.period,
        window_start=day_start(first),
        window_end=day_start(last + timedelta(days=1)),
        scope=plan.describe_scope(),
    )
