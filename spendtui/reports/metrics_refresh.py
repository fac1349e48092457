"""The metrics refresher: one engine kept current in a background thread, a new immutable
snapshot after every pass.

As ``spendtui watch`` does, the first pass loads what the window, the budgets' plans and
the rules need; every later pass polls only what was written since
(``SpendEngine.refresh``), re-reads LiteLLM's budget rows and evaluates budgets and rules
(``BudgetMonitor``). Each pass ends by swapping in a new ``MetricsSnapshot``: a scrape
reads ``latest`` (one attribute read) and never waits for the source, even while a pass
is stuck on a locked database.

The source going away is not fatal: the last data stays served with
``spendtui_source_up 0``, the problem is told once (``report``), and each later pass tries
again; ``report`` is told again when it answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from spendtui.budgets.config import BudgetSettings
from spendtui.budgets.monitor import BudgetMonitor
from spendtui.budgets.rules_config import RuleSettings
from spendtui.core.facts import NotExact
from spendtui.core.selection import Window
from spendtui.errors import SpendtuiError
from spendtui.reports.metrics import MetricsSnapshot, Status, data_families, status_families
from spendtui.reports.metrics_usage import usage, usage_query

if TYPE_CHECKING:
    from spendtui.engine import SpendEngine


class MetricsRefresher:
    """Builds snapshots from one engine, pass after pass, until stopped."""

    def __init__(
        self,
        make_engine: Callable[[], SpendEngine],
        window_for: Callable[[datetime], Window],
        window_name: str,
        top: int,
        settings: BudgetSettings,
        rules: RuleSettings | None = None,
        *,
        tz: tzinfo = UTC,
        report: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.make_engine = make_engine
        self.window_for = window_for
        self.window_name = window_name
        self.top = top
        self.settings = settings
        self.rules = rules or RuleSettings()
        self.tz = tz
        self.report = report
        self.engine: SpendEngine | None = None
        self.monitor: BudgetMonitor | None = None
        self.passes = 0
        self._problem: str | None = None
        self._usage_note: str | None = None
        self._status = Status(up=None, refreshed_at=None, seconds=None, window=window_name)
        #: What a scrape serves: replaced whole, never changed in place.
        self.latest = MetricsSnapshot((), status_families(self._status))

    def run(self, interval: float, stop: threading.Event) -> None:
        """Pass after pass until ``stop`` is set."""
        while not stop.is_set():
            self.pass_once()
            stop.wait(interval)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def pass_once(self) -> MetricsSnapshot:
        """Poll, evaluate, publish. A source problem keeps the last data, marked down."""
        self.passes += 1
        started = time.perf_counter()
        try:
            data, window = self._evaluate()
        except Exception as exc:  # (a bug must not stop the refreshes either: said once, tried again)
            if not isinstance(exc, SpendtuiError):
                exc = SpendtuiError(f"refresh failed: {type(exc).__name__}: {exc}")
            if self.engine is not None and self.engine.first_day is None:
                self.engine.close()  # (never loaded: built again next pass)
                self.engine = None
            if self._problem != str(exc):
                self.report(f"source down: {exc}; serving the last data read (spendtui_source_up 0)")
            self._problem = str(exc)
            self._status = Status(
                False, self._status.refreshed_at, self._status.seconds, self.window_name,
                self._status.first_day, self._status.last_day,
            )  # fmt: skip
            self.latest = MetricsSnapshot(self.latest.data, status_families(self._status))
            return self.latest
        if self._problem is not None:
            self.report("source up: answering again")
            self._problem = None
        self._status = Status(
            True,
            datetime.now(UTC),
            time.perf_counter() - started,
            self.window_name,
            window.first.isoformat(),
            window.last.isoformat(),
        )
        self.latest = MetricsSnapshot(data, status_families(self._status))
        return self.latest

    def _evaluate(self) -> tuple[tuple, Window]:
        if self.engine is None:
            self.engine = self.make_engine()
            self.monitor = BudgetMonitor(self.settings, self.tz, rules=self.rules, read_every=0.0)
        elif self.engine.first_day is not None:
            self.engine.refresh()  # (rows written since the last pass)
        engine, monitor = self.engine, self.monitor
        assert monitor is not None
        now = engine.now()
        window = self.window_for(now)
        engine.ensure_loaded(min(window.first_day, monitor.first_day(now)))
        monitor.evaluate(engine)  # (re-reads LiteLLM's budget rows, evaluates budgets and rules)
        try:
            query = usage_query(engine.query, window, engine.live_first_day)
            found = (usage(query, window, self.top), self.window_name)
            self._usage_note = None
        except NotExact as exc:
            if self._usage_note != str(exc):
                self.report(f"no usage series: {exc}")
            self._usage_note = str(exc)
            found = None
        return data_families(found, monitor.board, monitor.rule_board, engine.names), window
