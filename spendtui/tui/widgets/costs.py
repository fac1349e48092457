"""The Costs pane: every logged cost of the slice checked against the price map
(``dashboard.costs``): findings first, per model, then what the cache saved. Enter on a
model opens its example requests (``screens.costs``).

States are written out (``▲ 12 drifted``, ``✓ all costs check out``) as well as coloured."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from spendtui.core.audit_cells import AuditTotals
from spendtui.core.whatif_types import CandidateCost
from spendtui.dashboard import format as fmt
from spendtui.dashboard.costs import CostsData
from spendtui.tui.widgets.table import SpendTable

COLUMNS = (
    ("model", "Model"),
    ("requests", "Requests"),
    ("logged", "Logged"),
    ("expected", "Expected"),
    ("diff", "Diff"),
    ("percent", "Diff %"),
    ("zero", "Zero-cost"),
    ("drifted", "Drifted"),
    ("unpriced", "Unpriced"),
)
#: Columns given up, in this order, while the model names have less room than NAME_ROOM.
DROP_ORDER = ("requests", "expected", "diff", "percent")
NAME_ROOM = 22


def percent(t: AuditTotals) -> str:
    """Logged against expected, in percent of expected (blank without a price)."""
    if not t.expected:
        return ""
    return f"{t.difference * 100 / t.expected:+.1f}%"


def money_or_blank(pico: int, t: AuditTotals) -> str:
    """An expected figure, blank when no request of the row has a price."""
    return "" if t.no_price >= t.requests - t.unreadable else fmt.money(pico)


def _count(n: int, style: str) -> Text:
    return Text(fmt.count(n) if n else "·", style=style if n else "dim", justify="right")


def cells(model: str, t: AuditTotals) -> dict[str, Text]:
    right = {"justify": "right", "no_wrap": True}
    return {
        "model": Text(model or "(none)", no_wrap=True, overflow="ellipsis"),
        "requests": Text(fmt.count(t.requests), **right),  # type: ignore[arg-type]
        "logged": Text(fmt.money(t.logged), **right),  # type: ignore[arg-type]
        "expected": Text(money_or_blank(t.expected, t), **right),  # type: ignore[arg-type]
        "diff": Text(fmt.money(t.difference) if t.expected else "", **right),  # type: ignore[arg-type]
        "percent": Text(percent(t), **right),  # type: ignore[arg-type]
        "zero": _count(t.zero_cost, "bold red"),
        "drifted": _count(t.drifted, "yellow"),
        "unpriced": _count(t.unpriced, "magenta"),
    }


def summary(data: CostsData) -> Text:
    """The lines above the table: the verdict, the money, where the prices come from."""
    if data.note is not None:
        return Text(data.note, style="italic")
    if data.pending:
        return Text("Checking every request of the window against the price map…", style="dim italic")
    t = data.total
    out = Text()
    if not t.findings:
        out.append("✓ All costs check out", style="bold green")
        out.append(f": {fmt.count(t.requests)} requests, each within {data.tolerance} of its price\n")
    else:
        out.append("▲ ", style="bold yellow")
        parts = [
            (t.zero_cost, "zero-cost", "bold red"),
            (t.drifted, "drifted", "yellow"),
            (t.unpriced, "unpriced", "magenta"),
        ]
        for i, (n, word, style) in enumerate(p for p in parts if p[0]):
            out.append(" · " if i else "")
            out.append(f"{fmt.count(n)} {word}", style=style)
        out.append(" requests\n")
    if t.expected:
        out.append(f"Logged {fmt.money(t.priced_logged)}, prices say {fmt.money(t.expected)}")
        out.append(f" ({fmt.money(t.difference)}, {percent(t)}) · ")
    out.append(
        f"cache saved {fmt.money(t.hit_cost)} on {fmt.count(t.hits)} hits, {fmt.money(t.cache_saving)} on reads\n"
    )
    out.append(f"Prices: {data.prices} · drift: over {data.tolerance} · enter: examples", style="dim")
    return out


class CostTable(SpendTable):
    """One row per model, findings first; rows keyed by model so the cursor survives."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: list[tuple[str, AuditTotals]] = []
        self._shown: tuple[str, ...] = tuple(key for key, _ in COLUMNS)
        self._name_width = NAME_ROOM

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        titles = dict(COLUMNS)
        for key in self._shown:
            self.add_column(titles[key], key=key, width=self._name_width if key == "model" else None)

    def _layout(self) -> tuple[tuple[str, ...], int]:
        """The columns that fit beside the model names, and the names' width."""
        titles = dict(COLUMNS)
        # (a title keeps two cells for the sort mark; every column has one of padding each side)
        widths = {key: len(titles[key]) + 2 for key, _ in COLUMNS}
        for model, t in self._rows:
            for key, cell in cells(model, t).items():
                widths[key] = max(widths[key], cell.cell_len)
        total = (self.size.width or self.app.size.width) - 2
        shown = [key for key, _ in COLUMNS]
        for drop in DROP_ORDER:
            if total - sum(widths[k] + 2 for k in shown if k != "model") - 2 >= min(widths["model"], NAME_ROOM):
                break
            shown.remove(drop)
        room = total - sum(widths[k] + 2 for k in shown if k != "model") - 2
        return tuple(shown), max(8, min(widths["model"], room))

    def show(self, rows: list[tuple[str, AuditTotals]]) -> None:
        selected = self.cursor_key()
        self._rows = rows
        shown, width = self._layout()
        with self.app.batch_update():
            if (shown, width) != (self._shown, self._name_width):
                self._shown, self._name_width = shown, width
                self.clear(columns=True)
                self._add_columns()
            self.clear()
            for model, t in rows:
                row = cells(model, t)
                self.add_row(*(row[key] for key in self._shown), key=model)
            keys = [m for m, _ in rows]
            if selected in keys:
                self.move_cursor(row=keys.index(selected))

    def on_resize(self) -> None:
        if self._rows:
            self.show(self._rows)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter opens the selected model's example requests."""
        from spendtui.tui.screens.costs import CostFindings

        event.stop()
        model = str(event.row_key.value)
        self.app.push_screen(CostFindings(model))


class WhatIfTable(SpendTable):
    """What the slice's billable requests would have cost on each model it used, cheapest
    first (per mode: chat, then embedding...)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: tuple[CandidateCost, ...] | None = None

    def on_mount(self) -> None:
        self.add_column("If it had all gone to", key="model")
        self.add_column("It would cost", key="spend")
        self.add_column("Saving", key="saving")
        self.add_column("Saving %", key="percent")

    def show(self, candidates: tuple[CandidateCost, ...]) -> None:
        if candidates == self._shown:
            return
        self._shown = candidates
        right = {"justify": "right", "no_wrap": True}
        with self.app.batch_update():
            self.clear()
            for c in candidates:
                percent = c.saving_percent
                self.add_row(
                    Text(c.model, no_wrap=True, overflow="ellipsis"),
                    Text(fmt.money(c.spend), **right),  # type: ignore[arg-type]
                    Text(fmt.money(c.saving), style="green" if c.saving > 0 else "", **right),  # type: ignore[arg-type]
                    Text("" if percent is None else f"{percent:.0f}%", **right),  # type: ignore[arg-type]
                )


class CostsPane(Vertical):
    DEFAULT_CSS = """
    CostsPane #costs-head { height: auto; max-height: 5; padding: 0 1; }
    CostsPane CostTable { height: 1fr; }
    CostsPane #whatif-head { height: 1; padding: 0 1; color: $text-muted; }
    CostsPane WhatIfTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="costs-head")
        yield CostTable(id="costs-table")
        yield Static(id="whatif-head")
        yield WhatIfTable(id="whatif-table")

    def show(self, data: CostsData | None) -> None:
        if data is None:
            return
        self.query_one("#costs-head", Static).update(summary(data))
        self.query_one(CostTable).show([(r.model, r.totals) for r in data.rows])
        billable = data.total.billable
        head = ""
        if data.whatif:
            head = f"What-if: the slice's {fmt.count(billable)} billable requests, same tokens, on each model served"
            tiered = next((n for n in data.whatif_notes if n.startswith("not priced from summed")), None)
            if tiered:
                head += f"; tiered, see `report whatif`: {tiered.split(': ', 1)[1]}"
        self.query_one("#whatif-head", Static).update(Text(head, no_wrap=True, overflow="ellipsis"))
        self.query_one(WhatIfTable).show(data.whatif)
