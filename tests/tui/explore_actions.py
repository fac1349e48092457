"""The exploration test's view actions: panes, windows, filters, drill-down, search,
dialogs, resizes, bursts of keys. Mixed into ``Explorer`` (explore_run.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from textual import events
from textual.command import CommandPalette
from textual.widgets import Input

from spendtui.dashboard import format as fmt
from spendtui.dashboard.state import TABLE_PANES
from spendtui.timeutil import system_clock
from spendtui.tui.screens.dialogs import ChoiceDialog, DatesDialog, FilterDialog
from spendtui.tui.screens.drill import DrillScreen
from spendtui.tui.screens.help import HelpScreen
from tests.tui.conftest import settle
from tests.tui.explore_app import region_text
from tests.tui.explore_checks import expect
from tests.tui.explore_keys import visible_messages

if TYPE_CHECKING:
    from tests.tui.explore_run import Explorer

    _Base = Explorer
else:
    _Base = object

#: Keys a burst is made of (not q: it would quit).
BURST_KEYS = [
    *"1234567890",
    *"wWfFxsScCgpr",
    "dollar_sign",
    "n",
    "space",
    "down",
    "up",
    "enter",
    "escape",
    "question_mark",
    "slash",
]
#: Terminal sizes the run resizes to (80x24 over SSH to a big screen).
SIZES = ((80, 24), (200, 60), (100, 30), (132, 43), (120, 40))


class ViewActions(_Base):
    async def pane(self) -> None:
        await self.press(self.pane_order.pop() if self.pane_order else self.rng.choice([*"1234567890", "dollar_sign"]))

    async def burst(self) -> None:
        """Keys typed fast (or delivered together over SSH): all queued before the first runs."""
        keys = self.rng.choices(BURST_KEYS, k=self.rng.randint(2, 8))
        self.note("burst " + " ".join(keys))
        for key in keys:
            self.app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(self.app, self.pilot)
        await self.main_screen()

    async def wait(self) -> None:
        seconds = round(self.rng.uniform(0.2, 1.5), 2)
        self.note(f"wait {seconds}s (live polls land)")
        await self.pilot.pause(seconds)

    async def resize(self) -> None:
        width, height = self.rng.choice(SIZES)
        self.note(f"resize to {width}x{height}")
        await self.pilot.resize_terminal(width, height)
        await self.pilot.pause()

    async def cursor(self) -> None:
        keys = self.rng.choices(["down", "up", "pagedown", "end", "home"], [5, 2, 1, 1, 1], k=self.rng.randint(1, 4))
        await self.press(*keys)

    async def custom_window(self) -> None:
        before = self.app.state
        await self.press("W")
        expect(isinstance(self.app.screen, DatesDialog), f"W opened {self.app.screen}")
        today = system_clock().date()
        kind = self.rng.choice(["good", "good", "across years", "bad", "reversed", "too long", "cancel"])
        start = today - timedelta(days=self.rng.randint(0, 70))
        end = min(today, start + timedelta(days=self.rng.randint(0, 25)))
        if kind == "across years":
            start, end = date(today.year - 1, 12, 20), min(today, date(today.year, 1, 10))
        texts = {
            "good": (start.isoformat(), end.isoformat()),
            "across years": (start.isoformat(), end.isoformat()),
            "bad": (self.rng.choice(["2026-02-30", "yesterday", "", "2026-13-01"]), end.isoformat()),
            "reversed": (end.isoformat(), (end - timedelta(days=3)).isoformat()),
            "too long": ("1990-01-01", today.isoformat()),
            "cancel": (start.isoformat(), end.isoformat()),
        }[kind]
        self.note(f"dates {kind}: {texts}")
        screen = self.app.screen
        for field_id, text in zip(("#start", "#end"), texts, strict=True):
            screen.query_one(field_id, Input).focus()
            await self.press("end", "ctrl+u")
            if text:
                await self.type(text)
        shown_before = set(visible_messages(screen))
        if kind == "cancel":
            await self.press("escape")
            expect(self.app.state == before, "cancelling the dates changed the view")
            return
        await self.press("enter")
        await self.pilot.pause()
        if kind in ("good", "across years"):
            expect(len(self.app.screen_stack) == 1, f"good dates {texts} left the dialog open")
            expect(self.app.state.custom == (start, end), f"dates {texts} gave {self.app.state.custom}")
            return
        expect(isinstance(self.app.screen, DatesDialog), f"bad dates {texts} closed the dialog")
        shown = set(visible_messages(screen)) - shown_before
        expect(bool(shown), f"bad dates {texts}: no message on screen")
        self.note(f"  refused: {sorted(shown)}")
        await self.press("escape")
        expect(self.app.state == before, "refused dates changed the view")

    async def filter_row(self) -> None:
        await self.press("f")

    async def filter_dialog(self) -> None:
        await self.press("F")
        await self.wait_for_screen(FilterDialog, "F")
        if self.rng.random() < 0.5:
            await self.type(self.rng.choice(["gpt", "claude", "prod", "a", "zzz-nothing", "team"]))
        await self.press(self.rng.choice(["enter", "escape", "down", "tab"]))
        await self.main_screen()

    async def drill(self) -> None:
        if self.rng.random() < 0.6 and self.app.state.pane not in TABLE_PANES:
            await self.press(self.rng.choice("234567"))
        await self.press("enter")
        await settle(self.app, self.pilot)
        if not isinstance(self.app.screen, DrillScreen):
            return
        drill = self.app.screen
        was_paused = self.app.polls.paused
        if not was_paused:
            await self.press("p")
        await settle(self.app, self.pilot)
        engine = self.app.engine
        assert engine is not None and self.app.state.drill is not None
        dimension, value = self.app.state.drill
        filters = self.app.state.filters
        if dimension.startswith("tag:"):
            filters = filters.with_value("tag", f"{dimension[4:]}:{value}")
        else:
            filters = filters.with_value(dimension, value)
        totals = engine.query.totals(self.app.state.window_for(engine.now().date()), filters)
        title = region_text(self.app, drill.query_one("#drill-title").region)
        expect(fmt.money(totals.spend) in title, f"drill title {title!r} lacks {fmt.money(totals.spend)}")
        self.note(f"  drill {dimension}={value[:16]}: {fmt.money(totals.spend)}")
        if not was_paused:
            await self.press("p")
        await self.press(self.rng.choice(["escape", "escape", "q"]))
        await self.pilot.pause()
        expect(len(self.app.screen_stack) == 1 and self.app.state.drill is None, "escape did not leave the drill")

    async def search(self) -> None:
        if self.app.state.pane not in TABLE_PANES:
            await self.press(self.rng.choice("234567"))
        await self.press("slash")
        table = self.table()
        labels = [r.label for r in table._spend_rows.values()] if table else []
        text = self.rng.choice(labels)[:4] if labels and self.rng.random() < 0.7 else self.rng.choice(["x", "zzzq"])
        await self.type(text)
        if self.rng.random() < 0.5:
            await self.press("escape")
            await self.pilot.pause()
            if table is not None:
                expect(table.search == "", "escape left the search applied")
        else:
            await self.press("enter")

    async def tag_category(self) -> None:
        if self.rng.random() < 0.5:
            await self.press("c")
            return
        await self.press("C")
        await self.pilot.pause()
        expect(isinstance(self.app.screen, ChoiceDialog), f"C opened {self.app.screen}")
        moves = self.rng.choices(["down", "up"], k=self.rng.randint(0, 3))
        await self.press(*moves, self.rng.choice(["enter", "escape"]))
        await self.main_screen()

    async def help(self) -> None:
        await self.press("question_mark")
        await self.pilot.pause()
        expect(isinstance(self.app.screen, HelpScreen), f"? opened {self.app.screen}")
        await self.press(self.rng.choice(["escape", "question_mark", "q"]))
        await self.pilot.pause()
        expect(len(self.app.screen_stack) == 1, "the help screen did not close")

    async def palette(self) -> None:
        await self.press("ctrl+p")
        await self.pilot.pause()
        expect(isinstance(self.app.screen, CommandPalette), f"ctrl+p opened {self.app.screen}")
        if self.rng.random() < 0.5:
            await self.type(self.rng.choice(["go to tail", "window: last 7", "clear filters", "split"]))
            await self.pilot.pause(0.3)
            await self.press("enter")
        await self.main_screen()

    async def profile(self) -> None:
        await self.press("P")  # no profiles here: a warning
        await self.main_screen()
