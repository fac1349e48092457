"""Dashboard actions that change what is shown: panes, windows, filters, search, drill-down."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, Tabs

from spendtui.core.dims import describe_tag_filter, tag_filter
from spendtui.core.selection import NO_FILTERS
from spendtui.dashboard.state import PANES, TABLE_PANES
from spendtui.tui.screens.dialogs import ChoiceDialog, DatesDialog, FilterDialog
from spendtui.tui.screens.drill import DrillScreen
from spendtui.tui.tabs import PaneTabs
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable
from spendtui.tui.widgets.tail import TailTable

if TYPE_CHECKING:
    from spendtui.tui.app import SpendApp

    _Base = SpendApp
else:
    _Base = object


class ViewActions(_Base):
    """Mixed into SpendApp: every action here changes the view state, then recomputes."""

    # ------------------------------------------------------------------ panes
    def action_pane(self, pane: str) -> None:
        if pane not in PANES:
            return
        self.query_one(TabbedContent).active = pane
        # at once, not when TabActivated arrives: the next key of a burst (typed fast, or
        # delivered together over SSH) must reach this pane's table
        self._show_pane(pane)

    # (named handlers, not @on: Textual only collects @on handlers from widget classes)
    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or "overview"
        if pane == event.tabbed_content.active:  # else stale: another pane was chosen since
            self._show_pane(pane)

    def _show_pane(self, pane: str) -> None:
        if pane == self.state.pane:
            return
        self.state = replace(self.state, pane=pane)
        if self._panes_mounted:  # else focused once they are mounted
            self._focus_pane(pane)
        self.query_one(PaneTabs).title_tabs(pane)  # (narrow: only the active tab has its word)
        self.recompute()

    def _focus_pane(self, pane: str) -> None:
        """Focus the pane's table now (``Widget.focus`` would wait behind queued keys), or
        the tabs if it has none: keys must not reach a table in a hidden pane."""
        panes = self.query_one(TabbedContent)
        tabs = panes.query_one(Tabs)
        widget: Widget = tabs
        if pane in TABLE_PANES:
            widget = self.query_one(f"#table-{pane}", BreakdownTable)
        elif pane == "tail":
            widget = self.query_one(TailTable)
        elif pane == "budgets":
            widget = self.query_one(BudgetTable)
        panes.screen.set_focus(widget if widget.focusable else tabs)

    # ------------------------------------------------------------------ window and filters
    def action_next_window(self) -> None:
        self.state = self.state.next_window()
        self.recompute()

    def action_custom_window(self) -> None:
        w = self.state.window_for(self.launch.clock().date())

        def done(result: tuple[date, date] | None) -> None:
            if result:
                self.state = replace(self.state, window="custom", custom=result)
                self.recompute()

        self.push_screen(DatesDialog(w.first, w.last), done)

    def set_window(self, window: str) -> None:
        self.state = replace(self.state, window=window, custom=None)
        self.recompute()

    def _active_table(self) -> BreakdownTable | None:
        if self.state.pane in TABLE_PANES:
            return self.query_one(f"#table-{self.state.pane}", BreakdownTable)
        return None

    def add_filter(self, dimension: str, value: str, label: str | None = None) -> None:
        """Filter every pane by one more value (the filter bar shows it by ``label``)."""
        if dimension.startswith("tag:"):
            dimension, value = "tag", tag_filter(dimension[4:], value)
            label = describe_tag_filter(value)
        if label:
            self.filter_labels[(dimension, value)] = label
        self.state = replace(self.state, filters=self.state.filters.with_value(dimension, value))
        self.recompute()

    def action_filter_selected(self) -> None:
        table = self._active_table()
        row = table.selected() if table else None
        if table is None or row is None:
            self.notify("select a row in a table pane to filter by it", severity="warning", timeout=3)
            return
        self.add_filter(table.dimension, row.value, row.label)

    def action_clear_filters(self) -> None:
        if not self.state.filters.is_empty():
            self.state = replace(self.state, filters=NO_FILTERS)
            self.recompute()

    def action_pick_filter(self) -> None:
        self._screens_opening += 1  # (keys typed next wait for the dialog)
        self._collect_choices()

    @work(thread=True, group="choices", exit_on_error=False)
    def _collect_choices(self) -> None:
        try:
            if self.engine is None:
                return
            with self._lock:
                query, names = self.engine.query, self.engine.names
                values = {
                    d: [(v, names.label(d, v)) for v in query.values(d)]
                    for d in ("model", "tag", "key", "user", "team", "customer", "provider")
                }
            self.call_from_thread(self._show_filter_dialog, values)
        finally:
            self.call_from_thread(self.screen_opened)

    def _show_filter_dialog(self, values: dict[str, list[tuple[str, str]]]) -> None:
        labels = {(d, v): label for d, pairs in values.items() for v, label in pairs}

        def done(result: tuple[str, str] | None) -> None:
            if result:
                self.add_filter(*result, labels.get(result))

        self.push_screen(FilterDialog(values), done)

    def action_search(self) -> None:
        if self.state.pane not in TABLE_PANES:
            return
        box = self.query_one(f"#search-{self.state.pane}", Input)
        box.add_class("-visible")
        # at once, not when the focus call comes round (``Widget.focus`` waits behind the
        # queue): keys typed right after / come back for the box (typeahead.py)
        box.screen.set_focus(box)

    def on_input_changed(self, event: Input.Changed) -> None:
        if not event.input.has_class("search"):
            return
        table = self._active_table()
        if table is not None:
            table.set_search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.input.has_class("search"):
            return
        table = self._active_table()
        if table is not None:
            table.focus()

    def on_key(self, event: Any) -> None:
        if event.key == "escape" and isinstance(self.focused, Input) and self.focused.has_class("search"):
            box = self.focused
            box.value = ""
            box.remove_class("-visible")
            table = self._active_table()
            if table is not None:
                table.set_search("")
                table.focus()
            event.stop()

    def _categories(self) -> list[str]:
        table = self._applied.table if self._applied else None
        return table.categories if table is not None and table.dimension.startswith("tag") else []

    def _show_categories(self, categories: list[str]) -> None:
        text = Text("Group tags by: ", style="bold")
        for name in ["", *categories]:
            label = name or "all tags"
            active = (self.state.tag_category or "") == name
            text.append(f" {label} ", style="reverse bold" if active else "")
            text.append(" ")
        text.append("  (c next, C pick)", style="dim")
        self.query_one("#tag-categories", Static).update(text)

    def action_tag_category(self) -> None:
        """Tags pane: the next category (all tags, then each prefix seen). Budgets pane:
        the next kind (all, keys, teams, users, customers, plans)."""
        if self.state.pane == "budgets":
            from spendtui.dashboard.budgets import KIND_ORDER

            kind = KIND_ORDER[(KIND_ORDER.index(self.state.budget_kind) + 1) % len(KIND_ORDER)]
            self.state = replace(self.state, budget_kind=kind)
            self.recompute()
            return
        if self.state.pane != "tags":
            return
        order = ["", *self._categories()]
        current = self.state.tag_category or ""
        nxt = order[(order.index(current) + 1) % len(order)] if current in order else ""
        self.state = replace(self.state, tag_category=nxt or None)
        self.recompute()

    def action_pick_tag_category(self) -> None:
        if self.state.pane != "tags":
            self.action_pane("tags")
        choices = [("", "all tags")] + [(c, f"{c}: one row per value") for c in self._categories()]

        def done(choice: str | None) -> None:
            if choice is not None:
                self.state = replace(self.state, tag_category=choice or None)
                self.recompute()

        self.push_screen(ChoiceDialog("Group tags by", choices, self.state.tag_category or ""), done)

    def action_chart_split(self) -> None:
        self.state = replace(self.state, chart_split="tag" if self.state.chart_split == "model" else "model")
        self.recompute()

    def action_toggle_follow(self) -> None:
        if self.state.pane == "tail":
            tail = self.query_one(TailTable)
            tail.following = not tail.following
            self.notify("tail following" if tail.following else "tail paused (space resumes)", timeout=2)

    # ------------------------------------------------------------------ drill-down
    def on_breakdown_table_drill(self, event: BreakdownTable.Drill) -> None:
        self.state = replace(self.state, drill=(event.dimension, event.value))
        self._drill = DrillScreen(event.dimension, event.value, event.label)
        self.push_screen(self._drill, self._drill_closed)
        self.recompute()

    def _drill_closed(self, _: None) -> None:
        self._drill = None
        self.state = replace(self.state, drill=None)

    # ------------------------------------------------------------------ export
    def action_export(self) -> None:
        """Write the table on screen to a new CSV file in the working directory."""
        from spendtui.dashboard import export

        snap, pane = self._applied, self.state.pane
        text = ""
        if snap is None or snap.kpis is None:
            self.notify("nothing to export yet", severity="warning", timeout=3)
            return
        if pane in TABLE_PANES:
            text = export.table_csv(self.query_one(f"#table-{pane}", BreakdownTable).shown_rows())
        elif pane == "tail":
            text = export.tail_csv(self.query_one(TailTable).shown_rows())
        elif pane == "budgets":
            text = export.budgets_csv(self.query_one(BudgetTable).shown_budgets())
        elif pane == "charts" and snap.chart is not None:
            text = export.daily_csv(snap.chart.totals)
        elif pane == "overview" and snap.overview_daily is not None:
            text = export.daily_csv(snap.overview_daily)
        if not text:
            self.notify("nothing on screen to export yet", severity="warning", timeout=3)
            return
        stem = {"overview": "daily", "charts": "daily"}.get(pane, pane)
        try:
            path = export.write_new(Path.cwd(), stem, text, self.launch.clock())
        except OSError as exc:
            self.notify(f"could not write the CSV file: {exc.strerror or exc}", severity="error", timeout=10)
            return
        rows = text.count("\n") - 1
        self.notify(f"{rows:,} row{'s' * (rows != 1)} written to {path}", title="Exported", timeout=10)
