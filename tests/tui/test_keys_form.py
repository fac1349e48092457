"""The New key form: inline validation, one submission, the one-time reveal, DB opt-in."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

from textual.widgets import Input

from spendtui.config import Profile
from spendtui.dashboard.state import ViewState
from spendtui.tui.screens.keys import NewKeyScreen, RevealKeyScreen
from tests.tui.conftest import make_app, settle, type_keys


def key_rows(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT token, key_alias, max_budget, budget_duration, budget_id, models, metadata "
            'FROM "LiteLLM_VerificationToken" WHERE key_alias LIKE ?',
            ("form-%",),
        ).fetchall()


async def fill(app, pilot, **values: str) -> None:  # type: ignore[no-untyped-def]
    for name, value in values.items():
        app.screen.query_one(f"#field-{name}", Input).value = value
    await pilot.pause()


async def test_form_validates_creates_once_and_reveals(tui_db, tmp_path) -> None:
    db = tmp_path / "keys.db"
    shutil.copy(tui_db, db)
    app = make_app(db)
    app.profile = Profile(name="test", database_url=f"sqlite:///{db}", allow_db_writes=True)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, NewKeyScreen)
        form = app.screen
        await fill(app, pilot, alias="", max_budget="-5", soft_budget="abc", tags="nocolon", metadata="[1,2]")
        form.action_submit()
        await pilot.pause()
        errors = {lbl.id: str(lbl.render()) for lbl in form.query(".error") if str(lbl.render())}
        assert "error-alias" in errors and "error-max_budget" in errors and "error-soft_budget" in errors
        assert "error-tags" in errors and "error-metadata" in errors
        assert key_rows(db) == []  # nothing was sent
        await fill(
            app,
            pilot,
            alias="form-web",
            max_budget="25",
            soft_budget="20",
            tags="project:web-app",
            metadata='{"owner": "web"}',
        )
        form.action_submit()
        form.action_submit()  # an impatient second Enter
        await settle(app, pilot)
        assert isinstance(app.screen, RevealKeyScreen)
        raw = app.screen._raw
        assert raw is not None and raw.startswith("sk-")
        rows = key_rows(db)
        assert len(rows) == 1
        token, alias, max_budget, duration, budget_id, models, metadata = rows[0]
        assert token == hashlib.sha256(raw.encode()).hexdigest() and alias == "form-web"
        assert max_budget == 25.0 and budget_id is not None and '"project:web-app"' in metadata
        with sqlite3.connect(db) as conn:
            soft = conn.execute(
                'SELECT soft_budget FROM "LiteLLM_BudgetTable" WHERE budget_id = ?', (budget_id,)
            ).fetchone()
        assert soft == (20.0,)
        await pilot.press("c")
        assert app.clipboard == raw
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RevealKeyScreen)
        html = app.export_screenshot()
        assert raw not in html  # gone from the screen once closed


async def test_database_writes_are_refused_without_opt_in(tui_db, tmp_path) -> None:
    db = tmp_path / "keys2.db"
    shutil.copy(tui_db, db)
    app = make_app(db)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await fill(app, pilot, alias="form-nope", max_budget="5")
        app.screen.action_submit()
        await settle(app, pilot)
        assert isinstance(app.screen, NewKeyScreen)
        assert "--allow-db-writes" in str(app.screen.query_one("#status").render())
        assert key_rows(db) == []


async def test_keys_typed_right_after_n_go_into_the_form(tui_db) -> None:
    """The form opens after a worker has read the models and teams. Keys typed right after
    `n` (fast, or delivered together over SSH) are for it: the alias gets them, and `b`
    (block) and `c` (tag category) are not run on the dashboard meanwhile."""
    app = make_app(tui_db)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(app, pilot)
        await type_keys(app, pilot, ("n", "w", "e", "b", "c"), burst=True)
        await settle(app, pilot)
        assert isinstance(app.screen, NewKeyScreen)
        assert app.screen.query_one("#field-alias", Input).value == "webc"
        assert app.state.tag_category is None and app.state.window == ViewState().window
