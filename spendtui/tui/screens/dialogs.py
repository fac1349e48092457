"""Small dialogs: custom dates, a filter picker, a profile picker."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from spendtui.timeutil import parse_day

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; max-width: 100%; height: auto; max-height: 90%;
    border: round $primary; background: $surface; padding: 1 2; }}
{name} .error {{ color: $error; height: auto; }}
{name} Horizontal {{ height: auto; }}
"""


class DatesDialog(ModalScreen[tuple[date, date] | None]):
    """Ask for a custom window of inclusive UTC days."""

    DEFAULT_CSS = DIALOG_CSS.format(name="DatesDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, start: date, end: date) -> None:
        super().__init__()
        self.start, self.end = start, end

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Custom window (UTC days, inclusive)")
            yield Input(self.start.isoformat(), placeholder="start YYYY-MM-DD", id="start")
            yield Input(self.end.isoformat(), placeholder="end YYYY-MM-DD", id="end")
            yield Label("", classes="error", id="error")
            with Horizontal():
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        error = self.query_one("#error", Label)
        try:
            start = parse_day(self.query_one("#start", Input).value.strip())
            end = parse_day(self.query_one("#end", Input).value.strip())
        except ValueError as exc:
            error.update(str(exc))
            return
        if end < start:
            error.update("the end is before the start")
            return
        if (end - start).days > 3660:
            error.update("the window is longer than ten years")
            return
        self.dismiss((start, end))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class FilterDialog(ModalScreen[tuple[str, str] | None]):
    """Pick a dimension, type to narrow its values, choose one."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="FilterDialog")
        + """
    FilterDialog OptionList { height: 14; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, values: dict[str, list[tuple[str, str]]]) -> None:
        super().__init__()
        #: dimension -> [(value, label)]
        self.values = values
        self.dimension = next(iter(values), "model")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Filter every pane by")
            yield Select([(d, d) for d in self.values], value=self.dimension, allow_blank=False, id="dimension")
            yield Input(placeholder="type to narrow", id="search")
            yield OptionList(id="options")

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


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few named choices (profiles, tag categories)."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ChoiceDialog")
        + """
    ChoiceDialog OptionList { height: auto; max-height: 16; }
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
