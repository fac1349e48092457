"""Key dialogs: the New key form, the one-time reveal, budget edits and confirmations.

The two forms share one layout (``FormScreen``): the title at the top and the status line
with the buttons at the bottom stay put while the fields between them scroll, so the
buttons are on screen at 80×24 too. Below a height where the bordered fields do not fit,
the fields turn compact (one line each). Each invalid field shows its own message under
it, and the focus moves to the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus, Resize
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist

from spendtui.keys.spec import KeySpec, SpecError, parse_spec
from spendtui.tui.screens.dialogs import TAB_KEYS, ConfirmScreen, Fields
from spendtui.tui.widgets.inputs import EditInput

__all__ = ["BudgetEditScreen", "CheckList", "ConfirmScreen", "KeyFormData", "NewKeyScreen", "RevealKeyScreen"]

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > #dialog {{ width: 84; max-width: 100%; height: auto; max-height: 100%;
    border: round $primary; background: $surface; padding: 0 1; }}
{name} #title {{ dock: top; width: 1fr; }}
{name} #fields {{ height: auto; max-height: 100%; }}
{name} #foot {{ dock: bottom; height: auto; }}
{name} .field {{ height: auto; }}
{name} .row {{ height: auto; }}
{name} .row > Label {{ width: 18; padding: 1 1 0 0; text-align: right; }}
{name}.-compact .row > Label {{ padding: 0 1 0 0; }}
{name}.-compact .field {{ margin-bottom: 1; }}
{name} .row > Input, {name} .row > Select, {name} .row > SelectionList {{ width: 1fr; }}
{name} Input.-textual-compact {{ background: $boost; }}
{name} .error {{ color: $text-error; width: 1fr; padding-left: 18; display: none; }}
{name} .error.-shown {{ display: block; }}
{name} .hint {{ color: $text-muted; width: 1fr; padding-left: 18; }}
{name} #status {{ height: auto; }}
{name} #buttons {{ height: auto; align-horizontal: right; }}
{name} #buttons > Button {{ margin-left: 1; }}
{name} SelectionList {{ height: 6; }}
{name}.-compact SelectionList {{ height: 4; }}
"""

DURATIONS = [
    ("none (never resets)", ""),
    ("daily (24h)", "daily"),
    ("weekly (7d, Mondays)", "weekly"),
    ("monthly (1st of the month)", "monthly"),
    ("custom…", "custom"),
]


@dataclass
class KeyFormData:
    """Choices the form offers: models and teams (id, label), and where the key goes
    (``"into the database (…)"``, ``"through the proxy (…)"``)."""

    models: list[str]
    teams: list[tuple[str, str]]
    where: str


class CheckList(SelectionList[str]):
    """A SelectionList that marks picked items ``[x]`` and the others ``[ ]``: Textual's
    own toggle shows an ``X`` on every item and tells them apart by colour alone."""

    def render_line(self, y: int) -> Strip:
        line = OptionList.render_line(self, y)  # the prompt alone, without SelectionList's toggle
        index = self.scroll_offset.y + y
        try:
            option = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line
        first = next(iter(line), None)
        base = (first.style if first is not None else None) or self.rich_style
        picked = option.value in self._selected
        component = "selection-list--button" + ("-selected" if picked else "")
        mark = base + Style(color=self.get_component_rich_style(component).color, bold=picked)
        meta = Style(meta={"option": index})  # a click on the mark toggles it, as on the prompt
        return Strip(
            [
                Segment("[", base + meta),
                Segment("x" if picked else " ", mark + meta),
                Segment("] ", base + meta),
                *line,
            ]
        )


class FormScreen(ModalScreen[KeySpec | None]):
    """Shared by the key forms: the fixed title and buttons, compact fields when the
    screen is low, and the per-field errors."""

    BINDINGS: ClassVar[list[BindingType]] = [*TAB_KEYS]
    #: Below this many rows the bordered fields do not fit: they turn compact.
    COMPACT_BELOW: ClassVar[int] = 0
    #: Field names in the order they appear (the first invalid one gets the focus).
    ORDER: ClassVar[tuple[str, ...]] = ()
    #: Field name -> the label the user sees (named in the status line).
    NAMES: ClassVar[dict[str, str]] = {}

    def field(self, name: str, label: str, placeholder: str) -> ComposeResult:
        with Vertical(classes="field", id=f"box-{name}"):
            with Horizontal(classes="row"):
                yield Label(label)
                yield EditInput(placeholder=placeholder, id=f"field-{name}")
            yield Label("", classes="error", id=f"error-{name}")

    def foot(self, submit: str, hint: str) -> ComposeResult:
        with Vertical(id="foot"):
            yield Static(Text(hint, style="italic"), id="status")
            with Horizontal(id="buttons"):
                yield Button(submit, variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_resize(self, event: Resize) -> None:
        compact = event.size.height < self.COMPACT_BELOW
        self.set_class(compact, "-compact")
        for widget in self.query("Input, Select, SelectionList"):  # (buttons keep their border)
            widget.compact = compact  # type: ignore[attr-defined]

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Tab (or a click) reached a field: bring it into view with its message below it."""
        box = next((node for node in event.widget.ancestors if node.has_class("field")), None)
        if isinstance(box, Widget):
            self.call_after_refresh(box.scroll_visible, animate=False)

    def focus_target(self, name: str) -> Widget | None:
        """The widget to focus for an error on ``name``."""
        found = self.query(f"#field-{name}")
        return found.first() if found else None

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field; the focus on the first invalid field. A message
        for a field this form has no place for goes into the status line, not lost."""
        for label in self.query(".error").results(Label):
            label.update("")
            label.remove_class("-shown")
        homeless: list[str] = []
        for name, message in errors.items():
            target = self.query(f"#error-{name}")
            if target:
                target.first(Label).update(Text(f"↑ {message}"))
                target.first(Label).add_class("-shown")
            else:
                homeless.append(f"{self.NAMES.get(name, name)}: {message}")
        if not errors:
            return
        named = [self.NAMES.get(n, n) for n in self.ORDER if n in errors]
        count = "1 field needs" if len(errors) == 1 else f"{len(errors)} fields need"
        head = f"{count} attention" + (f": {', '.join(named)}" if named else "")
        self.set_status("; ".join([head, *homeless]), error=True)
        first = next((n for n in self.ORDER if n in errors), None)
        widget = self.focus_target(first) if first else None
        if widget is not None:
            widget.focus()
            box = self.query(f"#box-{first}")
            if box:  # the field and its message in view (already focused: no DescendantFocus)
                self.call_after_refresh(box.first().scroll_visible, animate=False)

    def set_status(self, message: str, error: bool = False) -> None:
        self.query_one("#status", Static).update(Text(message, style="bold red" if error else "italic"))

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)


class NewKeyScreen(FormScreen):
    """Every field of a budgeted key; checked inline before anything is sent."""

    DEFAULT_CSS = FORM_CSS.format(name="NewKeyScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Create")]
    COMPACT_BELOW = 56

    FIELDS = (
        ("alias", "Alias *", "e.g. web-app-prod"),
        ("max_budget", "Max budget (USD)", "e.g. 50"),
        ("soft_budget", "Soft budget (USD)", "alert only, at most the max budget"),
        ("tags", "Tags", "e.g. project:web-app, env:prod (category:value)"),
        ("user_id", "User", "internal user id"),
        ("tpm_limit", "TPM limit", "tokens per minute"),
        ("rpm_limit", "RPM limit", "requests per minute"),
        ("duration", "Expires after", "e.g. 90d (empty: never)"),
        ("metadata", "Metadata (JSON)", '{"owner": "ml-platform"}'),
    )
    ORDER = ("alias", "max_budget", "soft_budget", "budget_duration", "models", "team_id", *(f[0] for f in FIELDS[3:]))
    NAMES = {
        **{name: label.rstrip(" *") for name, label, _ in FIELDS},
        "budget_duration": "Budget resets",
        "models": "Models",
        "team_id": "Team",
    }

    def __init__(self, data: KeyFormData) -> None:
        super().__init__()
        self.data = data
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text.assemble(("New virtual key", "bold"), (f" — written {self.data.where}", "")), id="title")
            yield from self.foot("Create key", "enter or ctrl+s creates the key · tab: next field · escape cancels")
            with Fields(id="fields"):
                yield from self._fields()

    def _fields(self) -> ComposeResult:
        for name, label, placeholder in self.FIELDS[:3]:
            yield from self.field(name, label, placeholder)
        with Vertical(classes="field", id="box-budget_duration"):
            with Horizontal(classes="row"):
                yield Label("Budget resets")
                yield Select(DURATIONS, value="", allow_blank=False, id="duration-preset")
            with Horizontal(classes="row", id="custom-row"):
                yield Label("Custom duration")
                yield EditInput(placeholder="<n>s|m|h|d|w|mo, e.g. 14d", id="field-budget_duration")
            yield Label("", classes="error", id="error-budget_duration")
        with Vertical(classes="field", id="box-models"):
            with Horizontal(classes="row"):
                yield Label("Models")
                yield CheckList(*[(m, m) for m in self.data.models], id="field-models")
            yield Static("space picks or unpicks · none picked: every model", classes="hint")
            yield Label("", classes="error", id="error-models")
        with Vertical(classes="field", id="box-team_id"):
            with Horizontal(classes="row"):
                yield Label("Team")
                yield Select([(label, team) for team, label in self.data.teams], id="field-team_id", prompt="no team")
            yield Label("", classes="error", id="error-team_id")
        for name, label, placeholder in self.FIELDS[3:]:
            yield from self.field(name, label, placeholder)

    def on_mount(self) -> None:
        self.query_one("#custom-row").display = False
        self.query_one("#field-alias", Input).focus()

    @on(Select.Changed, "#duration-preset")
    def _preset(self, event: Select.Changed) -> None:
        self.query_one("#custom-row").display = event.value == "custom"

    def _custom(self) -> bool:
        return self.query_one("#duration-preset", Select).value == "custom"

    def focus_target(self, name: str) -> Widget | None:
        if name == "budget_duration" and not self._custom():
            return self.query_one("#duration-preset", Select)
        return super().focus_target(name)

    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, _, _ in self.FIELDS:
            out[name] = self.query_one(f"#field-{name}", Input).value
        preset = self.query_one("#duration-preset", Select).value
        preset = preset if isinstance(preset, str) else ""  # Select.NULL before the widget has settled
        out["budget_duration"] = (
            self.query_one("#field-budget_duration", Input).value if preset == "custom" else preset or None
        )
        out["models"] = list(self.query_one("#field-models", SelectionList).selected)
        team = self.query_one("#field-team_id", Select).value
        out["team_id"] = team if isinstance(team, str) else None
        return out

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.busy:  # a second Enter while the first request is in flight does nothing
            return
        try:
            spec = parse_spec(self.values())
        except SpecError as exc:
            self.show_errors(exc.errors)
            return
        self.show_errors({})
        self.busy = True
        self.query_one("#submit", Button).disabled = True
        self.set_status("creating the key…")
        self.app.create_key(spec, self)  # type: ignore[attr-defined]

    def failed(self, message: str) -> None:
        """The writer refused or the proxy answered an error: show it, allow another try."""
        self.busy = False
        self.query_one("#submit", Button).disabled = False
        self.set_status(message, error=True)

    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)


class BudgetEditScreen(FormScreen):
    """Change a key's max budget, budget duration and soft budget."""

    DEFAULT_CSS = FORM_CSS.format(name="BudgetEditScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    COMPACT_BELOW = 22
    FIELDS = (
        ("max_budget", "Max budget (USD)", "e.g. 100"),
        ("budget_duration", "Budget resets", "daily, weekly, monthly or e.g. 14d"),
        ("soft_budget", "Soft budget (USD)", "alert only"),
    )
    ORDER = tuple(f[0] for f in FIELDS)
    NAMES = {name: label for name, label, _ in FIELDS}

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                Text.assemble((f"Budget of {self.label}", "bold"), " (empty fields stay as they are)"), id="title"
            )
            yield from self.foot("Save", "enter saves · escape cancels")
            with Fields(id="fields"):
                for name, label, hint in self.FIELDS:
                    yield from self.field(name, label, hint)

    def on_mount(self) -> None:
        self.query_one("#field-max_budget", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def save(self) -> None:
        values: dict[str, object] = {n: self.query_one(f"#field-{n}", Input).value for n, _, _ in self.FIELDS}
        try:
            spec = parse_spec(values, require_alias=False)
        except SpecError as exc:
            self.show_errors(exc.errors)
            return
        self.show_errors({})
        if not spec.given:
            self.set_status("nothing to change: fill in at least one field", error=True)
            return
        self.dismiss(spec)


class RevealKeyScreen(ModalScreen[None]):
    """Shows a new raw key exactly once, with copy to clipboard (OSC 52 works over SSH)."""

    DEFAULT_CSS = """
    RevealKeyScreen { align: center middle; }
    RevealKeyScreen > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 1 2; }
    RevealKeyScreen Fields { height: auto; max-height: 100%; }
    RevealKeyScreen #key { background: $boost; padding: 1 2; margin: 1 0; }
    RevealKeyScreen Horizontal { dock: bottom; height: auto; align-horizontal: right; }
    RevealKeyScreen Horizontal > Button { margin-left: 1; }
    """
    BINDINGS = [Binding("c", "copy", "Copy"), Binding("escape,enter", "close", "Close")]

    def __init__(self, raw_key: str, summary: str) -> None:
        super().__init__()
        self._raw: str | None = raw_key
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical():
            with Horizontal():
                yield Button("Copy (c)", variant="primary", id="copy")
                yield Button("Done (enter)", id="done")
            with Fields():
                yield Label(Text("Your new key — shown only this once", style="bold"))
                yield Static(Text(self._raw or "", style="bold"), id="key")
                yield Static(Text(self.summary, style="dim"))
                yield Static(
                    Text(
                        "Copy it now: spendtui cannot show it again, and LiteLLM stores only its hash.", style="italic"
                    )
                )

    def on_mount(self) -> None:
        # enter closes, as the key bar says: with the focus on Copy, enter pressed Copy
        self.query_one("#done", Button).focus()

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        if self._raw:
            self.app.copy_to_clipboard(self._raw)
            self.notify("copied (OSC 52: works over SSH in most terminals)", timeout=3)

    @on(Button.Pressed, "#done")
    def action_close(self) -> None:
        self._raw = None
        self.query_one("#key", Static).update("")
        self.dismiss(None)
