"""Chart axes say which year they show (issue 24: a custom window across years had none)."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

from spendtui.dashboard.state import ViewState
from spendtui.demo.generator import create_demo_db
from spendtui.timeutil import fixed_clock
from tests.tui.conftest import make_app, settle

NEW_YEAR = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)


def _screen(app) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


async def test_daily_chart_across_years_shows_whole_dates(tmp_path) -> None:
    db = tmp_path / "newyear.db"
    create_demo_db(db, rows=3_000, days=30, seed=4, now=NEW_YEAR)
    state = ViewState(window="custom", custom=(date(2025, 12, 20), date(2026, 1, 5)))
    app = make_app(db, state=state, clock=fixed_clock(NEW_YEAR))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = _screen(app)
        # (the window bar names both dates once; the axis has whole dates too)
        assert screen.count("2025-12-2") >= 2 and screen.count("2026-01-0") >= 2


async def test_daily_chart_within_a_year_names_the_year(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "UTC day (2026)" in _screen(app)
