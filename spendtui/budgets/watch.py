"""``spendtui watch``: budgets evaluated at an interval, alerts sent once, one log line per event.

A ``Watcher`` holds one engine for its whole life: the first pass loads the days the
budgets need, every later pass polls what was written since (``SpendEngine.refresh``,
as the dashboard does), re-reads LiteLLM's budget rows and evaluates every budget and
plan. Crossings go to their channels through ``notify`` and the alert ledger, the same
state file ``check --notify`` keeps, so an alert sent before a restart of spendtui (or of
the source) is not sent again in the same window; the log line of a crossing is recorded
there too (channel ``log:watch``), so a restart does not log it twice either.

The source going away is an event (``source-down``), not an exit: the watcher keeps
trying at every interval and says ``source-up`` when it answers again. Events are
printed as plain text or as JSON lines; nothing secret is in them (webhooks by host,
addresses masked).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from spendtui.budgets.board import BudgetBoard, budget_board
from spendtui.budgets.config import BudgetSettings
from spendtui.budgets.ledger import AlertLedger
from spendtui.budgets.notify import NotifyResult, budget_label, notify, pending_alerts, target_label
from spendtui.budgets.render import dumps, rule_json
from spendtui.budgets.rule_notify import events_for, notify_rules, record
from spendtui.budgets.rules_config import RuleSettings
from spendtui.budgets.rules_eval import rule_board
from spendtui.core.alerts import Crossing, crossings
from spendtui.core.rule_eval import RuleBoard
from spendtui.core.rules import RuleEvent
from spendtui.errors import SpendtuiError
from spendtui.money import format_usd_auto, to_micro_decimal, used_percent

if TYPE_CHECKING:
    import httpx

    from spendtui.engine import SpendEngine

DEFAULT_INTERVAL = 60.0
#: The ledger channel of the watcher's own log line.
LOG_CHANNEL = "log:watch"


@dataclass(frozen=True)
class Event:
    """One thing that happened: ``kind`` is ``started``, ``firing`` (a budget crossed a
    threshold, or a rule fired), ``resolved`` (a rule is back under in its period),
    ``delivery-failed``, ``note``, ``source-down``, ``source-up`` or ``stopped``."""

    kind: str
    at: datetime
    message: str
    fields: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        return f"{self.at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ} {self.kind} {self.message}"

    def json(self) -> str:
        return dumps({"time": self.at.astimezone(UTC).isoformat(), "event": self.kind, **self.fields})


def crossing_fields(crossing: Crossing) -> dict[str, Any]:
    """What a crossing event carries in JSON (money as decimal strings of USD, to the micro-dollar)."""
    b = crossing.budget
    state = b.state
    return {
        "budget": {"kind": state.kind, "id": state.id, "name": state.name, "scope": state.scope or None},
        "threshold": crossing.threshold.label,
        "level": crossing.level,
        "spend": str(to_micro_decimal(b.spend)),
        "limit": str(to_micro_decimal(b.limit)) if b.limit is not None else None,
        "window": b.window.key,
    }


def rule_fields(event: RuleEvent) -> dict[str, Any]:
    """What a rule event carries in JSON (``render.rule_json``'s fields)."""
    return {"rule": rule_json(event.result)}


def crossing_text(crossing: Crossing) -> str:
    b = crossing.budget
    state = b.state
    what = budget_label(state)
    limit = format_usd_auto(b.limit) if b.limit is not None else "no limit"
    percent = f" ({used_percent(b.spend, b.limit, 1)})" if b.limit else ""
    return f"{what} crossed {crossing.threshold.label}: {format_usd_auto(b.spend)} of {limit}{percent}"


class Watcher:
    """One engine, evaluated every ``interval`` seconds until ``stop`` is set."""

    def __init__(
        self,
        make_engine: Callable[[], SpendEngine],
        settings: BudgetSettings,
        ledger: AlertLedger,
        client: httpx.Client,
        *,
        rules: RuleSettings | None = None,
        scope: str,
        source_label: str,
        display: str = "",
        tz: tzinfo = UTC,
        emit: Callable[[Event], None],
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.make_engine = make_engine
        self.settings = settings
        self.rules = rules or RuleSettings()
        self._notes: set[str] = set()
        self.ledger = ledger
        self.client = client
        self.scope = scope
        self.source_label = source_label
        #: What is watched, as shown (a database URL without its password, a proxy URL).
        self.display = display
        self.tz = tz
        self.emit = emit
        self._now = now or (lambda: datetime.now(UTC))
        self.engine: SpendEngine | None = None
        #: The source's last problem (None while it answers).
        self.down: str | None = None
        self.passes = 0

    def run(self, interval: float, stop: threading.Event) -> None:
        """Pass after pass until ``stop`` is set (a signal handler sets it)."""
        self.emit(
            Event(
                "started",
                self._now(),
                f"watching {self.display or self.source_label} (profile {self.source_label}) every {interval:g} s",
                {"source": self.display or self.source_label, "profile": self.source_label, "interval": interval},
            )
        )
        try:
            while not stop.is_set():
                self.pass_once()
                stop.wait(interval)
        finally:
            if self.engine is not None:
                self.engine.close()
            self.emit(Event("stopped", self._now(), f"after {self.passes} pass(es)", {"passes": self.passes}))

    def pass_once(self) -> BudgetBoard | None:
        """Poll, evaluate, notify, log. A source problem is an event, never an exit."""
        self.passes += 1
        try:
            board, rules = self._evaluate()
        except SpendtuiError as exc:
            if self.engine is not None and self.engine.first_day is None:
                self.engine.close()
                self.engine = None
            if self.down != str(exc):
                self.emit(Event("source-down", self._now(), str(exc), {"problem": str(exc)}))
            self.down = str(exc)
            return None
        if self.down is not None:
            self.down = None
            self.emit(Event("source-up", self._now(), f"{self.source_label} answers again", {}))
        self._alert(board)
        if rules is not None:
            self._rule_events(rules)
        self._save(board.evaluated_at)
        return board

    def _evaluate(self) -> tuple[BudgetBoard, RuleBoard | None]:
        if self.engine is None:
            self.engine = self.make_engine()
        elif self.engine.first_day is not None:
            self.engine.refresh()  # (rows written since the last pass; the first load is budget_board's)
        board = budget_board(self.engine, self.settings, self.tz)
        return board, rule_board(self.engine, self.rules, self.tz) if self.rules.rules else None

    def _rule_events(self, rules: RuleBoard) -> None:
        """Send each rule's new events to its channels, and log each event once."""
        delivered = notify_rules(
            rules.results,
            self.ledger,
            scope=self.scope,
            source_label=self.source_label,
            now=rules.evaluated_at,
            client=self.client,
            smtp=self.settings.smtp,
            report=lambda message: None,  # (each failure is an event below)
        )
        for result in rules.results:
            for event in events_for(self.ledger, self.scope, result, LOG_CHANNEL):
                sent = [d.channel for d in delivered if d.ok and d.event == event]
                fields = {**rule_fields(event), "sent_to": sent}
                text = f"rule {result.rule.name}: {result.describe()}" + (
                    f"; sent to {', '.join(sent)}" if sent else ""
                )
                self.emit(Event(event.kind, rules.evaluated_at, text, fields))
                record(self.ledger, self.scope, event, LOG_CHANNEL, rules.evaluated_at)
        for d in delivered:
            if not d.ok:
                what = f"rule {d.event.result.rule.name} {d.event.kind} to {d.channel}"
                self.emit(
                    Event(
                        "delivery-failed",
                        rules.evaluated_at,
                        f"{what}: {d.error} (retried next pass)",
                        {"channel": d.channel, "rule": d.event.result.rule.name, "problem": d.error},
                    )
                )
        for note in rules.notes:
            if note not in self._notes:
                self._notes.add(note)
                self.emit(Event("note", rules.evaluated_at, note, {"note": note}))

    def _entry(self, crossing: Crossing, channel: str) -> dict[str, str]:
        b = crossing.budget
        return self.ledger.entry(self.scope, b.state.uid, crossing.threshold.key, b.window.key, channel)

    def _alert(self, board: BudgetBoard) -> None:
        """Send what is new to its channels, and log each crossing once per window."""
        for budget in board.budgets:  # (a windowless budget back under a threshold re-arms it)
            if budget.window.start is None:
                self.ledger.rearm(self.scope, budget.state.uid, [t.key for t in budget.crossed])
        planned = pending_alerts(board, self.settings, self.ledger, self.scope)
        result = NotifyResult()
        if planned:
            result = notify(
                board,
                self.settings,
                self.ledger,
                scope=self.scope,
                source_label=self.source_label,
                now=board.evaluated_at,
                client=self.client,
                report=lambda message: None,  # (each failure is an event below)
            )
        for crossing in crossings(board.budgets):
            if self.ledger.has(self._entry(crossing, LOG_CHANNEL)):
                continue
            sent = [
                target_label(t)
                for c, t in planned
                if c.key == crossing.key and self.ledger.has(self._entry(crossing, t.channel_id))
            ]
            fields = {**crossing_fields(crossing), "sent_to": sent}
            text = crossing_text(crossing) + (f"; sent to {', '.join(sent)}" if sent else "")
            self.emit(Event("firing", board.evaluated_at, text, fields))
            self.ledger.record(self._entry(crossing, LOG_CHANNEL), board.evaluated_at)
        for delivery in result.failed:
            self.emit(
                Event(
                    "delivery-failed",
                    board.evaluated_at,
                    f"{delivery.channel} {delivery.label}: {delivery.error} (retried next pass)",
                    {"channel": delivery.channel, "to": delivery.label, "problem": delivery.error},
                )
            )

    def _save(self, at: datetime) -> None:
        try:
            self.ledger.save()
        except OSError as exc:
            self.emit(
                Event(
                    "delivery-failed",
                    at,
                    f"cannot write {self.ledger.path} ({exc.strerror or exc}): alerts may be sent again",
                    {"channel": "state", "problem": str(exc)},
                )
            )
