"""Before the first figures: the dashboard says what it is doing, or why it has no data
(issue 24: a bad --db opened empty panes marked STALE; --demo said nothing for seconds)."""

from __future__ import annotations

import threading
from pathlib import Path

from spendtui.config import Profile
from spendtui.demo.simulator import prepare_demo
from spendtui.tui.widgets.startup import StartupPanel
from spendtui.tui.widgets.status import StatusBar
from tests.helpers import FIXED_NOW
from tests.tui.conftest import make_app, settle


def _panel(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.query_one(StartupPanel).render())


async def test_a_missing_database_file_is_said_in_full_and_retried(tmp_path) -> None:
    missing = tmp_path / "nope.db"
    app = make_app(missing, autopoll=True, refresh=60)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        panel = app.query_one(StartupPanel)
        assert panel.display and not app.query_one("#panes").display
        text = _panel(app)
        assert f"no SQLite database at {missing}" in text and "Trying again in" in text
        status = app.query_one(StatusBar).render().plain
        assert "NO DATA" in status and "STALE" not in status  # it never had data
        assert app.polls.timer is not None  # a file may yet appear: retried
        assert not missing.exists()  # and not created by the attempt


async def test_a_file_that_is_no_database_waits_for_r(tmp_path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a database\n")
    app = make_app(text_file, autopoll=True, refresh=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        text = _panel(app)
        assert "not a SQLite database" in text and "press r" in text
        assert app.polls.timer is None  # waiting will not fix it: no endless retries
        assert text_file.read_text() == "not a database\n"


async def test_the_demo_start_says_what_it_does_then_shows_data(tmp_path) -> None:
    path: Path = tmp_path / "demo.db"
    go = threading.Event()

    def prepare() -> Profile:
        go.wait(20)
        prepare_demo(path, rows=3_000, days=10, now=FIXED_NOW)
        return Profile(name="demo", database_url=f"sqlite:///{path}", allow_db_writes=True)

    app = make_app(path, prepare=prepare)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if "Generating the demo database" in _panel(app):
                break
        assert "Generating the demo database" in _panel(app)
        assert not app.query_one("#panes").display
        status = app.query_one(StatusBar)
        assert "generating demo data…" in status.render().plain
        # (its own word, not Textual's `loading`, which covered the bar with a spinner)
        assert status.loading is False
        go.set()
        await settle(app, pilot)
        assert app.query_one("#panes").display and not app.query_one(StartupPanel).display
        assert app.applied is not None and app.applied.kpis is not None
