"""The live tail: the newest requests, newest first, bounded."""

from __future__ import annotations

from rich.text import Text

from spendtui.dashboard import format as fmt
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
#: Under 110 columns (80x24): what a request is, no sideways scrolling.
NARROW = ("time", "key", "model", "cost", "status")
NARROW_BELOW = 110
MAX_ROWS = 300


def _cells(r: TailRow, columns: tuple[str, ...]) -> list[object]:
    narrow = len(columns) < len(COLUMNS)
    makers = {
        "time": lambda: cells.Cell(r.time, r.time[6:] if narrow else r.time, left=True),
        "key": lambda: Text(fmt.fit(r.key, 18 if narrow else 22)),
        "model": lambda: Text(fmt.fit(r.model, 20 if narrow else 24)),
        "tokens": lambda: cells.number(r.tokens),
        "cost": lambda: cells.money(r.spend),
        "status": lambda: Text(r.status, style="red" if r.status == "failed" else ""),
        "user": lambda: Text(fmt.fit(r.user, 14)),
        "customer": lambda: Text(fmt.fit(r.customer, 15)),
        "tags": lambda: Text(fmt.fit(r.tags, 48), style="dim"),
    }
    return [makers[key]() for key in columns]


class TailTable(SpendTable):
    """Rows are keyed by request id; new ones are added, old ones fall off the end."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.following = True
        self._shown: list[str] = []
        self._columns: tuple[str, ...] = tuple(key for key, _ in COLUMNS)
        self._rows: list[TailRow] = []

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        titles = dict(COLUMNS)
        for key in self._columns:
            self.add_column(titles[key], key=key)
        self.mark_sort("time", True)

    def on_resize(self) -> None:
        columns = NARROW if self.size.width < NARROW_BELOW else tuple(key for key, _ in COLUMNS)
        if columns == self._columns:
            return
        self._columns, self._shown = columns, []
        self.clear(columns=True)
        self._add_columns()
        following, self.following = self.following, True
        self.show(self._rows)
        self.following = following

    def shown_rows(self) -> list[TailRow]:
        """The requests on screen, newest first."""
        by_id = {r.request_id: r for r in reversed(self._rows)}
        return [by_id[str(row.key.value)] for row in self.ordered_rows if str(row.key.value) in by_id]

    def show(self, rows: list[TailRow]) -> None:
        """Show the newest MAX_ROWS requests. Works from the rows the table holds, not from
        what it was last asked to show, and takes each request id once: a request that
        arrives twice, or an update that stopped half-way, never adds a row key twice."""
        if not self.following:
            return
        self._rows = rows
        wanted: dict[str, TailRow] = {}
        for r in rows:
            if len(wanted) == MAX_ROWS:
                break
            wanted.setdefault(r.request_id, r)
        order = list(wanted)
        if order == self._shown and self.row_count == len(order):
            return
        held = {str(key.value) for key in self.rows}
        with self.app.batch_update():
            for key in held - wanted.keys():
                self.remove_row(key)
            for request_id, r in reversed(wanted.items()):
                if request_id not in held:
                    self.add_row(*_cells(r, self._columns), key=request_id)
            self.sort("time", reverse=True)
        self._shown = order
