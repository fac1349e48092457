"""Putting a snapshot on the screen: the window and filter bar, the notices, the active
pane, the drill-down, the start-up panel before the first data, and budget popups."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.screen import ModalScreen

from spendtui.dashboard.model import Snapshot
from spendtui.dashboard.state import ENTITY_PANE, TABLE_PANES, TOP_ENTITIES
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetsPane
from spendtui.tui.widgets.charts import SpendChart
from spendtui.tui.widgets.costs import CostsPane
from spendtui.tui.widgets.overview import Overview
from spendtui.tui.widgets.startup import StartupPanel
from spendtui.tui.widgets.status import NoticeBar, WindowBar
from spendtui.tui.widgets.tail import TailTable

if TYPE_CHECKING:
    from textual.timer import Timer

    from spendtui.tui.app import SpendApp


class Painter:
    """Draws what the app's snapshots hold (UI thread only)."""

    def __init__(self, app: SpendApp) -> None:
        self.app = app
        self._popup_timer: Timer | None = None

    def draw(self, snap: Snapshot) -> None:
        app = self.app
        if not app.panes_mounted:  # drawn once they are (SpendApp._mount_other_panes)
            return
        self.window_bar(snap)
        app.query_one(StartupPanel).display = False
        app.status.extra = "; ".join(filter(None, (snap.source_note, *snap.quality)))
        refused = snap.refusal or (snap.table is not None and snap.table.refusal)
        # (a source that has no sessions at all: neither the window nor the filters help)
        top = snap.table is not None and snap.table.dimension in TOP_ENTITIES
        hint = "(c shows another entity)" if top else "(w changes the window, x clears filters)"
        app.query_one(NoticeBar).show(snap.notices, hint if refused else "")
        app.query_one("#panes").display = snap.refusal is None
        drill = app.views.drill
        if snap.kpis is None:  # nothing exact to show: the notice says why
            if drill is not None and snap.refusal:
                drill.show_refusal(snap.refusal)
            return
        app.status.requests = snap.kpis.window.requests
        self._pane(snap)
        if drill is not None and snap.drill is not None:
            drill.show(snap.drill, snap.window_label)

    def _pane(self, snap: Snapshot) -> None:
        app = self.app
        pane = app.state.pane
        if pane == "overview":
            app.query_one(Overview).show(snap)
        elif pane in TABLE_PANES and snap.table is not None:
            app.query_one(f"#table-{pane}", BreakdownTable).show(snap.table)
            if pane == "tags":
                app.views.show_categories(snap.table.categories)
            elif pane == ENTITY_PANE:
                app.views.show_entities()
        elif pane == "charts" and snap.chart is not None:
            chart = snap.chart
            split = "model" if chart.split == "model" else "tag"
            app.query_one("#chart-daily", SpendChart).daily(
                f"Daily spend by {split} (top {len(chart.stacks)}; g switches)", chart.days, chart.stacks
            )
            app.query_one("#chart-hourly", SpendChart).hourly("Spend by hour today", chart.hours)
            app.query_one("#chart-latency", SpendChart).latency(
                "Latency by day, top to bottom: p95, p50, TTFT p50", chart.latency, chart.latency_note
            )
        elif pane == "tail" and snap.tail is not None:
            app.query_one(TailTable).show(snap.tail)
        elif pane == "budgets":
            app.query_one(BudgetsPane).show(snap.budgets, app.state.budget_kind, snap.rules)
        elif pane == "costs":
            app.query_one(CostsPane).show(snap.costs)

    def window_bar(self, snap: Snapshot | None = None) -> None:
        """The window, its total and the filters, by name (never a key's hash)."""
        app = self.app
        today = app.launch.clock().date()
        summary = ""
        if snap is not None and snap.kpis is not None:
            from spendtui.dashboard import format as fmt

            summary = f"· {fmt.money(snap.kpis.window.spend)} · {fmt.count(snap.kpis.window.requests)} req"
        labels = app.views.filter_labels
        if snap is not None:
            labels.update({(d, v): label for d, v, label in snap.filter_labels})
        chips = [
            (d, labels.get((d, v)) or _masked(d, v)) for d, values in app.state.filters.items() for v in sorted(values)
        ]
        app.query_one(WindowBar).show(app.state.window_parts(today), chips, summary)

    # ------------------------------------------------------------------ before the first data
    def startup(self) -> None:
        """The start-up panel instead of the panes (the first start, a profile switch)."""
        self.app.query_one("#panes").display = False
        self.app.query_one(StartupPanel).display = True

    def startup_step(self, text: str, detail: str = "") -> None:
        """Say what the start is doing, while there is no data to show."""
        if self.app.applied is None:
            self.app.query_one(StartupPanel).step(text, detail)

    def startup_failed(self, error: str, retry: str) -> None:
        self.app.query_one(StartupPanel).failed(self.app.source_label(), error, retry)

    # ------------------------------------------------------------------ budget popups
    def popups(self, alerts: tuple[tuple[str, str], ...]) -> None:
        self.app.popups.add(alerts)
        self.show_popup()

    def show_popup(self) -> None:
        """The pending budget crossings as one popup, when the pacer allows; else later.
        Not over a dialog (it covered the new key's Copy button at 80x24): after it."""
        app = self.app
        now = time.monotonic()
        dialog = isinstance(app.screen, ModalScreen)
        popup = None if dialog else app.popups.take(now)
        if popup is not None:
            app.notify(popup.text, title=popup.title, severity=popup.severity, timeout=8)  # type: ignore[arg-type]
        wait = app.popups.wait(now)
        if wait is not None and dialog:
            wait = max(wait, 1.0)
        if wait is not None and self._popup_timer is None:

            def due() -> None:
                self._popup_timer = None
                self.show_popup()

            self._popup_timer = app.set_timer(wait, due)


def _masked(dimension: str, value: str) -> str:
    """A filter value whose name is not known yet: never a key's whole hash."""
    if not value:
        return "(none)"
    return f"…{value[-8:]}" if dimension == "key" and len(value) > 16 else value
