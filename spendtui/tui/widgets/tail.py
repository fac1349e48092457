"""The live tail: the newest requests, newest first, bounded."""

from __future__ import annotations

from rich.text import Text

from spendtui.dashboard.model import TailRow
from spendtui.tui.widgets import cells
from spendtui.tui.widgets.table import SpendTable

COLUMNS = (
    ("time", "Time (UTC)"),
    ("key", "Key"),
    ("model", "Model"),
    ("tokens", "Tokens"),
    ("cost", "Cost"),
    ("status", "Status"),
    ("user", "User"),
    ("customer", "Customer"),
    ("tags", "Tags"),
)
MAX_ROWS = 300


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class TailTable(SpendTable):
    """Rows are keyed by request id; new ones are added, old ones fall off the end."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.following = True
        self._shown: list[str] = []

    def on_mount(self) -> None:
        for key, title in COLUMNS:
            self.add_column(title, key=key)
        self.mark_sort("time", True)

    def show(self, rows: list[TailRow]) -> None:
        """Show the newest MAX_ROWS requests. Works from the rows the table holds, not from
        what it was last asked to show, and takes each request id once: a request that
        arrives twice, or an update that stopped half-way, never adds a row key twice."""
        if not self.following:
            return
        wanted: dict[str, TailRow] = {}
        for r in rows:
            if len(wanted) == MAX_ROWS:
                break
            wanted.setdefault(r.request_id, r)
        order = list(wanted)
        if order == self._shown and self.row_count == len(order):
            return
        held = {key.value for key in self.rows}
        with self.app.batch_update():
            for key in held - wanted.keys():
                self.remove_row(key)
            for request_id, r in reversed(wanted.items()):
                if request_id in held:
                    continue
                style = "red" if r.status == "failed" else ""
                self.add_row(
                    cells.Cell(r.time, r.time, left=True),
                    Text(_cut(r.key, 22)),
                    Text(_cut(r.model, 24)),
                    cells.number(r.tokens),
                    cells.money(r.spend),
                    Text(r.status, style=style),
                    Text(_cut(r.user, 14)),
                    Text(_cut(r.customer, 15)),
                    Text(_cut(r.tags, 48), style="dim"),
                    key=request_id,
                )
            self.sort("time", reverse=True)
        self._shown = order
