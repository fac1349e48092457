"""Text typed right after / goes into the search box, also in one burst (over SSH or
typed fast): it used to come back as the dashboard's own keys (g, p...)."""

from __future__ import annotations

import pytest

from spendtui.tui.widgets.breakdown import BreakdownTable
from tests.tui.conftest import make_app, press, settle, type_keys


@pytest.mark.parametrize("burst", [False, True], ids=["one-by-one", "burst"])
async def test_text_after_slash_is_searched(tui_db, burst) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "2")
        state = (app.polls.paused, app.state.chart_split, app.state.window)
        await type_keys(app, pilot, ("slash", "g", "p", "t", "w"), burst)
        await settle(app, pilot)
        table = app.query_one("#table-models", BreakdownTable)
        assert table.search == "gptw"
        assert (app.polls.paused, app.state.chart_split, app.state.window) == state  # no dashboard key ran
