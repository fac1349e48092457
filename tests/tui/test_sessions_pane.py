"""Sessions and MCP tools in the Entities pane (key 7, `c`): the rows equal plain SQL over
the demo's request rows, a team filter narrows them as it narrows every pane, `f` on a
session explains instead of filtering, and Enter drills into one session."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from spendtui.dashboard.state import ENTITIES
from spendtui.tui.app import SpendApp
from spendtui.tui.screens.drill import DrillScreen
from spendtui.tui.widgets.breakdown import BreakdownTable
from tests.tui.conftest import make_app, press, settle

START, END = date(2026, 10, 29), date(2026, 11, 27)  # the default window at FIXED_NOW


def sql_truth(db: Path, column: str, team: str | None = None) -> dict[str, tuple[int, int]]:
    """Per value of ``column``: (spend in pico, requests), usable spend only."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            f'SELECT {column}, spend, team_id FROM "LiteLLM_SpendLogs" '  # noqa: S608
            f"WHERE \"startTime\" >= ? AND \"startTime\" < ? AND coalesce({column}, '') != ''",
            (START.isoformat(), (END + timedelta(days=1)).isoformat()),
        ).fetchall()
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for value, spend, team_id in rows:
        if spend is None or not 0 <= spend <= 1_000_000 or (team is not None and team_id != team):
            continue
        out[value][0] += round(spend * 1e12)
        out[value][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def shown(app: SpendApp) -> dict[str, tuple[int, int]]:
    table = app.query_one("#table-customers", BreakdownTable)
    return {r.value: (r.totals.spend, r.totals.requests) for r in table.shown_rows()}


async def to_entity(app: SpendApp, pilot, entity: str) -> None:  # type: ignore[no-untyped-def]
    await press(app, pilot, "7")
    while app.state.entity != entity:
        await press(app, pilot, "c")
    assert app.state.entity in ENTITIES


async def test_sessions_and_tools_equal_sql_and_follow_the_filters(tui_db: Path) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await to_entity(app, pilot, "tool")
        want = sql_truth(tui_db, "mcp_namespaced_tool_name")
        assert len(want) >= 3 and shown(app) == want
        await to_entity(app, pilot, "session")
        want = sql_truth(tui_db, "session_id")
        assert len(want) > 20 and shown(app) == dict(sorted(want.items(), key=lambda kv: -kv[1][0])[:500])
        # a team filter narrows the sessions as it narrows every pane
        with sqlite3.connect(tui_db) as conn:
            team = conn.execute(
                'SELECT team_id FROM "LiteLLM_SpendLogs" WHERE session_id IS NOT NULL GROUP BY 1 '
                "ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()[0]
        app.views.add_filter("team", team)
        await settle(app, pilot)
        narrowed = sql_truth(tui_db, "session_id", team)
        assert shown(app) == narrowed and 0 < len(narrowed) < len(want)
        # f explains (a session is no filter); the filters stay as they were
        before = app.state.filters
        await press(app, pilot, "f")
        assert app.state.filters == before and app.is_running
        # Enter: the top session's drill-down, its figures those of SQL
        top = app.query_one("#table-customers", BreakdownTable).selected()
        assert top is not None
        await press(app, pilot, "enter")
        assert isinstance(app.screen, DrillScreen)
        drill = app.applied.drill
        assert drill is not None and drill.value == top.value
        assert (drill.totals.spend, drill.totals.requests) == narrowed[top.value]
        models = {r.value for t in drill.tables if t.dimension == "model" for r in t.rows}
        with sqlite3.connect(tui_db) as conn:
            want_models = {
                m
                for (m,) in conn.execute(
                    "SELECT DISTINCT CASE WHEN coalesce(model_group, '') = '' THEN model ELSE model_group END "
                    'FROM "LiteLLM_SpendLogs" WHERE session_id = ? AND team_id = ?',
                    (top.value, team),
                )
            }
        assert models == want_models
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, DrillScreen)


async def test_the_entity_head_fits_80_columns(tui_db: Path) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await to_entity(app, pilot, "session")
        head = str(app.query_one("#entity-head").render())
        assert "Sessions" in head and "Tools" in head and len(head.rstrip()) <= 78
