"""The dashboard's budget watch.

LiteLLM's budget rows (keys, teams, users, customers) are re-read from the source every
``READ_EVERY`` seconds, or at once after spendtui changed a key; every budget and plan
is evaluated against the engine whenever new spend arrived and at least every
``READ_EVERY`` seconds, so a threshold crossed while spendtui runs is reported once per
budget, threshold and window (``ThresholdTracker``) whichever pane is open; a poll that
found nothing new evaluates nothing.

Not thread-safe: the dashboard calls it under its engine lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from spendtui.budgets.board import BudgetBoard, evaluate_board, first_log_day, plans_first_day, read_states
from spendtui.budgets.config import BudgetSettings
from spendtui.budgets.logs import with_logs_spend
from spendtui.budgets.rules_config import RuleSettings
from spendtui.budgets.rules_eval import rule_board
from spendtui.core.alerts import Crossing, ThresholdTracker
from spendtui.core.budget_state import CENT, BudgetState
from spendtui.core.rule_eval import RuleBoard
from spendtui.core.rules import RuleEvent, RuleKey, next_states, transitions
from spendtui.errors import SpendtuiError

if TYPE_CHECKING:
    from spendtui.engine import SpendEngine

READ_EVERY = 10.0


class BudgetMonitor:
    """Budget states read now and then, boards evaluated often, crossings reported once."""

    def __init__(
        self,
        settings: BudgetSettings,
        tz: tzinfo = UTC,
        *,
        rules: RuleSettings | None = None,
        read_every: float = READ_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.rules = rules or RuleSettings()
        #: The spend rules evaluated with the last board (None: no rules, or not yet).
        self.rule_board: RuleBoard | None = None
        #: The rules' events of the last evaluation (none on the first: they are on screen).
        self.rule_events: list[RuleEvent] = []
        self._rule_states: dict[RuleKey, str] | None = None
        self.tz = tz
        self.read_every = read_every
        self._monotonic = monotonic
        #: Every budget row the source reported (with or without a limit).
        self.states: list[BudgetState] = []
        self._read_notes: tuple[str, ...] = ()
        #: The first day of the source's request logs (all-time counters vs the logs).
        self._history_from: int | None = None
        #: counter - logs per budget at the last read of the counters, and the budgets whose
        #: difference held from one read to the next (only those are flagged: a request
        #: written to the logs but not yet to the counter, or back, is not a disagreement).
        self._differences: dict[str, int] = {}
        self._steady: frozenset[str] = frozenset()
        self._fresh = False
        self._problem: str | None = None
        self._read_at: float | None = None
        self._evaluated_at: float | None = None
        self.tracker = ThresholdTracker()
        #: The last board evaluated (None before the first).
        self.board: BudgetBoard | None = None

    # ------------------------------------------------------------------ reading
    def invalidate(self) -> None:
        """Read the budget rows again and evaluate on the next chance (a key was changed,
        or the user asked for a refresh)."""
        self._read_at = None
        self._evaluated_at = None

    def never_read(self) -> bool:
        """No rows read yet, or invalidated since: the next evaluation should read."""
        return self._read_at is None

    def read_due(self) -> bool:
        return self._read_at is None or self._monotonic() - self._read_at >= self.read_every

    def evaluation_due(self) -> bool:
        return self._evaluated_at is None or self._monotonic() - self._evaluated_at >= self.read_every

    def read(self, source: object, force: bool = False) -> bool:
        """Re-read LiteLLM's budget rows when due (True: re-read). A failure keeps the rows
        read before and says so on the board; it never fails the dashboard."""
        if not force and not self.read_due():
            return False
        try:
            self.states, self._read_notes = read_states(source)
            self._history_from = first_log_day(source)
            self._problem = None
        except SpendtuiError as exc:
            self._problem = f"budgets not re-read ({exc}); showing the last ones read"
            self._read_at = self._monotonic()
            return False
        self._read_at = self._monotonic()
        self._fresh = True
        return True

    def _settle(self, compared: list[BudgetState]) -> None:
        """Compare the counters just read with the logs (``compared``: the budgets with
        their ``logs_spend``); a difference is steady when it held (within a cent) since
        the previous read, and stays so while it lasts."""
        differences = {s.uid: s.spend - s.logs_spend for s in compared if s.differs and s.logs_spend is not None}
        self._steady = frozenset(
            uid
            for uid, d in differences.items()
            if uid in self._steady or abs(d - self._differences.get(uid, d + 2 * CENT)) <= CENT
        )
        self._differences = differences

    def first_day(self, now: datetime) -> int:
        """The earliest UTC day the engine must hold for the plans' current periods."""
        return plans_first_day(self.settings, now)

    # ------------------------------------------------------------------ evaluating
    def evaluate(self, engine: SpendEngine, read: bool = True) -> list[Crossing]:
        """Read when due (and ``read``: the caller may not wait for the source now),
        evaluate every budget, and return the crossings not reported before (none on the
        first evaluation: what is already crossed is on screen)."""
        if read:
            self.read(engine.source)
        logs = None
        now = engine.now()
        if self._fresh:  # (read here or by the session's poll): counted once, for both
            self._fresh = False
            try:
                logs = with_logs_spend(
                    [s for s in self.states if s.has_limit],
                    engine.query,
                    now,
                    self.tz,
                    loaded_from=engine.first_day,
                    history_from=self._history_from,
                )
                self._settle(logs[0])
            except SpendtuiError:
                self._steady = frozenset()
        notes = [*self._read_notes, *([self._problem] if self._problem else [])]
        try:
            board = evaluate_board(
                self.states,
                self.settings,
                engine.query,
                engine.names,
                now,
                self.tz,
                loaded_from=engine.first_day,
                history_from=self._history_from,
                steady=self._steady,
                notes=notes,
                logs=logs,
            )
        except SpendtuiError as exc:  # e.g. a plan the proxy's tables cannot count exactly
            board = BudgetBoard(engine.now(), [], (*notes, f"budgets not evaluated: {exc}"))
        self.board = board
        self._evaluate_rules(engine)
        self._evaluated_at = self._monotonic()
        return self.tracker.update(board.budgets)

    def _evaluate_rules(self, engine: SpendEngine) -> None:
        """The spend rules at the engine's now; their events since the last evaluation
        (firing once per rule, scope and period; resolved once when back under)."""
        self.rule_events = []
        if not self.rules.rules:
            return
        try:
            rules = rule_board(engine, self.rules, self.tz)
        except SpendtuiError as exc:
            self.rule_board = RuleBoard(engine.now(), (), (f"rules not evaluated: {exc}",))
            return
        if self._rule_states is not None:
            self.rule_events = transitions(self._rule_states, rules.results)
        self._rule_states = next_states(self._rule_states or {}, rules.results)
        self.rule_board = rules

    def states_of(self, kind: str) -> list[BudgetState]:
        """The rows of one kind the source reported (keys with no spend included)."""
        return [s for s in self.states if s.kind == kind]
