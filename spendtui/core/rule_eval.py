"""Every spend rule evaluated at once over the loaded records (CPU only, no I/O).

``evaluate_rules(rules, query, names, now, tz)`` counts each threshold rule's measure
over its current period (``core.rule_periods``) and each spike rule's last full hour
against its baseline (``core.spikes``), in the rule's scope resolved through ``Names``
(``core.scopes``). A rule the loaded records cannot count exactly (its period starts
before the first loaded day, a day it cuts is held only whole, a proxy's daily tables do
not cross its scope) is left out with a note saying why: never a wrong value.
``rules_first_day`` and ``rules_hourly_from`` say what the engine must hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from spendtui.core.facts import NotExact
from spendtui.core.names import Names
from spendtui.core.questions import Questions
from spendtui.core.rule_periods import NotCountable, counted_period, span_totals
from spendtui.core.rules import AnyRule, RuleResult, SpikeRule, measure_value
from spendtui.core.scopes import scope_filters
from spendtui.core.selection import Filters
from spendtui.core.spikes import evaluate_spike, spike_first_day
from spendtui.timeutil import day_of


@dataclass(frozen=True)
class RuleBoard:
    """The rules evaluated at ``evaluated_at``, in config order, and what was left out."""

    evaluated_at: datetime
    results: tuple[RuleResult, ...]
    notes: tuple[str, ...] = ()

    def firing(self) -> list[RuleResult]:
        return [r for r in self.results if r.firing]

    def result(self, name: str) -> RuleResult | None:
        """The result of the rule named ``name`` (None: not evaluated)."""
        return next((r for r in self.results if r.rule.name == name), None)


def rule_first_day(rule: AnyRule, now: datetime, tz: tzinfo = UTC) -> int:
    """The first UTC day the rule reads at ``now``."""
    if isinstance(rule, SpikeRule):
        return spike_first_day(now)
    return day_of(counted_period(rule.period, now, tz)[0].start)


def rule_hourly_from(rule: AnyRule, now: datetime, tz: tzinfo = UTC) -> int:
    """The first UTC day the rule needs held hour by hour at ``now`` (today at the
    latest: the current day is only partly over)."""
    if isinstance(rule, SpikeRule):
        return spike_first_day(now)
    start = counted_period(rule.period, now, tz)[0].start
    return day_of(start) if start.hour else day_of(now)


def rules_first_day(rules: Iterable[AnyRule], now: datetime, tz: tzinfo = UTC) -> int:
    """The first UTC day any of the rules reads (today without rules)."""
    return min((rule_first_day(r, now, tz) for r in rules), default=day_of(now))


def rules_hourly_from(rules: Iterable[AnyRule], now: datetime, tz: tzinfo = UTC) -> int:
    """The first UTC day any of the rules needs held by hour (today without rules)."""
    return min((rule_hourly_from(r, now, tz) for r in rules), default=day_of(now))


def _evaluate(
    rule: AnyRule, query: Questions, filters: Filters, now: datetime, tz: tzinfo, loaded_from: int | None
) -> RuleResult:
    if isinstance(rule, SpikeRule):
        if loaded_from is not None and spike_first_day(now) < loaded_from:
            raise NotCountable("the hours it compares with are before the loaded days")
        return evaluate_spike(rule, query, filters, now, tz)
    period, note = counted_period(rule.period, now, tz)
    if loaded_from is not None and day_of(period.start) < loaded_from:
        raise NotCountable(f"its {rule.period} starts {period.start:%Y-%m-%d %H:%M} UTC, before the loaded days")
    totals = span_totals(query, period.start, period.end, filters, now)
    value = measure_value(rule.measure, totals)
    firing = value > rule.above and (rule.measure != "failure_rate" or totals.requests >= rule.min_requests)
    return RuleResult(rule, period, value, rule.above, firing, now, note=note)


def evaluate_rule(
    rule: AnyRule,
    query: Questions,
    names: Names,
    now: datetime,
    tz: tzinfo = UTC,
    *,
    loaded_from: int | None = None,
) -> RuleResult:
    """One rule at ``now``; ``NotCountable`` or ``NotExact`` when it cannot be counted."""
    filters, _ = scope_filters(rule.scope, names, query)
    return _evaluate(rule, query, filters, now, tz, loaded_from)


def evaluate_rules(
    rules: Iterable[AnyRule],
    query: Questions,
    names: Names,
    now: datetime,
    tz: tzinfo = UTC,
    *,
    loaded_from: int | None = None,
) -> RuleBoard:
    """Every rule at ``now`` (see the module doc). ``loaded_from``: the first UTC day the
    engine holds (None: trust that everything needed is loaded)."""
    results: list[RuleResult] = []
    notes: list[str] = []
    for rule in rules:
        filters, missing = scope_filters(rule.scope, names, query)
        notes += [f"rule {rule.name!r}: no loaded record has {dim} {value!r}" for dim, value in missing]
        try:
            result = _evaluate(rule, query, filters, now, tz, loaded_from)
        except (NotCountable, NotExact) as exc:
            notes.append(f"rule {rule.name!r} not evaluated: {exc}")
            continue
        if result.note:
            notes.append(f"rule {rule.name!r}: {result.note}")
        results.append(result)
    return RuleBoard(now, tuple(results), tuple(notes))
