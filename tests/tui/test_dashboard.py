"""Pilot tests of the dashboard against a real SQLite database and SQL ground truth."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date

import numpy as np
import pytest
from textual.widgets import Input, TabbedContent, Tabs

from spendtui.config import Profile
from spendtui.core.selection import Window
from spendtui.demo.generator import create_demo_db
from spendtui.demo.simulator import Simulator
from spendtui.tui.screens.dialogs import DatesDialog
from spendtui.tui.screens.drill import DrillScreen
from spendtui.tui.screens.help import HelpScreen
from spendtui.tui.screens.welcome import WelcomeScreen
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.status import StatusBar
from spendtui.tui.widgets.tail import TailTable
from tests.helpers import FIXED_NOW
from tests.truth import Truth
from tests.tui.conftest import make_app, press, settle, type_keys

TODAY = FIXED_NOW.date()
BUDGETED_KEYS = 'SELECT token FROM "LiteLLM_VerificationToken" WHERE max_budget IS NOT NULL OR budget_id IS NOT NULL'
W30 = Window.last_days(30, TODAY)


def table_values(app, pane: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    table = app.query_one(f"#table-{pane}", BreakdownTable)
    return {row.value: row.totals.spend for row in table._spend_rows.values()}


async def test_every_pane_shows_the_source_figures(tui_db) -> None:
    truth = Truth(f"sqlite:///{tui_db}")
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.applied is not None
        spend, requests, *_ = truth.total(W30.first, W30.last)
        assert app.applied.kpis.window.requests == requests
        assert abs(app.applied.kpis.window.spend / 1e12 - spend) < 1e-6
        for key, pane, column, entities in (
            ("2", "models", "CASE WHEN coalesce(model_group,'')='' THEN model ELSE model_group END", None),
            ("4", "keys", "api_key", BUDGETED_KEYS),
            ("5", "users", '"user"', 'SELECT user_id FROM "LiteLLM_UserTable"'),
            ("6", "teams", "team_id", 'SELECT team_id FROM "LiteLLM_TeamTable"'),
            ("7", "customers", "end_user", 'SELECT user_id FROM "LiteLLM_EndUserTable"'),
        ):
            await press(app, pilot, key)
            assert app.query_one(TabbedContent).active == pane
            expected = {
                ("" if k == "(none)" else k): round(v[0] * 1e12)
                for k, v in truth.by(column, W30.first, W30.last).items()
            }
            got = table_values(app, pane)
            assert set(expected) <= set(got), pane
            assert all(abs(got[k] - expected[k]) <= 1e6 for k in expected), pane  # 1e-6 USD
            # entities with a budget are listed at $0 when they spent nothing in the window
            known = set() if entities is None else {r[0] for r in sqlite3.connect(tui_db).execute(entities)}
            idle = set(got) - set(expected)
            assert idle <= known and all(got[k] == 0 for k in idle), pane
            if pane == "keys":
                assert idle == known - set(expected) and idle
        await press(app, pilot, "3")
        tags = table_values(app, "tags")
        assert set(tags) == {("" if k == "(untagged)" else k) for k in truth.tags(W30.first, W30.last)}
        await press(app, pilot, "8")
        assert app.applied.chart is not None and len(app.applied.chart.days) == 30
        await press(app, pilot, "9")
        assert app.query_one(TailTable).row_count > 0


async def test_filter_window_and_drill(tui_db) -> None:
    truth = Truth(f"sqlite:///{tui_db}")
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "2")
        table = app.query_one("#table-models", BreakdownTable)
        top = table.selected()
        assert top is not None
        await press(app, pilot, "f")
        assert app.state.filters.model == frozenset({top.value})
        by_model = truth.model(W30.first, W30.last)
        assert app.applied.kpis.window.requests == by_model[top.value][1]
        await pilot.press("4")  # every pane honours the filter
        await settle(app, pilot)
        assert (
            sum(r.totals.requests for r in app.query_one("#table-keys", BreakdownTable)._spend_rows.values())
            == by_model[top.value][1]
        )
        await press(app, pilot, "x")
        assert app.state.filters.is_empty()
        # windows: w cycles today -> 7d -> ...; the figures follow
        app.state = app.state.__class__(pane="keys", window="30d")
        await press(app, pilot, "w")
        assert app.state.window == "mtd"
        mtd = Window.month_to_date(TODAY)
        assert app.applied.kpis.window.requests == truth.total(mtd.first, mtd.last)[1]
        await pilot.press("W")
        await pilot.pause()
        assert isinstance(app.screen, DatesDialog)
        app.screen.query_one("#start", Input).value = "2026-11-10"
        app.screen.query_one("#end", Input).value = "2026-11-12"
        await press(app, pilot, "enter")
        assert app.state.window == "custom"
        assert app.applied.kpis.window.requests == truth.total(date(2026, 11, 10), date(2026, 11, 12))[1]
        # drill into the top key and come back
        await press(app, pilot, "enter")
        assert isinstance(app.screen, DrillScreen)
        drill = app.applied.drill
        assert drill is not None and drill.dimension == "key"
        assert drill.totals.requests == truth.by("api_key", date(2026, 11, 10), date(2026, 11, 12))[drill.value][1]
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, DrillScreen) and app.state.drill is None


async def test_bad_dates_are_refused_inline(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("W")
        await pilot.pause()
        app.screen.query_one("#start", Input).value = "2026-13-40"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DatesDialog)
        assert "not a date" in str(app.screen.query_one("#error").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.state.window == "30d"


async def test_search_sort_pause_interval_help(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "2")
        table = app.query_one("#table-models", BreakdownTable)
        await pilot.press("slash")
        await pilot.press(*"gpt")
        await pilot.pause()
        assert table.row_count > 0 and all("gpt" in r.label for r in table._spend_rows.values())
        await pilot.press("escape")
        await pilot.pause()
        assert table.search == "" and table.row_count > 3
        await pilot.press("s")  # (share orders as spend does: skipped) requests
        await pilot.pause()
        assert table.sort_column == "requests"
        first = table.get_row_at(0)[3].value
        assert first == max(r.totals.requests for r in table._spend_rows.values())
        status = app.query_one(StatusBar)
        await pilot.press("p")
        assert status.paused and app.polls.timer is None
        await pilot.press("p")
        assert not status.paused
        start = app.interval
        await pilot.press("plus")
        assert app.interval == start + 1
        for _ in range(5):
            await pilot.press("minus")
        assert app.interval == 1.0  # never below one second
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_source_failure_shows_stale_then_recovers(tui_db, tmp_path) -> None:
    db = tmp_path / "flaky.db"
    shutil.copy(tui_db, db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        before = app.applied
        with sqlite3.connect(db) as conn:
            conn.execute('ALTER TABLE "LiteLLM_SpendLogs" RENAME TO moved')
        app.action_refresh_now()
        await settle(app, pilot)
        status = app.query_one(StatusBar)
        assert status.stale_since is not None and "moved" not in status.error
        assert "no such table" in status.error
        assert app.applied is before  # the last data stays on screen
        assert "STALE" in str(status.render())
        with sqlite3.connect(db) as conn:
            conn.execute('ALTER TABLE moved RENAME TO "LiteLLM_SpendLogs"')
        app.action_refresh_now()
        await settle(app, pilot)
        assert status.stale_since is None and status.error == ""


async def test_polling_resumes_when_the_step_after_the_first_load_fails(tui_db, tmp_path) -> None:
    """The source fails while the previous period is being loaded, right after the first
    data (no poll armed yet): polls must still go on, so the dashboard recovers by itself."""
    from spendtui.dashboard.session import Step, Update
    from spendtui.tui.poll_loop import StepDone

    db = tmp_path / "flaky.db"
    shutil.copy(tui_db, db)
    app = make_app(db, autopoll=True, refresh=1.0)

    def hook(message) -> None:  # type: ignore[no-untyped-def]
        loaded = isinstance(message, StepDone) and isinstance(message.result, Update)
        if loaded and message.result.step is Step.LOADED:  # first data, before "extend" starts
            with sqlite3.connect(db) as conn:
                conn.execute('ALTER TABLE "LiteLLM_SpendLogs" RENAME TO moved')

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        status = app.query_one(StatusBar)
        for _ in range(100):
            await pilot.pause(0.1)
            if status.stale_since is not None:
                break
        assert status.stale_since is not None and "no such table" in status.error
        with sqlite3.connect(db) as conn:
            conn.execute('ALTER TABLE moved RENAME TO "LiteLLM_SpendLogs"')
        for _ in range(150):  # no key pressed: the poll loop must be alive
            await pilot.pause(0.1)
            if status.stale_since is None:
                break
        assert status.stale_since is None, "the dashboard stopped polling after the failure"


async def test_profile_switch_reads_the_other_database(tui_db, tmp_path) -> None:
    other = tmp_path / "other.db"
    create_demo_db(other, rows=3_000, days=10, seed=99, now=FIXED_NOW)
    profiles = {
        "main": Profile(name="main", database_url=f"sqlite:///{tui_db}"),
        "other": Profile(name="other", database_url=f"sqlite:///{other}"),
    }
    app = make_app(tui_db, profiles=profiles)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.switch_profile("other")
        await settle(app, pilot)
        truth = Truth(f"sqlite:///{other}")
        assert app.profile.name == "other"
        assert app.applied.kpis.window.requests == truth.total(W30.first, W30.last)[1]
        assert app.query_one(StatusBar).profile == "other"


async def test_simulated_requests_show_up(tmp_path) -> None:
    db = tmp_path / "live.db"
    world = create_demo_db(db, rows=2_000, days=5, seed=3, now=FIXED_NOW)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        before = app.applied.kpis.today.requests
        sim = Simulator(db, world=world, rate=30, clock=lambda: FIXED_NOW)
        sim.rng = np.random.default_rng(1)
        written = sim.step(FIXED_NOW) + sim.step(FIXED_NOW.replace(second=5))
        assert written > 0
        await pilot.press("9")
        app.action_refresh_now()
        await settle(app, pilot)
        assert app.applied.kpis.today.requests == before + written
        assert app.query_one(TailTable).row_count >= written


async def test_nothing_configured_shows_how_to_start(tmp_path) -> None:
    from spendtui.config import Config
    from spendtui.tui.app import SpendApp
    from spendtui.tui.launch import Launch

    app = SpendApp(Launch(config=Config(path=None, profiles={}, active=Profile(name="default")), autopoll=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        import html

        text = html.unescape(app.export_screenshot()).replace("\xa0", " ")
        assert "spendtui --db" in text and "spendtui --demo" in text and "LITELLM_PROXY_URL" in text
        await pilot.press("q")
    assert app.return_code == 0


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_small_and_large_terminals(tui_db, size) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for key in "123456789":
            await press(app, pilot, key)
        assert app.query_one(StatusBar).region.height == 1


async def test_command_palette_runs_spendtui_commands(tui_db) -> None:
    from textual.command import CommandPalette

    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Window: Today")
        await pilot.pause(0.3)
        await press(app, pilot, "enter")
        assert app.state.window == "today"
        await pilot.press("ctrl+p")
        await pilot.press(*"Go to customers")
        await pilot.pause(0.3)
        await press(app, pilot, "enter")
        assert app.query_one(TabbedContent).active == "customers"


async def test_cursor_and_sort_survive_refreshes(tmp_path) -> None:
    db = tmp_path / "live.db"
    world = create_demo_db(db, rows=3_000, days=5, seed=4, now=FIXED_NOW)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4")
        table = app.query_one("#table-keys", BreakdownTable)
        await pilot.press("s")  # sort by requests
        for _ in range(5):
            await pilot.press("down")
        chosen = table.selected()
        assert chosen is not None
        sim = Simulator(db, world=world, rate=50, clock=lambda: FIXED_NOW)
        sim.step(FIXED_NOW)
        assert sim.step(FIXED_NOW.replace(second=10)) > 0
        app.action_refresh_now()
        await settle(app, pilot)
        assert table.sort_column == "requests"
        assert table.selected() is not None and table.selected().value == chosen.value
        counts = [table.get_row_at(i)[3].value for i in range(table.row_count)]
        assert counts == sorted(counts, reverse=True)


async def test_polls_never_overlap(tui_db) -> None:
    import threading
    import time as _time

    app = make_app(tui_db, autopoll=True, refresh=1.0)
    state = {"inside": 0, "max": 0, "polls": 0}
    lock = threading.Lock()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        engine = app.engine
        real_fetch = engine.fetch

        def slow_fetch(deep=None):  # type: ignore[no-untyped-def]
            with lock:
                state["inside"] += 1
                state["max"] = max(state["max"], state["inside"])
            _time.sleep(1.5)  # a source slower than the refresh interval
            with lock:
                state["inside"] -= 1
                state["polls"] += 1
            return real_fetch(deep)

        engine.fetch = slow_fetch
        await pilot.pause(5.0)
        await pilot.press("r", "r", "r")  # impatient user
        await pilot.pause(2.0)
    assert state["polls"] >= 2 and state["max"] == 1


async def test_a_restart_reads_the_cube_cache_and_the_rows_written_since(tmp_path) -> None:
    db = tmp_path / "warm.db"
    world = create_demo_db(db, rows=3_000, days=10, seed=4, now=FIXED_NOW)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.engine is not None and app.engine.cache is not None
    cached = list((tmp_path / "cache" / "spendtui").glob("cube-*.npz"))
    assert len(cached) == 1  # saved when the dashboard closed
    sim = Simulator(db, world=world, rate=30, clock=lambda: FIXED_NOW)
    sim.rng = np.random.default_rng(2)
    written = sim.step(FIXED_NOW.replace(second=30))
    assert written > 0
    truth = Truth(f"sqlite:///{db}")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.engine.cache.status.startswith("restored") and f"{written:,} new rows" in app.engine.cache.status
        assert any("restored" in n.message for n in app._notifications)
        spend, requests, *_ = truth.total(W30.first, W30.last)
        assert app.applied.kpis.window.requests == requests
        assert abs(app.applied.kpis.window.spend / 1e12 - spend) < 1e-6


async def test_the_load_never_waits_for_the_ui_thread_while_holding_the_engine_lock(tui_db) -> None:
    """Quitting takes the engine lock on the UI thread (to close the engine). The worker
    holds that lock through a load and used to wait there for the UI thread to show its
    status: a quit during a load left both waiting forever (found as a hung CI run). The
    UI thread here does what unmount does, with a deadline: the worker must let go."""
    import asyncio
    import threading
    import time

    inside = threading.Event()
    app = make_app(tui_db)

    def slow_prepare():  # runs in the worker under the engine lock, as demo generation does
        inside.set()
        time.sleep(0.5)
        return app.profile

    app.session.setup.prepare = slow_prepare
    async with app.run_test(size=(100, 30)) as pilot:
        await asyncio.to_thread(inside.wait)
        got = app.session.lock.acquire(timeout=10)  # blocks this (the UI) thread, as on_unmount does
        if got:
            app.session.lock.release()
        await settle(app, pilot)
    assert got, "the worker held the engine lock while waiting for the UI thread"


@pytest.mark.parametrize("burst", [False, True], ids=["one-by-one", "burst"])
@pytest.mark.parametrize(
    ("keys", "pane", "focused"),
    [
        (("4",), "keys", "table-keys"),
        (("8", "9", "0"), "budgets", "budget-table"),
        (("2", "s", "slash"), "models", "search-models"),
        (("3", "2", "s"), "models", "table-models"),
        (("2", "3", "4", "5", "1", "s"), "overview", "tabs"),
    ],
    ids=["keys", "charts-tail-budgets", "sort-search", "tags-models-sort", "to-overview"],
)
async def test_keys_typed_ahead_at_start_act_in_order(tui_db, keys, pane, focused, burst) -> None:
    """Keys typed before the first frame reach the app before the panes not shown first
    are mounted; keys typed fast (or delivered together over SSH) arrive in one burst,
    before the app has handled the first. Either way each acts in the order typed, on the
    pane the keys before it chose: `s` sorts the table of the pane just switched to."""
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await type_keys(app, pilot, keys, burst)
        await settle(app, pilot)
        assert app.is_running and app.applied is not None
        assert app.state.pane == pane and app.query_one(TabbedContent).active == pane
        assert app.focused is not None
        assert (app.focused.id if focused != "tabs" else "tabs" if isinstance(app.focused, Tabs) else None) == focused
        sorted_by = app.query_one("#table-models", BreakdownTable).sort_column
        assert sorted_by == ("requests" if "s" in keys and pane == "models" else "spend")


@pytest.mark.parametrize("burst", [False, True], ids=["one-by-one", "burst"])
async def test_keys_typed_right_after_a_dialog_key_go_into_the_dialog(tui_db, burst) -> None:
    """`W` opens the dates dialog at once, but keys typed in the same burst are already on
    their way to the dashboard's focused widget: they belong to the dialog (the typed
    start day replaces the selected one; `w` must not change the dashboard's window), and
    `escape` after `?` closes the help so the `3` after it switches the pane.

    (Textual runs a focused widget's bindings as the key bubbles back to the app, after
    the printable keys queued behind it: `escape x` typed in one burst into an input
    types the `x` before the dialog closes. Not tested here: that is Textual's order.)"""
    app = make_app(tui_db)

    async def send(*keys: str) -> None:
        await type_keys(app, pilot, keys, burst)
        await settle(app, pilot)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await send("W", "w", "2", "0")
        assert isinstance(app.screen, DatesDialog)
        assert app.screen.query_one("#start", Input).value == "w20"
        assert app.state.window == "30d"
        await send("escape")
        await send("question_mark", "escape", "3")
        assert not isinstance(app.screen, HelpScreen)
        assert app.state.pane == "tags" and app.query_one(TabbedContent).active == "tags"


async def test_r_refreshes_once_while_paused(tmp_path) -> None:
    db = tmp_path / "paused.db"
    world = create_demo_db(db, rows=2_000, days=5, seed=3, now=FIXED_NOW)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        before = app.applied.kpis.today.requests
        sim = Simulator(db, world=world, rate=30, clock=lambda: FIXED_NOW)
        sim.rng = np.random.default_rng(1)
        written = sim.step(FIXED_NOW) + sim.step(FIXED_NOW.replace(second=5))
        assert written > 0
        await press(app, pilot, "r")
        assert app.applied.kpis.today.requests == before + written  # r still reads
        assert app.polls.paused and app.polls.timer is None  # and it stays paused
