"""The filter bar names what it filters by: a key's alias, never its hash (issue 24)."""

from __future__ import annotations

import sqlite3

from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.status import WindowBar
from tests.tui.conftest import make_app, press, settle


def _bar(app) -> str:  # type: ignore[no-untyped-def]
    return app.query_one(WindowBar).render().plain


async def test_filtering_by_a_key_shows_its_alias_at_any_width(tui_db) -> None:
    with sqlite3.connect(tui_db) as conn:
        aliases = dict(conn.execute('SELECT token, key_alias FROM "LiteLLM_VerificationToken"').fetchall())
    app = make_app(tui_db)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4")
        table = app.query_one("#table-keys", BreakdownTable)
        row = table.selected()
        assert row is not None and aliases.get(row.value)
        await press(app, pilot, "f")
        assert app.state.filters.key == frozenset({row.value})
        bar = _bar(app)
        assert f"key={aliases[row.value]}" in bar and row.value[:12] not in bar
        for size in ((80, 24), (100, 30)):
            await pilot.resize_terminal(*size)
            await settle(app, pilot)
            bar = _bar(app)
            assert f"key={aliases[row.value]}" in bar, (size, bar)
            assert len(bar) <= size[0] - 2 and "no filters" not in bar
        await press(app, pilot, "x")
        assert "no filters" in _bar(app)


async def test_a_filter_picked_in_the_dialog_is_named_too(tui_db) -> None:
    from spendtui.tui.screens.dialogs import FilterDialog

    with sqlite3.connect(tui_db) as conn:
        team, alias = conn.execute(
            'SELECT team_id, team_alias FROM "LiteLLM_TeamTable" WHERE team_alias IS NOT NULL LIMIT 1'
        ).fetchone()
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "F")
        dialog = app.screen
        assert isinstance(dialog, FilterDialog)
        dialog.dismiss(("team", team))
        await settle(app, pilot)
        assert app.state.filters.team == frozenset({team})
        assert f"team={alias}" in _bar(app)
