"""The Overview pane: headline figures, the daily chart, and the top models, tags and keys."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Static

from spendtui.dashboard import format as fmt
from spendtui.dashboard.model import Kpis, Snapshot, TableData
from spendtui.tui.widgets.charts import SpendChart


class Tile(Static):
    """One headline number with a caption and a detail line."""

    DEFAULT_CSS = """
    Tile { padding: 0 1; height: 3; background: $boost; }
    """

    def set(self, caption: str, value: str, detail: str = "", style: str = "bold $accent") -> None:
        text = Text(caption + "\n", style="dim", no_wrap=True, overflow="ellipsis")
        text.append(value + "\n", style="bold")
        text.append(detail, style="dim")
        self.update(text)


def _tiles(k: Kpis) -> list[tuple[str, str, str]]:
    w, p = k.window, k.previous
    delta = fmt.change(w.spend, p.spend)[0] if p is not None else "…"
    cache = fmt.percent(w.cache_hits, w.requests, 0)
    avg = w.avg_cost()
    failed = f"{fmt.count(w.failures)} failed"
    return [
        ("Spend", fmt.money(w.spend), f"{delta} vs prev"),
        ("Today (UTC)", fmt.money(k.today.spend), f"{fmt.count(k.today.requests)} req"),
        ("Month to date", fmt.money(k.month.spend), f"{fmt.count(k.month.requests)} req"),
        ("Requests", fmt.count(w.requests), failed),
        ("Tokens", fmt.count(w.total_tokens), f"{fmt.count(w.completion_tokens)} output"),
        ("Avg/request", fmt.money(avg) if avg is not None else "–", f"{cache} cached"),
        ("Burn, 1 h", fmt.rate_per_hour(k.burn_1h), f"24 h {fmt.rate_per_hour(k.burn_24h)}"),
    ]


def _top_table(title: str, data: TableData | None, share: bool = True) -> Table:
    """A top-five list; without the share column when the pane is narrow (the names need it)."""
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        expand=True,
        box=None,
        show_header=False,
        padding=(0, 1),
    )
    table.add_column("name", ratio=3, no_wrap=True, overflow="ellipsis")
    table.add_column("spend", justify="right", no_wrap=True)
    if share:
        table.add_column("share", justify="right", no_wrap=True, style="dim")
    if data is not None and data.refusal:
        table.add_row(Text("not exact for this window", style="italic"))
    elif data is None or not data.rows:
        table.add_row(Text("no spend", style="dim"))
        return table
    for row in data.rows:
        cells = [Text(row.label), fmt.money(row.totals.spend)]
        table.add_row(*cells, *([f"{row.share * 100:.0f}%"] if share else []))
    return table


def _budget_table(snap: Snapshot) -> Table:
    """The most urgent budgets (symbol and word as well as colour)."""
    table = Table(
        title="Urgent budgets",
        title_justify="left",
        title_style="bold",
        expand=True,
        box=None,
        show_header=False,
        padding=(0, 1),
    )
    table.add_column("state", no_wrap=True)
    table.add_column("name", ratio=3, no_wrap=True, overflow="ellipsis")
    table.add_column("used", justify="right", no_wrap=True)
    board = snap.budgets
    if board is None:
        table.add_row("", Text("reading budgets…", style="dim"), "")
        return table
    if not board.budgets:
        table.add_row("", Text("no budgets with a limit", style="dim"), "")
        return table
    from spendtui.dashboard.budgets import used_text
    from spendtui.tui.widgets.budgets import LEVEL_STYLE

    for b in board.budgets[:5]:
        style = LEVEL_STYLE[b.level]
        table.add_row(Text(b.symbol, style=style), Text(b.state.name), Text(used_text(b, narrow=True), style=style))
    return table


class Overview(Vertical):
    """Headline figures, daily spend, top lists."""

    DEFAULT_CSS = """
    Overview #tiles { grid-size: 7; grid-gutter: 0 1; height: 3; margin-bottom: 1; }
    Overview.-narrow #tiles { grid-size: 4; grid-gutter: 0 1; height: 6; margin-bottom: 0; }
    Overview.-short #overview-chart { min-height: 5; }
    Overview.-short #tops { height: 5; }
    Overview #overview-chart { height: 1fr; min-height: 8; }
    Overview #tops { height: 8; }
    Overview #tops > Static { width: 1fr; }
    """

    _snap: Snapshot | None = None

    def compose(self) -> ComposeResult:
        with Grid(id="tiles"):
            for i in range(7):
                yield Tile(id=f"tile-{i}")
        yield SpendChart(id="overview-chart")
        with Horizontal(id="tops"):
            yield Static(id="top-models")
            yield Static(id="top-tags")
            yield Static(id="top-keys")
            yield Static(id="top-budgets")

    def show(self, snap: Snapshot) -> None:
        if snap.kpis is None:
            return
        for i, (caption, value, detail) in enumerate(_tiles(snap.kpis)):
            self.query_one(f"#tile-{i}", Tile).set(caption, value, detail)
        if snap.overview_daily is not None:
            days = [d for d, _ in snap.overview_daily]
            values = [t.spend / 1e12 for _, t in snap.overview_daily]
            self.query_one(SpendChart).daily("Daily spend (USD)", days, [("spend", values)])
        self._snap = snap
        self._show_tops()

    def _show_tops(self) -> None:
        snap = self._snap
        if snap is None:
            return
        top, share = snap.top or {}, not self.has_class("-narrow")
        self.query_one("#top-models", Static).update(_top_table("Top models", top.get("model"), share))
        self.query_one("#top-tags", Static).update(_top_table("Top tags", top.get("tag"), share))
        self.query_one("#top-keys", Static).update(_top_table("Top keys", top.get("key"), share))
        self.query_one("#top-budgets", Static).update(_budget_table(snap))

    def on_resize(self) -> None:
        narrow = self.size.width < 110
        changed = narrow != self.has_class("-narrow")
        self.set_class(narrow, "-narrow")
        self.set_class(self.size.height < 30, "-short")
        if changed:
            self._show_tops()
