"""Spike rules: the last full hour against the same hour of the previous days.

The hour H is the last **full** UTC clock hour before ``now`` (at 14:25 UTC: 13:00 to
14:00): a partial current hour would be compared with whole hours. Its value (spend in
pico-dollars, or requests) for the rule's scope is compared with the values of the same
hour on each of the previous ``SPIKE_DAYS`` days (H - 24 h ... H - 168 h; hours without
requests count as 0). The rule fires when the value is more than ``factor`` times their
median **and** more than ``floor``: the threshold is ``max(factor × median, floor)``.

The 8 days must be held by hour (``SpendEngine.hourly_days``, see
``spendtui.budgets.rules_eval``); the result's period is hour H, keyed in the profile's
zone (``2026-12-07T13``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from fractions import Fraction

from spendtui.core.questions import Questions
from spendtui.core.rule_periods import HOUR, NotCountable, Period, hour_floor, hour_key
from spendtui.core.rules import SPIKE_DAYS, RuleResult, SpikeRule, measure_value
from spendtui.core.selection import Filters
from spendtui.timeutil import day_of


def spike_hour(now: datetime) -> datetime:
    """The start of the last full UTC clock hour before ``now``."""
    return hour_floor(now) - HOUR


def spike_first_day(now: datetime) -> int:
    """The first UTC day a spike evaluation at ``now`` reads, by hour."""
    return day_of(spike_hour(now) - timedelta(days=SPIKE_DAYS))


def median(values: list[Fraction]) -> Fraction:
    """The median (of an even count: the mean of the middle two)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _hour_value(query: Questions, start: datetime, filters: Filters, measure: str) -> Fraction:
    day = day_of(start)
    hours = query.hourly(day, filters)
    if hours is None:
        raise NotCountable(f"{start:%Y-%m-%d} is held as a whole day, not hour by hour")
    return measure_value(measure, hours[start.hour][1])


def evaluate_spike(rule: SpikeRule, query: Questions, filters: Filters, now: datetime, tz: tzinfo) -> RuleResult:
    """The rule at ``now`` (``NotCountable`` when the days are not held by hour;
    ``NotExact`` from ``core.facts`` when no held cube crosses the scope)."""
    hour = spike_hour(now)
    value = _hour_value(query, hour, filters, rule.measure)
    baseline = tuple(
        _hour_value(query, hour - timedelta(days=k), filters, rule.measure) for k in range(SPIKE_DAYS, 0, -1)
    )
    middle = median(list(baseline))
    threshold = max(rule.factor * middle, rule.floor)
    return RuleResult(
        rule=rule,
        period=Period(hour_key(hour, tz), hour, hour + HOUR),
        value=value,
        threshold=threshold,
        firing=value > threshold,
        evaluated_at=now,
        baseline=baseline,
        median=middle,
    )
