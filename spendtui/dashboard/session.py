"""One dashboard session, without Textual: the engine, its source, the budget watch and
the load → extend → poll → follow-up → budgets → snapshot cycle.

The TUI (and any other front end: ``spendtui watch`` in time) asks the session for the
next step and gets a typed answer, an ``Update`` to draw or a ``Failure`` to show; it
decides nothing about loading itself.

Threading model. The engine is not thread-safe. Every data step (``step``, ``key_choices``,
``filter_choices``, ``reread_names``, ``reset``) runs in a worker thread and takes
``lock`` for all it does with the engine; a load also takes ``io_lock``. A poll's network
part (``SpendEngine.fetch`` and the re-read of LiteLLM's budget rows) runs before that
under ``io_lock`` alone, so a slow or hung source delays the next figures but never a
view change. Locks are always taken in that order: ``lock``, then ``io_lock``. The UI
thread calls only ``close`` (it takes ``lock``, never ``io_lock``: a poll hung on a
slow proxy is cancelled by closing the source, not waited for), ``ask_deep_poll`` and
``invalidate_budgets`` (flags). Snapshots handed back are immutable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from spendtui.config import Config, Profile
from spendtui.dashboard.model import Snapshot
from spendtui.dashboard.state import ViewState
from spendtui.errors import NotAdminKey, SpendtuiError
from spendtui.timeutil import Clock

if TYPE_CHECKING:
    from spendtui.budgets.monitor import BudgetMonitor
    from spendtui.core.audit import Example
    from spendtui.engine import Fetched, SpendEngine


def default_engine_factory(profile: Profile, clock: Clock) -> SpendEngine:
    """The engine for a profile, with the cube cache: a restart reads only the rows
    written since the last run (see spendtui/cache.py). Imported lazily: the first frame
    does not wait for numpy."""
    from spendtui.cache import CubeCache
    from spendtui.engine import SpendEngine
    from spendtui.sources.factory import build_source

    engine = SpendEngine(build_source(profile), clock=clock, cache=CubeCache())
    engine.price_file = profile.prices
    return engine


def uncached_engine_factory(profile: Profile, clock: Clock) -> SpendEngine:
    """The engine without a cube cache (the demo's database lives for one run only)."""
    from spendtui.engine import SpendEngine
    from spendtui.sources.factory import build_source

    engine = SpendEngine(build_source(profile), clock=clock)
    engine.price_file = profile.prices
    return engine


#: Rebuild the snapshot at least this often even when no rows arrive (burn rates decay,
#: the day rolls over).
RECOMPUTE_EVERY = 30.0


class Mode(Enum):
    """What a step is asked to do."""

    #: The first load of the window (the source is created, the demo prepared).
    LOAD = "load"
    #: Right after the first data: load the previous period too (for the change figures).
    EXTEND = "extend"
    #: Read what the source wrote since the last load or poll.
    POLL = "poll"
    #: The view changed: a snapshot from what is loaded (loading further back if needed).
    VIEW = "view"


class Step(Enum):
    """What a step did, for the front end to decide what comes next."""

    #: The window is loaded (first data): draw it, then ask for EXTEND.
    LOADED = "loaded"
    #: The previous period is loaded too: draw it, then start polling.
    EXTENDED = "extended"
    #: Data loaded further back, or a load's checks ran: draw it.
    RELOADED = "reloaded"
    #: A poll folded in ``Update.rows`` new requests (maybe none).
    POLLED = "polled"
    #: A snapshot for a view change.
    REBUILT = "rebuilt"


@dataclass(frozen=True)
class Update:
    mode: Mode
    step: Step
    #: What to draw (the last one again when nothing changed).
    snapshot: Snapshot
    #: New requests folded in by a poll.
    rows: int = 0
    #: Budget thresholds crossed since the last evaluation: (level, text).
    alerts: tuple[tuple[str, str], ...] = ()

    @property
    def read_source(self) -> bool:
        """Whether this step read the source (so the source is fine): a view change drawn
        from the cube during an outage says nothing about the source."""
        return self.mode is Mode.POLL or self.step is not Step.REBUILT


@dataclass(frozen=True)
class Failure:
    error: str
    #: The step that failed was a poll.
    polled: bool
    #: Whether trying again later may help (``SourceError.transient``).
    transient: bool = True
    #: The proxy key is not an admin's: what it may see is its own view (``my_key_source``).
    own_key: bool = False


@dataclass(frozen=True)
class Progress:
    """Said while a step runs: ``stage`` is ``generating``, ``loading``, ``source`` (the
    source's label changed), ``cache`` or ``budgets-off``; ``text`` what to show."""

    stage: str
    text: str = ""
    detail: str = ""


@dataclass
class SessionSetup:
    """What a session is started with (the TUI's Launch gives these)."""

    config: Config
    clock: Clock
    engine_factory: Callable[[Profile, Clock], SpendEngine]
    #: Runs before the first load and returns the profile to read (the demo generates
    #: its database); None keeps the configured one.
    prepare: Callable[[], Profile] | None = None
    #: Told about progress (from the worker thread: the front end hands it on).
    report: Callable[[Progress], None] = field(default=lambda _progress: None)


#: The dimensions the filter picker offers, in its order.
FILTER_CHOICES = ("model", "tag", "key", "user", "team", "customer", "organization", "project", "agent", "provider")


class DashboardSession:
    """The data side of one dashboard (see the module docstring for the threads)."""

    def __init__(self, setup: SessionSetup) -> None:
        import threading

        self.setup = setup
        self.config = setup.config
        self.profile: Profile = setup.config.active
        self.engine: SpendEngine | None = None
        #: LiteLLM's budgets and the config's plans, evaluated with each step.
        self.budgets: BudgetMonitor | None = None
        self.lock = threading.Lock()
        self.io_lock = threading.Lock()
        self.stopping = False
        #: The last snapshot built (a poll that found nothing new gives it again).
        self.snapshot: Snapshot | None = None
        self._deep_next = False
        self._last_snapshot_at = 0.0

    # ------------------------------------------------------------------ from the UI thread
    def ask_deep_poll(self) -> None:
        """The next poll also looks far back for rows written late (the user pressed r)."""
        self._deep_next = True
        if self.budgets is not None:
            self.budgets.invalidate()  # LiteLLM's budget counters too

    def invalidate_budgets(self) -> None:
        if self.budgets is not None:
            self.budgets.invalidate()

    def close(self) -> None:
        """Stop: no step starts any more, and the engine and its source are closed."""
        self.stopping = True
        with self.lock:
            if self.engine is not None:
                self.engine.close()

    @property
    def preparing(self) -> bool:
        """The demo database is still being generated."""
        return self.setup.prepare is not None

    def cost_findings(self, model: str, state: ViewState) -> list[Example]:
        """The examples of ``model``'s cost findings in the view (read from the source,
        in a worker thread: the Costs pane's drill-down)."""
        engine = self.engine
        if engine is None:
            return []
        window = state.window_for(engine.now().date())
        with self.io_lock:
            return engine.cost_findings(model, window, state.filters)

    def my_key_source(self) -> object | None:
        """The source to read a non-admin key's own view from (after a ``Failure`` with
        ``own_key``): the engine's proxy source."""
        return self.engine.source if self.engine is not None else None

    # ------------------------------------------------------------------ steps (worker thread)
    def step(self, mode: Mode, state: ViewState, version: int) -> Update | Failure | None:
        """One step for the view ``state`` (``version`` counts the view's changes: a
        snapshot of an older one is not given again). None when the step was dropped:
        the session stopped, or was reset to another profile while the step read the old
        one."""
        polled = mode is Mode.POLL
        try:
            return self._step(mode, state, version)
        except SpendtuiError as exc:
            own_key = isinstance(exc, NotAdminKey)
            return Failure(str(exc), polled, getattr(exc, "transient", False), own_key=own_key)
        except Exception as exc:  # a bug must not take the dashboard down
            return Failure(f"internal error: {type(exc).__name__}: {exc}", polled)

    def _step(self, mode: Mode, state: ViewState, version: int) -> Update | None:
        engine = self.engine
        fetched = None
        if mode is Mode.POLL and engine is not None and engine.first_day is not None:
            fetched = self._fetch(engine)
            if fetched is None:
                return None
        with self.lock:
            if self.stopping:
                return None
            if self.engine is None or mode is Mode.LOAD:
                with self.io_lock:
                    self._load(state)
                step, rows = Step.LOADED, 0
            else:
                step, rows = self._advance(mode, state, engine, fetched)
            alerts = self._evaluate_budgets(step, rows)
            last = self.snapshot
            due = time.monotonic() - self._last_snapshot_at >= RECOMPUTE_EVERY
            quiet = step in (Step.POLLED, Step.REBUILT) and rows == 0 and alerts is None
            if quiet and last is not None and last.version == version and not due:
                return Update(mode, step, last)
            from spendtui.dashboard import snapshot

            assert self.engine is not None
            snap = self.snapshot = snapshot.build(self.engine, state, version, self.engine.now(), self.budgets)
            self._last_snapshot_at = time.monotonic()
        return Update(mode, step, snap, rows, alerts or ())

    def _fetch(self, engine: SpendEngine) -> Fetched | None:
        """A poll's network part, under the I/O lock only (None: dropped)."""
        deep, self._deep_next = self._deep_next, False
        try:
            with self.io_lock:
                if self.stopping or engine is not self.engine:
                    return None
                fetched = engine.fetch(deep=True if deep else None)
                budgets = self.budgets
                if budgets is not None and budgets.read_due():
                    budgets.read(engine.source)  # LiteLLM's budget rows, also off the engine lock
                return fetched
        except SpendtuiError:
            if self.stopping or engine is not self.engine:
                return None  # the profile was switched meanwhile: not this one's error
            raise

    def _advance(
        self, mode: Mode, state: ViewState, engine: SpendEngine | None, fetched: Fetched | None
    ) -> tuple[Step, int]:
        """Load further back if the view needs it, run a load's checks, fold in a poll."""
        assert self.engine is not None
        first = self.engine.first_day
        needed = state.first_day_needed(self.engine.now().date())
        if self.budgets is not None:  # the plans' current periods
            needed = min(needed, self.budgets.first_day(self.engine.now()))
        if first is None or needed < first:
            with self.io_lock:
                self.engine.ensure_loaded(needed)
        step = {Mode.EXTEND: Step.EXTENDED, Mode.POLL: Step.POLLED}.get(mode, Step.REBUILT)
        if mode is not Mode.EXTEND and self.engine.first_day != first:
            step = Step.RELOADED  # reloaded further back: draw it
        if self.engine.followups_pending:  # a load's checks, left until its data was drawn
            with self.io_lock:
                self.engine.run_followups()
            if step in (Step.POLLED, Step.REBUILT):
                step = Step.RELOADED
        if self.engine.reads_due:  # latency or the cost audit, asked for by the last snapshot
            with self.io_lock:
                self.engine.read_due()
            if step in (Step.POLLED, Step.REBUILT):
                step = Step.RELOADED
        rows = 0
        if fetched is not None and self.engine is engine:
            # (a reload above drops what was fetched before it: still draw it)
            rows = self.engine.absorb(fetched).rows
        if step is Step.RELOADED and mode is Mode.POLL and rows:
            step = Step.POLLED
        return step, rows

    def _load(self, state: ViewState) -> None:
        """Create the engine if needed and cold-load the view's window (both locks held)."""
        report = self.setup.report
        if self.setup.prepare is not None:
            report(Progress("generating"))
            self.profile = self.setup.prepare()
            self.setup.prepare = None
            report(Progress("source"))
        if self.engine is None:
            self.engine = self.setup.engine_factory(self.profile, self.setup.clock)
            self.engine.defer_followups = True  # run by the next step, after the data is drawn
            self.budgets = self._budget_monitor()
        report(Progress("loading"))
        # the window first (data on screen sooner); the previous period, for the change
        # figures, is loaded right after (Mode.EXTEND)
        self.engine.load(state.window_for(self.engine.now().date()).first_day)
        if self.engine.cache is not None and self.engine.cache.status:
            report(Progress("cache", self.engine.cache.status))

    def _budget_monitor(self) -> BudgetMonitor | None:
        """The budget watch for the active profile (None when its settings are unusable:
        said once, and the rest of the dashboard works)."""
        from spendtui.budgets.board import profile_zone
        from spendtui.budgets.config import budget_settings
        from spendtui.budgets.monitor import BudgetMonitor
        from spendtui.budgets.rules_config import rule_settings

        try:
            tz = profile_zone(self.profile.name, self.profile.timezone)
            return BudgetMonitor(budget_settings(self.config), tz, rules=rule_settings(self.config))
        except SpendtuiError as exc:
            self.setup.report(Progress("budgets-off", str(exc)))
            return None

    def _evaluate_budgets(self, step: Step, rows: int) -> tuple[tuple[str, str], ...] | None:
        """Evaluate the budgets (engine lock held) when the spend changed or the periodic
        check (which also re-reads LiteLLM's counters) is due; None when not evaluated, so
        an idle poll costs nothing. Not on the first load: the data goes on screen first."""
        if self.budgets is None or self.engine is None or step is Step.LOADED:
            return None
        quiet = step in (Step.POLLED, Step.REBUILT) and rows == 0
        if quiet and self.budgets.board is not None and not self.budgets.evaluation_due():
            return None
        from spendtui.core.alerts import highest_per_budget
        from spendtui.dashboard.budgets import crossing_text, rule_event_text

        # LiteLLM's budget rows are re-read by polls, outside the engine lock; here only
        # the first time (or after a key change), and never while a poll reads the source
        free = self.io_lock.acquire(blocking=False)
        try:
            crossings = self.budgets.evaluate(self.engine, read=free and self.budgets.never_read())
        finally:
            if free:
                self.io_lock.release()
        texts = tuple(crossing_text(c) for c in highest_per_budget(crossings))
        return texts + tuple(rule_event_text(e) for e in self.budgets.rule_events)

    # ------------------------------------------------------------------ other worker calls
    def reset(self, config: Config) -> None:
        """Switch to another profile: the engine of the old one is closed; the next step
        loads the new one."""
        with self.lock, self.io_lock:
            if self.engine is not None:
                self.engine.close()
                self.engine = None
            self.config = config
            self.profile = config.active
            self.budgets = None
            self.snapshot = None

    def reread_names(self) -> bool:
        """A key was created or changed: read the names and budget rows again (False
        when the source could not be read: the next poll tries)."""
        if self.budgets is not None:
            self.budgets.invalidate()
        if self.engine is None:
            return False
        with self.lock:
            try:
                self.engine.refresh_names()
            except SpendtuiError:
                return False
        return True

    def key_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The models seen in spend and the teams (id, label) the key form offers."""
        if self.engine is None:
            return [], []
        with self.lock:
            models = self.engine.query.values("model")
            teams = sorted(
                ((t, f"{a} ({t[:8]})") for t, a in self.engine.names.team_alias.items()),
                key=lambda item: item[1].lower(),
            )
        return models, teams

    def filter_choices(self) -> dict[str, list[tuple[str, str]]] | None:
        """Every value of each filterable dimension, with its label (None before data)."""
        if self.engine is None:
            return None
        with self.lock:
            query, names = self.engine.query, self.engine.names
            return {d: [(v, names.label(d, v)) for v in query.values(d)] for d in FILTER_CHOICES}
