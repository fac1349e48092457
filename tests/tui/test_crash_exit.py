"""A crash exits non-zero (issue 24: the live tail's DuplicateKey crash exited 0)."""

from __future__ import annotations

import pytest

from spendtui.cli.tui import exit_status
from tests.tui.conftest import make_app, settle


class Boom(Exception):
    pass


async def test_an_unhandled_error_makes_the_exit_status_non_zero(tui_db) -> None:
    app = make_app(tui_db)

    def fail() -> None:
        raise Boom("a bug in a handler")

    with pytest.raises(Boom):
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            app.call_later(fail)
            await pilot.pause(0.2)
    assert exit_status(app, None) == 1


async def test_quitting_exits_zero(tui_db) -> None:
    app = make_app(tui_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
    assert exit_status(app, app.return_value) == 0
