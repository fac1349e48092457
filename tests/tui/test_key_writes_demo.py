"""Key writes in the demo, end to end: the keys a user presses, the database read back with SQL.

The demo database is a throwaway, so its profile allows database writes: creating,
editing, blocking, unblocking and deleting a key all work there without a flag.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import Input

from spendtui.config import Config, Profile
from spendtui.dashboard.state import ViewState
from spendtui.demo.generator import create_demo_db
from spendtui.tui.app import SpendApp
from spendtui.tui.screens.keys import BudgetEditScreen, ConfirmScreen, NewKeyScreen, RevealKeyScreen
from spendtui.tui.widgets.breakdown import BreakdownTable
from tests.helpers import FIXED_NOW
from tests.tui.conftest import make_app, press, settle

ROW = (
    "SELECT t.key_alias, t.max_budget, t.budget_duration, t.blocked, t.tpm_limit, t.models, b.soft_budget "
    'FROM "LiteLLM_VerificationToken" t LEFT JOIN "LiteLLM_BudgetTable" b ON b.budget_id = t.budget_id '
    "WHERE t.key_alias = ?"
)


def key_row(db: Path, alias: str) -> tuple | None:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        rows = conn.execute(ROW, (alias,)).fetchall()
    assert len(rows) <= 1
    return rows[0] if rows else None


async def type_into(pilot, field: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Focus a field by clicking it, then type as a user does."""
    pilot.app.screen.query_one(f"#field-{field}", Input).focus()
    await pilot.pause()
    await pilot.press(*text)


async def create_key_with_the_form(app: SpendApp, pilot, alias: str) -> None:  # type: ignore[no-untyped-def]
    await press(app, pilot, "n")
    form = app.screen
    assert isinstance(form, NewKeyScreen)
    assert "database" in str(form.query_one("#title").render())
    await pilot.press(*alias)  # the alias has the focus
    await type_into(pilot, "max_budget", "25")
    await type_into(pilot, "soft_budget", "20")
    await type_into(pilot, "tpm_limit", "1000")
    await press(app, pilot, "enter")
    assert isinstance(app.screen, RevealKeyScreen), str(form.query_one("#status").render())
    await press(app, pilot, "escape")


async def select_key(app: SpendApp, pilot, alias: str) -> None:  # type: ignore[no-untyped-def]
    """Keys pane, search for the alias, the table's first row selected."""
    await press(app, pilot, "4", "slash", *alias, "enter")
    row = app.query_one("#table-keys", BreakdownTable).selected()
    assert row is not None and alias in row.label


async def confirm(app: SpendApp, pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    await press(app, pilot, key)
    assert isinstance(app.screen, ConfirmScreen)
    await press(app, pilot, "y")


async def test_create_edit_block_unblock_delete_in_the_demo_database(tmp_path) -> None:
    db = tmp_path / "demo.db"
    create_demo_db(db, rows=6_000, days=40, seed=21, now=FIXED_NOW)
    app = make_app(db)
    app.profile = Profile(name="demo", database_url=f"sqlite:///{db}", allow_db_writes=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await create_key_with_the_form(app, pilot, "demo-new")
        assert key_row(db, "demo-new") == ("demo-new", 25.0, None, None, 1000, "[]", 20.0)

        await select_key(app, pilot, "demo-new")
        await press(app, pilot, "e")
        assert isinstance(app.screen, BudgetEditScreen)
        await pilot.press(*"40")
        await type_into(pilot, "budget_duration", "weekly")
        await type_into(pilot, "soft_budget", "30")
        await press(app, pilot, "enter")
        assert key_row(db, "demo-new") == ("demo-new", 40.0, "7d", None, 1000, "[]", 30.0)

        await confirm(app, pilot, "b")
        assert key_row(db, "demo-new")[3] == 1  # type: ignore[index]
        await confirm(app, pilot, "B")
        assert key_row(db, "demo-new")[3] == 0  # type: ignore[index]
        await confirm(app, pilot, "D")
        assert key_row(db, "demo-new") is None
        messages = [n.message for n in app._notifications]
        for done in ("updated", "blocked", "unblocked", "deleted"):
            assert any(m.endswith(done) for m in messages), (done, messages)
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_the_demo_profile_allows_key_writes(tmp_path, monkeypatch) -> None:
    """`spendtui --demo` itself (its generated database and live simulator): a key is
    created and blocked without any flag."""
    from spendtui.cli.tui import demo_launch

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    launch = demo_launch(Config(path=None, profiles={}, active=Profile(name="none")), 2.0, ViewState(), 60.0, False)
    app = SpendApp(launch)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            assert app.profile.allow_db_writes and app.profile.database_url
            db = Path(app.profile.database_url.removeprefix("sqlite:///"))
            await create_key_with_the_form(app, pilot, "demo-live")
            assert key_row(db, "demo-live")[:2] == ("demo-live", 25.0)  # type: ignore[index]
            await select_key(app, pilot, "demo-live")
            await confirm(app, pilot, "b")
            assert key_row(db, "demo-live")[3] == 1  # type: ignore[index]
    finally:
        if launch.cleanup is not None:
            launch.cleanup()
