"""The widgets of each pane, and the tab pane that holds them."""

from __future__ import annotations

from textual import events
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static, TabPane

from spendtui.dashboard.state import ENTITY_PANE, TABLE_PANES
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetsPane
from spendtui.tui.widgets.charts import SpendChart
from spendtui.tui.widgets.costs import CostsPane
from spendtui.tui.widgets.inputs import EditInput
from spendtui.tui.widgets.overview import Overview
from spendtui.tui.widgets.tail import TailTable

#: Table panes with a Budget column (LiteLLM keeps budgets for these).
BUDGET_COLUMN_PANES = ("keys", "users", "teams", "customers")


def pane_widgets(pane: str) -> list[Widget]:
    """The widgets of one pane (a fresh set for each call)."""
    if pane == "overview":
        return [Overview()]
    if pane in TABLE_PANES:
        widgets: list[Widget] = []
        if pane == "tags":
            widgets = [Static(id="tag-categories")]
        elif pane == ENTITY_PANE:
            widgets = [Static(id="entity-head")]
        search = EditInput(placeholder="search (escape closes)", id=f"search-{pane}", classes="search")
        return [*widgets, BreakdownTable(id=f"table-{pane}", budgets=pane in BUDGET_COLUMN_PANES), search]
    if pane == "charts":
        lower = Horizontal(SpendChart(id="chart-hourly"), SpendChart(id="chart-latency"), id="chart-lower")
        return [SpendChart(id="chart-daily"), lower]
    if pane == "tail":
        return [TailTable(id="tail-table")]
    if pane == "costs":
        return [CostsPane()]
    return [BudgetsPane()]


class Pane(TabPane):
    """A tab pane that brings itself forward for focus only while it is shown: a focus
    event still queued from a pane left since (keys typed in a burst) must not switch back."""

    def _on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if not self.display:
            event.prevent_default()
