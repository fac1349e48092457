"""The exploration test's key actions: the new-key form (cancelled, refused, accepted),
budget edits, block, unblock and delete, each checked against the database file; and
filling forms by keyboard. Mixed into ``Explorer`` (explore_run.py)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from spendtui.keys.spec import SpecError, parse_spec
from spendtui.tui.screens.keys import BudgetEditScreen, ConfirmScreen, NewKeyScreen, RevealKeyScreen
from spendtui.tui.widgets.breakdown import BreakdownTable
from spendtui.tui.widgets.budgets import BudgetTable
from tests.tui.conftest import settle
from tests.tui.explore_checks import expect

if TYPE_CHECKING:
    from tests.tui.explore_run import Explorer

    _Base = Explorer
else:
    _Base = object

TOKENS = 'SELECT token, key_alias, max_budget, blocked FROM "LiteLLM_VerificationToken"'
#: One wrong value per new-key field (the issue's own examples, and two more).
BAD_KEY_VALUES = {
    "max_budget": "B2",
    "soft_budget": "C3",
    "tags": "foo",
    "duration": "soon",
    "metadata": "{bad",
    "tpm_limit": "lots",
    "rpm_limit": "-5",
}


async def fill(explorer: KeyActions, form: Screen[object], values: dict[str, str]) -> None:
    """Type each value into its field (``#field-<name>``), replacing what was there."""
    for name, text in values.items():
        form.query_one(f"#field-{name}", Input).focus()
        await explorer.press("end", "ctrl+u")
        await explorer.type(text)


def _shown(widget: Widget) -> bool:
    node: object = widget
    while isinstance(node, Widget):
        if not node.display or not node.visible:
            return False
        node = node.parent
    return widget.size.height > 0 and widget.size.width > 0


def visible_messages(screen: Screen[object]) -> list[str]:
    """The text of every label or static the form lays out (on screen or scrolled to),
    leaving out the input fields themselves."""
    out = []
    for widget in screen.query(Static):
        if _shown(widget):
            text = str(widget.render()).strip()
            if text:
                out.append(text)
    return out


class KeyActions(_Base):
    def tokens(self) -> dict[str, tuple[str | None, float | None, int | None]]:
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            return {row[0]: row[1:] for row in conn.execute(TOKENS)}
        finally:
            conn.close()

    async def new_key(self) -> None:
        before = self.tokens()
        await self.press("n")
        await self.wait_for_screen(NewKeyScreen, "n")
        form = self.app.screen
        kind = self.rng.choice(["cancel", "bad", "bad", "good"])
        if kind == "cancel":
            if self.rng.random() < 0.5:
                await self.type("half-typed")
            await self.press("escape")
            await self.pilot.pause()
            expect(len(self.app.screen_stack) == 1, "escape did not close the new-key form")
            expect(self.tokens().keys() == before.keys(), "a cancelled form wrote a key")
            return
        if kind == "bad":
            names = self.rng.sample(sorted(BAD_KEY_VALUES), self.rng.randint(1, len(BAD_KEY_VALUES)))
            values = {name: BAD_KEY_VALUES[name] for name in names}
            if self.rng.random() < 0.5:
                values["alias"] = f"explore-bad-{self.step}"
        else:
            self.created += 1
            values = {"alias": f"explore-{self.seed}-{self.step}", "max_budget": "25", "tags": "project:explore"}
            if self.rng.random() < 0.5:
                values["soft_budget"] = "10"
        self.note(f"  key form {kind}: {values}")
        await fill(self, form, values)
        await self.press("ctrl+s")
        await settle(self.app, self.pilot)
        if kind == "bad":
            try:
                parse_spec({k: values.get(k, "") for k in ("alias", *BAD_KEY_VALUES)})
                raise AssertionError(f"test error: {values} should be invalid")
            except SpecError as exc:
                errors = exc.errors
            expect(self.app.screen is form, f"bad key values {values} closed the form")
            shown = visible_messages(form)
            for name, message in errors.items():
                expect(any(message in s for s in shown), f"new-key form: no visible message for {name} ({message})")
            await self.press("escape")
            await self.pilot.pause()
            expect(self.tokens().keys() == before.keys(), "refused key values wrote a key")
            return
        expect(isinstance(self.app.screen, RevealKeyScreen), f"good key values {values}: {self.app.screen}")
        after = self.tokens()
        new = [row for token, row in after.items() if token not in before]
        expect([row[0] for row in new] == [values["alias"]], f"created {new}, expected alias {values['alias']}")
        expect(new[0][1] == 25.0, f"the new key's max budget is {new[0][1]}")
        await self.press("escape")
        await self.main_screen()

    def selected_token(self) -> str | None:
        state = self.app.state
        if state.pane == "budgets":
            budget = self.app.query_one(BudgetTable).selected()
            return budget.state.id if budget is not None and budget.state.kind == "key" else None
        if state.pane == "keys":
            row = self.app.query_one("#table-keys", BreakdownTable).selected()
            return row.value if row is not None and row.value else None
        return None

    async def key_change(self) -> None:
        if self.rng.random() < 0.7:
            await self.press(self.rng.choice("40"))
            await settle(self.app, self.pilot)
            await self.press(*["down"] * self.rng.randint(0, 6))
        token = self.selected_token()
        key = self.rng.choice("ebBD")
        await self.press(key)
        await self.pilot.pause()
        if token is None:
            expect(len(self.app.screen_stack) == 1, f"{key} without a selected key opened {self.app.screen}")
            return
        before = self.tokens().get(token)
        self.absent_key = self.absent_key or before is None
        if key == "e":
            await self.edit_budget(token, before)
            return
        expect(isinstance(self.app.screen, ConfirmScreen), f"{key} on a key opened {self.app.screen}")
        yes = self.rng.random() < 0.6
        await self.press("y" if yes else self.rng.choice(["n", "escape"]))
        await settle(self.app, self.pilot)
        after = self.tokens().get(token)
        if not yes or before is None:
            expect(after == before or before is None, f"{key} answered no changed the key: {before} -> {after}")
            return
        if key == "D":
            expect(after is None, f"D, y: key {token[:12]} still in the database")
        else:
            expect(after is not None and bool(after[2]) == (key == "b"), f"{key}, y: blocked is {after}")

    async def edit_budget(self, token: str, before: tuple[Any, ...] | None) -> None:
        expect(isinstance(self.app.screen, BudgetEditScreen), f"e on a key opened {self.app.screen}")
        form = self.app.screen
        bad = self.rng.random() < 0.5
        value = self.rng.choice(["abc", "-3", "1e99"]) if bad else str(self.rng.randint(5, 500))
        form.query_one("#field-max_budget", Input).focus()
        await self.type(value)
        shown_before = set(visible_messages(form))
        await self.press("enter")
        await settle(self.app, self.pilot)
        if bad:
            expect(self.app.screen is form, f"max budget {value!r} was accepted")
            shown = set(visible_messages(form)) - shown_before
            expect(bool(shown), f"max budget {value!r}: no message on screen")
            self.note(f"  refused: {sorted(shown)}")
            await self.press("escape")
            await self.pilot.pause()
            expect(self.tokens().get(token) == before, "a refused budget edit changed the key")
            return
        expect(len(self.app.screen_stack) == 1, f"max budget {value!r} left {self.app.screen} open")
        after = self.tokens().get(token)
        if before is not None:
            expect(after is not None and after[1] == float(value), f"max budget {value} saved as {after}")
