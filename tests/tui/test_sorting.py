"""Tables say what they are sorted by (issue 24: the first `s` looked like it did nothing)."""

from __future__ import annotations

from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.tail import TailTable
from tests.tui.conftest import make_app, press, settle


def _headers(table) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {str(key.value): column.label.plain.rstrip() for key, column in table.columns.items()}


def _column(table: BreakdownTable, key: str) -> list[object]:
    return [table.get_cell_at((row, table.get_column_index(key))).value for row in range(table.row_count)]


async def test_sorted_column_is_marked_and_s_moves_the_mark(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "2")
        table = app.query_one("#table-models", BreakdownTable)
        headers = _headers(table)
        assert headers["spend"] == "Spend ▼"
        assert [h for h in headers.values() if h.endswith(("▼", "▲"))] == ["Spend ▼"]
        await pilot.press("s")  # Share orders rows as Spend does: the next is Requests
        await pilot.pause()
        headers = _headers(table)
        assert headers["requests"] == "Requests ▼" and headers["spend"] == "Spend"
        requests = _column(table, "requests")
        assert requests == sorted(requests, reverse=True) and len(requests) > 3
        await pilot.press("S")
        await pilot.pause()
        assert _headers(table)["requests"] == "Requests ▲"
        assert _column(table, "requests") == sorted(requests)


async def test_sort_mark_survives_a_narrow_terminal(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4", "s", "s")
        table = app.query_one("#table-keys", BreakdownTable)
        marked = [h for h in _headers(table).values() if h.endswith(("▼", "▲"))]
        assert marked == ["Tokens ▼"]
        await pilot.resize_terminal(80, 24)  # the token columns give way: back to Spend
        await settle(app, pilot)
        assert [h for h in _headers(table).values() if h.endswith(("▼", "▲"))] == ["Spend ▼"]


async def test_live_tail_says_newest_first(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "9")
        assert _headers(app.query_one(TailTable))["time"] == "Time (UTC) ▼"
