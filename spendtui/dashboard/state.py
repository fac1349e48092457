"""The dashboard's view state: which pane, which window, which filters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from spendtui.core.selection import NO_FILTERS, Filters, Window

PANES = (
    "overview",
    "models",
    "tags",
    "keys",
    "users",
    "teams",
    "customers",
    "charts",
    "tail",
    "budgets",
    "costs",
)
#: The key that shows each pane: 1..9 and 0, then $ for the Costs pane.
PANE_KEYS = {pane: ("$" if pane == "costs" else str((i + 1) % 10)) for i, pane in enumerate(PANES)}
TABLE_PANES = {
    "models": "model",
    "tags": "tag",
    "keys": "key",
    "users": "user",
    "teams": "team",
    "customers": "customer",
}
#: The Entities pane (key 7): what it breaks spend down by, in the order ``c`` cycles.
ENTITIES = ("customer", "organization", "project", "agent", "session", "tool")
#: The Entities pane's tab title for each entity.
ENTITY_TITLES = {
    "customer": "Customers",
    "organization": "Orgs",
    "project": "Projects",
    "agent": "Agents",
    "session": "Sessions",
    "tool": "Tools",
}
#: The Entities pane's CSV file names (``E``): spendtui-organizations-….csv.
ENTITY_FILES = {
    "customer": "customers",
    "organization": "organizations",
    "project": "projects",
    "agent": "agents",
    "session": "sessions",
    "tool": "tools",
}
#: Entities the source ranks for the window (``core.top``): no filter, no cube dimension.
TOP_ENTITIES = ("session", "tool")

#: The drill-down of a budget whose requests several dimensions select (a team member:
#: team and user; a per-model budget: its owner and the model); its value is
#: ``scope_value``'s encoding of the pairs.
SCOPE_DRILL = "budget"


def scope_value(pairs: tuple[tuple[str, str], ...]) -> str:
    """``team=t1␟user=ann``: the (dimension, value) pairs as one drill value."""
    return "\x1f".join(f"{d}={v}" for d, v in pairs)


def scope_pairs(value: str) -> list[tuple[str, str]]:
    """The pairs ``scope_value`` encoded."""
    return [(d, v) for d, _, v in (part.partition("=") for part in value.split("\x1f"))]


#: The pane that breaks down by ``ViewState.entity``.
ENTITY_PANE = "customers"
#: Breakdown dimensions whose rows LiteLLM keeps budgets for (a Budget column).
BUDGET_DIMENSIONS = ("key", "user", "team", "customer")
WINDOWS = ("today", "7d", "30d", "mtd", "qtd")
WINDOW_LABELS = {
    "today": "Today",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "mtd": "Month to date",
    "qtd": "Quarter to date",
    "custom": "Custom",
}


@dataclass(frozen=True)
class ViewState:
    """Everything that decides what the panes show. Immutable: changes make a new one."""

    pane: str = "overview"
    window: str = "30d"
    custom: tuple[date, date] | None = None
    filters: Filters = NO_FILTERS
    #: Tags pane: None for every tag, or one category (``project``) to group by its values.
    tag_category: str | None = None
    #: Charts pane: split daily bars by "model" or "tag".
    chart_split: str = "model"
    top_n: int = 6
    #: Drill-down target (dimension, value), or None.
    drill: tuple[str, str] | None = None
    #: Budgets pane: None for every kind, or one of key, team, user, customer, plan.
    budget_kind: str | None = None
    #: Entities pane (key 7): customer, organization, project, agent, session or tool.
    entity: str = "customer"

    def window_for(self, today: date) -> Window:
        if self.window == "custom" and self.custom:
            return Window.from_dates(*self.custom)
        if self.window == "today":
            return Window.from_dates(today, today)
        if self.window == "7d":
            return Window.last_days(7, today)
        if self.window == "mtd":
            return Window.month_to_date(today)
        if self.window == "qtd":
            return Window.quarter_to_date(today)
        return Window.last_days(30, today)

    def window_label(self, today: date) -> str:
        return " · ".join(self.window_parts(today))

    def window_parts(self, today: date) -> tuple[str, str]:
        """(the window's name, its dates): ``("Last 30 days", "2026-11-08 – 2026-12-07 UTC")``."""
        return WINDOW_LABELS.get(self.window, self.window), self.window_for(today).label()

    def next_window(self) -> ViewState:
        order = list(WINDOWS)
        current = order.index(self.window) if self.window in order else -1
        return replace(self, window=order[(current + 1) % len(order)], custom=None)

    def breakdown_dimension(self) -> str | None:
        """The dimension of the active table pane (``tag:project`` for a tag category)."""
        if self.pane == ENTITY_PANE:
            return self.entity if self.entity in ENTITIES else "customer"
        dim = TABLE_PANES.get(self.pane)
        if dim == "tag" and self.tag_category:
            return f"tag:{self.tag_category}"
        return dim

    def next_entity(self) -> ViewState:
        """The Entities pane's next entity (customer, organization, project, agent, session, tool)."""
        at = ENTITIES.index(self.entity) if self.entity in ENTITIES else -1
        return replace(self, entity=ENTITIES[(at + 1) % len(ENTITIES)])

    def first_day_needed(self, today: date) -> int:
        """The earliest day any pane needs (the window and the previous period)."""
        w = self.window_for(today)
        return w.previous().first_day
