"""Every budget evaluated at once, most urgent first: what the Budgets pane and
``spendtui check`` draw from.

* ``read_states(source)``: LiteLLM's budgets from the source (I/O; empty when the
  source cannot report budgets). ``read_key_states(source)``: every virtual key, with a
  limit or without, read the same way.
* ``evaluate_board(states, settings, query, names, now, tz)``: plans counted from the
  engine's records, burn rates from its hourly cells, every budget evaluated and sorted
  (CPU only; call it on each refresh).
* ``budget_board(engine, settings, tz)``: both, after making sure the engine holds the
  days the plans need.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from spendtui.budgets.config import BudgetSettings
from spendtui.budgets.logs import logs_first_day, with_logs_spend
from spendtui.core.budget_eval import LEVELS, EvaluatedBudget, by_urgency, evaluate
from spendtui.core.budget_state import (
    KINDS,
    BudgetList,
    BudgetSource,
    BudgetState,
    KeySource,
    KeyStates,
    LogSpanSource,
    note_kind,
)
from spendtui.core.durations import DurationError, zone
from spendtui.core.facts import NotExact
from spendtui.core.forecast import HourlySpend
from spendtui.core.hourly import hourly_by, hourly_filtered
from spendtui.core.names import Names
from spendtui.core.plans import BudgetPlan, plan_dates, plan_state
from spendtui.core.query import Filters, Query, Window
from spendtui.core.questions import Questions
from spendtui.core.scopes import scope_filters
from spendtui.errors import ConfigError
from spendtui.timeutil import day_number, day_of

if TYPE_CHECKING:
    from spendtui.engine import SpendEngine

#: ``spendtui check`` loads at most this many days back to compare counters with the logs.
MAX_LOGS_DAYS = 400


@dataclass(frozen=True)
class BudgetBoard:
    """The evaluated budgets, most urgent first, and what could not be evaluated."""

    evaluated_at: datetime
    budgets: list[EvaluatedBudget]
    notes: tuple[str, ...] = ()

    def of_kind(self, *kinds: str) -> list[EvaluatedBudget]:
        """The budgets of these kinds (``key``, ``team``, ``user``, ``customer``, ``plan``)."""
        return [b for b in self.budgets if b.state.kind in kinds]

    def alerting(self) -> list[EvaluatedBudget]:
        """Budgets at or over a threshold (level warning or exceeded), most urgent first."""
        return [b for b in self.budgets if b.level != "ok"]

    @property
    def level(self) -> str:
        """The worst level on the board (``ok`` when empty)."""
        return max((b.level for b in self.budgets), key=LEVELS.index, default="ok")

    def counts(self) -> dict[str, int]:
        return {level: sum(1 for b in self.budgets if b.level == level) for level in LEVELS}


def profile_zone(profile_name: str, name: str | None) -> tzinfo:
    """The profile's LiteLLM ``timezone`` as a tzinfo; ConfigError naming the profile."""
    try:
        return zone(name)
    except DurationError:
        raise ConfigError(
            f"profile {profile_name!r}: timezone {name!r} is not an IANA time zone (e.g. Europe/Berlin)"
        ) from None


def read_states(source: object) -> tuple[list[BudgetState], tuple[str, ...]]:
    """LiteLLM's budgets from a source, with the source's notes on what it could not read;
    a note instead when it cannot report them."""
    if isinstance(source, BudgetSource):
        states = source.budgets()
        return list(states), states.notes if isinstance(states, BudgetList) else ()
    return [], ("this source does not report LiteLLM budgets; only spendtui plans are shown",)


def read_key_states(source: object) -> KeyStates:
    """Every virtual key from a source, with or without a limit (``spendtui keys list``);
    a note instead when the source cannot list keys."""
    if isinstance(source, KeySource):
        return source.key_states()
    return KeyStates([], ("this source cannot list virtual keys",))


def first_log_day(source: object) -> int | None:
    """The UTC day of the source's oldest request log, when the source can tell."""
    if isinstance(source, LogSpanSource):
        return source.first_log_day()
    return None


def plans_first_day(settings: BudgetSettings, now: datetime) -> int:
    """The earliest UTC day the engine must hold: active plan periods and the hourly days."""
    today = now.astimezone(UTC).date()
    first = day_number(today) - 1
    for plan in settings.plans:
        dates = plan_dates(plan, today)
        if dates is not None:
            first = min(first, day_number(dates[0]))
    return first


def plan_filters(plan: BudgetPlan, names: Names, query: Questions) -> tuple[Filters, tuple[str, ...]]:
    """The plan's scope as query filters, with a note per value no loaded record has."""
    filters, missing = scope_filters(plan.scope, names, query)
    return filters, tuple(f"plan {plan.name!r}: no loaded record has {dim} {value!r}" for dim, value in missing)


def hour_query(query: Questions) -> Query:
    """Where the hourly cells are: the one cube, or a fact set's request-log cube (a
    proxy's daily tables have no hours)."""
    return query if isinstance(query, Query) else Query(query.cube)


def _hourly_sources(states: list[BudgetState], query: Query, now: datetime) -> dict[tuple[str, str], HourlySpend]:
    """Hourly spend per budget: grouped by dimension for the kinds that are one, filtered
    by the budget's log scope for the rest (members, tags, models)."""
    today = day_of(now)
    out: dict[tuple[str, str], HourlySpend] = {}
    for kind in ("key", "team", "user", "customer", "organization", "project"):
        ids = [s.id for s in states if s.kind == kind]
        for ident, series in hourly_by(query, kind, ids, today - 1, today, now).items():
            out[(kind, ident)] = series
    for state in states:
        if state.kind in ("member", "tag", "model") and state.log_scope:
            filters = Filters()
            for dim, value in state.log_scope:
                filters = filters.with_value(dim, value)
            filtered = hourly_filtered(query, filters, today - 1, today, now)
            if filtered is not None:
                out[(state.kind, state.id)] = filtered
    return out


def evaluate_board(
    states: Iterable[BudgetState],
    settings: BudgetSettings,
    query: Questions,
    names: Names,
    now: datetime,
    tz: tzinfo = UTC,
    *,
    kinds: Iterable[str] | None = None,
    loaded_from: int | None = None,
    history_from: int | None = None,
    steady: Collection[str] | None = None,
    notes: Iterable[str] = (),
    logs: tuple[list[BudgetState], tuple[str, ...]] | None = None,
) -> BudgetBoard:
    """Evaluate every LiteLLM budget and every active plan at ``now``; most urgent first.

    ``loaded_from`` is the first UTC day the engine holds (plans starting earlier are
    flagged as undercounted); ``history_from`` the first day of the request logs, when
    known (all-time counters are compared with the logs only when all of it is loaded).
    ``steady``: the budgets (uids) whose counter-vs-logs difference may be flagged (the
    dashboard's ``BudgetMonitor`` passes those whose difference held); None: every one.
    ``logs``: ``with_logs_spend`` of exactly these budgets, when the caller counted it
    already (the monitor does, to settle the differences), so it is not counted twice.
    """
    wanted = set(kinds or KINDS)
    found = [s for s in states if s.kind in wanted and s.has_limit]
    if logs is None:
        logs = with_logs_spend(found, query, now, tz, loaded_from=loaded_from, history_from=history_from)
    found, log_notes = logs
    if steady is not None:
        found = [replace(s, logs_settled=False) if s.differs and s.uid not in steady else s for s in found]
    all_notes = [*notes, *log_notes]
    hourly = _hourly_sources(found, hour_query(query), now)
    evaluated = []
    for state in found:
        override = settings.override_for(state.kind, state.id, state.name)
        thresholds = override.thresholds if override and override.thresholds is not None else settings.thresholds
        evaluated.append(evaluate(state, now, tz=tz, thresholds=thresholds, hourly=hourly.get((state.kind, state.id))))
    if "plan" in wanted:
        today = now.astimezone(UTC).date()
        for plan in settings.plans:
            dates = plan_dates(plan, today)
            if dates is None:
                continue
            filters, plan_notes = plan_filters(plan, names, query)
            all_notes += plan_notes
            first, last = day_number(dates[0]), min(day_number(dates[1]), day_of(now))
            if loaded_from is not None and loaded_from > first:
                all_notes.append(f"plan {plan.name!r}: records before {dates[0]} are not loaded; spend is undercounted")
            try:
                spend = query.totals(Window(first, last), filters).spend if last >= first else 0
            except NotExact as exc:  # a proxy's daily tables do not cross the plan's scope
                all_notes.append(f"plan {plan.name!r} not evaluated: {exc}")
                continue
            state = plan_state(plan, dates[0], dates[1], spend)
            if not state.has_limit:
                continue
            series = hourly_filtered(hour_query(query), filters, day_of(now) - 1, day_of(now), now)
            thresholds = plan.thresholds if plan.thresholds is not None else settings.thresholds
            evaluated.append(evaluate(state, now, tz=tz, thresholds=thresholds, hourly=series))
    return BudgetBoard(now, by_urgency(evaluated), tuple(all_notes))


def budget_board(
    engine: SpendEngine, settings: BudgetSettings, tz: tzinfo = UTC, *, kinds: Iterable[str] | None = None
) -> BudgetBoard:
    """Read the source's budgets, make sure the engine holds the plans' days, evaluate."""
    now = engine.now()
    wanted = set(kinds or KINDS)
    states, notes = read_states(engine.source) if wanted - {"plan"} else ([], ())
    notes = tuple(n for n in notes if note_kind(n) in (None, *wanted))  # (check --kind: only those)
    history_from = first_log_day(engine.source)
    first = plans_first_day(settings, now)
    logs_from = logs_first_day([s for s in states if s.kind in wanted], now, tz)
    if logs_from is not None and logs_from >= day_of(now) - MAX_LOGS_DAYS:
        first = min(first, logs_from)
    if history_from is not None and history_from >= day_of(now) - MAX_LOGS_DAYS:
        first = min(first, history_from)
    engine.ensure_loaded(first)
    return evaluate_board(
        states,
        settings,
        engine.query,
        engine.names,
        now,
        tz,
        kinds=wanted,
        loaded_from=engine.first_day,
        history_from=history_from,
        notes=notes,
    )
