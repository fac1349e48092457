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


def _top_table(title: str, data: TableData | None) -> Table:
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
    table.add_column("share", justify="right", no_wrap=True, style="dim")
    if data is not None and data.refusal:
        table.add_row(Text("not exact for this window", style="italic"), "", "")
    elif data is None or not data.rows:
        table.add_row(Text("no spend", style="dim"), "", "")
        return table
    for row in data.rows:
        table.add_row(Text(row.label), fmt.money(row.totals.spend), f"{row.share * 100:.0f}%")
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

    def compose(self) -> ComposeResult:
        with Grid(id="tiles"):
            for i in range(7):
                yield Tile(id=f"tile-{i}")
        yield SpendChart(id="overview-chart")
        with Horizontal(id="tops"):
            yield Static(id="top-models")
            yield Static(id="top-tags")
            yield Static(id="top-keys")

    def show(self, snap: Snapshot) -> None:
        if snap.kpis is None:
            return
        for i, (caption, value, detail) in enumerate(_tiles(snap.kpis)):
            self.query_one(f"#tile-{i}", Tile).set(caption, value, detail)
        if snap.overview_daily is not None:
            days = [d for d, _ in snap.overview_daily]
            values = [t.spend / 1e12 for _, t in snap.overview_daily]
            self.query_one(SpendChart).daily("Daily spend (USD)", days, [("spend", values)])
        top = snap.top or {}
        self.query_one("#top-models", Static).update(_top_table("Top models", top.get("model")))
        self.query_one("#top-tags", Static).update(_top_table("Top tags", top.get("tag")))
        self.query_one("#top-keys", Static).update(_top_table("Top keys", top.get("key")))

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")
        self.set_class(self.size.height < 30, "-short")
