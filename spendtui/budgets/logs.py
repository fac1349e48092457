"""LiteLLM's stored spend counters against the request logs.

A budget's ``spend`` is LiteLLM's counter (``spend`` on the key, team, organization, tag...
row). The same spend can be counted from the request logs for the budget's scope
(``BudgetState.log_scope``) over its current window: where the two differ by more than a
cent the counter is not what the logs say, which is what users report as "budget not
enforced". ``with_logs_spend`` fills ``logs_spend`` (and, for a model budget whose row keeps
no ``model_spend`` for the model, ``spend`` itself).

The window is the budget's (``budget_eval.budget_window``): from its start to now, or all
time without a duration. Counting needs the engine to hold those days: a window that
starts before the first loaded day, or mid-hour, or an all-time budget while the engine
does not hold the whole history, is not compared (one note says how many).

Budgets are grouped so one breakdown answers many: every organization with the same
window in one pass, every member of one team in one pass, every model of one key...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo

from spendtui.core.budget_eval import budget_window
from spendtui.core.budget_state import BudgetState
from spendtui.core.facts import NotExact
from spendtui.core.query import Filters, Window
from spendtui.core.questions import Questions
from spendtui.timeutil import day_date, day_of

#: (window start or None for all time, the scope's leading pairs, the last dimension)
_Group = tuple[datetime | None, tuple[tuple[str, str], ...], str]


def window_start(state: BudgetState, now: datetime, tz: tzinfo = UTC) -> tuple[datetime | None, bool]:
    """The start of the budget's current window (None: all time), and whether it has one."""
    window, _ = budget_window(state, now, tz)
    return window.start, bool(state.budget_duration) or state.window_start is not None


def logs_first_day(states: Iterable[BudgetState], now: datetime, tz: tzinfo = UTC) -> int | None:
    """The earliest UTC day the engine must hold to count the windowed budgets' logs."""
    days = [day_of(start) for s in states if s.log_scope and (start := window_start(s, now, tz)[0]) is not None]
    return min(days, default=None)


def _spend_by(
    query: Questions, start: datetime | None, prefix: tuple[tuple[str, str], ...], dim: str, now: datetime
) -> dict[str, int] | None:
    """Spend per value of ``dim`` from ``start`` (None: all loaded days) to now, within the
    ``prefix`` filters; None when the held cells cannot answer exactly."""
    filters = Filters()
    for d, v in prefix:
        filters = filters.with_value(d, v)
    today = day_of(now)
    try:
        if start is None:
            rows = query.breakdown(dim, None, filters)
            return None if rows.caveats else {g.value: g.totals.spend for g in rows}
        first = day_of(start)
        if first > today:
            return {}
        rows = query.breakdown(dim, Window(first, today), filters)
        if rows.caveats:
            return None
        out = {g.value: g.totals.spend for g in rows}
        offset = start - datetime.combine(start.date(), datetime.min.time(), UTC)
        if offset:
            if offset % timedelta(hours=1):
                return None  # a window starting mid-hour: hour cells cannot cut it
            before = query.breakdown(dim, Window(first, first, offset // timedelta(hours=1)), filters)
            if before.caveats:
                return None
            for g in before:
                out[g.value] = out.get(g.value, 0) - g.totals.spend
        return out
    except (NotExact, ValueError):  # daily tables, or a day held whole
        return None


def with_logs_spend(
    states: list[BudgetState],
    query: Questions,
    now: datetime,
    tz: tzinfo = UTC,
    *,
    loaded_from: int | None = None,
    history_from: int | None = None,
) -> tuple[list[BudgetState], tuple[str, ...]]:
    """The states with ``logs_spend`` counted where the held cells can (see module doc).

    ``loaded_from``: the first UTC day the engine holds; ``history_from``: the first day
    the logs have (None: unknown, so all-time budgets are not compared)."""
    groups: dict[_Group, list[int]] = {}
    skipped_window = skipped_all_time = 0
    for i, state in enumerate(states):
        if not state.log_scope:
            continue
        start, windowed = window_start(state, now, tz)
        if not windowed:
            if history_from is None or loaded_from is None or loaded_from > history_from:
                skipped_all_time += 1
                continue
            start = None
        elif start is None or (loaded_from is not None and day_of(start) < loaded_from):
            skipped_window += 1
            continue
        *prefix, (dim, _) = state.log_scope
        groups.setdefault((start, tuple(prefix), dim), []).append(i)
    out = list(states)
    uncounted = 0
    for (start, scope, dim), members in groups.items():
        spends = _spend_by(query, start, scope, dim, now)
        for i in members:
            state = states[i]
            if spends is None:
                uncounted += 1
                continue
            value = spends.get(state.log_scope[-1][1], 0)
            if state.spend_from == "logs":
                out[i] = replace(state, spend=value, logs_spend=value)
            else:
                out[i] = replace(state, logs_spend=value)
    notes = []
    if skipped_window or uncounted:
        notes.append(
            f"{skipped_window + uncounted} budget(s) not compared with the request logs: their window starts "
            "before the loaded days, mid-hour, or in days only held as daily totals"
        )
    if skipped_all_time:
        why = (
            "this source cannot tell where its logs start"
            if history_from is None
            else f"the logs start {day_date(history_from)}, the days held start "
            + (f"{day_date(loaded_from)}" if loaded_from is not None else "nowhere")
        )
        notes.append(
            f"{skipped_all_time} budget(s) without a budget_duration (all-time counters) not compared with the "
            f"request logs: {why}"
        )
    return out, tuple(notes)
