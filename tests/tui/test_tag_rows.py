"""The dashboard's own uses of the tag-category rows: filtering by "(no cost-center)" or
"(untagged)" gives exactly those requests, in every pane, the live tail included."""

from __future__ import annotations

from spendtui.core.query import Window
from spendtui.dashboard.state import ViewState
from spendtui.timeutil import day_of
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.status import WindowBar
from spendtui.tui.widgets.tail import TailTable
from tests.helpers import FIXED_NOW
from tests.truth import Truth
from tests.tui.conftest import make_app, press, settle


async def _filter_by_row(app, pilot, label: str) -> None:  # type: ignore[no-untyped-def]
    table = app.query_one("#table-tags", BreakdownTable)
    keys = [str(k.value) for k in table.rows]
    row = next(r for r in table._spend_rows.values() if r.label == label)
    table.move_cursor(row=keys.index(table._row_key(row)))
    await press(app, pilot, "f")


async def test_filtering_by_no_category_and_untagged_rows(tui_db) -> None:
    window = Window(day_of(FIXED_NOW) - 29, day_of(FIXED_NOW))
    truth = Truth(f"sqlite:///{tui_db}").tags(window.first, window.last, "cost-center")
    for label in ("(no cost-center)", "(untagged)"):
        app = make_app(tui_db, state=ViewState(pane="tags", tag_category="cost-center"))
        async with app.run_test(size=(160, 40)) as pilot:
            await settle(app, pilot)
            await _filter_by_row(app, pilot, label)
            assert f"tag={label}" in app.query_one(WindowBar).render().plain
            spend, requests, *_ = truth[label]
            kpis = app.applied.kpis
            assert kpis.window.requests == requests and abs(kpis.window.spend / 1e12 - spend) < 1e-6
            await press(app, pilot, "9")
            shown = app.applied.tail
            assert shown, label
            for row in shown:
                tags = [t for t in row.tags.split(", ") if t]
                if label == "(untagged)":
                    assert not tags
                else:
                    assert tags and not any(t.startswith("cost-center:") for t in tags)
            assert app.query_one(TailTable).row_count == len(shown)
