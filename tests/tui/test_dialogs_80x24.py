"""Every dialog is usable at 80×24 and looks right at 200×50: its buttons are on screen,
Tab reaches every field, and the focused field is scrolled into view."""

from __future__ import annotations

import pytest
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from spendtui.config import Config, Profile
from spendtui.dashboard.state import ViewState
from spendtui.timeutil import fixed_clock
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from spendtui.tui.screens.dialogs import ChoiceDialog, DatesDialog, FilterDialog
from spendtui.tui.screens.help import HelpScreen
from spendtui.tui.screens.keys import BudgetEditScreen, ConfirmScreen, NewKeyScreen, RevealKeyScreen
from spendtui.tui.screens.welcome import WelcomeScreen
from tests.helpers import FIXED_NOW
from tests.tui.conftest import make_app, press, settle

SMALL, LARGE = (80, 24), (200, 50)


def fully_visible(screen: Screen, widget: Widget) -> bool:
    """The whole widget is drawn: inside the terminal and not cut by a scrolling parent."""
    visible = screen._compositor.visible_widgets
    if widget not in visible:
        return False
    region, clip = visible[widget]
    return clip.contains_region(region) and screen.region.contains_region(region)


def screen_text(app: SpendApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def new_key(app: SpendApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await press(app, pilot, "n")
    app.screen.query_one("#duration-preset", Select).value = "custom"  # shows one more field


def keys(*typed: str):  # type: ignore[no-untyped-def]
    async def run(app: SpendApp, pilot) -> None:  # type: ignore[no-untyped-def]
        for key in typed:
            await press(app, pilot, key)

    return run


async def reveal(app: SpendApp, pilot) -> None:  # type: ignore[no-untyped-def]
    app.push_screen(RevealKeyScreen("sk-" + "A" * 22, "alias web · shown elsewhere as sk-...AAAA · max $50 per 30d"))


DIALOGS = {
    "new key": (new_key, NewKeyScreen, 2),
    "budget edit": (keys("4", "e"), BudgetEditScreen, 2),
    "confirm": (keys("4", "D"), ConfirmScreen, 2),
    "reveal": (reveal, RevealKeyScreen, 2),
    "dates": (keys("W"), DatesDialog, 2),
    "filter": (keys("F"), FilterDialog, 0),
    "profile": (keys("P"), ChoiceDialog, 0),
    "tag category": (keys("3", "C"), ChoiceDialog, 0),
}
PROFILES = {name: Profile(name=name, database_url="sqlite:///nowhere.db") for name in ("prod", "staging", "dev")}


async def open_dialog(app: SpendApp, pilot, name: str) -> Screen:  # type: ignore[no-untyped-def]
    opener, kind, buttons = DIALOGS[name]
    await settle(app, pilot)
    await opener(app, pilot)
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, kind), screen
    assert len(screen.query(Button)) == buttons
    return screen


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_dialog_usable_at_80x24(tui_db, name) -> None:
    app = make_app(tui_db, profiles=PROFILES)
    app.profile = Profile(name="test", database_url=f"sqlite:///{tui_db}", allow_db_writes=True)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_dialog(app, pilot, name)
        buttons = list(screen.query(Button))
        for button in buttons:
            assert fully_visible(screen, button), (button, screen_text(app))
        chain = screen.focus_chain
        fields = [w for w in screen.query("Input, Select, SelectionList, OptionList, Button") if w.display]
        assert set(fields) <= set(chain), [f for f in fields if f not in chain]
        reached: list[Widget] = []
        for _ in range(len(chain)):
            await press(app, pilot, "tab")
            focused = app.focused
            assert focused is not None and focused.screen is screen
            reached.append(focused)
            assert fully_visible(screen, focused), (focused, screen_text(app))
            for button in buttons:  # the buttons stay in reach while the form scrolls
                assert fully_visible(screen, button), (button, focused, screen_text(app))
        assert set(reached) == set(chain)


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_dialog_fits_without_scrolling_at_200x50(tui_db, name) -> None:
    app = make_app(tui_db, profiles=PROFILES)
    app.profile = Profile(name="test", database_url=f"sqlite:///{tui_db}", allow_db_writes=True)
    async with app.run_test(size=LARGE) as pilot:
        screen = await open_dialog(app, pilot, name)
        for widget in screen.query("Input, Select, SelectionList, OptionList, Button, Label"):
            if widget.display and widget.parent is not None and widget.parent.display:
                assert fully_visible(screen, widget), (widget, screen_text(app))
        dialog = screen.children[0]
        assert dialog.region.width <= 100  # a dialog, not a wall of empty fields
        assert dialog.region.center == pytest.approx(screen.region.center, abs=1)


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_help_scrolls_to_its_last_line(tui_db, size) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "spendtui keys" in screen_text(app)
        await press(app, pilot, "end")
        text = screen_text(app)
        assert "Money is exact" in text and "q" in text
        assert "quit" in text  # the last binding of the table is reachable too
        await press(app, pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_welcome_screen_shows_how_to_start(size) -> None:
    config = Config(path=None, profiles={}, active=Profile(name="none"))
    app = SpendApp(Launch(config=config, clock=fixed_clock(FIXED_NOW), state=ViewState(), autopoll=False))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)
        text = screen_text(app)
        assert "Start the demo" in text and "Quit" in text  # the key bar: d and q
        assert "Press d" in text  # the way to try it, without scrolling
        await pilot.press("end")
        await pilot.pause()
        assert "Press q to quit" in screen_text(app)


async def test_custom_dates_say_which_day_is_wrong(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "W")
        dialog = app.screen
        assert isinstance(dialog, DatesDialog)
        dialog.query_one("#end", Input).value = "2026-13-01"
        await press(app, pilot, "enter")
        assert str(dialog.query_one("#error").render()).startswith("To: '2026-13-01' is not a date")
        assert app.focused is dialog.query_one("#end", Input)
        dialog.query_one("#end", Input).value = "2026-01-01"
        await press(app, pilot, "enter")
        assert "is before From" in str(dialog.query_one("#error").render())
