"""Budgets in the dashboard's tables: the Budget column of the Keys, Users, Teams and
Customers panes (rows with no spend included, so a key just created is there), and the
short gauge text the tables and the Overview show."""

from __future__ import annotations

from dataclasses import replace

from spendtui.budgets.board import BudgetBoard
from spendtui.core.alerts import Crossing
from spendtui.core.budget_eval import EvaluatedBudget
from spendtui.core.budget_state import BudgetState
from spendtui.core.measures import ZERO
from spendtui.core.names import Names
from spendtui.core.rules import RuleEvent
from spendtui.dashboard import format as fmt
from spendtui.dashboard.model import TableData, TableRow
from spendtui.dashboard.state import BUDGET_DIMENSIONS, SCOPE_DRILL, scope_value
from spendtui.money import used_percent

#: The Budgets pane's kind filter, in the order ``c`` cycles through.
KIND_ORDER = (
    None,
    "key",
    "team",
    "user",
    "customer",
    "organization",
    "project",
    "member",
    "tag",
    "model",
    "plan",
    "rule",
)
KIND_TITLES = {
    None: "all",
    "key": "keys",
    "team": "teams",
    "user": "users",
    "customer": "customers",
    "organization": "organizations",
    "project": "projects",
    "member": "members",
    "tag": "tags",
    "model": "models",
    "plan": "plans",
    "rule": "rules",
}
#: Shorter titles for a narrow head line.
KIND_TERSE = {"customer": "cust", "organization": "orgs", "project": "projs", "member": "membs"}


def drill_target(state: BudgetState) -> tuple[str, str] | None:
    """The dimension and value Enter drills into for a budget (None: a plan). A team
    member drills into their requests in that team, a per-model budget into its owner's
    requests of that model (``SCOPE_DRILL``)."""
    if state.kind in ("key", "team", "user", "customer", "organization", "project", "tag"):
        return state.kind, state.id
    if state.kind in ("member", "model") and len(state.log_scope) > 1:
        return SCOPE_DRILL, scope_value(state.log_scope)
    if state.log_scope:
        return state.log_scope[0]
    if state.kind == "member" and state.user_id:
        return "user", state.user_id
    return None


def bar(fraction: float | None, width: int = 16) -> str:
    """``█████░░░░░`` filled to the fraction (full when over); blank without a limit."""
    if fraction is None:
        return " " * width
    filled = width if fraction >= 1 else max(0, min(width, int(fraction * width)))
    return "█" * filled + "░" * (width - filled)


def used_text(budget: EvaluatedBudget, narrow: bool = False) -> str:
    """``84%``, ``$0 limit`` (``∞%`` when ``narrow``: any spend over nothing) or ``-``."""
    if budget.limit == 0:
        return "∞%" if narrow else "$0 limit"
    return "-" if budget.limit is None else used_percent(budget.spend, budget.limit)


def short(budget: EvaluatedBudget) -> str:
    """``▲ 84% of $25.00``: the Budget column (a symbol as well as colour; the Budgets
    pane has the window and forecast)."""
    limit = fmt.money(budget.limit) if budget.limit is not None else "-"
    soft = " soft" if budget.limit_is_soft else ""
    used = "$0 limit" if budget.limit == 0 else f"{used_text(budget)} of {limit}{soft}"
    return f"{budget.symbol} {used}"


def with_budgets(
    data: TableData, board: BudgetBoard, states: list[BudgetState], names: Names, unfiltered: bool
) -> TableData:
    """The table with each row's budget, plus the source's entities with no spend in the
    window (only without filters: with one, "no spend" is what the filter selects)."""
    kind = data.dimension
    if kind not in BUDGET_DIMENSIONS or data.refusal:
        return data
    budgets = {b.state.id: b for b in board.of_kind(kind)}
    rows = [replace(r, budget=budgets.get(r.value)) for r in data.rows]
    if unfiltered:
        present = {r.value for r in rows}
        for state in states:
            if state.id and state.has_limit and state.id not in present:
                present.add(state.id)
                label = names.label(kind, state.id) if kind != "user" else state.id
                rows.append(TableRow(state.id, label or state.name, ZERO, 0.0, None, budget=budgets.get(state.id)))
    return replace(data, rows=rows)


def crossing_text(crossing: Crossing) -> tuple[str, str]:
    """(level, one line) for a threshold crossed while spendtui runs."""
    b = crossing.budget
    limit = fmt.money(b.limit) if b.limit is not None else "-"
    what = "its soft budget" if crossing.threshold.is_soft else crossing.threshold.label
    text = f"{b.symbol} {b.label} {b.state.kind} {b.state.name} crossed {what}: {fmt.money(b.spend)} of {limit}"
    if b.forecast.runs_out_at is not None and b.level != "exceeded":
        text += f", runs out {b.forecast.runs_out_at:%Y-%m-%d %H:%M} UTC"
    return crossing.level, text


def rule_event_text(event: RuleEvent) -> tuple[str, str]:
    """(level, one line) for a spend rule that fired or resolved while spendtui runs."""
    result = event.result
    if event.kind == "resolved":
        return "information", f"✓ rule {result.rule.name} resolved: {result.describe()}"
    return "warning", f"▲ rule {result.rule.name} firing: {result.describe()}"
