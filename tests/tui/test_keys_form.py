"""The New key form: inline validation, one submission, the one-time reveal, DB opt-in."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

import pytest
from textual.widgets import Input, Label, Select, SelectionList

from spendtui.config import Profile
from spendtui.dashboard.state import ViewState
from spendtui.tui.screens.keys import BudgetEditScreen, NewKeyScreen, RevealKeyScreen
from tests.tui.conftest import make_app, press, settle, type_keys


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
        await press(app, pilot, "n")
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
        await pilot.press("enter")  # closes (it pressed Copy when Copy had the focus)
        await pilot.pause()
        assert not isinstance(app.screen, RevealKeyScreen)
        html = app.export_screenshot()
        assert raw not in html  # gone from the screen once closed


async def test_the_writer_still_refuses_without_opt_in(tui_db, tmp_path) -> None:
    """The form opened while writes were on; the profile no longer allows them at submit
    (switched meanwhile): the writer refuses, the form says how to turn writes on."""
    db = tmp_path / "keys2.db"
    shutil.copy(tui_db, db)
    app = make_app(db)
    app.profile = Profile(name="test", database_url=f"sqlite:///{db}", allow_db_writes=True)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "n")
        app.profile = Profile(name="test", database_url=f"sqlite:///{db}")
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
    app.profile = Profile(name="test", database_url=f"sqlite:///{tui_db}", allow_db_writes=True)
    async with app.run_test(size=(120, 45)) as pilot:
        await settle(app, pilot)
        await type_keys(app, pilot, ("n", "w", "e", "b", "c"), burst=True)
        await settle(app, pilot)
        assert isinstance(app.screen, NewKeyScreen)
        assert app.screen.query_one("#field-alias", Input).value == "webc"
        assert app.state.tag_category is None and app.state.window == ViewState().window


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows now, line by line (the modal screen and what it covers)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def writable(db) -> Profile:  # type: ignore[no-untyped-def]
    return Profile(name="test", database_url=f"sqlite:///{db}", allow_db_writes=True)


#: The issue's example: six bad fields, each with what the message must name.
BAD_INPUT = {
    "max_budget": ("B2", ("'B2'", "US dollars")),
    "soft_budget": ("C3", ("'C3'", "US dollars")),
    "budget_duration": ("3x", ("'3x'", "e.g.")),
    "tags": ("foo", ("'foo'", "category:value")),
    "duration": ("soon", ("'soon'", "e.g.")),
    "metadata": ("{bad", ("JSON", '{"owner"')),
}


@pytest.mark.parametrize("size", [(120, 45), (80, 24)])
async def test_each_invalid_field_says_what_is_wrong_under_it(tui_db, tmp_path, size) -> None:
    db = tmp_path / "bad.db"
    shutil.copy(tui_db, db)
    app = make_app(db)
    app.profile = writable(db)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "n")
        form = app.screen
        assert isinstance(form, NewKeyScreen)
        await fill(app, pilot, alias="form-bad", **{k: v for k, (v, _) in BAD_INPUT.items() if k != "budget_duration"})
        form.query_one("#duration-preset", Select).value = "custom"
        await pilot.pause()
        await fill(app, pilot, budget_duration=BAD_INPUT["budget_duration"][0])
        await pilot.press("enter")  # submits from the focused input
        await settle(app, pilot)
        assert isinstance(app.screen, NewKeyScreen)
        # focus moves to the first invalid field, and its message is on screen below it
        assert app.focused is form.query_one("#field-max_budget", Input)
        for name, (_, expected) in BAD_INPUT.items():
            label = form.query_one(f"#error-{name}", Label)
            message = str(label.render())
            assert label.display and all(part in message for part in expected), (name, message)
            form.query_one(f"#field-{name}", Input).focus()
            await settle(app, pilot)
            shown = screen_text(app)
            assert message[:30] in shown, (name, message, shown)
        status = str(form.query_one("#status").render())
        assert "6 fields need attention" in status and "Max budget" in status
        # fixed values clear their messages
        await fill(app, pilot, max_budget="20", soft_budget="5", budget_duration="14d", tags="env:dev")
        await fill(app, pilot, duration="90d", metadata='{"owner": "ml"}')
        form.query_one("#field-alias", Input).focus()
        await press(app, pilot, "enter")
        assert isinstance(app.screen, RevealKeyScreen)


async def test_an_error_for_a_field_without_a_text_box_is_still_shown(tui_db) -> None:
    """Errors for the team and models pickers (and for a field the form does not know)
    are shown too, not dropped."""
    app = make_app(tui_db)
    app.profile = writable(tui_db)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "n")
        form = app.screen
        assert isinstance(form, NewKeyScreen)
        form.show_errors({"team_id": "no such team", "models": "pick at most 50", "budget_id": "is unknown"})
        await settle(app, pilot)
        for name, message in (("team_id", "no such team"), ("models", "pick at most 50")):
            label = form.query_one(f"#error-{name}", Label)
            assert label.display and message in str(label.render())
        assert app.focused is form.query_one("#field-models")
        assert "budget_id: is unknown" in str(form.query_one("#status").render())


async def test_budget_edit_dialog_shows_each_error_and_focuses_the_first(tui_db) -> None:
    app = make_app(tui_db)
    app.profile = writable(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4")
        await press(app, pilot, "e")
        dialog = app.screen
        assert isinstance(dialog, BudgetEditScreen)
        await fill(app, pilot, max_budget="lots", budget_duration="3x", soft_budget="-1")
        await press(app, pilot, "enter")
        assert isinstance(app.screen, BudgetEditScreen)
        assert app.focused is dialog.query_one("#field-max_budget", Input)
        for name, expected in (("max_budget", "'lots'"), ("budget_duration", "'3x'"), ("soft_budget", "negative")):
            label = dialog.query_one(f"#error-{name}", Label)
            assert label.display and expected in str(label.render()), name
            dialog.query_one(f"#field-{name}", Input).focus()
            await settle(app, pilot)
            assert str(label.render())[:30] in screen_text(app), name


async def test_budget_edit_may_change_only_the_reset_period(tui_db) -> None:
    """The key already has its max budget: a new reset period alone is a valid change."""
    app = make_app(tui_db)
    app.profile = writable(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4")
        await press(app, pilot, "e")
        dialog = app.screen
        assert isinstance(dialog, BudgetEditScreen)
        results: list[object] = []
        dialog.dismiss = results.append  # type: ignore[method-assign]  # (keep the database as it is)
        await fill(app, pilot, budget_duration="weekly")
        await press(app, pilot, "enter")
        assert len(results) == 1 and results[0].budget_duration == "7d"  # type: ignore[attr-defined]


async def test_picked_models_are_marked_without_colour(tui_db, monkeypatch) -> None:
    """With NO_COLOR nothing but the glyph tells a picked model from the others."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tui_db)
    app.profile = writable(tui_db)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "n")
        models = app.screen.query_one("#field-models", SelectionList)
        models.focus()
        await pilot.press("down", "space")  # picks the second model
        await settle(app, pilot)
        lines = [models.render_line(y).text for y in range(3)]
        assert lines[0].startswith("[ ] ") and lines[1].startswith("[x] ") and lines[2].startswith("[ ] "), lines
        assert models.selected == [models.get_option_at_index(1).value]
        assert "[x] " + str(models.get_option_at_index(1).prompt) in screen_text(app)


WRITE_KEYS = {"n": "create", "e": "edit", "b": "block", "B": "unblock", "D": "delete"}


@pytest.mark.parametrize("key", list(WRITE_KEYS))
async def test_writes_off_is_said_before_anything_is_typed(tui_db, key) -> None:
    """A database profile without the opt-in: the key says at once that writes are off
    and how to turn them on; no form or question opens first."""
    app = make_app(tui_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "4")
        dashboard = app.screen
        await press(app, pilot, key)
        assert app.screen is dashboard
        notes = [f"{n.title}: {n.message}" for n in app._notifications]
        assert any(
            "writes are off" in n and "--allow-db-writes" in n and "allow_db_writes: true" in n for n in notes
        ), notes


async def test_tab_in_a_burst_of_keys_moves_on_before_the_next_keys(tui_db) -> None:
    """Fields filled fast (or delivered together over SSH): `web<tab>25<tab>20` puts each
    value in its own field, not `web2520` in the alias."""
    app = make_app(tui_db)
    app.profile = writable(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "n")
        form = app.screen
        assert isinstance(form, NewKeyScreen)
        await type_keys(app, pilot, ("w", "e", "b", "tab", "2", "5", "tab", "2", "0", "shift+tab"), burst=True)
        await settle(app, pilot)
        values = {
            name: form.query_one(f"#field-{name}", Input).value for name in ("alias", "max_budget", "soft_budget")
        }
        assert values == {"alias": "web", "max_budget": "25", "soft_budget": "20"}
        assert app.focused is form.query_one("#field-max_budget")
