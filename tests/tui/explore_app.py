"""The exploration test's world: the real dashboard on a live demo database, watched.

``WatchedApp`` is SpendApp itself plus three observers that change nothing: a failed engine
step, a worker that died with an exception (``exit_on_error=False`` workers otherwise fail
silently) and every error notification are recorded, so the explorer can fail on them.
``Traffic`` is the demo simulator (spendtui.demo.simulator), stoppable for SQL checks and
restartable with a fresh seed (a stopped Simulator cannot start again).
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App
from textual.geometry import Region
from textual.widget import Widget
from textual.worker import Worker, WorkerState

import spendtui.tui.app
from spendtui.config import Config, Profile
from spendtui.dashboard.session import Failure, uncached_engine_factory
from spendtui.dashboard.state import ViewState
from spendtui.demo.simulator import Simulator
from spendtui.demo.world import DemoWorld
from spendtui.timeutil import system_clock
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from spendtui.tui.poll_loop import StepDone


@dataclass
class Problem:
    """Something the app reported that a user would see as a failure."""

    kind: str
    text: str
    step: int


@dataclass
class Watch:
    """What the observers saw; ``step`` is set by the explorer before each action."""

    step: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[tuple[int, str, str, str]] = field(default_factory=list)


class WatchedApp(SpendApp):
    """SpendApp with observers. Textual calls a message handler of every class in the MRO,
    so the handlers here run in addition to SpendApp's (they must not call super)."""

    #: (a relative CSS_PATH is found next to the class's module: this one is in tests/)
    CSS_PATH = str(Path(spendtui.tui.app.__file__).with_name("app.tcss"))

    def __init__(self, launch: Launch) -> None:
        super().__init__(launch)
        self.watch = Watch()

    def on_step_done(self, message: StepDone) -> None:
        if isinstance(message.result, Failure):
            self.watch.problems.append(Problem("engine step failed", message.result.error, self.watch.step))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            text = "".join(traceback.format_exception(error)) if isinstance(error, BaseException) else repr(error)
            self.watch.problems.append(Problem(f"worker {event.worker.name!r} raised", text, self.watch.step))

    def notify(self, message: str, *, title: str = "", severity: Any = "information", **kwargs: Any) -> None:
        self.watch.notices.append((self.watch.step, str(severity), title, str(message)))
        super().notify(message, title=title, severity=severity, **kwargs)


def explore_app(db: Path, refresh: float = 1.0) -> WatchedApp:
    """The dashboard as ``spendtui --demo`` builds it (writes allowed: the database is a
    throwaway), but on ``db`` and polling on its own with the real clock."""
    profile = Profile(name="demo", database_url=f"sqlite:///{db}", allow_db_writes=True)
    config = Config(path=None, profiles={}, active=profile)
    launch = Launch(
        config=config,
        clock=system_clock,
        state=ViewState(),
        refresh=refresh,
        autopoll=True,
        engine_factory=uncached_engine_factory,
        source_label=f"demo database {db.name}, simulated traffic",
    )
    return WatchedApp(launch)


class Traffic:
    """The demo's simulated proxy traffic, stoppable and restartable."""

    def __init__(self, db: Path, world: DemoWorld, rate: float, seed: int) -> None:
        self.db, self.world, self.rate, self.seed = db, world, rate, seed
        self._sim: Simulator | None = None
        self._runs = 0
        self.written = 0

    @property
    def running(self) -> bool:
        return self._sim is not None

    def start(self) -> None:
        if self._sim is not None:
            return
        self._runs += 1
        # a new seed each run: the same one would write the same request ids again
        self._sim = Simulator(self.db, world=self.world, rate=self.rate, seed=self.seed * 1000 + self._runs)
        self._sim.start(interval=0.25)

    def stop(self) -> None:
        if self._sim is not None:
            self._sim.stop()  # joins the writer thread: nothing is written after this
            self.written += self._sim.written
            self._sim = None


# ---------------------------------------------------------------------- reading the screen
def screen_lines(app: App[Any]) -> list[str]:
    """The text of the terminal as drawn now (the screen on top, with what shows through)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def region_text(app: App[Any], region: Region) -> str:
    """The text the terminal shows inside ``region``."""
    lines = screen_lines(app)[region.y : region.y + region.height]
    return "\n".join(line[region.x : region.x + region.width] for line in lines)


def widget_text(widget: Widget) -> str:
    """What a Static/Label holds, as plain text."""
    return str(widget.render())
