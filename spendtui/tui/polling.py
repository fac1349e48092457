"""The engine work mixed into SpendApp: loads, polls, budget checks, refresh control.

Data work happens in thread workers that take the engine lock (the engine is not
thread-safe); the UI thread only applies immutable snapshots. Polls never overlap: the
next one is armed when the previous one finishes, backing off after errors.

A poll's network part (``SpendEngine.fetch``) runs outside the engine lock, under the
I/O lock that loads also take: a slow or hung source delays the next figures, never a
view change (a pane, window or filter is drawn from the cube at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.screen import ModalScreen

from spendtui.dashboard.model import Snapshot
from spendtui.dashboard.state import ViewState
from spendtui.errors import SpendtuiError
from spendtui.tui.widgets.startup import StartupPanel

if TYPE_CHECKING:
    from spendtui.budgets.monitor import BudgetMonitor
    from spendtui.engine import Fetched
    from spendtui.tui.app import SpendApp

    _Base = SpendApp
else:
    _Base = object


#: Rebuild the snapshot at least this often even when no rows arrive (burn rates decay,
#: the day rolls over).
RECOMPUTE_EVERY = 30.0
MAX_BACKOFF = 60.0


@dataclass
class SnapshotReady(Message):
    snapshot: Snapshot
    rows: int
    polled: bool
    #: Budget thresholds crossed since the last evaluation: (level, text).
    alerts: tuple[tuple[str, str], ...] = ()


@dataclass
class EngineFailed(Message):
    error: str
    polled: bool
    #: Whether trying again later may help (``SourceError.transient``): else polls stop
    #: until the user presses r.
    transient: bool = True


@dataclass
class UiCall(Message):
    """Something the engine worker hands to the UI thread without waiting for it."""

    callback: Callable[[], object]


class Polling(_Base):
    """Mixed into SpendApp: the engine worker, the snapshots it sends, and when it runs next."""

    # ------------------------------------------------------------------ engine work
    @work(thread=True, group="engine", exit_on_error=False)
    def _run_engine(self, mode: str) -> None:
        """Load, poll or just rebuild the snapshot, under the engine lock (a poll's
        network part before it, under the I/O lock only)."""
        version = self._version
        state = self.state
        polled = mode == "poll"
        rows = 0
        fetched: Fetched | None = None
        engine = self.engine
        try:
            if polled and engine is not None and engine.first_day is not None:
                deep, self._deep_next = self._deep_next, False
                try:
                    with self._io_lock:
                        if self._stopping or engine is not self.engine:
                            return
                        fetched = engine.fetch(deep=True if deep else None)
                        budgets = self._budgets
                        if budgets is not None and budgets.read_due():
                            budgets.read(engine.source)  # LiteLLM's budget rows, also off the lock
                except SpendtuiError:
                    if self._stopping or engine is not self.engine:
                        return  # the profile was switched meanwhile: not this one's error
                    raise
            with self._lock:
                if self._stopping:
                    return
                if self.engine is None or mode == "load":
                    with self._io_lock:
                        self._load_locked(state)
                    rows = -1
                else:
                    first = self.engine.first_day
                    needed = state.first_day_needed(self.engine.now().date())
                    if self._budgets is not None:  # the plans' current periods
                        needed = min(needed, self._budgets.first_day(self.engine.now()))
                    if first is None or needed < first:
                        with self._io_lock:
                            self.engine.ensure_loaded(needed)
                    if mode == "extend":
                        rows = -2
                    elif self.engine.first_day != first:
                        rows = -3  # reloaded further back: draw it
                    if self.engine.followups_pending:  # a load's checks, left until its data was drawn
                        with self._io_lock:
                            self.engine.run_followups()
                        rows = rows or -3
                    if fetched is not None and self.engine is engine:
                        # (a reload above drops what was fetched before it: still draw it)
                        rows = self.engine.absorb(fetched).rows or rows
                alerts = self._evaluate_budgets(rows)
                stale_view = self._applied is None or self._applied.version != version
                due = time.monotonic() - self._last_snapshot_at >= RECOMPUTE_EVERY
                if rows == 0 and not stale_view and not due and alerts is None:
                    self.post_message(SnapshotReady(self._applied, 0, polled))  # type: ignore[arg-type]
                    return
                from spendtui.dashboard import snapshot

                assert self.engine is not None
                snap = snapshot.build(self.engine, state, version, self.engine.now(), self._budgets)
                self._last_snapshot_at = time.monotonic()
        except SpendtuiError as exc:
            self.post_message(EngineFailed(str(exc), polled, getattr(exc, "transient", False)))
            return
        except Exception as exc:  # a bug must not take the dashboard down
            self.post_message(EngineFailed(f"internal error: {type(exc).__name__}: {exc}", polled))
            return
        self.post_message(SnapshotReady(snap, rows, polled, alerts or ()))

    def _tell_ui(self, callback: Callable[..., object], *args: object, **kwargs: object) -> None:
        """Run ``callback`` on the UI thread, without waiting: the worker holds the engine
        lock here, which the UI thread takes when it unmounts (``call_from_thread``, which
        waits, deadlocked a quit that came during a load)."""
        self.post_message(UiCall(partial(callback, *args, **kwargs)))

    def on_ui_call(self, message: UiCall) -> None:
        message.callback()

    def _load_locked(self, state: ViewState) -> None:
        """Create the engine if needed and cold-load the view's window (both locks held)."""
        if self.launch.prepare is not None:
            self._tell_ui(setattr, self.status, "loading", "generating demo data")
            self._tell_ui(
                self._startup_step,
                "Generating the demo database",
                "45 days of simulated LiteLLM traffic: keys, teams, users, customers, tags and budgets. "
                "This takes a few seconds, once.",
            )
            self.profile = self.launch.prepare()
            self.launch.prepare = None
            self._tell_ui(setattr, self.status, "source", self._source_label())
            self._tell_ui(self._startup_step, "Loading spend from " + self._source_label())
        if self.engine is None:
            self.engine = self.launch.engine_factory(self.profile, self.launch.clock)
            self.engine.defer_followups = True  # run by the next step, after the data is drawn
            self._budgets = self._budget_monitor()
        self._tell_ui(setattr, self.status, "loading", "loading")
        # the window first (data on screen sooner); the previous period, for the change
        # columns, is loaded right after ("extend")
        self.engine.load(state.window_for(self.engine.now().date()).first_day)
        if self.engine.cache is not None and self.engine.cache.status:
            self._tell_ui(self._cache_note, self.engine.cache.status)

    def _budget_monitor(self) -> BudgetMonitor | None:
        """The budget watch for the active profile (None when its settings are unusable:
        said once, and the rest of the dashboard works)."""
        from spendtui.budgets.board import profile_zone
        from spendtui.budgets.config import budget_settings
        from spendtui.budgets.monitor import BudgetMonitor

        try:
            tz = profile_zone(self.profile.name, self.profile.timezone)
            return BudgetMonitor(budget_settings(self.config), tz)
        except SpendtuiError as exc:
            self._tell_ui(self.notify, str(exc), title="Budgets off", severity="error", timeout=10)
            return None

    def _evaluate_budgets(self, rows: int) -> tuple[tuple[str, str], ...] | None:
        """Evaluate the budgets (under the engine lock) when the spend changed or the
        periodic check (which also re-reads LiteLLM's counters) is due; None when not
        evaluated, so an idle poll costs nothing. Not on the first load: the data goes on
        screen first."""
        if self._budgets is None or self.engine is None or rows == -1:
            return None
        if rows == 0 and self._budgets.board is not None and not self._budgets.evaluation_due():
            return None
        from spendtui.core.alerts import highest_per_budget
        from spendtui.dashboard.budgets import crossing_text

        # LiteLLM's budget rows are re-read by polls, outside the engine lock; here only
        # the first time (or after a key change), and never while a poll reads the source
        free = self._io_lock.acquire(blocking=False)
        try:
            crossings = self._budgets.evaluate(self.engine, read=free and self._budgets.never_read())
        finally:
            if free:
                self._io_lock.release()
        return tuple(crossing_text(c) for c in highest_per_budget(crossings))

    def _cache_note(self, status: str) -> None:
        """Say what the cube cache did at start (nothing on a plain first run)."""
        if not status.startswith("no cube cache yet"):
            self.notify(status, title="Cube cache", timeout=5)

    # (named handlers, not @on: Textual only collects @on handlers from widget classes)
    def on_snapshot_ready(self, message: SnapshotReady) -> None:
        if not self.is_running:  # shutting down: the screens are gone already
            return
        started = time.perf_counter()
        self._apply(message)
        self.apply_seconds.append(time.perf_counter() - started)
        if message.rows == -1:
            self.timings.setdefault("first_data", time.time())

    def _apply(self, message: SnapshotReady) -> None:
        if message.alerts:
            self.popups.add(message.alerts)
            self._show_popup()
        self.status.loading = ""
        # only a snapshot that read the source (a poll, a load) says the source is fine: a
        # view change during an outage is drawn from the cube and must keep it STALE
        if message.polled or message.rows < 0:
            self.status.mark_ok()
            if self._failures:
                self.notify("source is back", timeout=3)
            self._failures = 0
        snap = message.snapshot
        if snap is not self._applied and snap.version == self._version:
            self._applied = snap
            self._draw(snap)
        if message.rows == -1:
            self._run_engine("extend")
        elif message.polled or message.rows == -2:
            self._arm_poll()

    def _show_popup(self) -> None:
        """The pending budget crossings as one popup, when the pacer allows; else later.
        Not over a dialog (it covered the new key's Copy button at 80x24): after it."""
        now = time.monotonic()
        dialog = isinstance(self.screen, ModalScreen)
        popup = None if dialog else self.popups.take(now)
        if popup is not None:
            self.notify(popup.text, title=popup.title, severity=popup.severity, timeout=8)  # type: ignore[arg-type]
        wait = self.popups.wait(now)
        if wait is not None and dialog:
            wait = max(wait, 1.0)
        if wait is not None and self._popup_timer is None:

            def due() -> None:
                self._popup_timer = None
                self._show_popup()

            self._popup_timer = self.set_timer(wait, due)

    def on_engine_failed(self, message: EngineFailed) -> None:
        if not self.is_running:  # shutting down: the screens are gone already
            return
        self.status.loading = ""
        first = self._failures == 0
        self._failures += 1
        self.status.mark_failed(message.error)
        if first and self._applied is not None:  # (without data the start-up panel says it)
            self.notify(message.error, title="Source error", severity="error", timeout=8)
        # keep the poll loop alive: a failed poll or first load re-arms it, and so does
        # any other failure while no poll is pending or running (the previous period's
        # load right after the first data fails before the first poll is armed). A source
        # that never gave data, with an error waiting cannot mend (a file that is no
        # database, a refused key), waits for r instead of retrying forever; one that
        # worked before may come back (a migration renames a table for a moment).
        hopeless = not message.transient and self._applied is None
        idle = self._poll_timer is None and not self._polling
        if hopeless:
            self._polling = False
        elif message.polled or self._applied is None or idle:
            self._arm_poll()
        if self._applied is None:
            self.query_one(StartupPanel).failed(self._source_label(), message.error, self._retry_text(message))

    def _retry_text(self, message: EngineFailed) -> str:
        """What happens next, for a source that never gave data."""
        if not message.transient:
            return "Waiting will not fix this: fix the source, then press r to try again (q quits)."
        if self._paused or not self.launch.autopoll:
            return "Press r to try again (q quits)."
        delay = min(MAX_BACKOFF, self.interval * 2**self._failures)
        return f"Trying again in {delay:g} s, then less often (r tries now, q quits)."

    def _arm_poll(self) -> None:
        """Schedule the next poll (never two in flight), backing off after failures."""
        self._polling = False
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        if self._paused or not self.launch.autopoll or self._stopping:
            return
        delay = self.interval if not self._failures else min(MAX_BACKOFF, self.interval * 2**self._failures)
        self._poll_timer = self.set_timer(delay, self._poll)

    def _poll(self, asked: bool = False) -> None:
        """Run a poll (never two at once); while paused only when ``asked`` (r)."""
        self._poll_timer = None
        if self._polling or (self._paused and not asked):
            return
        self._polling = True
        self._run_engine("poll" if self.engine is not None else "load")

    def recompute(self) -> None:
        """The view changed: build a new snapshot (no poll)."""
        self._version += 1
        self._show_window_bar()
        if self.engine is not None:
            self._run_engine("view")

    # ------------------------------------------------------------------ refresh control
    def action_refresh_now(self) -> None:
        """Poll now, looking far back for rows the proxy wrote late (a deep poll); also
        while paused (once: it stays paused)."""
        if self._polling:
            return
        self._deep_next = True
        if self._budgets is not None:
            self._budgets.invalidate()  # LiteLLM's budget counters too
        if self._poll_timer is not None:
            self._poll_timer.stop()
        self._poll(asked=True)

    def action_toggle_pause(self) -> None:
        self._paused = not self._paused
        self.status.paused = self._paused
        if self._paused:
            if self._poll_timer is not None:
                self._poll_timer.stop()
                self._poll_timer = None
        elif not self._polling:
            self._arm_poll()

    def action_interval(self, step: int) -> None:
        self.interval = max(1.0, self.interval + step)
        self.status.interval = self.interval
        self.status.clock = self.launch.clock
        if not self._polling and not self._paused:
            self._arm_poll()
