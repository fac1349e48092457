"""Small dialogs: custom dates, a filter picker, a profile picker, a yes/no question."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from spendtui.timeutil import parse_day
from spendtui.tui.widgets.inputs import EditInput

Result = TypeVar("Result")

#: Tab moves on when it arrives, not after the keys typed behind it: a burst such as
#: ``web<tab>25`` (typed fast, or delivered together over SSH) fills two fields. (A key
#: reaches the focused field before its own bindings run; priority bindings run first.)
TAB_KEYS = [
    Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
    Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
]

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 100%; height: auto; max-height: 100%;
    border: round $primary; background: $surface; padding: 1 2; }}
{name} .error {{ color: $text-error; height: auto; }}
{name} Horizontal {{ height: auto; align-horizontal: right; }}
{name} Horizontal > Button {{ margin-left: 1; }}
"""


class Fields(VerticalScroll, can_focus=False):
    """The scrolling part of a dialog. Tab moves between its fields (each scrolls into
    view), so the container itself takes no focus."""


class ListDialog(ModalScreen[Result]):
    """A dialog whose option list gets the rows the rest leaves: every option stays
    reachable (the list scrolls) and nothing of the dialog is cut off at 80×24."""

    #: Rows the dialog needs besides its list (border, padding, the other widgets).
    AROUND_LIST = 5
    #: The list's height when there is room.
    LIST_ROWS = 16

    def on_resize(self, event: Resize) -> None:
        self.query_one(OptionList).styles.max_height = max(3, min(self.LIST_ROWS, event.size.height - self.AROUND_LIST))


class DatesDialog(ModalScreen[tuple[date, date] | None]):
    """Ask for a custom window of inclusive UTC days."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="DatesDialog")
        + """
    DatesDialog .row { align-horizontal: left; }
    DatesDialog .row > Label { width: 6; padding: 1 1 0 0; text-align: right; }
    DatesDialog .row > Input { width: 1fr; }
    """
    )
    BINDINGS = [*TAB_KEYS, Binding("escape", "cancel", "Cancel")]

    def __init__(self, start: date, end: date) -> None:
        super().__init__()
        self.start, self.end = start, end

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Custom window (UTC days, inclusive)")
            with Horizontal(classes="row"):
                yield Label("From")
                yield EditInput(self.start.isoformat(), placeholder="YYYY-MM-DD", id="start")
            with Horizontal(classes="row"):
                yield Label("To")
                yield EditInput(self.end.isoformat(), placeholder="YYYY-MM-DD", id="end")
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        error = self.query_one("#error", Label)
        days: list[date] = []
        for name in ("start", "end"):
            box = self.query_one(f"#{name}", Input)
            try:
                days.append(parse_day(box.value.strip()))
            except ValueError as exc:
                error.update(f"{'From' if name == 'start' else 'To'}: {exc}")
                box.focus()
                return
        start, end = days
        if end < start:
            error.update(f"To ({end}) is before From ({start})")
            self.query_one("#end", Input).focus()
            return
        if (end - start).days > 3660:
            error.update("the window is longer than ten years: at most 3660 days")
            return
        self.dismiss((start, end))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class FilterDialog(ListDialog[tuple[str, str] | None]):
    """Pick a dimension, type to narrow its values, choose one."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="FilterDialog")
        + """
    FilterDialog OptionList { height: 14; }
    FilterDialog .hint { color: $text-muted; }
    """
    )
    BINDINGS = [*TAB_KEYS, Binding("escape", "cancel", "Cancel")]
    AROUND_LIST = 12
    LIST_ROWS = 14

    def __init__(self, values: dict[str, list[tuple[str, str]]]) -> None:
        super().__init__()
        #: dimension -> [(value, label)]
        self.values = values
        self.dimension = next(iter(values), "model")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Filter every pane by")
            yield Select([(d, d) for d in self.values], value=self.dimension, allow_blank=False, id="dimension")
            yield EditInput(placeholder="type to narrow", id="search")
            yield OptionList(id="options")
            yield Label("enter picks · tab: the list · escape cancels", classes="hint")

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#search", Input).focus()

    def _fill(self) -> None:
        needle = self.query_one("#search", Input).value.lower()
        options = self.query_one("#options", OptionList)
        options.clear_options()
        shown = 0
        for value, label in self.values.get(self.dimension, []):
            if needle and needle not in label.lower() and needle not in value.lower():
                continue
            text = label if label == value else f"{label}  ({value[:12]})"
            options.add_option(Option(text, id=value))
            shown += 1
            if shown >= 500:
                break

    @on(Select.Changed)
    def dimension_changed(self, event: Select.Changed) -> None:
        self.dimension = str(event.value)
        self._fill()

    @on(Input.Changed)
    def search_changed(self) -> None:
        self._fill()

    @on(Input.Submitted)
    def first(self) -> None:
        options = self.query_one("#options", OptionList)
        if options.option_count:
            option = options.get_option_at_index(options.highlighted or 0)
            self.dismiss((self.dimension, option.id or ""))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss((self.dimension, event.option.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ListDialog[str | None]):
    """Pick one of a few named choices (profiles, tag categories)."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ChoiceDialog")
        + """
    ChoiceDialog OptionList { height: auto; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str | None = None) -> None:
        super().__init__()
        self.title_text, self.choices, self.current = title, choices, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield OptionList(
                *[Option(("● " if key == self.current else "  ") + label, id=key) for key, label in self.choices]
            )

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; the default is No."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: round $error; background: $surface; padding: 1 2; }
    ConfirmScreen Fields { height: auto; max-height: 100%; }
    ConfirmScreen Horizontal { dock: bottom; height: auto; align-horizontal: right; }
    ConfirmScreen Horizontal > Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape,n", "no", "No"), Binding("y", "yes", "Yes")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            with Horizontal():
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", variant="primary", id="no")
            with Fields():
                yield Static(Text(self.question))

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
