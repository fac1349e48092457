"""Key dialogs: the New key form, the one-time reveal, budget edits and confirmations."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, SelectionList, Static

from spendtui.keys.spec import KeySpec, SpecError, parse_spec

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 80; max-width: 100%; height: auto; max-height: 95%;
    border: round $primary; background: $surface; padding: 0 1; }}
{name} VerticalScroll {{ height: auto; max-height: 30; }}
{name} .row {{ height: auto; }}
{name} .row > Label {{ width: 18; padding: 1 1 0 0; text-align: right; }}
{name} .row > Input, {name} .row > Select {{ width: 1fr; }}
{name} .error {{ color: $error; height: auto; padding-left: 19; }}
{name} .error:empty {{ display: none; }}
{name} #status {{ height: auto; }}
{name} #buttons {{ height: auto; align-horizontal: right; }}
{name} SelectionList {{ height: 6; width: 1fr; }}
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
    """Choices the form offers: models and teams (id, label)."""

    models: list[str]
    teams: list[tuple[str, str]]
    where: str


class NewKeyScreen(ModalScreen[KeySpec | None]):
    """Every field of a budgeted key; checked inline before anything is sent."""

    DEFAULT_CSS = FORM_CSS.format(name="NewKeyScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Create")]

    FIELDS = (
        ("alias", "Alias *", "e.g. web-app-prod"),
        ("max_budget", "Max budget (USD)", "e.g. 50"),
        ("soft_budget", "Soft budget (USD)", "alert only, at most the max budget"),
        ("tags", "Tags", "category:value, comma separated (e.g. project:web-app, env:prod)"),
        ("user_id", "User", "internal user id"),
        ("tpm_limit", "TPM limit", "tokens per minute"),
        ("rpm_limit", "RPM limit", "requests per minute"),
        ("duration", "Expires after", "e.g. 90d (empty: never)"),
        ("metadata", "Metadata (JSON)", '{"owner": "ml-platform"}'),
    )

    def __init__(self, data: KeyFormData) -> None:
        super().__init__()
        self.data = data
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"New virtual key — written {self.data.where}", style="bold"))
            with VerticalScroll():
                for name, label, placeholder in self.FIELDS[:3]:
                    yield from self._row(name, label, placeholder)
                with Horizontal(classes="row"):
                    yield Label("Budget resets")
                    yield Select(DURATIONS, value="", allow_blank=False, id="duration-preset")
                with Horizontal(classes="row", id="custom-row"):
                    yield Label("Custom duration")
                    yield Input(placeholder="<n>s|m|h|d|w|mo, e.g. 14d", id="field-budget_duration")
                yield Label("", classes="error", id="error-budget_duration")
                with Horizontal(classes="row"):
                    yield Label("Models")
                    yield SelectionList[str](*[(m, m) for m in self.data.models], id="field-models")
                yield Label("", classes="error", id="error-models")
                with Horizontal(classes="row"):
                    yield Label("Team")
                    yield Select(
                        [(label, team) for team, label in self.data.teams], id="field-team_id", prompt="no team"
                    )
                for name, label, placeholder in self.FIELDS[3:]:
                    yield from self._row(name, label, placeholder)
            yield Static("", id="status")
            with Horizontal(id="buttons"):
                yield Button("Create key", variant="primary", id="create")
                yield Button("Cancel", id="cancel")

    def _row(self, name: str, label: str, placeholder: str) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(label)
            yield Input(placeholder=placeholder, id=f"field-{name}")
        yield Label("", classes="error", id=f"error-{name}")

    def on_mount(self) -> None:
        self.query_one("#custom-row").display = False
        self.query_one("#field-alias", Input).focus()

    @on(Select.Changed, "#duration-preset")
    def _preset(self, event: Select.Changed) -> None:
        self.query_one("#custom-row").display = event.value == "custom"

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

    def show_errors(self, errors: dict[str, str]) -> None:
        for label in self.query(".error"):
            label.update("")
        for name, message in errors.items():
            target = self.query(f"#error-{name}")
            if target:
                target.first(Label).update(f"↑ {message}")
        self.set_status(f"{len(errors)} field(s) need attention", error=True)

    def set_status(self, message: str, error: bool = False) -> None:
        self.query_one("#status", Static).update(Text(message, style="bold red" if error else "italic"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#create")
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
        self.query_one("#create", Button).disabled = True
        self.set_status("creating the key…")
        self.app.create_key(spec, self)  # type: ignore[attr-defined]

    def failed(self, message: str) -> None:
        """The writer refused or the proxy answered an error: show it, allow another try."""
        self.busy = False
        self.query_one("#create", Button).disabled = False
        self.set_status(message, error=True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.busy:
            self.dismiss(None)


class RevealKeyScreen(ModalScreen[None]):
    """Shows a new raw key exactly once, with copy to clipboard (OSC 52 works over SSH)."""

    DEFAULT_CSS = """
    RevealKeyScreen { align: center middle; }
    RevealKeyScreen > Vertical { width: 76; max-width: 100%; height: auto; border: thick $warning;
        background: $surface; padding: 1 2; }
    RevealKeyScreen #key { background: $boost; padding: 1 2; margin: 1 0; }
    RevealKeyScreen Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("c", "copy", "Copy"), Binding("escape,enter", "close", "Close")]

    def __init__(self, raw_key: str, summary: str) -> None:
        super().__init__()
        self._raw: str | None = raw_key
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Your new key — shown only this once", style="bold"))
            yield Static(Text(self._raw or "", style="bold"), id="key")
            yield Static(Text(self.summary, style="dim"))
            yield Static(
                Text("Copy it now: spendtui cannot show it again, and LiteLLM stores only its hash.", style="italic")
            )
            with Horizontal():
                yield Button("Copy to clipboard (c)", variant="primary", id="copy")
                yield Button("Done", id="done")

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


class BudgetEditScreen(ModalScreen[KeySpec | None]):
    """Change a key's max budget, budget duration and soft budget."""

    DEFAULT_CSS = FORM_CSS.format(name="BudgetEditScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Budget of {self.label} (empty fields stay as they are)", style="bold"))
            for name, label, hint in (
                ("max_budget", "Max budget (USD)", "e.g. 100"),
                ("budget_duration", "Budget resets", "daily, weekly, monthly or e.g. 14d"),
                ("soft_budget", "Soft budget (USD)", "alert only"),
            ):
                with Horizontal(classes="row"):
                    yield Label(label)
                    yield Input(placeholder=hint, id=f"field-{name}")
                yield Label("", classes="error", id=f"error-{name}")
            yield Static("", id="status")
            with Horizontal(id="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def save(self) -> None:
        values = {
            n: self.query_one(f"#field-{n}", Input).value for n in ("max_budget", "budget_duration", "soft_budget")
        }
        for label in self.query(".error"):
            label.update("")
        try:
            spec = parse_spec(values, require_alias=False)
        except SpecError as exc:
            for name, message in exc.errors.items():
                self.query_one(f"#error-{name}", Label).update(f"↑ {message}")
            return
        if not spec.given:
            self.query_one("#status", Static).update(Text("nothing to change", style="bold red"))
            return
        self.dismiss(spec)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; the default is No."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 64; max-width: 100%; height: auto; border: round $error;
        background: $surface; padding: 1 2; }
    ConfirmScreen Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS = [Binding("escape,n", "no", "No"), Binding("y", "yes", "Yes")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            with Horizontal():
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_no(self) -> None:
        self.dismiss(False)
