"""The dashboard's session steps (``dashboard/session.py``): when they run, and what the
screen does with what comes back.

A step runs in a thread worker and comes back to the UI thread as a ``StepDone`` message
(``SessionReport`` for progress said while it runs). Polls never overlap: the next one
is armed when the previous one is done, backing off after errors. What each step means
(load, extend, poll, a view change) is the session's business; this schedules them,
keeps the status bar's word on the source, and hands snapshots to the painter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from spendtui.dashboard.session import Failure, Mode, Progress, Step, Update

if TYPE_CHECKING:
    from textual.timer import Timer

    from spendtui.tui.app import SpendApp

MAX_BACKOFF = 60.0


@dataclass
class StepDone(Message):
    """A session step finished (in a worker thread)."""

    result: Update | Failure


@dataclass
class SessionReport(Message):
    """Progress a session step reported while it ran (in a worker thread)."""

    progress: Progress


class PollLoop:
    """The dashboard's refresh control: the steps it starts and what it does with their
    results, the poll timer, pause, interval and back-off."""

    def __init__(self, app: SpendApp, interval: float, autopoll: bool) -> None:
        self.app = app
        self.interval = max(1.0, interval)
        #: Polls are armed by themselves (tests may drive them by hand).
        self.autopoll = autopoll
        self.paused = False
        #: Failed steps in a row (the back-off).
        self.failures = 0
        #: A poll is running.
        self.polling = False
        self.timer: Timer | None = None

    def run(self, mode: Mode) -> None:
        """One session step in a worker; its result comes back as ``StepDone``."""
        app = self.app
        session, state, version = app.session, app.state, app.version

        def step() -> None:
            result = session.step(mode, state, version)
            if result is not None:
                app.post_message(StepDone(result))

        app.run_worker(step, thread=True, group="engine", exit_on_error=False)

    def _after(self, result: Update | Failure) -> None:
        """What follows a step: the previous period after the first data, then polls."""
        if isinstance(result, Update):
            if result.step is Step.LOADED:
                self.run(Mode.EXTEND)
            elif result.mode is Mode.POLL or result.step is Step.EXTENDED:
                self.arm()
            if result.step is not Step.LOADED and result.snapshot.reads_pending:
                self.run(Mode.VIEW)  # a pane waits for latency or the audit: the next step reads it
            return
        self.failures += 1
        # keep the poll loop alive: a failed poll or first load re-arms it, and so does
        # any other failure while no poll is pending or running (the previous period's
        # load right after the first data fails before the first poll is armed). A source
        # that never gave data, with an error waiting cannot mend (a file that is no
        # database, a refused key), waits for r instead of retrying forever; one that
        # worked before may come back (a migration renames a table for a moment).
        hopeless = not result.transient and self.app.applied is None
        idle = self.timer is None and not self.polling
        if hopeless:
            self.polling = False
        elif result.polled or self.app.applied is None or idle:
            self.arm()

    def next_delay(self) -> float:
        """Seconds to the next poll: the interval, doubled for each failure in a row."""
        return self.interval if not self.failures else min(MAX_BACKOFF, self.interval * 2**self.failures)

    def arm(self) -> None:
        """Schedule the next poll (never two in flight), backing off after failures."""
        self.polling = False
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        if self.paused or not self.autopoll or self.app.session.stopping:
            return
        self.timer = self.app.set_timer(self.next_delay(), self.poll)

    def poll(self, asked: bool = False) -> None:
        """Run a poll (never two at once); while paused only when ``asked`` (r)."""
        self.timer = None
        if self.polling or (self.paused and not asked):
            return
        self.polling = True
        self.run(Mode.POLL if self.app.session.engine is not None else Mode.LOAD)

    def refresh_now(self) -> None:
        """Poll now, looking far back for rows the proxy wrote late (a deep poll); also
        while paused (once: it stays paused)."""
        if self.polling:
            return
        self.app.session.ask_deep_poll()
        if self.timer is not None:
            self.timer.stop()
        self.poll(asked=True)

    def toggle_pause(self) -> bool:
        """Pause or resume; returns whether paused now."""
        self.paused = not self.paused
        if self.paused:
            if self.timer is not None:
                self.timer.stop()
                self.timer = None
        elif not self.polling:
            self.arm()
        return self.paused

    def change_interval(self, step: int) -> float:
        """The interval ``step`` seconds longer (at least 1 s); returns it."""
        self.interval = max(1.0, self.interval + step)
        if not self.polling and not self.paused:
            self.arm()
        return self.interval

    # ------------------------------------------------------------------ what comes back
    def done(self, result: Update | Failure) -> None:
        """A step finished: draw what it brought, or say what went wrong; then go on."""
        if isinstance(result, Failure):
            self._failed(result)
            return
        started = time.perf_counter()
        self._apply(result)
        self.app.apply_seconds.append(time.perf_counter() - started)
        if result.step is Step.LOADED:
            self.app.timings.setdefault("first_data", time.time())

    def _apply(self, update: Update) -> None:
        app = self.app
        if update.alerts:
            app.painter.popups(update.alerts)
        app.status.busy = ""
        # only a step that read the source (a poll, a load) says the source is fine: a
        # view change during an outage is drawn from the cube and must keep it STALE
        if update.read_source:
            app.status.mark_ok()
            if self.failures:
                app.notify("source is back", timeout=3)
            self.failures = 0
        snap = update.snapshot
        if snap is not app.applied and snap.version == app.version:
            app.applied = snap
            app.painter.draw(snap)
        self._after(update)

    def _failed(self, failure: Failure) -> None:
        app = self.app
        app.status.busy = ""
        if failure.own_key and app.applied is None:
            app.open_my_key()  # (an ordinary key: its own view instead of a refusal)
            return
        first = self.failures == 0
        app.status.mark_failed(failure.error)
        if first and app.applied is not None:  # (without data the start-up panel says it)
            app.notify(failure.error, title="Source error", severity="error", timeout=8)
        self._after(failure)
        if app.applied is None:
            app.painter.startup_failed(failure.error, self._retry_text(failure))

    def _retry_text(self, failure: Failure) -> str:
        """What happens next, for a source that never gave data."""
        if not failure.transient:
            return "Waiting will not fix this: fix the source, then press r to try again (q quits)."
        if self.paused or not self.autopoll:
            return "Press r to try again (q quits)."
        return f"Trying again in {self.next_delay():g} s, then less often (r tries now, q quits)."

    def reported(self, progress: Progress) -> None:
        """What a step said while it ran (the demo being generated, the cube cache)."""
        app = self.app
        if progress.stage == "generating":
            app.status.busy = "generating demo data"
            app.painter.startup_step(
                "Generating the demo database",
                "45 days of simulated LiteLLM traffic: keys, teams, users, customers, tags and budgets. "
                "This takes a few seconds, once.",
            )
        elif progress.stage == "source":
            app.status.source = app.source_label()
            app.painter.startup_step("Loading spend from " + app.source_label())
        elif progress.stage == "loading":
            app.status.busy = "loading"
        elif progress.stage == "cache" and not progress.text.startswith("no cube cache yet"):
            app.notify(progress.text, title="Cube cache", timeout=5)  # (nothing on a plain first run)
        elif progress.stage == "budgets-off":
            app.notify(progress.text, title="Budgets off", severity="error", timeout=10)
