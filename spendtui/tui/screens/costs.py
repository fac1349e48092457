"""The example requests behind a model's cost findings (Enter on the Costs pane): read
again from the source in a worker (``SpendEngine.cost_findings``), for the view's window
and filters, largest differences first. Escape returns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from spendtui.dashboard import format as fmt
from spendtui.errors import SpendtuiError
from spendtui.tui.widgets.keybar import KeyBar
from spendtui.tui.widgets.table import SpendTable

if TYPE_CHECKING:
    from spendtui.core.audit import Example
    from spendtui.tui.app import SpendApp

KIND_STYLE = {"zero-cost": "bold red", "drifted": "yellow", "unpriced": "magenta"}


class CostFindings(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("q", "back", "Back", show=False)]
    DEFAULT_CSS = """
    CostFindings #findings-title { height: auto; padding: 0 1; background: $boost; }
    CostFindings SpendTable { height: 1fr; }
    """

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Cost findings of {self.model}: reading its requests…"), id="findings-title")
        yield SpendTable(id="findings", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(SpendTable)
        for key, title in self._columns():
            table.add_column(title, key=key)
        self.read()

    def _columns(self) -> list[tuple[str, str]]:
        """Under 110 columns the cached tokens and the seconds give way to the request id."""
        wide = self.app.size.width >= 110
        columns = [
            ("kind", "Finding"),
            ("time", "Time (UTC)"),
            ("tokens", "Tokens in+out"),
            ("cached", "Cached"),
            ("logged", "Logged"),
            ("expected", "Expected"),
            ("request", "Request id"),
        ]
        return columns if wide else [c for c in columns if c[0] != "cached"]

    @work(thread=True, exclusive=True, group="cost-findings", exit_on_error=False)
    def read(self) -> None:
        app: SpendApp = self.app  # type: ignore[assignment]
        try:
            found = app.session.cost_findings(self.model, app.state)
        except SpendtuiError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, found)

    def _failed(self, why: str) -> None:
        self.query_one("#findings-title", Static).update(Text(f"{self.model}: could not read: {why}", style="red"))

    def _show(self, found: list[Example]) -> None:
        app: SpendApp = self.app  # type: ignore[assignment]
        title = f"{self.model}, {app.state.window_label(app.launch.clock().date())}"
        if not found:
            title += ": none in this window and filters"
        else:
            title += f": the {len(found)} largest cost findings"
        self.query_one("#findings-title", Static).update(Text(title, style="bold"))
        table = self.query_one(SpendTable)
        keys = [key for key, _ in self._columns()]
        right = {"justify": "right", "no_wrap": True}
        for e in found:
            r = e.request
            cells = {
                "kind": Text(e.kind, style=KIND_STYLE.get(e.kind, "")),
                "time": Text(r.start[:19] if "cached" in keys else r.start[5:16]),
                "tokens": Text(f"{fmt.count(r.prompt_tokens)}+{fmt.count(r.completion_tokens)}", **right),  # type: ignore[arg-type]
                "cached": Text(fmt.count(r.cache_read_tokens) if r.cache_read_tokens else "", **right),  # type: ignore[arg-type]
                "logged": Text(fmt.money(r.logged or 0), **right),  # type: ignore[arg-type]
                "expected": Text("no price" if e.expected is None else fmt.money(e.expected), **right),  # type: ignore[arg-type]
                "request": Text(r.request_id, no_wrap=True),
            }
            table.add_row(*(cells[k] for k in keys))

    def action_back(self) -> None:
        self.app.pop_screen()
