"""SpendApp: the live dashboard.

Its layout, drawing, profiles and shutdown are here; the engine work (loads, polls,
budget checks, refresh control) is in ``polling``, the other actions in ``view_actions``
and ``key_actions``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from asyncio import gather
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static, TabPane

from spendtui.config import Profile
from spendtui.dashboard.model import Snapshot
from spendtui.dashboard.popups import PopupPacer
from spendtui.dashboard.state import PANES, TABLE_PANES, ViewState
from spendtui.errors import SpendtuiError
from spendtui.sources.db.urls import mask_url
from spendtui.tui.commands import SpendCommands
from spendtui.tui.key_actions import KeyActions
from spendtui.tui.launch import Launch
from spendtui.tui.polling import Polling
from spendtui.tui.screens.dialogs import ChoiceDialog
from spendtui.tui.tabs import PANE_TITLES, PaneTabs
from spendtui.tui.typeahead import TypeAhead
from spendtui.tui.view_actions import ViewActions
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetsPane
from spendtui.tui.widgets.charts import SpendChart
from spendtui.tui.widgets.inputs import EditInput
from spendtui.tui.widgets.keybar import KeyBar
from spendtui.tui.widgets.overview import Overview
from spendtui.tui.widgets.startup import StartupPanel
from spendtui.tui.widgets.status import NoticeBar, StatusBar, WindowBar
from spendtui.tui.widgets.tail import TailTable

if TYPE_CHECKING:
    from spendtui.budgets.monitor import BudgetMonitor
    from spendtui.engine import SpendEngine
    from spendtui.tui.screens.drill import DrillScreen

#: Table panes with a Budget column (LiteLLM keeps budgets for these).
BUDGET_COLUMN_PANES = ("keys", "users", "teams", "customers")
PANE_KEYS = Binding.Group("Panes", compact=True)


class SpendApp(Polling, ViewActions, KeyActions, TypeAhead, App[int]):
    """The dashboard. Build it with a Launch (the CLI does; so do the tests)."""

    CSS_PATH = "app.tcss"
    TITLE = "spendtui"
    COMMANDS = App.COMMANDS | {SpendCommands}
    BINDINGS = [
        *[
            Binding(str((i + 1) % 10), f"pane('{pane}')", PANE_TITLES[pane][2:], id=f"pane-{pane}", group=PANE_KEYS)
            for i, pane in enumerate(PANES)
        ],
        Binding("w", "next_window", "Window"),
        Binding("W", "custom_window", "Dates", show=False),
        Binding("f", "filter_selected", "Filter"),
        Binding("F", "pick_filter", "Filter…", show=False),
        Binding("x", "clear_filters", "Clear", show=False),
        Binding("slash", "search", "Search"),
        Binding("c", "tag_category", "Category", show=False),
        Binding("C", "pick_tag_category", "Pick category", show=False),
        Binding("g", "chart_split", "Split", show=False),
        Binding("space", "toggle_follow", "Follow", show=False),
        Binding("E", "export", "Export CSV", show=False),
        Binding("r", "refresh_now", "Refresh"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("plus,equals_sign", "interval(1)", "+1s", show=False),
        Binding("minus", "interval(-1)", "-1s", show=False),
        Binding("P", "pick_profile", "Profile", show=False),
        Binding("n", "new_key", "New key"),
        Binding("e", "edit_budget", "Edit budget", show=False),
        Binding("b", "block_key(True)", "Block", show=False),
        Binding("B", "block_key(False)", "Unblock", show=False),
        Binding("D", "delete_key", "Delete key", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, launch: Launch) -> None:
        super().__init__()
        self.launch = launch
        self.config = launch.config
        self.profile: Profile = launch.config.active
        self.state: ViewState = replace(launch.state)
        self.interval = max(1.0, launch.refresh)
        self.engine: SpendEngine | None = None
        #: LiteLLM's budgets and the config's plans, evaluated in the engine worker.
        self._budgets: BudgetMonitor | None = None
        self._lock = threading.Lock()
        #: Held while the source is read for a load or a poll (taken after ``_lock``
        #: when both are needed; a poll's fetch holds it alone).
        self._io_lock = threading.Lock()
        self._version = 0
        self._applied: Snapshot | None = None
        self._polling = False
        #: The next poll also looks far back for late rows (the user pressed r).
        self._deep_next = False
        self._paused = False
        self._failures = 0
        self._last_snapshot_at = 0.0
        self._poll_timer: Any = None
        self._drill: DrillScreen | None = None
        #: Budget crossings become at most one popup every few seconds (popups.py).
        self.popups = PopupPacer()
        self._popup_timer: Timer | None = None
        #: What the filter bar calls each (dimension, value) filtered by: the row's label
        #: when a row is picked, the snapshot's names after that.
        self.filter_labels: dict[tuple[str, str], str] = {}
        self._stopping = False
        #: Wall-clock moments of the first frame and the first data on screen, and the
        #: UI-thread seconds spent applying each snapshot (read by benchmarks/tui.py).
        self.timings: dict[str, float] = {}
        self.apply_seconds: deque[float] = deque(maxlen=1000)
        #: The pane whose widgets are composed for the first frame; the others' widgets
        #: are mounted right after it.
        self._first_pane = self.state.pane
        self._panes_mounted = False
        #: Keys typed ahead (typeahead.py): held until the panes are mounted (then
        #: ``_keys_released``), and while a worker prepares a screen (``_screens_opening``)
        #: or a key of the same burst has opened one (``_typed_on``: the screen on top when
        #: each key arrived).
        self._keys_released = False
        self._held_keys: list[events.Key] = []
        self._release_timer: Timer | None = None
        self._screens_opening = 0
        self._typed_on: WeakKeyDictionary[events.Key, tuple[Screen, Widget | None]] = WeakKeyDictionary()

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield WindowBar(id="window-bar")
        yield NoticeBar(id="notice")
        with PaneTabs(initial=self._first_pane, id="panes"):
            for pane in PANES:
                with Pane(PANE_TITLES[pane], id=pane):
                    if pane == self._first_pane:
                        yield from _pane_widgets(pane)
        yield StartupPanel(id="startup")
        yield StatusBar(id="status")
        yield KeyBar()

    async def _mount_other_panes(self) -> None:
        """Mount the widgets of the panes not shown first, then run what waited for them:
        the actions of keys typed ahead, and the drawing of data that came first."""
        await gather(
            *(
                self.query_one(f"#{pane}", TabPane).mount_all(_pane_widgets(pane))
                for pane in PANES
                if pane != self._first_pane
            )
        )
        self._panes_mounted = True
        if self.state.pane != self._first_pane:  # a tab was clicked meanwhile
            self._focus_pane(self.state.pane)
        if self._applied is not None:
            self._draw(self._applied)
        self.call_later(self.release_keys)  # (see typeahead.py)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    def on_mount(self) -> None:
        self.query_one("#panes").display = False  # the start-up panel until there is data
        self.status.interval = self.interval
        self.status.clock = self.launch.clock
        self.status.profile = self.profile.name if self.config.profiles else ""
        self._show_window_bar()
        self._install_terminal_watchdog()
        for warning in self.config.warnings:  # printed to stderr too, hidden by the screen
            self.notify(warning, title="Config", severity="warning", timeout=20)
        if self.launch.prepare is None and not self.profile.configured:
            from spendtui.tui.screens.welcome import WelcomeScreen  # (rich.markdown: only on a first run)

            self.push_screen(
                WelcomeScreen(str(self.config.path or "~/.config/spendtui/config.yaml")), self._welcome_done
            )
            return
        self._start()

    def _welcome_done(self, choice: str | None) -> None:
        if choice == "demo" and self.launch.demo_factory is not None:
            demo = self.launch.demo_factory()
            self.launch.prepare, self.launch.cleanup = demo.prepare, demo.cleanup
            self.launch.source_label = demo.source_label
            self.config = demo.config
            self._start()
        else:
            self.exit(0)

    def _source_label(self) -> str:
        if self.launch.source_label:
            return self.launch.source_label
        return mask_url(self.profile.database_url or self.profile.proxy_url or "")

    def _start(self) -> None:
        self.status.source = self._source_label()
        self.status.loading = "loading"
        if self._applied is None:  # (the first start, or a profile switch)
            self.query_one("#panes").display = False
            self.query_one(StartupPanel).display = True
        self._startup_step("Loading spend from " + self.status.source)
        self._run_engine("load")

    def _startup_step(self, text: str, detail: str = "") -> None:
        """Say what the start is doing, while there is no data to show."""
        if self._applied is None:
            self.query_one(StartupPanel).step(text, detail)

    def on_ready(self) -> None:
        """The first frame is on the screen: now the panes not shown in it."""
        self.timings.setdefault("first_frame", time.time())
        self.call_after_refresh(self._mount_other_panes)

    # ------------------------------------------------------------------ drawing
    def _show_window_bar(self, snap: Snapshot | None = None) -> None:
        today = self.launch.clock().date()
        summary = ""
        if snap is not None and snap.kpis is not None:
            from spendtui.dashboard import format as fmt

            summary = f"· {fmt.money(snap.kpis.window.spend)} · {fmt.count(snap.kpis.window.requests)} req"
        if snap is not None:
            self.filter_labels.update({(d, v): label for d, v, label in snap.filter_labels})
        chips = [
            (d, self.filter_labels.get((d, v)) or _masked(d, v))
            for d, values in self.state.filters.items()
            for v in sorted(values)
        ]
        self.query_one(WindowBar).show(self.state.window_parts(today), chips, summary)

    def _draw(self, snap: Snapshot) -> None:
        if not self._panes_mounted:  # drawn once they are (_mount_other_panes)
            return
        self._show_window_bar(snap)
        self.query_one(StartupPanel).display = False
        self.status.extra = "; ".join(filter(None, (snap.source_note, *snap.quality)))
        refused = snap.refusal or (snap.table is not None and snap.table.refusal)
        self.query_one(NoticeBar).show(snap.notices, "(w changes the window, x clears filters)" if refused else "")
        self.query_one("#panes").display = snap.refusal is None
        if snap.kpis is None:  # nothing exact to show: the notice says why
            if self._drill is not None and snap.refusal:
                self._drill.show_refusal(snap.refusal)
            return
        self.status.requests = snap.kpis.window.requests
        pane = self.state.pane
        if pane == "overview":
            self.query_one(Overview).show(snap)
        elif pane in TABLE_PANES and snap.table is not None:
            self.query_one(f"#table-{pane}", BreakdownTable).show(snap.table)
            if pane == "tags":
                self._show_categories(snap.table.categories)
        elif pane == "charts" and snap.chart is not None:
            chart = snap.chart
            split = "model" if chart.split == "model" else "tag"
            self.query_one("#chart-daily", SpendChart).daily(
                f"Daily spend by {split} (top {len(chart.stacks)}; g switches)", chart.days, chart.stacks
            )
            self.query_one("#chart-hourly", SpendChart).hourly("Spend by hour today", chart.hours)
        elif pane == "tail" and snap.tail is not None:
            self.query_one(TailTable).show(snap.tail)
        elif pane == "budgets":
            self.query_one(BudgetsPane).show(snap.budgets, self.state.budget_kind)
        if self._drill is not None and snap.drill is not None:
            self._drill.show(snap.drill, snap.window_label)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """A dialog opens: budget popups still on screen would cover its fields and
        buttons (the Budgets pane lists what they said). Other messages stay."""
        if isinstance(screen, ModalScreen):
            for popup in [n for n in self._notifications if n.title in self.popups.titles]:
                self._unnotify(popup)  # (textual 8.2.8, pinned: no public API for one)
        return super().push_screen(screen, *args, **kwargs)

    # ------------------------------------------------------------------ profiles
    def action_pick_profile(self) -> None:
        if not self.config.profiles:
            self.notify("no profiles in the config file", severity="warning", timeout=3)
            return
        choices = [
            (name, f"{name}  {mask_url(p.database_url or p.proxy_url or '')}")
            for name, p in self.config.profiles.items()
        ]
        self.push_screen(
            ChoiceDialog("Switch profile", choices, self.profile.name),
            lambda name: self.switch_profile(name) if name else None,
        )

    def switch_profile(self, name: str) -> None:
        try:
            config = self.config.with_profile(name)
        except SpendtuiError as exc:
            self.notify(str(exc), severity="error")
            return
        if not config.active.configured:
            self.notify(f"profile {name} has no database_url or proxy_url", severity="error")
            return
        self.config = config
        self.profile = config.active
        self.status.profile = name
        self._applied = None
        self._budgets = None
        self._version += 1
        self._close_engine_then_load()

    @work(thread=True, group="engine", exit_on_error=False)
    def _close_engine_then_load(self) -> None:
        with self._lock, self._io_lock:
            if self.engine is not None:
                self.engine.close()
                self.engine = None
        self.call_from_thread(self._start)

    # ------------------------------------------------------------------ help, quit, terminal loss
    def action_help(self) -> None:
        from spendtui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def _install_terminal_watchdog(self) -> None:
        """Exit when the terminal goes away (SSH drop): SIGHUP, or stdin no longer a tty."""
        try:
            import asyncio

            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit, 0)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
        if sys.__stdin__ is not None and sys.__stdin__.isatty():
            self.set_interval(2.0, self._check_terminal)

    def _check_terminal(self) -> None:
        try:
            alive = os.isatty(sys.__stdin__.fileno()) if sys.__stdin__ else False
        except (OSError, ValueError):
            alive = False
        if not alive:
            self.exit(0)

    async def action_quit(self) -> None:
        self.exit(0)

    def _fatal_error(self) -> None:
        """A crash report without local variables: Textual's default prints locals, which
        can hold the admin key or a database password."""
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        report = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(Segments(self.console.render(report, self.console.options)))
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        self._stopping = True
        # not the I/O lock: a poll hung on a slow proxy is cancelled by close() rather
        # than waited for (the engine lock is never held across the network)
        with self._lock:
            if self.engine is not None:
                self.engine.close()
        if self.launch.cleanup is not None:
            self.launch.cleanup()


def _masked(dimension: str, value: str) -> str:
    """A filter value whose name is not known yet: never a key's whole hash."""
    if not value:
        return "(none)"
    return f"…{value[-8:]}" if dimension == "key" and len(value) > 16 else value


def _pane_widgets(pane: str) -> list[Widget]:
    """The widgets of one pane (a fresh set for each call)."""
    if pane == "overview":
        return [Overview()]
    if pane in TABLE_PANES:
        widgets: list[Widget] = [Static(id="tag-categories")] if pane == "tags" else []
        search = EditInput(placeholder="search (escape closes)", id=f"search-{pane}", classes="search")
        return [*widgets, BreakdownTable(id=f"table-{pane}", budgets=pane in BUDGET_COLUMN_PANES), search]
    if pane == "charts":
        return [SpendChart(id="chart-daily"), SpendChart(id="chart-hourly")]
    if pane == "tail":
        return [TailTable(id="tail-table")]
    return [BudgetsPane()]


class Pane(TabPane):
    """A tab pane that brings itself forward for focus only while it is shown: a focus
    event still queued from a pane left since (keys typed in a burst) must not switch back."""

    def _on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if not self.display:
            event.prevent_default()
