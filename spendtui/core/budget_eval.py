"""One budget evaluated at one moment: its window, level, crossed thresholds and forecast.

Levels (what a gauge and ``spendtui check`` report):

* ``exceeded``: spend is at or over ``max_budget`` (LiteLLM blocks a key there).
* ``warning``: below that, but at or over a threshold, or over the soft budget.
* ``ok``: below every threshold.

A budget with only a soft budget is measured against it and never ``exceeded`` (a soft
budget only warns). A $0 budget is at its limit whatever the spend. Everything here is a
pure function of a ``BudgetState``, the clock and the hourly spend, so it is tested with
fixed clocks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from spendtui.core.budget_state import KINDS, BudgetState
from spendtui.core.durations import (
    DurationError,
    current_window,
    parse_stored_duration,
    window_start,
)
from spendtui.core.forecast import Forecast, HourlySpend, forecast
from spendtui.core.thresholds import DEFAULT_THRESHOLDS, SOFT, Threshold
from spendtui.money import format_usd_auto as usd_text

LEVELS = ("ok", "warning", "exceeded")
#: Text and symbol for each level, so state never depends on colour alone.
LEVEL_LABEL = {"ok": "OK", "warning": "WARN", "exceeded": "OVER"}
LEVEL_SYMBOL = {"ok": "✓", "warning": "▲", "exceeded": "✗"}
LEVEL_ASCII = {"ok": "ok", "warning": "!", "exceeded": "!!"}
_FAR = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class BudgetWindow:
    """The current window: [start, end). Both None for budgets LiteLLM never resets."""

    start: datetime | None = None
    end: datetime | None = None
    #: True when the end is LiteLLM's rule applied to now, not a stored ``budget_reset_at``.
    assumed: bool = False

    @property
    def key(self) -> str:
        """Identity of the window, for "once per window" de-duplication."""
        return self.start.isoformat() if self.start is not None else "none"


@dataclass(frozen=True)
class EvaluatedBudget:
    """Every number a gauge needs. Money in pico-dollars, rates in pico-dollars per hour."""

    state: BudgetState
    now: datetime
    #: What the gauge fills against: ``max_budget``, else the soft budget.
    limit: int | None
    limit_is_soft: bool
    window: BudgetWindow
    thresholds: tuple[Threshold, ...]
    #: Thresholds at or over now (including ``SOFT`` when spend is over the soft budget).
    crossed: tuple[Threshold, ...]
    level: str
    forecast: Forecast
    notes: tuple[str, ...] = ()

    @property
    def spend(self) -> int:
        return self.state.spend

    @property
    def fraction(self) -> float | None:
        """spend / limit (1.0 for a $0 limit with no spend, inf above it); None without limit."""
        if self.limit is None:
            return None
        if self.limit == 0:
            return 1.0 if self.spend <= 0 else math.inf
        return self.spend / self.limit

    @property
    def percent(self) -> float | None:
        """Percent used, None without a limit or when it is not finite ($0 budget)."""
        f = self.fraction
        return None if f is None or not math.isfinite(f) else f * 100

    @property
    def remaining(self) -> int | None:
        """limit - spend (negative when over)."""
        return None if self.limit is None else self.limit - self.spend

    @property
    def resets_in(self) -> timedelta | None:
        """Time until the window ends (zero when the reset is overdue)."""
        if self.window.end is None:
            return None
        return max(self.window.end - self.now, timedelta(0))

    @property
    def reset_overdue(self) -> bool:
        """LiteLLM's reset job (every ~10 minutes) has not reset the counter yet."""
        return self.window.end is not None and self.now >= self.window.end

    @property
    def symbol(self) -> str:
        return LEVEL_SYMBOL[self.level]

    @property
    def label(self) -> str:
        return LEVEL_LABEL[self.level]


def budget_window(state: BudgetState, now: datetime, tz: tzinfo = UTC) -> tuple[BudgetWindow, tuple[str, ...]]:
    """The window a state's spend belongs to, with notes when it had to be assumed."""
    if state.window_start is not None or state.window_end is not None:
        return BudgetWindow(state.window_start, state.window_end), ()
    if not state.budget_duration:
        return BudgetWindow(), ()
    duration = parse_stored_duration(state.budget_duration)
    notes: list[str] = []
    if duration is None:
        notes.append(f"budget_duration {state.budget_duration!r} is not one LiteLLM recognises: it resets daily")
    if state.budget_reset_at is not None:
        return BudgetWindow(window_start(duration, state.budget_reset_at, tz), state.budget_reset_at), tuple(notes)
    notes.append("budget_reset_at is not set: window assumed from budget_duration")
    try:
        if duration is None:
            raise DurationError("unrecognised")
        start, end = current_window(duration, now, tz)
    except DurationError:
        local = now.astimezone(tz)
        end = (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(UTC)
        start = window_start(None, end, tz)
    return BudgetWindow(start, end, assumed=True), tuple(notes)


def crossed_thresholds(state: BudgetState, limit: int | None, thresholds: Iterable[Threshold]) -> tuple[Threshold, ...]:
    """Thresholds at or over, compared exactly; ``SOFT`` when over a soft budget that is
    not itself the limit."""
    out: list[Threshold] = []
    if state.soft_budget is not None and state.max_budget is not None and state.spend >= state.soft_budget:
        out.append(SOFT)
    if limit is not None:
        out += [t for t in thresholds if not t.is_soft and state.spend >= t.amount(limit)]
    return tuple(out)


def evaluate(
    state: BudgetState,
    now: datetime,
    *,
    tz: tzinfo = UTC,
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS,
    hourly: HourlySpend | None = None,
) -> EvaluatedBudget:
    """Evaluate one budget at ``now``."""
    limit = state.max_budget if state.max_budget is not None else state.soft_budget
    window, notes = budget_window(state, now, tz)
    crossed = crossed_thresholds(state, limit, thresholds)
    if state.max_budget is not None and state.spend >= state.max_budget:
        level = "exceeded"
    elif crossed:
        level = "warning"
    else:
        level = "ok"
    prediction = forecast(state.spend, limit, now, window.start, window.end, hourly)
    if window.end is not None and now >= window.end and not window.assumed:
        notes += ("reset overdue: LiteLLM resets this counter within about 10 minutes",)
    if state.disagrees and state.logs_spend is not None:
        notes += (
            f"LiteLLM's stored counter ({usd_text(state.spend)}) differs from the request logs "
            f"({usd_text(state.logs_spend)}) for this window: the limit is enforced on the counter",
        )
    return EvaluatedBudget(
        state=state,
        now=now,
        limit=limit,
        limit_is_soft=state.max_budget is None and state.soft_budget is not None,
        window=window,
        thresholds=thresholds,
        crossed=crossed,
        level=level,
        forecast=prediction,
        notes=notes,
    )


def urgency_key(budget: EvaluatedBudget) -> tuple[int, float, bool, datetime, float, int, str, str]:
    """Most urgent first: exceeded (furthest over first), then warnings and the rest by
    how soon they run out, then by how full they are."""
    rank = {"exceeded": 0, "warning": 1, "ok": 2}[budget.level]
    fraction = budget.fraction if budget.fraction is not None else -1.0
    runs_out = budget.forecast.runs_out_at
    kind = KINDS.index(budget.state.kind) if budget.state.kind in KINDS else len(KINDS)
    return (
        rank,
        -fraction if rank == 0 else 0.0,
        runs_out is None,
        runs_out or _FAR,
        -fraction,
        kind,
        budget.state.name,
        budget.state.id,
    )


def by_urgency(budgets: Iterable[EvaluatedBudget]) -> list[EvaluatedBudget]:
    return sorted(budgets, key=urgency_key)
