"""Editing keys act where they were typed, also when keys arrive in one burst (typed fast
or over SSH): Textual's Input ran backspace, ctrl+u, left… only after the keys behind them
(`abc⌫d` gave `abc`; `ctrl+u 2026-13-01` an empty box)."""

from __future__ import annotations

import pytest

from spendtui.tui.widgets.breakdown import BreakdownTable
from tests.tui.conftest import make_app, press, settle, type_keys

EDITS = ("ctrl+u", "a", "b", "c", "backspace", "d", "left", "x", "end", "e")


@pytest.mark.parametrize("burst", [False, True], ids=["one-by-one", "burst"])
async def test_editing_keys_in_the_dates_dialog(tui_db, burst) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "W")
        await type_keys(app, pilot, EDITS, burst)
        await settle(app, pilot)
        assert app.focused is not None and app.focused.value == "abxde"  # type: ignore[attr-defined]


@pytest.mark.parametrize("burst", [False, True], ids=["one-by-one", "burst"])
async def test_editing_keys_in_the_key_form_and_the_search(tui_db, burst) -> None:
    app = make_app(tui_db, writable=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await press(app, pilot, "n")
        await type_keys(app, pilot, (*"web-app-prx", "backspace", *"od"), burst)
        await settle(app, pilot)
        assert app.screen.query_one("#field-alias").value == "web-app-prod"  # type: ignore[attr-defined]
        await press(app, pilot, "escape")
        await press(app, pilot, "2", "slash")
        await type_keys(app, pilot, (*"gptx", "backspace"), burst)
        await settle(app, pilot)
        assert app.query_one("#table-models", BreakdownTable).search == "gpt"
