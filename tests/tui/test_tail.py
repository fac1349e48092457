"""The live tail pane takes each request once, whatever it is handed (issue 24: a
request read twice crashed the app with DuplicateKey)."""

from __future__ import annotations

from dataclasses import replace

from spendtui.dashboard.model import TailRow
from spendtui.tui.widgets.tail import MAX_ROWS, TailTable
from tests.tui.conftest import make_app, press, settle


def _row(n: int, second: int) -> TailRow:
    return TailRow(
        request_id=f"req-{n}",
        time=f"11-27 11:59:{second:02d}",
        key="web-app-prod",
        user="alice",
        customer="",
        model="gpt-4o",
        tokens=100 + n,
        spend=1_000_000 * n,
        tags="env:prod",
        status="ok",
    )


def _ids(table: TailTable) -> list[str]:
    return [str(key.value) for key in table.rows]


async def test_tail_takes_a_request_handed_twice_once(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "9")
        table = app.query_one(TailTable)
        rows = [_row(n, n % 60) for n in range(10)]
        twice = [*rows[:5], replace(rows[2], tokens=999), *rows[5:], rows[7]]
        table.show(twice)
        await pilot.pause()
        assert sorted(_ids(table)) == sorted(r.request_id for r in rows)
        assert app.is_running and app.return_code is None


async def test_tail_recovers_from_an_update_that_stopped_half_way(tui_db) -> None:
    """The table already holds rows it was not told about (an earlier update raised after
    adding some): the next update neither adds them again nor keeps stale ones."""
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "9")
        table = app.query_one(TailTable)
        table.show([_row(n, n) for n in range(6)])
        table._shown = []  # what it believes it shows no longer matches the table
        newer = [_row(n, n) for n in range(3, 12)]
        table.show(list(reversed(newer)))
        await pilot.pause()
        assert sorted(_ids(table)) == sorted(r.request_id for r in newer)
        assert app.is_running


async def test_tail_is_bounded(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "9")
        table = app.query_one(TailTable)
        many = [_row(n, n % 60) for n in range(MAX_ROWS + 50)]
        table.show(many)
        await pilot.pause()
        assert table.row_count == MAX_ROWS
        assert set(_ids(table)) == {r.request_id for r in many[:MAX_ROWS]}
