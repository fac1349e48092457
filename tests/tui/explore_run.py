"""The exploration test's user: seeded random actions over every binding of the dashboard.

``Explorer.run`` picks actions with a ``random.Random(seed)``; each presses real keys
through the Pilot, as a person would, and checks what it can check at once (a dialog
opened, a bad value refused with a visible message, a key written into the database).
Every few actions the app is paused with ``p``, settled, and the screen compared with the
engine (explore_checks.check_view); every ``SQL_EVERY`` actions the traffic is stopped and
the engine compared with SQL on the file. After every action: the app must still run,
and nothing may have failed (an exception, a failed worker or engine step, an error popup).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.widgets import Input

from spendtui.dashboard.state import TABLE_PANES, WINDOWS
from spendtui.timeutil import system_clock
from spendtui.tui.widgets.breakdown import BreakdownTable
from tests.truth import Truth
from tests.tui.conftest import settle
from tests.tui.explore_actions import ViewActions
from tests.tui.explore_app import Traffic, WatchedApp, screen_lines
from tests.tui.explore_checks import ViewMismatch, check_view, expect, sql_totals_check
from tests.tui.explore_keys import KeyActions

SQL_EVERY = 45


class Explorer(ViewActions, KeyActions):
    """One seeded run; the actions are in ViewActions (explore_actions.py) and KeyActions
    (explore_keys.py)."""

    def __init__(
        self, app: WatchedApp, pilot: Any, *, seed: int, db: Path, traffic: Traffic, keep_going: bool = False
    ) -> None:
        self.app, self.pilot, self.seed, self.db, self.traffic = app, pilot, seed, db, traffic
        self.rng = random.Random(seed)
        self.truth = Truth(f"sqlite:///{db}")
        self.log: deque[str] = deque(maxlen=150)
        self.step = 0
        self.started = time.monotonic()
        #: The last key change was on a key the database does not hold (any more).
        self.absent_key = False
        self.created = 0
        self.checks = 0
        self.sql_checks = 0
        self._notices_seen = 0
        self._problems_seen = 0
        #: Record a failed check and go on (to list every failure of a run); the default
        #: stops at the first. Exceptions in the app always stop the run.
        self.keep_going = keep_going
        self.failures: list[str] = []
        #: The panes the first round visits, each once.
        self.pane_order = [*"1234567890", "dollar_sign"]
        #: How often each action ran (printed at the end: the coverage of the run).
        self.done: dict[str, int] = {}
        self.actions: list[tuple[str, float, Callable[[], Awaitable[None]]]] = [
            ("pane", 8, self.pane),
            ("next window", 3, lambda: self.press("w")),
            ("custom window", 2, self.custom_window),
            ("filter row", 2, self.filter_row),
            ("filter dialog", 2, self.filter_dialog),
            ("clear filters", 2, lambda: self.press("x")),
            ("drill", 3, self.drill),
            ("sort", 3, lambda: self.press(self.rng.choice("sS"))),
            ("cursor", 3, self.cursor),
            ("search", 2, self.search),
            ("tag category", 2, self.tag_category),
            ("chart split", 1, lambda: self.press("g")),
            ("follow", 1, lambda: self.press("space")),
            ("new key", 3, self.new_key),
            ("key change", 3, self.key_change),
            ("pause", 2, lambda: self.press("p")),
            ("refresh", 2, lambda: self.press("r")),
            ("interval", 1, lambda: self.press(self.rng.choice(["plus", "minus", "equals_sign"]))),
            ("help", 1, self.help),
            ("palette", 1, self.palette),
            ("profile", 0.5, self.profile),
            ("resize", 2, self.resize),
            ("wait", 3, self.wait),
            ("burst", 2, self.burst),
        ]

    # ------------------------------------------------------------------ running
    def note(self, text: str) -> None:
        app = self.app
        where = f"{app.size.width}x{app.size.height} {app.state.pane}/{app.state.window}"
        self.log.append(f"#{self.step:<4} {time.monotonic() - self.started:6.1f}s [{where}] {text}")

    async def press(self, *keys: str) -> None:
        self.note("press " + " ".join(keys))
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        self.note(f"type {text!r}")
        await self.pilot.press(*text)

    async def run(self, seconds: float) -> None:
        await self.first_data()
        names = [a[0] for a in self.actions]
        weights = [a[1] for a in self.actions]
        table = {a[0]: a[2] for a in self.actions}
        # first every action once and every pane (in a seeded order), then at random
        first_round = [n for n in names if n != "pane"] + ["pane"] * 10
        self.rng.shuffle(first_round)
        self.rng.shuffle(self.pane_order)
        deadline = time.monotonic() + seconds
        next_check = self.rng.randint(3, 7)
        while first_round or time.monotonic() < deadline:
            self.step += 1
            self.app.watch.step = self.step
            name = first_round.pop() if first_round else self.rng.choices(names, weights)[0]
            self.done[name] = self.done.get(name, 0) + 1
            self.note(f"action: {name}")
            try:
                await table[name]()
                await self.pilot.pause()
                self.check_alive()
                if self.step >= next_check:
                    next_check = self.step + self.rng.randint(3, 7)
                    await self.quiet_check()
                if self.step % SQL_EVERY == 0:
                    await self.sql_check()
            except ViewMismatch as exc:
                if not self.keep_going:
                    raise
                self.failures.append(self.report(exc, lines=15))
                self.traffic.start()
                await self.main_screen()
                if self.app.polls.paused:  # (a check may have failed while paused)
                    await self.press("p")
        await self.final_check()
        print(f"seed {self.seed}: {self.step} actions, {self.checks} screen checks, {self.sql_checks} SQL checks")
        print("  " + ", ".join(f"{name} {count}" for name, count in sorted(self.done.items())))
        if self.failures:
            raise AssertionError(f"{len(self.failures)} failures:\n\n" + "\n\n".join(self.failures))

    async def first_data(self) -> None:
        for _ in range(600):  # (a bound, not a timing check: a load that never ends fails)
            await settle(self.app, self.pilot)
            self.check_alive()
            if self.app.applied is not None and self.app.panes_mounted:
                return
            await self.pilot.pause(0.1)
        raise AssertionError("no data on screen after 600 settles")

    def check_alive(self) -> None:
        app = self.app
        if app._exception is not None:
            raise AssertionError(f"the app raised {type(app._exception).__name__}: {app._exception}")
        if not app.is_running or app.return_code is not None:
            raise AssertionError(f"the app stopped (return code {app.return_code})")
        problems = app.watch.problems[self._problems_seen :]
        self._problems_seen = len(app.watch.problems)
        for problem in problems:
            expect(False, f"{problem.kind} (at action #{problem.step}): {problem.text}")
        notices = app.watch.notices[self._notices_seen :]
        self._notices_seen = len(app.watch.notices)
        for step, severity, title, message in notices:
            self.note(f"  popup {severity} {title!r}: {message}")
            if severity == "error" and not self._expected_error(title, message):
                expect(False, f"error popup at action #{step}: {title}: {message}")

    def _expected_error(self, title: str, message: str) -> bool:
        if "budget" in title.lower() and "off" not in title.lower():  # budgets crossed thresholds (the demo's do)
            return True
        # a key deleted (by this run, or before the logs were written) is still listed, its
        # spend stays: changing it is refused, saying so
        return self.absent_key and title.startswith("Could not") and "no such key" in message

    async def main_screen(self) -> None:
        """Back to the dashboard (escape closes every dialog and the search box)."""
        for _ in range(4):
            if len(self.app.screen_stack) == 1:
                break
            await self.press("escape")
            await settle(self.app, self.pilot)
        expect(len(self.app.screen_stack) == 1, f"escape does not close {type(self.app.screen).__name__}")
        focused = self.app.focused
        if isinstance(focused, Input) and focused.has_class("search"):
            await self.press("escape")

    async def quiet_check(self) -> None:
        """Pause with p, let every worker finish, compare the screen with the engine."""
        await self.main_screen()
        was_paused = self.app.polls.paused
        if not was_paused:
            await self.press("p")
        await settle(self.app, self.pilot)
        self.check_view()
        if not was_paused:
            await self.press("p")

    def check_view(self) -> None:
        """explore_checks.check_view, but for the minutes after midnight UTC: a snapshot
        drawn before it has yesterday's windows (the check cannot race that, it can only
        skip it)."""
        try:
            checked = check_view(self.app)
        except ViewMismatch:
            now = system_clock()
            if now.hour or now.minute >= 3:
                raise
            checked = ["skipped: just after midnight UTC"]
        self.checks += 1
        self.note("check: " + "; ".join(checked))

    async def sql_check(self, sweep: tuple[tuple[int, int], ...] = ()) -> None:
        """Stop the traffic, let a poll read all of it, compare the engine with SQL; then,
        at each size in ``sweep``, every pane with the engine."""
        await self.main_screen()
        self.traffic.stop()
        if self.app.polls.paused:
            await self.press("p")
        for _ in range(2):  # (the second r surely starts after the last write)
            await self.press("r")
            await settle(self.app, self.pilot)
        await self.press("p")
        await settle(self.app, self.pilot)
        self.note("check: " + sql_totals_check(self.app, self.truth))
        self.check_view()
        self.sql_checks += 1
        for width, height in sweep:
            self.note(f"resize to {width}x{height}")
            await self.pilot.resize_terminal(width, height)
            await self.sweep()
        await self.press("p")
        self.traffic.start()

    async def sweep(self) -> None:
        """Every pane, compared with the engine (the app paused)."""
        for key in "1234567890":
            await self.press(key)
            await settle(self.app, self.pilot)
            self.check_view()

    async def final_check(self) -> None:
        """Every pane as the random actions left the view; then the 30-day window without
        filters against SQL, and every pane at 80x24 and 200x60; then q."""
        await self.main_screen()
        if not self.app.polls.paused:
            await self.press("p")
        await settle(self.app, self.pilot)
        await self.sweep()
        await self.press("p")
        await self.press("x")
        for _ in range(len(WINDOWS) + 1):
            if self.app.state.window == "30d":
                break
            await self.press("w")
        await self.sql_check(sweep=((80, 24), (200, 60)))
        await self.press("q")
        await self.pilot.pause()

    def report(self, error: BaseException, lines: int = 150) -> str:
        log = list(self.log)[-lines:]
        text = [
            f"exploration failed: seed {self.seed}, action #{self.step}, "
            f"{time.monotonic() - self.started:.1f}s in, terminal {self.app.size.width}x{self.app.size.height}",
            f"{type(error).__name__}: {error}",
            f"last {len(log)} actions (replay: SPENDTUI_EXPLORE_SEEDS={self.seed}):",
            *log,
        ]
        try:
            text += ["screen:", *(line.rstrip() for line in screen_lines(self.app))]
        except Exception as exc:  # the app may be gone
            text.append(f"(no screen: {exc})")
        return "\n".join(text)

    def table(self) -> BreakdownTable | None:
        pane = self.app.state.pane
        return self.app.query_one(f"#table-{pane}", BreakdownTable) if pane in TABLE_PANES else None

    async def wait_for_screen(self, kind: type, what: str) -> None:
        await settle(self.app, self.pilot)
        expect(isinstance(self.app.screen, kind), f"{what} did not open {kind.__name__} ({self.app.screen})")
