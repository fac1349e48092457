"""The spend rules in the Budgets pane (``c`` to ``rules``): one row per rule, firing first.

State is written out (``▲ FIRING``, ``✓ ok``) as well as coloured. Columns give way at
narrow widths (the description first, then the period); Enter shows the rule's whole
sentence (value, threshold, by how much, and a spike's median).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from spendtui.tui.widgets.table import SpendTable

if TYPE_CHECKING:
    from spendtui.core.rules import RuleResult

COLUMNS = (
    ("state", "State"),
    ("name", "Rule"),
    ("what", "Measure"),
    ("period", "Period"),
    ("value", "Value"),
    ("limit", "Above"),
    ("over", "Over by"),
)
#: Columns given up, in this order, when the names have less room than NAME_ROOM.
DROP_ORDER = ("what", "period", "over")
NAME_ROOM = 24


def rule_cells(result: RuleResult) -> dict[str, Text]:
    """One row: the figures ``spendtui check`` prints for the rule."""
    from spendtui.core.rules import SpikeRule, format_measure

    rule = result.rule
    measure = rule.measure
    style = "bold yellow" if result.firing else "green"
    right = {"justify": "right", "no_wrap": True}
    kind = measure
    if isinstance(rule, SpikeRule):
        kind = f"{measure} ×{format(float(rule.factor), 'g')} median"
    scope = result.scope_text or "all"
    over = ""
    if result.firing:
        over = format_measure(measure, result.over)
        pct = result.over_percent
        if pct is not None:
            over += f" +{pct // 1}%" if pct >= 1 else " +<1%"
    return {
        "state": Text("▲ FIRING" if result.firing else "✓ ok", style=style, no_wrap=True),
        "name": Text(rule.name, no_wrap=True),
        "what": Text(f"{kind} · {scope}", style="dim", no_wrap=True),
        "period": Text(result.period_key, no_wrap=True),
        "value": Text(format_measure(measure, result.value), **right),  # type: ignore[arg-type]
        "limit": Text(format_measure(measure, result.threshold), **right),  # type: ignore[arg-type]
        "over": Text(over, style=style, **right),  # type: ignore[arg-type]
    }


class RuleTable(SpendTable):
    """The rules, firing first; rows keyed by rule name so the cursor survives."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._results: dict[str, RuleResult] = {}
        self._shown: tuple[str, ...] = tuple(key for key, _ in COLUMNS)
        self._order: list[str] = []

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        titles = dict(COLUMNS)
        for key in self._shown:
            self.add_column(titles[key], key=key)

    def on_resize(self) -> None:
        self.show([self._results[name] for name in self._order])

    def _layout(self, results: list[RuleResult]) -> tuple[str, ...]:
        titles = dict(COLUMNS)
        cells = [rule_cells(r) for r in results]
        widths = {k: max([len(titles[k]) + 2, *(c[k].cell_len for c in cells)]) + 2 for k, _ in COLUMNS}
        total = (self.size.width or self.app.size.width) - 2
        wanted = min(max((len(r.rule.name) for r in results), default=0), NAME_ROOM)
        shown = [k for k, _ in COLUMNS]
        for drop in DROP_ORDER:
            if total - sum(widths[k] for k in shown if k != "name") >= wanted:
                break
            shown.remove(drop)
        return tuple(shown)

    def show(self, results: list[RuleResult]) -> None:
        ordered = sorted(results, key=lambda r: (not r.firing, r.rule.name))
        order = [r.rule.name for r in ordered]
        shown = self._layout(ordered)
        selected = self.cursor_key()
        with self.app.batch_update():
            if shown != self._shown:
                self._shown = shown
                self.clear(columns=True)
                self._add_columns()
            self.clear()
            for result in ordered:
                cells = rule_cells(result)
                self.add_row(*(cells[k] for k in self._shown), key=result.rule.name)
            if selected in order:
                self.move_cursor(row=order.index(selected))
        self._results = {r.rule.name: r for r in ordered}
        self._order = order

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter: the rule's whole sentence."""
        event.stop()
        result = self._results.get(str(event.row_key.value))
        if result is not None:
            text = result.describe() + (f" ({result.note})" if result.note else "")
            self.notify(text, title=f"rule {result.rule.name}", timeout=8)
