"""Spend rules: alerts on a measure of a scope over a period, not tied to a budget.

Two kinds (validated from the config by ``spendtui.budgets.rules_config``):

* ``Rule``: a measure (spend, requests, tokens, failures, failure_rate) of a scope over
  the current hour, day, ISO week or month (``core.rule_periods``) is **above** a
  threshold (strictly more than it).
* ``SpikeRule``: the spend or requests of a scope in the last full UTC clock hour H is
  more than ``factor`` times its median over the same hour of the previous 7 days
  (H - 24 h ... H - 168 h; a day without requests counts as 0), and above ``floor``
  (``core.spikes``).

Values are exact: spend in integer pico-dollars, counts as integers, a failure rate as
a ``Fraction`` of requests; every comparison is exact (``Fraction``).

Every result carries its period key; ``transitions`` turns one evaluation and the state
kept from the previous ones into events: a rule fires **once** per rule, scope and period,
and is ``resolved`` (once) when it is back under within that period. A new period starts
afresh (the old one is not "resolved": its alert simply belongs to the past period).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from spendtui.core.rule_periods import Period
from spendtui.core.scopes import Scope, describe_scope
from spendtui.core.totals import Totals
from spendtui.money import format_usd_auto

MEASURES = ("spend", "requests", "tokens", "failures", "failure_rate")
SPIKE_MEASURES = ("spend", "requests")
CHANNEL_KINDS = ("webhook", "email")
#: Days before the hour that a spike compares it with.
SPIKE_DAYS = 7
#: (rule name, scope text, period key): what an alert ledger records a rule's state under.
RuleKey = tuple[str, str, str]


@dataclass(frozen=True)
class Channel:
    """Where a rule's events go: ``webhook`` (a URL: a secret, never shown) or ``email``."""

    kind: str
    target: str = field(repr=False)

    def __post_init__(self) -> None:
        if self.kind not in CHANNEL_KINDS:
            raise ValueError(f"unknown channel kind {self.kind!r}")

    @property
    def label(self) -> str:
        """What may be shown: ``webhook`` or the email address."""
        return self.target if self.kind == "email" else "webhook"

    def __repr__(self) -> str:
        return f"Channel({self.kind}: {self.label})"


@dataclass(frozen=True)
class Rule:
    """Fire when ``measure`` of ``scope`` over the current ``period`` is above ``above``
    (pico-dollars for spend, a count, or a fraction 0..1 for failure_rate)."""

    name: str
    measure: str
    period: str
    above: Fraction
    scope: Scope = ()
    channels: tuple[Channel, ...] = ()
    #: failure_rate only: fewer requests than this in the period never fire.
    min_requests: int = 0
    #: The config key it came from (``rules[2]``), for messages.
    where: str = ""

    kind = "threshold"


@dataclass(frozen=True)
class SpikeRule:
    """Fire when ``measure`` (spend or requests) of ``scope`` in the last full hour is more
    than ``factor`` times its median for that hour over the previous days, and above
    ``floor`` (pico-dollars for spend, a count for requests)."""

    name: str
    measure: str
    factor: Fraction
    floor: Fraction
    scope: Scope = ()
    channels: tuple[Channel, ...] = ()
    where: str = ""

    kind = "spike"
    period = "hour"


AnyRule = Rule | SpikeRule


def measure_value(measure: str, totals: Totals) -> Fraction:
    """The measure of some totals, exactly: spend in pico-dollars, counts, a rate."""
    if measure == "spend":
        return Fraction(totals.spend)
    if measure == "requests":
        return Fraction(totals.requests)
    if measure == "tokens":
        return Fraction(totals.total_tokens)
    if measure == "failures":
        return Fraction(totals.failures)
    if measure == "failure_rate":
        return Fraction(totals.failures, totals.requests) if totals.requests else Fraction(0)
    raise ValueError(f"unknown measure {measure!r}")


def format_measure(measure: str, value: Fraction) -> str:
    """``$12.40``, ``1,204``, ``5.2%`` (a rate to one decimal, rounded down)."""
    if measure == "spend":
        return format_usd_auto(round(value))
    if measure == "failure_rate":
        tenths = value * 1000 // 1
        return f"{tenths // 10}.{tenths % 10}%"
    whole = round(value)
    return f"{whole:,}" if whole == value else f"{float(value):,.2f}"


@dataclass(frozen=True)
class RuleResult:
    """One rule evaluated at ``evaluated_at``: its value over ``period`` against its
    threshold (for a spike: ``max(factor × median, floor)``)."""

    rule: AnyRule
    period: Period
    value: Fraction
    threshold: Fraction
    firing: bool
    evaluated_at: datetime
    #: Spikes: the same hour on each of the previous days (oldest first) and their median.
    baseline: tuple[Fraction, ...] = ()
    median: Fraction | None = None
    #: How it was counted, when that needs saying (a period counted in UTC...).
    note: str | None = None

    @property
    def state(self) -> str:
        """``firing`` or ``ok``."""
        return "firing" if self.firing else "ok"

    @property
    def period_key(self) -> str:
        return self.period.key

    @property
    def scope_text(self) -> str:
        return describe_scope(self.rule.scope)

    @property
    def key(self) -> RuleKey:
        """``(rule name, scope text, period key)``: one alert per rule, scope and period."""
        return (self.rule.name, self.scope_text, self.period.key)

    @property
    def over(self) -> Fraction:
        """How far the value is above the threshold (negative: under it)."""
        return self.value - self.threshold

    @property
    def over_percent(self) -> Fraction | None:
        """``over`` as a percentage of the threshold (None for a threshold of 0)."""
        return self.over * 100 / self.threshold if self.threshold else None

    def describe(self) -> str:
        """``spend of the whole proxy in day 2026-12-07: $62.10, above $50.00 by $12.10 (+24%)``
        (a spike: ``... in hour 2026-12-07T13: $12.00, above $9.00 (3 × the 7-day median
        $3.00 of that hour) by $3.00 (+33%)``); ``..., not above $50.00`` when it is not."""
        measure = self.rule.measure
        scope = "the whole proxy" if not self.rule.scope else self.scope_text
        head = f"{measure} of {scope} in {self.rule.period} {self.period.key}: {format_measure(measure, self.value)}"
        limit = format_measure(measure, self.threshold)
        if isinstance(self.rule, SpikeRule) and self.median is not None:
            factor = format(float(self.rule.factor), "g")
            limit += f" ({factor} × the {SPIKE_DAYS}-day median {format_measure(measure, self.median)} of that hour"
            limit += f", floor {format_measure(measure, self.rule.floor)})"
        if not self.firing:
            return f"{head}, not above {limit}"
        pct = self.over_percent
        extra = "" if pct is None else f" (+{pct // 1}%)" if pct >= 1 else " (+<1%)"
        return f"{head}, above {limit} by {format_measure(measure, self.over)}{extra}"


@dataclass(frozen=True)
class RuleEvent:
    """What to send: a rule started ``firing`` in a period, or is ``resolved`` (back
    under) in the period it fired in."""

    kind: str
    result: RuleResult

    @property
    def key(self) -> RuleKey:
        return self.result.key

    @property
    def channels(self) -> tuple[Channel, ...]:
        return self.result.rule.channels


#: A rule's remembered state in its period: ``firing`` (an alert was sent) or
#: ``resolved`` (it fired, then went back under: nothing more in this period).
STATES = ("firing", "resolved")


def transitions(previous: Mapping[RuleKey, str], now_results: Iterable[RuleResult]) -> list[RuleEvent]:
    """The events of one evaluation given the states kept from earlier ones (``STATES``
    by ``RuleResult.key``; a key not there never fired in that period).

    Firing and not fired yet in its period: ``firing``. Firing before and now under:
    ``resolved``. Everything else (still firing, under and never fired, firing again
    after it resolved in the same period): nothing."""
    events = []
    for result in now_results:
        held = previous.get(result.key)
        if result.firing and held is None:
            events.append(RuleEvent("firing", result))
        elif not result.firing and held == "firing":
            events.append(RuleEvent("resolved", result))
    return events


def next_states(previous: Mapping[RuleKey, str], now_results: Iterable[RuleResult]) -> dict[RuleKey, str]:
    """The states to keep after ``transitions`` (what an alert ledger persists): each
    evaluated rule's state in its current period; states of earlier periods of the
    evaluated rules are dropped; those of rules not evaluated this time are kept."""
    results = list(now_results)
    evaluated = {(r.key[0], r.key[1]) for r in results}
    out = {key: state for key, state in previous.items() if (key[0], key[1]) not in evaluated}
    for result in results:
        held = previous.get(result.key)
        if result.firing and held is None:
            out[result.key] = "firing"
        elif held == "firing" and not result.firing:
            out[result.key] = "resolved"
        elif held is not None:
            out[result.key] = held
    return out
