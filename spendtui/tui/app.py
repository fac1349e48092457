"""SpendApp: the live dashboard.

The app holds what is Textual's: the layout, the bindings, the workers and the messages
they send back. The data side is a ``DashboardSession`` (dashboard/session.py, no
Textual); the app's collaborators each own their part of the UI state: ``PollLoop``
(when steps run), ``Painter`` (what is drawn), ``ViewControl`` and ``KeyControl`` (what
the keys do), ``KeyHold`` (keys typed ahead). The ``action_*`` methods only hand each
binding on to them.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from asyncio import gather
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input, TabbedContent, TabPane

from spendtui.config import Config, Profile
from spendtui.dashboard.model import Snapshot
from spendtui.dashboard.popups import PopupPacer
from spendtui.dashboard.session import DashboardSession, Mode, Progress, SessionSetup
from spendtui.dashboard.state import ENTITY_PANE, PANE_KEYS, PANES, ViewState
from spendtui.sources.db.urls import mask_url
from spendtui.tui.commands import SpendCommands
from spendtui.tui.key_control import KeyControl
from spendtui.tui.key_hold import KeyHold
from spendtui.tui.launch import Launch
from spendtui.tui.painter import Painter
from spendtui.tui.panes import Pane, pane_widgets
from spendtui.tui.poll_loop import PollLoop, SessionReport, StepDone
from spendtui.tui.source_control import SourceControl
from spendtui.tui.tabs import PANE_TITLES, PaneTabs
from spendtui.tui.view_control import ViewControl
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.keybar import KeyBar
from spendtui.tui.widgets.startup import StartupPanel
from spendtui.tui.widgets.status import NoticeBar, StatusBar, WindowBar

if TYPE_CHECKING:
    from spendtui.engine import SpendEngine
    from spendtui.keys.spec import KeySpec
    from spendtui.tui.screens.keys import NewKeyScreen

PANE_GROUP = Binding.Group("Panes", compact=True)


class SpendApp(App[int]):
    """The dashboard. Build it with a Launch (the CLI does; so do the tests)."""

    CSS_PATH = "app.tcss"
    TITLE = "spendtui"
    COMMANDS = App.COMMANDS | {SpendCommands}
    BINDINGS = [
        *[
            Binding(
                "dollar_sign" if key == "$" else key,
                f"pane('{pane}')",
                PANE_TITLES[pane][2:],
                id=f"pane-{pane}",
                group=PANE_GROUP,
                key_display=key,
            )
            for pane, key in PANE_KEYS.items()
        ],
        Binding("w", "next_window", "Window"),
        Binding("W", "custom_window", "Dates", show=False),
        Binding("f", "filter_selected", "Filter"),
        Binding("F", "pick_filter", "Filter…", show=False),
        Binding("x", "clear_filters", "Clear", show=False),
        Binding("slash", "search", "Search"),
        Binding("c", "tag_category", "Category / Entity", show=False),
        Binding("C", "pick_tag_category", "Pick category / entity", show=False),
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
        self.state: ViewState = replace(launch.state)
        #: Counts view changes: a snapshot of an older view is not drawn.
        self.version = 0
        #: The snapshot on screen.
        self.applied: Snapshot | None = None
        self.session = self._new_session()
        self.polls = PollLoop(self, launch.refresh, launch.autopoll)
        self.painter = Painter(self)
        self.views = ViewControl(self)
        self.keys = KeyControl(self)
        self.sources = SourceControl(self)
        self.hold = KeyHold(self)
        #: Budget crossings become at most one popup every few seconds (popups.py).
        self.popups = PopupPacer()
        #: Wall-clock moments of the first frame and the first data on screen, and the
        #: UI-thread seconds spent applying each snapshot (read by benchmarks/tui.py).
        self.timings: dict[str, float] = {}
        self.apply_seconds: deque[float] = deque(maxlen=1000)
        #: The pane whose widgets are composed for the first frame; the others' widgets
        #: are mounted right after it.
        self._first_pane = self.state.pane
        self.panes_mounted = False

    def _new_session(self) -> DashboardSession:
        launch = self.launch
        setup = SessionSetup(
            launch.config,
            launch.clock,
            launch.engine_factory,
            prepare=launch.prepare,
            report=self._report,
        )
        return DashboardSession(setup)

    def _report(self, progress: Progress) -> None:
        """(worker thread) Progress of a session step, handed to the UI thread."""
        self.post_message(SessionReport(progress))

    # ------------------------------------------------------------------ what the session holds
    @property
    def engine(self) -> SpendEngine | None:
        return self.session.engine

    @property
    def profile(self) -> Profile:
        return self.session.profile

    @profile.setter
    def profile(self, profile: Profile) -> None:
        self.session.profile = profile

    @property
    def config(self) -> Config:
        return self.session.config

    @property
    def interval(self) -> float:
        return self.polls.interval

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield WindowBar(id="window-bar")
        yield NoticeBar(id="notice")
        with PaneTabs(initial=self._first_pane, id="panes"):
            for pane in PANES:
                with Pane(PANE_TITLES[pane], id=pane):
                    if pane == self._first_pane:
                        yield from pane_widgets(pane)
        yield StartupPanel(id="startup")
        yield StatusBar(id="status")
        yield KeyBar()

    async def _mount_other_panes(self) -> None:
        """Mount the widgets of the panes not shown first, then run what waited for them:
        the actions of keys typed ahead, and the drawing of data that came first."""
        await gather(
            *(
                self.query_one(f"#{pane}", TabPane).mount_all(pane_widgets(pane))
                for pane in PANES
                if pane != self._first_pane
            )
        )
        self.panes_mounted = True
        if self.state.pane != self._first_pane:  # a tab was clicked meanwhile
            self.views.focus_pane(self.state.pane)
        if self.applied is not None:
            self.painter.draw(self.applied)
        self.call_later(self.hold.release)  # (see key_hold.py)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    def on_mount(self) -> None:
        self.query_one("#panes").display = False  # the start-up panel until there is data
        self.query_one(PaneTabs).title_tabs(self.state.pane, self.state.entity)
        self.status.interval = self.interval
        self.status.clock = self.launch.clock
        self.status.profile = self.profile.name if self.config.profiles else ""
        self.painter.window_bar()
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
            self.launch.source_label, self.launch.key_target = demo.source_label, demo.key_target
            self.launch.config = demo.config
            self.session = self._new_session()
            self._start()
        else:
            self.exit(0)

    def source_label(self) -> str:
        if self.launch.source_label:
            return self.launch.source_label
        return mask_url(self.profile.database_url or self.profile.proxy_url or "")

    def _start(self) -> None:
        self.status.source = self.source_label()
        self.status.busy = "loading"
        if self.applied is None:  # (the first start, or a profile switch)
            self.painter.startup()
        self.painter.startup_step("Loading spend from " + self.status.source)
        self.polls.run(Mode.LOAD)

    def on_ready(self) -> None:
        """The first frame is on the screen: now the panes not shown in it."""
        self.timings.setdefault("first_frame", time.time())
        self.call_after_refresh(self._mount_other_panes)

    # ------------------------------------------------------------------ session steps
    # (named handlers, not @on: Textual only collects @on handlers from widget classes)
    def on_step_done(self, message: StepDone) -> None:
        if self.is_running:  # (shutting down: the screens are gone already)
            self.polls.done(message.result)

    def on_session_report(self, message: SessionReport) -> None:
        if self.is_running:
            self.polls.reported(message.progress)

    def recompute(self) -> None:
        """The view changed: build a new snapshot (no poll)."""
        self.version += 1
        self.painter.window_bar()
        if self.engine is not None:
            self.polls.run(Mode.VIEW)

    # ------------------------------------------------------------------ keys typed ahead
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and self.hold.hold(event):
            return
        await super().on_event(event)

    # ------------------------------------------------------------------ bindings, handed on
    def action_pane(self, pane: str) -> None:
        self.views.pane(pane)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or "overview"
        if pane == event.tabbed_content.active:  # else stale: another pane was chosen since
            self.views.show_pane(pane)

    def action_next_window(self) -> None:
        self.views.next_window()

    def action_custom_window(self) -> None:
        self.views.custom_window()

    def set_window(self, window: str) -> None:
        self.views.set_window(window)

    def action_filter_selected(self) -> None:
        self.views.filter_selected()

    def action_pick_filter(self) -> None:
        self.views.pick_filter()

    def action_clear_filters(self) -> None:
        self.views.clear_filters()

    def action_search(self) -> None:
        self.views.search()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.views.search_changed(event)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.views.search_submitted(event)

    def on_key(self, event: events.Key) -> None:
        self.views.search_key(event)

    def action_tag_category(self) -> None:
        self.views.tag_category()

    def action_pick_tag_category(self) -> None:
        self.views.pick_tag_category()

    def action_pick_entity(self) -> None:
        """(the command palette) The Entities pane, and its entity picker."""
        self.views.pane(ENTITY_PANE)
        self.views.pick_entity()

    def action_chart_split(self) -> None:
        self.views.chart_split()

    def action_toggle_follow(self) -> None:
        self.views.toggle_follow()

    def on_breakdown_table_drill(self, event: BreakdownTable.Drill) -> None:
        self.views.open_drill(event)

    def action_export(self) -> None:
        self.views.export()

    def action_refresh_now(self) -> None:
        self.polls.refresh_now()

    def action_toggle_pause(self) -> None:
        self.status.paused = self.polls.toggle_pause()

    def action_interval(self, step: int) -> None:
        self.status.interval = self.polls.change_interval(step)
        self.status.clock = self.launch.clock

    def action_new_key(self) -> None:
        self.keys.new_key()

    def create_key(self, spec: KeySpec, form: NewKeyScreen) -> None:
        """The new-key form's submit."""
        self.keys.create(spec, form)

    def action_edit_budget(self) -> None:
        self.keys.edit_budget()

    def action_block_key(self, blocked: bool) -> None:
        self.keys.block(blocked)

    def action_delete_key(self) -> None:
        self.keys.delete()

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """A dialog opens: budget popups still on screen would cover its fields and
        buttons (the Budgets pane lists what they said). Other messages stay."""
        if isinstance(screen, ModalScreen):
            for popup in [n for n in self._notifications if n.title in self.popups.titles]:
                self._unnotify(popup)  # (textual 8.2.8, pinned: no public API for one)
        return super().push_screen(screen, *args, **kwargs)

    # ------------------------------------------------------------------ profiles
    def action_pick_profile(self) -> None:
        self.sources.pick_profile()

    def switch_profile(self, name: str) -> None:
        self.sources.switch_profile(name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """On the "My key" screen only its own keys (r, q) and help work: the dashboard's
        panes, filters and key writes have nothing to act on (and leave the footer)."""
        from spendtui.tui.screens.my_key import MyKeyScreen

        if isinstance(self.screen, MyKeyScreen) and action not in ("quit", "help", "command_palette"):
            return False
        return True

    def open_my_key(self) -> None:
        self.sources.open_my_key()

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
        self.session.close()
        if self.launch.cleanup is not None:
            self.launch.cleanup()
