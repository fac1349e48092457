"""What the dashboard shows: panes, windows, filters, search, tag categories, drill-down
and export. Each change makes a new ``ViewState`` and asks the app to redraw from it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, Tabs

from spendtui.core.dims import describe_tag_filter, tag_filter
from spendtui.core.selection import NO_FILTERS
from spendtui.dashboard.state import (
    ENTITIES,
    ENTITY_FILES,
    ENTITY_PANE,
    ENTITY_TITLES,
    PANES,
    TABLE_PANES,
    TOP_ENTITIES,
)
from spendtui.tui.screens.dialogs import ChoiceDialog, DatesDialog, FilterDialog
from spendtui.tui.screens.drill import DrillScreen
from spendtui.tui.tabs import PaneTabs
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable
from spendtui.tui.widgets.costs import CostTable
from spendtui.tui.widgets.tail import TailTable

if TYPE_CHECKING:
    from textual import events

    from spendtui.tui.app import SpendApp


class ViewControl:
    """The view actions of the dashboard's keys (the app's ``action_*`` hand them on)."""

    def __init__(self, app: SpendApp) -> None:
        self.app = app
        #: The drill-down on screen, if any (it is redrawn with each snapshot).
        self.drill: DrillScreen | None = None
        #: What the filter bar calls each (dimension, value) filtered by: the row's label
        #: when a row is picked, the snapshot's names after that.
        self.filter_labels: dict[tuple[str, str], str] = {}

    def _change(self, **changes: object) -> None:
        app = self.app
        app.state = replace(app.state, **changes)  # type: ignore[arg-type]
        app.recompute()

    # ------------------------------------------------------------------ panes
    def pane(self, pane: str) -> None:
        if pane not in PANES:
            return
        self.app.query_one(TabbedContent).active = pane
        # at once, not when TabActivated arrives: the next key of a burst (typed fast, or
        # delivered together over SSH) must reach this pane's table
        self.show_pane(pane)

    def show_pane(self, pane: str) -> None:
        app = self.app
        if pane == app.state.pane:
            return
        app.state = replace(app.state, pane=pane)
        if app.panes_mounted:  # else focused once they are mounted
            self.focus_pane(pane)
        app.query_one(PaneTabs).title_tabs(pane)  # (narrow: only the active tab has its word)
        app.recompute()

    def focus_pane(self, pane: str) -> None:
        """Focus the pane's table now (``Widget.focus`` would wait behind queued keys), or
        the tabs if it has none: keys must not reach a table in a hidden pane."""
        app = self.app
        panes = app.query_one(TabbedContent)
        tabs = panes.query_one(Tabs)
        widget: Widget = tabs
        if pane in TABLE_PANES:
            widget = app.query_one(f"#table-{pane}", BreakdownTable)
        elif pane == "tail":
            widget = app.query_one(TailTable)
        elif pane == "budgets":
            widget = app.query_one(BudgetTable)
        elif pane == "costs":
            widget = app.query_one(CostTable)
        panes.screen.set_focus(widget if widget.focusable else tabs)

    # ------------------------------------------------------------------ window and filters
    def next_window(self) -> None:
        self.app.state = self.app.state.next_window()
        self.app.recompute()

    def custom_window(self) -> None:
        w = self.app.state.window_for(self.app.launch.clock().date())

        def done(result: tuple[date, date] | None) -> None:
            if result:
                self._change(window="custom", custom=result)

        self.app.push_screen(DatesDialog(w.first, w.last), done)

    def set_window(self, window: str) -> None:
        self._change(window=window, custom=None)

    def active_table(self) -> BreakdownTable | None:
        if self.app.state.pane in TABLE_PANES:
            return self.app.query_one(f"#table-{self.app.state.pane}", BreakdownTable)
        return None

    def add_filter(self, dimension: str, value: str, label: str | None = None) -> None:
        """Filter every pane by one more value (the filter bar shows it by ``label``)."""
        if dimension.startswith("tag:"):
            dimension, value = "tag", tag_filter(dimension[4:], value)
            label = describe_tag_filter(value)
        if label:
            self.filter_labels[(dimension, value)] = label
        self._change(filters=self.app.state.filters.with_value(dimension, value))

    def filter_selected(self) -> None:
        if self.app.state.pane == "costs":  # (its rows are models)
            model = self.app.query_one(CostTable).cursor_key()
            if model is not None:
                self.add_filter("model", model, model)
                return
        table = self.active_table()
        row = table.selected() if table else None
        if table is None or row is None:
            self.app.notify("select a row in a table pane to filter by it", severity="warning", timeout=3)
            return
        if table.dimension in TOP_ENTITIES:
            self.app.notify(
                f"{ENTITY_TITLES[table.dimension].lower()} cannot filter the other panes: "
                "Enter shows this one's models, keys and days",
                severity="warning",
                timeout=4,
            )
            return
        self.add_filter(table.dimension, row.value, row.label)

    def clear_filters(self) -> None:
        if not self.app.state.filters.is_empty():
            self._change(filters=NO_FILTERS)

    def pick_filter(self) -> None:
        app = self.app
        app.hold.screen_opening()  # (keys typed next wait for the dialog)
        session = app.session

        def collect() -> None:
            try:
                values = session.filter_choices()
                if values is not None:
                    app.call_from_thread(self._show_filter_dialog, values)
            finally:
                app.call_from_thread(app.hold.screen_opened)

        app.run_worker(collect, thread=True, group="choices", exit_on_error=False)

    def _show_filter_dialog(self, values: dict[str, list[tuple[str, str]]]) -> None:
        labels = {(d, v): label for d, pairs in values.items() for v, label in pairs}

        def done(result: tuple[str, str] | None) -> None:
            if result:
                self.add_filter(*result, labels.get(result))

        self.app.push_screen(FilterDialog(values), done)

    # ------------------------------------------------------------------ search
    def search(self) -> None:
        app = self.app
        if app.state.pane not in TABLE_PANES:
            return
        box = app.query_one(f"#search-{app.state.pane}", Input)
        box.add_class("-visible")
        # at once, not when the focus call comes round (``Widget.focus`` waits behind the
        # queue): keys typed right after / come back for the box (key_hold.py)
        box.screen.set_focus(box)

    def search_changed(self, event: Input.Changed) -> None:
        table = self.active_table()
        if event.input.has_class("search") and table is not None:
            table.set_search(event.value)

    def search_submitted(self, event: Input.Submitted) -> None:
        table = self.active_table()
        if event.input.has_class("search") and table is not None:
            table.focus()

    def search_key(self, event: events.Key) -> None:
        """Escape in the search box clears and closes it."""
        focused = self.app.focused
        if event.key == "escape" and isinstance(focused, Input) and focused.has_class("search"):
            focused.value = ""
            focused.remove_class("-visible")
            table = self.active_table()
            if table is not None:
                table.set_search("")
                table.focus()
            event.stop()

    # ------------------------------------------------------------------ tags, charts, tail
    def categories(self) -> list[str]:
        applied = self.app.applied
        table = applied.table if applied else None
        return table.categories if table is not None and table.dimension.startswith("tag") else []

    def show_categories(self, categories: list[str]) -> None:
        text = Text("Group tags by: ", style="bold")
        for name in ["", *categories]:
            label = name or "all tags"
            active = (self.app.state.tag_category or "") == name
            text.append(f" {label} ", style="reverse bold" if active else "")
            text.append(" ")
        text.append("  (c next, C pick)", style="dim")
        self.app.query_one("#tag-categories", Static).update(text)

    def show_entities(self) -> None:
        """The Entities pane's head: what it breaks down by, and the keys that change it."""
        wide = self.app.size.width >= 96  # (80 columns: the choices and the keys, no title)
        text = Text("Break down by: " if wide else "", style="bold")
        for entity in ENTITIES:
            active = self.app.state.entity == entity
            text.append(f" {ENTITY_TITLES[entity]} ", style="reverse bold" if active else "")
            text.append(" " if wide else "")
        text.append("  c Entity · C pick" if wide else " c/C", style="dim")
        self.app.query_one("#entity-head", Static).update(text)

    def set_entity(self, entity: str) -> None:
        """Break the Entities pane down by ``entity``: its tab and head say so at once."""
        if entity not in ENTITIES:
            return
        app = self.app
        app.state = replace(app.state, entity=entity)
        app.query_one(PaneTabs).title_tabs(app.state.pane, entity)
        if app.panes_mounted:
            self.show_entities()
        app.recompute()

    def pick_entity(self) -> None:
        choices = [(e, ENTITY_TITLES[e]) for e in ENTITIES]

        def done(choice: str | None) -> None:
            if choice:
                self.set_entity(choice)

        self.app.push_screen(ChoiceDialog("Break spend down by", choices, self.app.state.entity), done)

    def tag_category(self) -> None:
        """Tags pane: the next category (all tags, then each prefix seen). Budgets pane:
        the next kind (all, keys, teams, users, customers, plans). Entities pane: the next
        entity (customers, organizations, projects, agents)."""
        state = self.app.state
        if state.pane == ENTITY_PANE:
            self.set_entity(state.next_entity().entity)
            return
        if state.pane == "budgets":
            from spendtui.dashboard.budgets import KIND_ORDER

            self._change(budget_kind=KIND_ORDER[(KIND_ORDER.index(state.budget_kind) + 1) % len(KIND_ORDER)])
            return
        if state.pane != "tags":
            return
        order = ["", *self.categories()]
        current = state.tag_category or ""
        nxt = order[(order.index(current) + 1) % len(order)] if current in order else ""
        self._change(tag_category=nxt or None)

    def pick_tag_category(self) -> None:
        """The Entities pane: pick its entity; elsewhere: the Tags pane's category."""
        if self.app.state.pane == ENTITY_PANE:
            self.pick_entity()
            return
        if self.app.state.pane != "tags":
            self.pane("tags")
        choices = [("", "all tags")] + [(c, f"{c}: one row per value") for c in self.categories()]

        def done(choice: str | None) -> None:
            if choice is not None:
                self._change(tag_category=choice or None)

        self.app.push_screen(ChoiceDialog("Group tags by", choices, self.app.state.tag_category or ""), done)

    def chart_split(self) -> None:
        self._change(chart_split="tag" if self.app.state.chart_split == "model" else "model")

    def toggle_follow(self) -> None:
        if self.app.state.pane == "tail":
            tail = self.app.query_one(TailTable)
            tail.following = not tail.following
            self.app.notify("tail following" if tail.following else "tail paused (space resumes)", timeout=2)

    # ------------------------------------------------------------------ drill-down
    def open_drill(self, event: BreakdownTable.Drill) -> None:
        app = self.app
        app.state = replace(app.state, drill=(event.dimension, event.value))
        self.drill = DrillScreen(event.dimension, event.value, event.label)
        app.push_screen(self.drill, self._drill_closed)
        app.recompute()

    def _drill_closed(self, _: None) -> None:
        self.drill = None
        self.app.state = replace(self.app.state, drill=None)

    # ------------------------------------------------------------------ export
    def export(self) -> None:
        """Write the table on screen to a new CSV file in the working directory."""
        from spendtui.dashboard import export

        app = self.app
        snap, pane = app.applied, app.state.pane
        text = ""
        if snap is None or snap.kpis is None:
            app.notify("nothing to export yet", severity="warning", timeout=3)
            return
        if pane in TABLE_PANES:
            text = export.table_csv(app.query_one(f"#table-{pane}", BreakdownTable).shown_rows())
        elif pane == "tail":
            text = export.tail_csv(app.query_one(TailTable).shown_rows())
        elif pane == "budgets":
            text = export.budgets_csv(app.query_one(BudgetTable).shown_budgets())
        elif pane == "costs" and snap.costs is not None and snap.costs.rows:
            text = export.costs_csv(snap.costs)
        elif pane == "charts" and snap.chart is not None:
            text = export.daily_csv(snap.chart.totals)
        elif pane == "overview" and snap.overview_daily is not None:
            text = export.daily_csv(snap.overview_daily)
        if not text:
            app.notify("nothing on screen to export yet", severity="warning", timeout=3)
            return
        stem = {"overview": "daily", "charts": "daily", ENTITY_PANE: ENTITY_FILES[app.state.entity]}.get(pane, pane)
        try:
            path = export.write_new(Path.cwd(), stem, text, app.launch.clock())
        except OSError as exc:
            app.notify(f"could not write the CSV file: {exc.strerror or exc}", severity="error", timeout=10)
            return
        rows = text.count("\n") - 1
        app.notify(f"{rows:,} row{'s' * (rows != 1)} written to {path}", title="Exported", timeout=10)
