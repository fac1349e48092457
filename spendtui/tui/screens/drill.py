"""Drill-down: one model, tag, key, user, team, customer, organization, project or agent,
by day and by everything else."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.widgets import Static

from spendtui.core.totals import Totals
from spendtui.dashboard import format as fmt
from spendtui.dashboard.model import DrillData, TableData
from spendtui.tui.widgets.charts import SpendChart
from spendtui.tui.widgets.keybar import KeyBar

TITLES = {
    "model": "Models",
    "key": "Keys",
    "user": "Users",
    "team": "Teams",
    "customer": "Customers",
    "tag": "Tags",
    "organization": "Organizations",
    "project": "Projects",
    "agent": "Agents",
}
#: The most tables a drill-down has (dashboard/snapshot.py: 5 always, and up to 3 of
#: organizations, projects and agents when the item has requests attributed to them).
TABLES = 8


def small_table(data: TableData) -> Table:
    base = data.dimension.split(":", 1)[0]
    table = Table(
        title=TITLES.get(base, base),
        title_justify="left",
        title_style="bold",
        expand=True,
        box=None,
        padding=(0, 1),
    )
    table.add_column("name", ratio=3, no_wrap=True, overflow="ellipsis")
    table.add_column("spend", justify="right", no_wrap=True)
    table.add_column("req", justify="right", no_wrap=True, style="dim")
    if data.refusal:
        table.add_row(Text("not exact here: the source does not cross these for every day", style="italic"), "", "")
    elif not data.rows:
        table.add_row(Text("none", style="dim"), "", "")
    for row in data.rows:
        table.add_row(Text(row.label), fmt.money(row.totals.spend), fmt.count(row.totals.requests))
    return table


def _cache_note(t: Totals) -> str:
    """The prompt tokens read from the provider's cache, when there are (on the second
    line: the first is full at 80 columns)."""
    return f" · {fmt.count(t.cache_read_tokens)} tokens read from cache" if t.cache_read_tokens else ""


class DrillScreen(Screen[None]):
    """Escape returns to the pane it came from."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("q", "back", "Back", show=False),
        # the tables scroll when they do not fit (80x24): from the keyboard too
        Binding("down,j", "scroll_tables(1)", "Scroll", key_display="↑↓"),
        Binding("up,k", "scroll_tables(-1)", "Scroll", show=False),
        Binding("pagedown,space", "scroll_tables(10)", "Page", show=False),
        Binding("pageup", "scroll_tables(-10)", "Page", show=False),
        Binding("home", "scroll_tables(-1000)", "Top", show=False),
        Binding("end", "scroll_tables(1000)", "End", show=False),
    ]
    DEFAULT_CSS = """
    DrillScreen #drill-title { height: 2; padding: 0 1; background: $boost; }
    DrillScreen #drill-chart { height: 1fr; min-height: 8; }
    DrillScreen #drill-tables { grid-size: 3; height: auto; max-height: 60%; grid-gutter: 0 2; padding: 0 1;
        overflow-y: auto; }
    DrillScreen.-narrow #drill-tables { grid-size: 2; }
    """

    def __init__(self, dimension: str, value: str, label: str) -> None:
        super().__init__()
        self.dimension, self.value, self.label = dimension, value, label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"{self.dimension}: {self.label} — loading", style="bold"), id="drill-title")
            yield SpendChart(id="drill-chart")
            with Grid(id="drill-tables"):
                for i in range(TABLES):
                    yield Static(id=f"drill-table-{i}")
        yield KeyBar()

    def show(self, data: DrillData, window_label: str) -> None:
        if (data.dimension, data.value) != (self.dimension, self.value):
            return
        t = data.totals
        title = Text(f"{data.dimension}: {data.label}", style="bold")
        title.append(
            f"   {fmt.money(t.spend)} · {fmt.count(t.requests)} requests · "
            f"{fmt.count(t.total_tokens)} tokens\n{window_label}{_cache_note(t)}",
            style="",
        )
        self.query_one("#drill-title", Static).update(title)
        days = [d for d, _ in data.daily]
        self.query_one(SpendChart).daily(
            f"Daily spend: {data.label}", days, [("spend", [x.spend / 1e12 for _, x in data.daily])]
        )
        for i in range(TABLES):
            cell = self.query_one(f"#drill-table-{i}", Static)
            cell.display = i < len(data.tables)
            if i < len(data.tables):
                cell.update(small_table(data.tables[i]))

    def show_refusal(self, reason: str) -> None:
        """The source cannot answer this drill exactly: say why, drop the old figures."""
        title = Text(f"{self.dimension}: {self.label}\n", style="bold")
        title.append(reason, style="italic")
        self.query_one("#drill-title", Static).update(title)
        self.query_one("#drill-title", Static).styles.height = "auto"
        self.query_one(SpendChart).display = False
        for i in range(TABLES):
            self.query_one(f"#drill-table-{i}", Static).update("")

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")

    def action_scroll_tables(self, lines: int) -> None:
        tables = self.query_one("#drill-tables", Grid)
        tables.scroll_to(y=tables.scroll_y + lines, animate=False)

    def action_back(self) -> None:
        self.dismiss(None)
