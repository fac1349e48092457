"""Latency on the dashboard: the Models and Teams tables fill their p50/p95 and TTFT
columns by themselves (``…`` only while the read is due), the figures are within 2 % of
the exact nearest-rank percentile computed in plain SQL from the demo's rows, a team
filter narrows them, and the Charts pane draws the daily latency."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from math import ceil
from pathlib import Path

from spendtui.core.latency import RELATIVE_ERROR
from spendtui.tui.app import SpendApp
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.charts import SpendChart
from tests.tui.conftest import make_app, press, settle

START, END = date(2026, 10, 29), date(2026, 11, 27)  # the default window at FIXED_NOW


def exact(db: Path, column: str, team: str | None = None) -> dict[str, tuple[int, int, int]]:
    """Per value of ``column``: successful requests and the nearest-rank p50 and p95 of
    their duration (``request_duration_ms``: the demo writes it on every row)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            f"SELECT CASE WHEN coalesce(model_group, '') = '' THEN model ELSE model_group END, {column}, "  # noqa: S608
            'request_duration_ms, team_id FROM "LiteLLM_SpendLogs" '
            "WHERE \"startTime\" >= ? AND \"startTime\" < ? AND coalesce(status, '') != 'failure'",
            (START.isoformat(), (END + timedelta(days=1)).isoformat()),
        ).fetchall()
    durations: dict[str, list[int]] = defaultdict(list)
    for model, value, ms, team_id in rows:
        if team is None or team_id == team:
            durations[model if column == "model" else value or ""].append(ms)
    out = {}
    for value, found in durations.items():
        found.sort()
        n = len(found)
        out[value] = (n, found[ceil(0.5 * n) - 1], found[ceil(0.95 * n) - 1])
    return out


def table_latency(app: SpendApp, pane: str) -> dict[str, tuple[float | None, float | None, str]]:
    table = app.query_one(f"#table-{pane}", BreakdownTable)
    out = {}
    for row in table.shown_rows():
        assert row.latency is not None, row
        cell = str(table.get_cell(table._row_key(row), "p50"))
        out[row.value] = (row.latency.p50_ms, row.latency.p95_ms, cell)
    return out


def close(reported: float | None, truth: int) -> bool:
    return reported is not None and abs(reported - truth) <= RELATIVE_ERROR * truth * (1 + 1e-12)


async def test_models_and_teams_show_latency_within_two_percent(tui_db: Path) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "2")
        shown = table_latency(app, "models")
        want = exact(tui_db, "model")
        assert set(shown) == set(want) and len(want) >= 5
        for model, (p50, p95, cell) in shown.items():
            _, t50, t95 = want[model]
            assert close(p50, t50) and close(p95, t95), (model, p50, p95, t50, t95)
            assert cell not in ("…", "–")  # read, and drawn
        # a team filter narrows the latency as it narrows the spend
        await press(app, pilot, "6")
        teams = table_latency(app, "teams")
        by_requests = exact(tui_db, "team_id")
        team = max((t for t in teams if t), key=lambda t: by_requests[t][0])
        table = app.query_one("#table-teams", BreakdownTable)
        table.move_cursor(row=[r.value for r in table.shown_rows()].index(team))
        await press(app, pilot, "f", "2")  # f: filter every pane by the selected row
        assert app.state.filters.team == frozenset({team})
        filtered = table_latency(app, "models")
        want = exact(tui_db, "model", team=team)
        assert set(filtered) == set(want)
        for model, (p50, p95, _) in filtered.items():
            assert close(p50, want[model][1]) and close(p95, want[model][2]), model
        assert filtered != shown


async def test_charts_pane_draws_daily_latency(tui_db: Path) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "8")
        snap = app.applied
        assert snap is not None and snap.chart is not None and snap.chart.latency is not None
        days = [d for d, s in snap.chart.latency if s.requests]
        assert days and min(days) >= START and max(days) <= END
        assert app.query_one("#chart-latency", SpendChart)._drawn is not None
