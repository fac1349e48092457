"""The Overview pane: headline figures, the daily chart, and the top models, tags and keys."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Static

from spendtui.core.totals import Totals
from spendtui.dashboard import format as fmt
from spendtui.dashboard.model import Kpis, Snapshot, TableData, change_ratio
from spendtui.tui.widgets.charts import SpendChart

#: From this width the four top lists stand side by side (names keep ~25 columns).
TOPS_SIDE_BY_SIDE_FROM = 150
#: Tile captions where caption and value share a line (80x24).
COMPACT_CAPTIONS = {"Today (UTC)": "Today", "Month to date": "Month", "Avg/request": "Avg/req", "Burn, 1 h": "Burn 1h"}


class Tile(Static):
    """One headline number with a caption and a detail line."""

    DEFAULT_CSS = """
    Tile { padding: 0 1; height: 3; background: $boost; }
    Overview.-compact Tile { height: 2; }
    """

    _parts: tuple[str, str, str, bool] | None = None

    def set(self, caption: str, value: str, detail: str = "", compact: bool = False) -> None:
        """Caption, value and detail on three lines (``compact``: a short caption and the
        value on one). A detail's second part, after " · ", gives way when it does not fit."""
        self._parts = (caption, value, detail, compact)
        self._draw()

    def on_resize(self) -> None:
        if self._parts is not None:
            self._draw()

    def _draw(self) -> None:
        assert self._parts is not None
        caption, value, detail, compact = self._parts
        if compact:
            caption = COMPACT_CAPTIONS.get(caption, caption)
        if compact or len(detail) > self.content_size.width:
            detail = detail.split(" · ")[0]
        text = Text(caption + (" " if compact else "\n"), style="dim", no_wrap=True, overflow="ellipsis")
        text.append(value + "\n", style="bold")
        text.append(detail, style="dim")
        self.update(text)


def _token_detail(w: Totals) -> str:
    """Output tokens, and the prompt tokens read from the provider's cache when there are."""
    out = f"{fmt.count(w.completion_tokens)} out"
    if not w.cache_read_tokens:
        return out
    return f"{out} · {fmt.count(w.cache_read_tokens)} cache rd"


def _tiles(k: Kpis) -> list[tuple[str, str, str]]:
    w = k.window
    if k.previous is None or k.compared is None:
        versus = k.compare_label  # (why there is no comparison)
    else:
        ratio = change_ratio(k.compared.spend, k.previous.spend)
        versus = f"{fmt.change_text(ratio)} {k.compare_label}" + (" (partial)" if k.compare_note else "")
    cache = fmt.percent(w.cache_hits, w.requests, 0)
    avg = w.avg_cost()
    failed = f"{fmt.count(w.failures)} failed"
    return [
        ("Spend", fmt.money(w.spend), versus),
        ("Today (UTC)", fmt.money(k.today.spend), f"{fmt.count(k.today.requests)} req"),
        ("Month to date", fmt.money(k.month.spend), f"{fmt.count(k.month.requests)} req"),
        ("Requests", fmt.count(w.requests), failed),
        ("Tokens", fmt.count(w.total_tokens), _token_detail(w)),
        ("Avg/request", fmt.money(avg) if avg is not None else "–", f"{cache} cached"),
        ("Burn, 1 h", fmt.rate_per_hour(k.burn_1h), f"24 h {fmt.rate_per_hour(k.burn_24h)}"),
    ]


def _top_table(title: str, data: TableData | None, share: bool = True, rows: int = 5) -> Table:
    """A top list of ``rows`` rows, with each one's share of the window's spend."""
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
    for row in data.rows[:rows]:
        cells: list[str | Text] = [Text(row.label), fmt.money(row.totals.spend)]
        table.add_row(*cells, *([f"{row.share * 100:.0f}%"] if share else []))
    return table


def _budget_table(snap: Snapshot, rows: int = 5) -> Table:
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

    for b in board.budgets[:rows]:
        style = LEVEL_STYLE[b.level]
        table.add_row(Text(b.symbol, style=style), Text(b.state.name), Text(used_text(b, narrow=True), style=style))
    return table


class Overview(Vertical):
    """Headline figures, daily spend, top lists.

    Under 150 columns the top lists stand two by two, so names keep room to be read
    (four side by side at 80 columns cut them to "claude-o…"); when the height is
    short, the chart and the lists give up rows rather than run off the pane."""

    DEFAULT_CSS = """
    Overview #tiles { grid-size: 7; grid-gutter: 0 1; height: 3; margin-bottom: 1; }
    Overview.-narrow #tiles { grid-size: 4; grid-gutter: 0 1; height: 6; margin-bottom: 0; }
    Overview #overview-chart { height: 1fr; min-height: 8; }
    Overview #cost-warning { height: 1; color: $warning; display: none; }
    Overview #tile-costs { display: none; color: $warning; }
    Overview.-short #overview-chart { min-height: 5; }
    Overview #tops { grid-size: 4; grid-gutter: 0 2; height: 6; }
    Overview.-short #tops { height: 4; }
    Overview.-stacked #tops { grid-size: 2; grid-gutter: 0 2; height: 12; }
    Overview.-stacked.-short #tops { height: 8; }
    Overview.-compact #tiles { height: 4; }
    """
    #: Rows in each top list: the list heights above, less their titles.
    ROWS = 5
    SHORT_ROWS = 3

    _snap: Snapshot | None = None

    def compose(self) -> ComposeResult:
        with Grid(id="tiles"):
            for i in range(7):
                yield Tile(id=f"tile-{i}")
            yield Tile(id="tile-costs")  # (the eighth place of a narrow grid: see _show_costs)
        yield Static(id="cost-warning")
        yield SpendChart(id="overview-chart")
        with Grid(id="tops"):
            yield Static(id="top-models")
            yield Static(id="top-tags")
            yield Static(id="top-keys")
            yield Static(id="top-budgets")

    def show(self, snap: Snapshot) -> None:
        if snap.kpis is None:
            return
        self._snap = snap
        self._show_figures()
        self._show_tops()
        self._show_costs()

    def _show_costs(self) -> None:
        """The cost warning: a line above the chart on wide screens; on narrow ones the
        eighth tile (the grid has the place, and 80x24 has no row to spare)."""
        snap = self._snap
        warning = snap.cost_warning if snap is not None else None
        narrow = self.has_class("-narrow")
        line = self.query_one("#cost-warning", Static)
        line.display = warning is not None and not narrow
        tile = self.query_one("#tile-costs", Tile)
        tile.display = warning is not None and narrow
        if warning is None:
            return
        from spendtui.dashboard.costs import warning_text

        line.update(Text(f"▲ Costs: {warning_text(warning)} requests in this window ($ shows them)", no_wrap=True))
        tile.set("Costs", f"▲ {fmt.count(sum(warning))}", "findings: $ shows them", self.has_class("-compact"))

    def _show_figures(self) -> None:
        snap = self._snap
        if snap is None or snap.kpis is None:
            return
        compact = self.has_class("-compact")
        for i, (caption, value, detail) in enumerate(_tiles(snap.kpis)):
            self.query_one(f"#tile-{i}", Tile).set(caption, value, detail, compact)
        if snap.overview_daily is not None:
            days = [d for d, _ in snap.overview_daily]
            values = [t.spend / 1e12 for _, t in snap.overview_daily]
            self.query_one(SpendChart).daily("Daily spend (USD)", days, [("spend", values)], bare=compact)

    def _show_tops(self) -> None:
        snap = self._snap
        if snap is None:
            return
        top = snap.top or {}
        rows = self.SHORT_ROWS if self.has_class("-short") else self.ROWS
        self.query_one("#top-models", Static).update(_top_table("Top models", top.get("model"), rows=rows))
        self.query_one("#top-tags", Static).update(_top_table("Top tags", top.get("tag"), rows=rows))
        self.query_one("#top-keys", Static).update(_top_table("Top keys", top.get("key"), rows=rows))
        self.query_one("#top-budgets", Static).update(_budget_table(snap, rows=rows))

    def on_resize(self) -> None:
        narrow = self.size.width < 110  # tiles four to a row
        stacked = self.size.width < TOPS_SIDE_BY_SIDE_FROM
        # the height everything needs at full size: tiles, the chart's minimum, the lists
        short = self.size.height < (6 if narrow else 4) + 8 + (12 if stacked else 6)
        # 80x24: two-line tiles and a chart without title and axis labels, so it keeps
        # a few rows of bars between the tiles and the lists
        compact = narrow and self.size.height < 6 + 8 + 8
        classes = {"-narrow": narrow, "-stacked": stacked, "-short": short, "-compact": compact}
        if any(self.has_class(name) != on for name, on in classes.items()):
            for name, on in classes.items():
                self.set_class(on, name)
            self._show_figures()
            self._show_tops()
            self._show_costs()
