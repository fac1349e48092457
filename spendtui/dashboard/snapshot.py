"""Snapshots: everything the visible panes draw, computed from the engine in one go.

Built in a worker thread (the engine is not thread-safe; the TUI serialises access) and
handed to the UI thread as immutable data. Only what the active pane needs is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from spendtui.core.cube import RawRow
from spendtui.core.dims import describe_tag_filter, parse_tags, request_tags, tag_filter, tags_match
from spendtui.core.facts import NotExact
from spendtui.core.measures import ZERO
from spendtui.core.names import Names
from spendtui.core.query import Filters, Window
from spendtui.core.questions import Questions
from spendtui.dashboard.compare import Periods, coverage_note, periods
from spendtui.dashboard.costs import cost_warning, costs
from spendtui.dashboard.latency import LATENCY_DIMENSIONS, daily_latency, with_latency
from spendtui.dashboard.model import ChartData, DrillData, Kpis, Snapshot, TableData, TableRow, TailRow
from spendtui.dashboard.state import SCOPE_DRILL, TOP_ENTITIES, ViewState, scope_pairs
from spendtui.engine import SpendEngine
from spendtui.money import PICO
from spendtui.timeutil import day_number, parse_timestamp

if TYPE_CHECKING:
    from spendtui.budgets.monitor import BudgetMonitor

#: Dimensions shown when drilling into an item (the item's own dimension is skipped).
DRILL_DIMENSIONS = ("model", "key", "user", "team", "customer", "tag")
#: Shown too when the item's requests are attributed to some of them (a source that
#: cannot answer them exactly, or data without any, would only add noise to the drill).
DRILL_ENTITIES = ("organization", "project", "agent")


@dataclass(frozen=True)
class Comparison:
    """What the change figures compare (``compare.periods``), once the previous days are
    loaded (they follow the window by a moment), and what to say about their coverage."""

    periods: Periods
    note: str | None
    #: Why nothing compares (no data at all in the previous days), or None.
    missing: str | None = None


def comparison(engine: SpendEngine, window: Window, now: datetime) -> Comparison | None:
    """The like-with-like comparison for the window, or None (not loaded yet, or nothing
    comparable yet)."""
    compared = periods(window, now)
    if compared is None or engine.first_day is None or engine.first_day > compared.previous.first_day:
        return None
    try:  # where the source's data starts (all requests, whatever the filters)
        if compared.previous.until_hour is not None and engine.query.hourly(compared.previous.first_day) is None:
            return Comparison(compared, None, "no hours kept for yesterday")
        daily = engine.query.daily(Window(compared.previous.first_day, compared.previous.last_day))
    except NotExact:
        return Comparison(compared, None)
    first = next((day_number(d) for d, t in daily if t.requests), None)
    if first is None:
        return Comparison(compared, None, "no earlier data")
    return Comparison(compared, coverage_note(compared, first))


def _label(engine: SpendEngine, dimension: str, value: str, empty: str) -> str:
    if dimension == "tag":  # (a filter value: a tag, untagged, or lacking a category)
        return describe_tag_filter(value)
    if not value:
        return empty
    return engine.names.label(dimension.split(":", 1)[0], value)


def table(
    engine: SpendEngine,
    dimension: str,
    window: Window,
    filters: Filters,
    limit: int | None = None,
    compared: Comparison | None = None,
    query: Questions | None = None,
) -> TableData:
    """A breakdown with shares, and with ``compared`` each row's change (like with like,
    see ``compare``). A source that cannot answer exactly gives no rows and the reason.
    ``query`` asks other cells than the engine's (a session's: ``top_tables``)."""
    query = query if query is not None else engine.query
    try:
        current = query.breakdown(dimension, window, filters)
        total = query.totals(window, filters)
    except NotExact as exc:
        return TableData(dimension, [], ZERO, refusal=str(exc))
    now: dict[str, int] | None = None
    previous: dict[str, int] | None = None
    caveats = current.caveats
    if compared is not None and compared.missing is None:
        span = compared.periods
        try:
            part = current if span.current == window else query.breakdown(dimension, span.current, filters)
            now = {g.value: g.totals.spend for g in part}
            previous = {g.value: g.totals.spend for g in query.breakdown(dimension, span.previous, filters)}
        except NotExact:
            now = previous = None  # the change column stays blank rather than wrong
        if compared.note and previous is not None:
            caveats += (compared.note,)
    rows = [
        TableRow(
            value=g.value,
            label=_label(engine, dimension, g.value, g.name),
            totals=g.totals,
            share=(g.totals.spend / total.spend) if total.spend else 0.0,
            previous_spend=None if previous is None else previous.get(g.value, 0),
            compared_spend=None if now is None else now.get(g.value, 0),
        )
        for g in (current[:limit] if limit else current)
    ]
    categories = query.tag_categories(window) if dimension.startswith("tag") else []
    return TableData(dimension, rows, total, categories, caveats=caveats)


def _hour_spend(engine: SpendEngine, day: int, filters: Filters) -> list[int]:
    hours = engine.query.hourly(day, filters)
    return [t.spend for _, t in hours] if hours else [0] * 24


def kpis(
    engine: SpendEngine, window: Window, filters: Filters, now: datetime, compared: Comparison | None = None
) -> Kpis:
    query = engine.query
    today = day_number(now.date())
    month_start = day_number(now.date().replace(day=1))
    hours_today = _hour_spend(engine, today, filters)
    hours_yesterday = _hour_spend(engine, today - 1, filters)
    frac = (now.minute * 60 + now.second) / 3600
    current = now.hour
    # about the last hour: the previous clock hour plus the running one
    prev_hour = hours_today[current - 1] if current else hours_yesterday[23]
    burn_1h = (prev_hour + hours_today[current]) / (1 + frac)
    # the last 24 hours: the running hour plus the 23 before it
    last24 = hours_today[: current + 1] + hours_yesterday[current + 1 :]
    burn_24h = sum(last24) / (23 + frac) if (23 + frac) else 0.0
    totals = query.totals(window, filters)
    span = compared.periods if compared is not None and compared.missing is None else None
    if span is not None:
        missing = ""
    elif compared is not None:
        missing = compared.missing or ""
    elif window.days == 1 and window.last_day == today and now.hour == 0:
        missing = "compared from 01:00 UTC"
    else:
        missing = "… vs prev"  # the previous period loads right after the window
    return Kpis(
        window=totals,
        previous=query.totals(span.previous, filters) if span is not None else None,
        compared=(totals if span.current == window else query.totals(span.current, filters)) if span else None,
        compare_label=span.label if span is not None else missing,
        compare_note=compared.note if compared is not None else None,
        today=query.totals(Window(today, today), filters),
        month=query.totals(Window(month_start, today), filters),
        burn_1h=burn_1h,
        burn_24h=burn_24h,
    )


def chart(engine: SpendEngine, state: ViewState, window: Window, now: datetime) -> ChartData:
    """Daily bars for the window split by the top models or tags (the rest as "other")."""
    query = engine.query
    split = state.chart_split
    dimension = "model" if split == "model" else "tag"
    top = [g for g in query.breakdown(dimension, window, state.filters) if g.value][: state.top_n]
    daily = query.daily(window, state.filters)
    days = [d for d, _ in daily]
    stacks: list[tuple[str, list[float]]] = []
    covered = [0] * len(days)
    for group in top:
        filters = state.filters.with_value(dimension, group.value)
        series = [t.spend for _, t in query.daily(window, filters)]
        if dimension == "model":
            covered = [a + b for a, b in zip(covered, series, strict=True)]
        stacks.append((group.value, [v / PICO for v in series]))
    if dimension == "model":
        totals = [t.spend for _, t in daily]
        other = [(t - c) / PICO for t, c in zip(totals, covered, strict=True)]
        if any(other):
            stacks.append(("other", other))
    today = day_number(now.date())
    hours = query.hourly(today, state.filters)
    hourly = [t.spend / PICO for _, t in hours] if hours else None
    return ChartData(days, stacks, split, hourly, daily)


def _matches(row: RawRow, filters: Filters, names: Names) -> bool:
    if filters.is_empty():
        return True
    key, team = row.api_key or "", row.team or ""
    checks = (
        ("model", row.model),
        ("provider", row.provider),
        ("key", row.api_key),
        ("user", row.user),
        ("team", row.team),
        ("customer", row.customer),
        # attributed as the cube does (dims.Attribution): the row's own, else its key's or team's
        ("organization", row.organization or names.key_organization.get(key) or names.team_organization.get(team)),
        ("project", names.key_project.get(key)),
        ("agent", row.agent or names.key_agent.get(key)),
    )
    for dimension, value in checks:
        wanted = getattr(filters, dimension)
        if wanted and (value or "") not in wanted:
            return False
    if filters.tag and not tags_match(request_tags(row.tags), filters.tag):
        return False
    return True


def tail(engine: SpendEngine, filters: Filters, limit: int = 300) -> list[TailRow]:
    """The newest requests first, as the tail pane shows them."""
    out: list[TailRow] = []
    for row in reversed(engine.tail):
        if not _matches(row, filters, engine.names):
            continue
        moment = parse_timestamp(row.start)
        tags, _ = parse_tags(row.tags)
        out.append(
            TailRow(
                request_id=row.request_id,
                time=moment.strftime("%m-%d %H:%M:%S") if moment else "?",
                started=moment.isoformat() if moment else "",
                key=engine.names.key(row.api_key or "") or "(none)",
                user=row.user or "",
                customer=row.customer or "",
                model=row.model or "",
                tokens=row.total_tokens,
                spend=row.spend,
                tags=", ".join(tags),
                status="failed" if row.failed else ("cache hit" if row.cache_hit else "ok"),
            )
        )
        if len(out) >= limit:
            break
    return out


def _scope_label(engine: SpendEngine, value: str) -> str:
    """``Ann @ Search``, ``gpt-4o @ web-key``: a several-dimension budget's requests."""
    return " @ ".join(_label(engine, d, v, v) for d, v in sorted(scope_pairs(value), key=lambda p: p[0] == "team"))


def _drill_label(engine: SpendEngine, dimension: str, value: str) -> str:
    base = dimension.split(":", 1)[0]
    if base in TOP_ENTITIES:
        return value
    if base == SCOPE_DRILL:
        return _scope_label(engine, value)
    return _label(engine, dimension, value, value)


def drill(engine: SpendEngine, state: ViewState, window: Window) -> DrillData | None:
    """The drill-down's figures. A session or tool is no filter: its own requests are
    asked (``top_tables.top_query``) under the view's filters."""
    if state.drill is None:
        return None
    dimension, value = state.drill
    base = dimension.split(":", 1)[0]
    query: Questions = engine.query
    if base in TOP_ENTITIES:
        from spendtui.dashboard.top_tables import top_query

        filters, query = state.filters, top_query(engine, base, value, window)
    elif base == SCOPE_DRILL:  # a budget of several dimensions (team member, per model)
        filters = state.filters
        for d, v in scope_pairs(value):
            filters = filters.with_value(d, v)
    elif dimension.startswith("tag:"):
        filters = state.filters.with_value("tag", tag_filter(dimension[4:], value))
    else:
        filters = state.filters.with_value(base, value)
    tables = [table(engine, d, window, filters, limit=10, query=query) for d in DRILL_DIMENSIONS if d != base]
    for d in DRILL_ENTITIES:
        if d != base:
            part = table(engine, d, window, filters, limit=10, query=query)
            if part.refusal is None and any(r.value for r in part.rows):
                tables.append(part)
    return DrillData(
        dimension=dimension,
        value=value,
        label=value
        if base in TOP_ENTITIES
        else _scope_label(engine, value)
        if base == SCOPE_DRILL
        else _label(engine, dimension, value, value),
        totals=query.totals(window, filters),
        daily=query.daily(window, filters),
        tables=tables,
    )


def build(
    engine: SpendEngine, state: ViewState, version: int, now: datetime, budgets: BudgetMonitor | None = None
) -> Snapshot:
    """The snapshot for ``state``: KPIs always, then whatever the active pane needs.

    When the source cannot answer the window and filters exactly (a proxy's daily tables
    do not cross every dimension), the snapshot carries only the reason: no figure is
    ever estimated or left over from an earlier view."""
    today = now.date()
    window = state.window_for(today)
    common = {
        "version": version,
        "now": now,
        "window": window,
        "window_label": state.window_label(today),
        "quality": tuple(engine.cube.quality.describe()),
        "source_note": source_note(engine),
        "budgets": budgets.board if budgets is not None else None,
        "rules": budgets.rule_board if budgets is not None else None,
        "filter_labels": tuple(
            (d, v, _label(engine, d, v, "(none)")) for d, values in state.filters.items() for v in sorted(values)
        ),
    }
    try:
        compared = comparison(engine, window, now)
        snap_kpis = kpis(engine, window, state.filters, now, compared)
        overview_daily = top = data = chart_data = tail_rows = None
        if state.pane == "overview":
            overview_daily = engine.query.daily(window, state.filters)
            top = {d: table(engine, d, window, state.filters, limit=5) for d in ("model", "tag", "key")}
        dimension = state.breakdown_dimension()
        if dimension in TOP_ENTITIES:
            from spendtui.dashboard.top_tables import top_table

            data = top_table(engine, dimension, window, state.filters)
        elif dimension:
            data = table(engine, dimension, window, state.filters, compared=compared)
            if dimension in LATENCY_DIMENSIONS:
                data = with_latency(engine, data, window, state.filters)
            if budgets is not None and budgets.board is not None:
                from spendtui.dashboard.budgets import with_budgets

                data = with_budgets(
                    data, budgets.board, budgets.states_of(dimension), engine.names, state.filters.is_empty()
                )
        if state.pane == "charts":
            chart_data = chart(engine, state, window, now)
            series, why = daily_latency(engine, window, state.filters)
            chart_data = replace(chart_data, latency=series, latency_note=why)
        if state.pane == "tail":
            tail_rows = tail(engine, state.filters)
        costs_data, warning = None, None
        if state.pane == "costs":
            costs_data = costs(engine, window, state.filters)
        elif state.pane == "overview":
            warning = cost_warning(engine, window, state.filters)
        drilled = drill(engine, state, window)
    except NotExact as exc:
        return Snapshot(kpis=None, refusal=str(exc), **common)  # type: ignore[arg-type]
    return Snapshot(
        kpis=snap_kpis,
        overview_daily=overview_daily,
        top=top,
        table=data,
        chart=chart_data,
        tail=tail_rows,
        drill=drilled,
        costs=costs_data,
        cost_warning=warning,
        costs_pending=engine.audit_pending if state.pane in ("costs", "overview") else False,
        **common,  # type: ignore[arg-type]
    )


def source_note(engine: SpendEngine) -> str:
    """What the source says about itself between polls (the proxy: the API it reads)."""
    status = getattr(engine.source, "status", None)
    if status is None:
        return ""
    try:
        return str(status().mode)
    except Exception:  # a status line must never break a snapshot
        return ""
