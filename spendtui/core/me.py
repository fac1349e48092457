"""The figures of a key holder's own view, from what the source read (``MyKeyReads``).

``build_view(reads, now, tz, thresholds)`` is a pure function: budgets are evaluated as
the Budgets pane evaluates them (``budget_eval.evaluate``, burn rates and run-out forecast
from ``forecast``), with hourly spend from the key's own request log when it is visible.

Where each amount comes from:

* **The gauge** (spent, limit, remaining, percent, reset, forecast): the key's counter in
  ``/key/info`` (``spend``), the figure LiteLLM enforces its ``max_budget`` on.
* **Today, month to date, per day, per model**: the key's rows of LiteLLM's daily user
  table (``/user/daily/activity`` filtered to the key), exact per UTC day; when that is
  not visible but the request log is, the log (it covers yesterday and today only).
* **In the window** (the budget window, from ``budget_reset_at`` and ``budget_duration``):
  the daily table when the window starts at a UTC midnight, else the request log when it
  reaches back to the window's start; otherwise not visible (and said so).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta, tzinfo

from spendtui.core.budget_eval import LEVELS, EvaluatedBudget, evaluate
from spendtui.core.budget_state import BudgetState
from spendtui.core.forecast import HourlySpend
from spendtui.core.me_model import (
    NOT_VISIBLE,
    DailyCell,
    DaySpend,
    Figure,
    LoggedRequest,
    ModelBudgetView,
    ModelSpend,
    MyKeyReads,
    MyKeyView,
    Seen,
)
from spendtui.core.thresholds import DEFAULT_THRESHOLDS, Threshold
from spendtui.timeutil import day_number, day_of, day_start

#: The newest requests a view keeps.
RECENT = 20
LOGS_SOURCE = "/spend/logs/v2"
_HOUR = timedelta(hours=1)


def month_start(now: datetime) -> int:
    """The UTC day number of the first of ``now``'s month (UTC)."""
    return day_number(now.astimezone(UTC).date().replace(day=1))


def hourly_from_logs(logs: tuple[LoggedRequest, ...], start: datetime, now: datetime) -> HourlySpend:
    """Spend per clock hour from ``start`` (an hour boundary) up to ``now``, by request start."""
    hours = max(1, -(-int((now - start).total_seconds()) // 3600))
    values = [0] * hours
    for request in logs:
        at = int((request.start - start) // _HOUR)
        if 0 <= at < hours and request.spend:
            values[at] += request.spend
    return HourlySpend(start, tuple(values), now)


def _evaluate(
    state: BudgetState | None, now: datetime, tz: tzinfo, thresholds: tuple[Threshold, ...], hourly: HourlySpend | None
) -> EvaluatedBudget | None:
    return None if state is None else evaluate(state, now, tz=tz, thresholds=thresholds, hourly=hourly)


def _days(cells: tuple[DailyCell, ...]) -> dict[int, DaySpend]:
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in cells:
        row = out[c.day]
        row[0] += c.spend
        row[1] += c.requests
        row[2] += c.prompt_tokens + c.completion_tokens
    return {day: DaySpend(day, *v) for day, v in out.items()}


def _log_days(logs: tuple[LoggedRequest, ...]) -> dict[int, DaySpend]:
    cells = tuple(
        DailyCell(day_of(r.start), r.model, r.spend or 0, 1, r.prompt_tokens, r.completion_tokens, int(r.failed))
        for r in logs
    )
    return _days(cells)


def _sum_days(days: dict[int, DaySpend], first: int, last: int, seen: Seen) -> Figure:
    chosen = [d for day, d in days.items() if first <= day <= last]
    return Figure(sum(d.spend for d in chosen), seen, sum(d.requests for d in chosen))


def _per_model(cells: tuple[DailyCell, ...]) -> tuple[ModelSpend, ...]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in cells:
        row = sums[c.model]
        row[0] += c.spend
        row[1] += c.requests
        row[2] += c.prompt_tokens + c.completion_tokens
    total = sum(v[0] for v in sums.values())
    models = [ModelSpend(m, s, n, t, s / total if total else 0.0) for m, (s, n, t) in sums.items()]
    return tuple(sorted(models, key=lambda m: (-m.spend, m.model)))


def _window_figure(
    reads: MyKeyReads, budget: EvaluatedBudget | None, days: dict[int, DaySpend] | None, daily_seen: Seen
) -> Figure:
    """Spend in the key's budget window, from the source that covers it exactly."""
    if budget is None:
        return Figure(None, Seen("/key/info", reads.key_reason or NOT_VISIBLE))
    start, end = budget.window.start, budget.window.end
    if start is None:
        return Figure(None, Seen("/key/info", "no window: the key's budget never resets (no budget_duration)"))
    if days is not None and reads.daily_days is not None and start == day_start(day_of(start)):
        first = day_of(start)
        last = day_of(end - timedelta(microseconds=1)) if end is not None else reads.daily_days[1]
        if first >= reads.daily_days[0]:
            return _sum_days(days, first, last, daily_seen)
    if reads.logs is not None and reads.logs_from is not None and reads.logs_complete and start >= reads.logs_from:
        chosen = [r for r in reads.logs if r.start >= start and (end is None or r.start < end)]
        return Figure(sum(r.spend or 0 for r in chosen), Seen(LOGS_SOURCE), len(chosen))
    why = (
        f"{NOT_VISIBLE}: the window starts at {start.isoformat()}; the daily activity "
        f"{'has whole UTC days only' if daily_seen.visible else 'is not shown'} and the request log read "
        "does not reach back that far"
    )
    return Figure(None, Seen(daily_seen.source, why))


def _model_budgets(reads: MyKeyReads) -> tuple[ModelBudgetView, ...]:
    if reads.key is None:
        return ()
    spent = dict(reads.key.model_spend)
    return tuple(ModelBudgetView(b.model, b.limit, spent.get(b.model), b.time_period) for b in reads.key.model_budgets)


def build_view(
    reads: MyKeyReads,
    now: datetime,
    tz: tzinfo = UTC,
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS,
    recent: int = RECENT,
) -> MyKeyView:
    """The key's view at ``now`` (pure: no I/O)."""
    today = day_of(now)
    notes = list(reads.notes)
    hourly = None
    if reads.logs is not None and reads.logs_from is not None:
        if reads.logs_complete:
            hourly = hourly_from_logs(reads.logs, reads.logs_from, now)
        else:
            notes.append("more requests in the last day than one read takes: burn rates from the window average only")
    key = reads.key
    budget = _evaluate(key.budget if key else None, now, tz, thresholds, hourly)
    team = _evaluate(reads.team, now, tz, thresholds, None)
    user = _evaluate(reads.user, now, tz, thresholds, None)
    daily_seen = Seen(reads.daily_source, reads.daily_reason)
    days: dict[int, DaySpend] | None = None
    period = reads.daily_days
    per_model: tuple[ModelSpend, ...] = ()
    activity_seen = daily_seen
    if reads.daily is not None:
        days = _days(reads.daily)
        per_model = _per_model(reads.daily)
    elif reads.logs is not None and reads.logs_from is not None and reads.logs_complete:
        days = _log_days(reads.logs)
        period = (day_of(reads.logs_from), today)
        per_model = _per_model(
            tuple(DailyCell(0, r.model, r.spend or 0, 1, r.prompt_tokens, r.completion_tokens, 0) for r in reads.logs)
        )
        activity_seen = Seen(LOGS_SOURCE)
    if days is not None and period is not None:
        today_fig = _sum_days(days, today, today, activity_seen)
        first_of_month = month_start(now)
        if first_of_month >= period[0]:
            month_fig = _sum_days(days, first_of_month, today, activity_seen)
        else:
            month_fig = Figure(
                None, Seen(activity_seen.source, f"{NOT_VISIBLE}: the request log read covers yesterday and today only")
            )
        per_day = tuple(days.get(d, DaySpend(d, 0, 0, 0)) for d in range(period[0], period[1] + 1))
    else:
        today_fig = month_fig = Figure(None, daily_seen)
        per_day = ()
        period = None
    window_fig = _window_figure(reads, budget, days if reads.daily is not None else None, daily_seen)
    visible_logs = reads.logs or ()
    levels = [b.level for b in (budget, team, user) if b is not None and b.limit is not None]
    return MyKeyView(
        now=now,
        proxy=reads.proxy,
        key_name=reads.key_name,
        alias=key.budget.alias if key else None,
        key=key,
        key_seen=Seen("/key/info", reads.key_reason),
        budget=budget,
        team_name=reads.team.name if reads.team else (key.budget.team_id if key else None),
        team_budget=team,
        team_seen=Seen("/team/info", reads.team_reason) if reads.team or reads.team_reason else None,
        user_budget=user,
        user_seen=Seen("/user/info", reads.user_reason) if reads.user or reads.user_reason else None,
        today=today_fig,
        month=month_fig,
        window=window_fig,
        activity_seen=activity_seen,
        period=period,
        per_day=per_day,
        per_model=per_model,
        recent=tuple(visible_logs[: max(0, recent)]),
        recent_seen=Seen(LOGS_SOURCE, reads.logs_reason),
        models_allowed=key.models if key else (),
        models_usable=reads.models_usable,
        models_seen=Seen("/model/info", reads.models_reason),
        limits=key.limits if key else None,
        model_budgets=_model_budgets(reads),
        level=max(levels, key=LEVELS.index, default="ok"),
        notes=tuple(notes),
    )
