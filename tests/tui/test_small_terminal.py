"""Every pane is fully usable at 80x24 (issue 24): nothing runs off the side, the key
bar keeps Help and Quit, the tabs and the filter bar stay readable, names are not
cut to stubs."""

from __future__ import annotations

import html

import pytest
from textual.widgets import DataTable, Tabs

from spendtui.dashboard.state import PANES
from spendtui.tui.widgets.keybar import KeyBar
from spendtui.tui.widgets.status import StatusBar, WindowBar
from tests.tui.conftest import make_app, press, settle

KEYS = {pane: str((i + 1) % 10) for i, pane in enumerate(PANES)}


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
async def test_every_pane_fits_a_small_terminal(tui_db, size) -> None:
    width, _ = size
    app = make_app(tui_db)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        tabs = app.query_one(Tabs)
        for pane in PANES:
            await press(app, pilot, KEYS[pane])
            for table in app.query(DataTable):
                if table.display and table.is_on_screen and table.row_count:
                    assert table.virtual_size.width <= table.size.width, (pane, table.id)
            keys = str(app.query_one(KeyBar).render())
            assert "? Help" in keys and "q Quit" in keys, (pane, keys)
            assert len(keys.rstrip()) <= width - 2
            for bar in (WindowBar, StatusBar):
                text = app.query_one(bar).render().plain
                assert len(text) <= width - 2, (pane, bar.__name__, text)
            # every tab is on screen, the active one with its name
            for tab in tabs.query("Tab"):
                assert tab.region.right <= width, (pane, str(tab.label))
            assert str(tabs.active_tab.label).strip() not in {str(i) for i in range(10)}
        assert "no filters" in app.query_one(WindowBar).render().plain


async def test_overview_lists_keep_names_readable_at_80x24(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        snap = app.applied
        assert snap is not None and snap.top is not None
        text = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        shown = [r.label for r in snap.top["model"].rows if len(r.label) <= 24][:3]
        assert shown and all(label in text for label in shown), text
        # the daily chart keeps rows of bars between the tiles and the lists
        assert app.query_one("#overview-chart").size.height >= 6


async def test_resizing_retitles_the_tabs_and_refits_the_bars(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tabs = app.query_one(Tabs)
        for size, first in (((200, 50), "1 Overview"), ((70, 24), "Overview"), ((90, 30), "Overview")):
            await pilot.resize_terminal(*size)
            await settle(app, pilot)
            assert str(tabs.active_tab.label) == first, size
            keys = str(app.query_one(KeyBar).render())
            assert "? Help" in keys and "q Quit" in keys and len(keys.rstrip()) <= size[0] - 2, size
            assert all(tab.region.right <= size[0] for tab in tabs.query("Tab")), size
        await pilot.press("4")  # under 80 columns only the active tab keeps its word
        await pilot.resize_terminal(70, 24)
        await settle(app, pilot)
        assert [str(t.label) for t in tabs.query("Tab")][:5] == ["1", "2", "3", "Keys", "5"]


async def test_drill_tables_scroll_from_the_keyboard_at_80x24(tui_db) -> None:
    """At 80x24 a drill-down's tables do not all fit under its chart: the arrow keys and
    End reach the last one, Home comes back (a mouse is not needed)."""
    from textual.containers import Grid

    from spendtui.tui.screens.drill import DrillScreen

    app = make_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "2")
        await press(app, pilot, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DrillScreen)
        tables = app.screen.query_one("#drill-tables", Grid)
        assert tables.max_scroll_y > 0, "the tables fit: nothing to scroll at 80x24"
        await press(app, pilot, "down")
        assert tables.scroll_y == 1
        await press(app, pilot, "end")
        assert tables.scroll_y == tables.max_scroll_y
        shown = [t for t in app.screen.query("#drill-tables Static") if t.display]
        assert shown[-1].region.bottom <= tables.region.bottom
        assert shown[-1].region.height > 0 and shown[-1].region.y >= tables.region.y
        await press(app, pilot, "home")
        assert tables.scroll_y == 0
        assert "↑↓ Scroll" in str(app.screen.query_one("KeyBar").render())
