"""What the exploration test checks at a quiet moment (polls paused, workers settled).

Every check compares what is on screen with the engine the app itself holds, computed
afresh here (``engine.query``), or with SQL on the database (``sql_totals``); none can race
live polling, because the app is paused and settled while they run.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import timedelta

from spendtui.core.selection import NO_FILTERS, Window
from spendtui.dashboard import format as fmt
from spendtui.dashboard import snapshot as snapshots
from spendtui.dashboard.state import TABLE_PANES
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable
from spendtui.tui.widgets.overview import Overview
from spendtui.tui.widgets.status import WindowBar
from spendtui.tui.widgets.tail import MAX_ROWS, TailTable
from tests.truth import Truth
from tests.tui.explore_app import WatchedApp, region_text, widget_text

MONEY = re.compile(r"\$[0-9][0-9,.]*[KMB]?")
#: Table dimensions where every request is in exactly one row (the rows add up to the total).
PARTITIONS = {"model", "key", "user", "team", "customer"}


class ViewMismatch(AssertionError):
    """What the screen shows is not what the engine holds."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise ViewMismatch(message)


def check_view(app: WatchedApp) -> list[str]:
    """Check the main screen against the engine; returns what was checked (for the log)."""
    engine = app.engine
    expect(engine is not None, "no engine after the first load")
    assert engine is not None
    state = app.state
    window = state.window_for(engine.now().date())
    snap = app.applied
    expect(snap is not None, "nothing drawn after the first load")
    assert snap is not None
    expect(
        snap.version == app.version,
        f"the screen shows view version {snap.version}, the view is at {app.version} (a view change never drawn)",
    )
    checked = []
    panes = app.query_one("#panes")
    expect(bool(panes.display), f"the panes are hidden; notice: {snap.notices} {snap.refusal}")

    # the visible pane is not blank
    pane = app.query_one(f"#{state.pane}")
    text = region_text(app, pane.region)
    expect(bool(text.strip()), f"pane {state.pane} is blank at {app.size.width}x{app.size.height}")

    # headline totals: the engine, the snapshot, the window bar, the status bar
    totals = engine.query.totals(window, state.filters)
    expect(snap.kpis is not None, "no headline figures for an exact SQLite source")
    assert snap.kpis is not None
    expect(snap.kpis.window == totals, f"snapshot window totals {snap.kpis.window} != engine {totals}")
    bar = widget_text(app.query_one(WindowBar))  # (the total gives way on a narrow terminal)
    figures = MONEY.findall(bar)
    expect(figures in ([], [fmt.money(totals.spend)]), f"window bar {bar!r}: the spend is {fmt.money(totals.spend)}")
    expect(app.status.requests == totals.requests, f"status bar {app.status.requests} != {totals.requests} requests")
    checked.append(f"totals {fmt.money(totals.spend)} {totals.requests} req")

    if state.pane == "overview":
        tile = widget_text(app.query_one(Overview).query_one("#tile-0"))
        expect(fmt.money(totals.spend) in tile, f"Overview spend tile {tile!r} != {fmt.money(totals.spend)}")
    elif state.pane in TABLE_PANES:
        checked.append(_check_table(app, window, totals.requests))
    elif state.pane == "tail":
        checked.append(_check_tail(app))
    elif state.pane == "budgets":
        table = app.query_one(BudgetTable)
        board = snap.budgets
        if board is not None:
            shown = board.budgets if state.budget_kind is None else board.of_kind(state.budget_kind)
            expect(table.row_count == len(shown), f"Budgets pane shows {table.row_count} of {len(shown)} budgets")
            checked.append(f"budgets {table.row_count}")
    elif state.pane == "costs":
        checked.append(_check_costs(app, window))
    return checked


def _check_costs(app: WatchedApp, window: Window) -> str:
    """The Costs table holds the engine's audit of the slice, one row per model, and its
    requests add up to the window's (every request is audited, none twice)."""
    from spendtui.tui.widgets.costs import CostTable

    engine = app.engine
    assert engine is not None
    cells = engine.audit(window.first_day)
    if cells is None or isinstance(cells, str):
        return f"costs: {cells or 'being read'}"
    found = cells.by("model", window, app.state.filters)
    table = app.query_one(CostTable)
    shown = {str(k.value) for k in table.rows}
    expect(shown == set(found), f"Costs rows {sorted(shown)[:4]} != audited models {sorted(found)[:4]}")
    audited = cells.overall(window, app.state.filters).requests
    requests = engine.query.totals(window, app.state.filters).requests
    expect(audited == requests, f"the audit counts {audited} requests, the window has {requests}")
    return f"costs {table.row_count} models, {audited} req"


def _check_table(app: WatchedApp, window: Window, requests: int) -> str:
    engine = app.engine
    assert engine is not None
    state = app.state
    table = app.query_one(f"#table-{state.pane}", BreakdownTable)
    dimension = state.breakdown_dimension()
    expect(table.dimension == dimension, f"table shows {table.dimension!r}, the view asks for {dimension!r}")
    expect(table.row_count == len(table._spend_rows), f"{table.row_count} rows drawn, {len(table._spend_rows)} held")
    groups = {g.value: g.totals for g in engine.query.breakdown(dimension, window, state.filters)}
    shown = {row.value: row for row in table._spend_rows.values()}
    if table.search:
        needle = table.search.lower()
        bad = [r.label for r in shown.values() if needle not in r.label.lower() and needle not in r.value.lower()]
        expect(not bad, f"search {table.search!r} shows non-matching rows {bad[:3]}")
    else:
        expect(requests == 0 or table.row_count > 0, f"{state.pane} table empty while the window has {requests} req")
        missing = [v for v in groups if v not in shown]
        expect(not missing, f"{state.pane}: engine groups not shown: {missing[:3]}")
        extra = [r.label for v, r in shown.items() if v not in groups and r.totals.spend]
        expect(not extra, f"{state.pane}: rows with spend the engine does not have: {extra[:3]}")
    wrong = [(r.label, r.totals, groups[v]) for v, r in shown.items() if v in groups and r.totals != groups[v]]
    expect(not wrong, f"{state.pane}: row totals differ from the engine: {wrong[:2]}")
    if not table.search and dimension in PARTITIONS:
        total = engine.query.totals(window, state.filters).spend
        got = sum(r.totals.spend for r in shown.values())
        expect(got == total, f"{state.pane}: rows add up to {fmt.money(got)}, the total is {fmt.money(total)}")
    return f"table {state.pane} {table.row_count} rows"


def _check_tail(app: WatchedApp) -> str:
    engine = app.engine
    assert engine is not None
    tail = app.query_one(TailTable)
    keys = [str(row.key.value) for row in tail.ordered_rows]
    expect(len(keys) == len(set(keys)), "the live tail shows one request twice")
    if not tail.following:
        return "tail (paused by space)"
    wanted = [r.request_id for r in snapshots.tail(engine, app.state.filters)][:MAX_ROWS]
    expect(set(keys) == set(wanted), f"live tail shows {len(keys)} requests, the engine's newest are {len(wanted)}")
    return f"tail {len(keys)}"


def sql_totals_check(app: WatchedApp, truth: Truth) -> str:
    """The engine's totals for the view's window, without filters, against SQL on the file."""
    engine = app.engine
    assert engine is not None
    window = app.state.window_for(engine.now().date())
    mine = engine.query.totals(window, NO_FILTERS)
    spend, requests = sql_window_totals(truth, window)
    expect(mine.requests == requests, f"engine {mine.requests} requests in {window.label()}, SQL {requests}")
    expect(abs(mine.spend / 1e12 - spend) < 1e-6, f"engine ${mine.spend / 1e12:.6f}, SQL ${spend:.6f}")
    by_model = truth.model(window.first, window.last)
    engine_models = {g.value or "(none)": g.totals for g in engine.query.breakdown("model", window, NO_FILTERS)}
    expect(set(by_model) == set(engine_models), f"models: SQL {sorted(by_model)} != engine {sorted(engine_models)}")
    for name, (usd, count, *_) in by_model.items():
        got = engine_models[name]
        expect(got.requests == count and abs(got.spend / 1e12 - usd) < 1e-6, f"model {name}: {got} != SQL {usd}")
    return f"SQL {window.label()}: {requests} req ${spend:.2f}"


def sql_window_totals(truth: Truth, window: Window) -> tuple[float, int]:
    """(USD, requests) of the rows spendtui counts (0 <= spend <= 1e6) in ``window``; plain
    SQL on the file (tests/truth.py's ``total`` needs at least one row)."""
    lo, hi = window.first.isoformat(), (window.last + timedelta(days=1)).isoformat()
    with closing(sqlite3.connect(truth.url.removeprefix("sqlite:///"), timeout=10)) as conn:
        count, usd = conn.execute(
            'SELECT count(*), coalesce(sum(spend), 0) FROM "LiteLLM_SpendLogs" '
            'WHERE "startTime" >= ? AND "startTime" < ? AND spend >= 0 AND spend <= 1000000',
            (lo, hi),
        ).fetchone()
    return float(usd), int(count)
