"""A sortable breakdown table that updates in place (keyed rows, changed cells only)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from spendtui.dashboard import format as fmt
from spendtui.dashboard.model import TableData, TableRow
from spendtui.dashboard.state import BUDGET_DIMENSIONS
from spendtui.tui.widgets import cells
from spendtui.tui.widgets.table import SpendTable

COLUMNS = (
    ("name", "Name"),
    ("spend", "Spend"),
    ("share", "Share"),
    ("requests", "Requests"),
    ("tokens", "Tokens"),
    ("cache_read", "Cache read"),
    ("cache_write", "Cache write"),
    ("avg", "Avg/req"),
    ("per1k", "$/1K tok"),
    ("change", "Δ prev"),
)
BUDGET_COLUMN = ("budget", "Budget")
#: Shown where the rows carry latency (Models, Keys, Teams, from a database).
LATENCY_COLUMNS = (("p50", "p50"), ("p95", "p95"), ("ttft50", "TTFT p50"), ("ttft95", "TTFT p95"))
#: Under 110 columns (80x24 over SSH) the token columns give way, so the change and the
#: budget stay on screen without scrolling sideways; with a Budget column, Share too
#: (the rows are in spend order anyway).
NARROW = ("name", "spend", "share", "requests", "change")
NARROW_BUDGETS = ("name", "spend", "requests", "change", "budget")
NARROW_BELOW = 110
#: The prompt-cache token columns give way first: shown only where the name keeps
#: ``NAME_WIDTH`` beside them (from ~135 columns; ~153 with a Budget column).
CACHE_COLUMNS = ("cache_read", "cache_write")
#: Then the time-to-first-token columns, then the duration ones.
GIVE_WAY = (CACHE_COLUMNS, ("ttft50", "ttft95"), ("p50", "p95"))
#: Cells each column other than the name takes (its widest usual value, the sort mark
#: and the padding): the name gets the rest of the width, within these bounds.
COLUMN_CELLS = {
    "spend": 12,
    "share": 10,
    "requests": 13,
    "tokens": 11,
    "cache_read": 13,
    "cache_write": 14,
    "avg": 10,
    "per1k": 11,
    "change": 10,
    "budget": 18,
    "p50": 9,
    "p95": 9,
    "ttft50": 10,
    "ttft95": 10,
}
NAME_WIDTH = 30
NAME_WIDTH_MIN, NAME_WIDTH_MAX = 18, 44


def row_cells(
    row: TableRow, columns: tuple[str, ...], name_width: int = NAME_WIDTH, pending: bool = False
) -> list[cells.Cell]:
    """The cells of ``columns`` for one row (``pending``: its latency is being read)."""
    t = row.totals
    lat = row.latency
    name = fmt.fit(row.label, name_width)
    makers = {
        "name": lambda: cells.label(name),
        "spend": lambda: cells.money(t.spend),
        "share": lambda: cells.share(row.share),
        "requests": lambda: cells.number(t.requests),
        "tokens": lambda: cells.number(t.total_tokens),
        "cache_read": lambda: cells.number(t.cache_read_tokens),
        "cache_write": lambda: cells.number(t.cache_creation_tokens),
        "avg": lambda: cells.money(t.avg_cost()),
        "per1k": lambda: cells.money(t.cost_per_1k_tokens()),
        "change": lambda: cells.change(row.change),
        "budget": lambda: cells.budget(row.budget),
        "p50": lambda: cells.millis(lat.p50_ms if lat else None, pending),
        "p95": lambda: cells.millis(lat.p95_ms if lat else None, pending),
        "ttft50": lambda: cells.millis(lat.ttft_p50_ms if lat else None, pending),
        "ttft95": lambda: cells.millis(lat.ttft_p95_ms if lat else None, pending),
    }
    return [makers[key]() for key in columns]


class BreakdownTable(SpendTable):
    """Spend by one dimension. Enter drills in; the cursor, sort and scroll survive refreshes."""

    BINDINGS = [
        Binding("s", "cycle_sort", "Sort", tooltip="Sort by the next column"),
        Binding("S", "reverse_sort", "Reverse", show=False),
    ]

    @dataclass
    class Drill(Message):
        """The user asked to drill into a row."""

        table: BreakdownTable
        dimension: str
        value: str
        label: str

        @property
        def control(self) -> BreakdownTable:
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None, budgets: bool = False) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        #: The pane may show a Budget column (panes of things LiteLLM keeps budgets for)...
        self.budget_pane = budgets
        #: ...and shows it while its dimension has budgets (not organizations, projects, agents).
        self.budgets = budgets
        #: Whether the rows carry latency (``TableData.latency``).
        self.latency = False
        self.columns_shown = self._columns(narrow=False)
        self.name_width = NAME_WIDTH
        self.dimension = ""
        self.sort_column = "spend"
        self.sort_reverse = True
        self.search = ""
        self._spend_rows: dict[str, TableRow] = {}
        self._table_data: TableData | None = None
        #: The rows' latency was being read when they were drawn (their cells say ``…``).
        self._pending = False

    def _columns(self, narrow: bool) -> tuple[tuple[str, str], ...]:
        every = (*COLUMNS, *(LATENCY_COLUMNS if self.latency else ()), *((BUDGET_COLUMN,) if self.budgets else ()))
        kept = NARROW_BUDGETS if self.budgets else NARROW
        columns = tuple(c for c in every if not narrow or c[0] in kept)
        for dropped in GIVE_WAY:
            if not self.size.width or self._name_room(columns) >= NAME_WIDTH:
                break
            columns = tuple(c for c in columns if c[0] not in dropped)
        return columns

    def _name_room(self, columns: tuple[tuple[str, str], ...]) -> int:
        """The width ``columns`` leave for names (and the scrollbar)."""
        return self.size.width - sum(COLUMN_CELLS.get(key, 10) for key, _ in columns if key != "name") - 4

    def _name_width(self, columns: tuple[tuple[str, str], ...]) -> int:
        """The width left for names beside ``columns`` (and the scrollbar)."""
        return max(NAME_WIDTH_MIN, min(NAME_WIDTH_MAX, self._name_room(columns)))

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for key, title in self.columns_shown:
            self.add_column(title, key=key, width=self.name_width if key == "name" else None)
        self.mark_sort(self.sort_column, self.sort_reverse)

    def on_resize(self) -> None:
        if self._fit_columns() and self._table_data is not None:
            self.show(self._table_data)

    def _fit_columns(self) -> bool:
        """Lay the columns out again for the width and ``budgets``; whether they changed
        (then the table is empty until shown again)."""
        narrow = self.size.width < NARROW_BELOW
        columns = self._columns(narrow)
        name_width = self._name_width(columns)
        if columns == self.columns_shown and name_width == self.name_width:
            return False
        self.columns_shown = columns
        self.name_width = name_width
        if self.sort_column not in dict(columns):
            self.sort_column, self.sort_reverse = "spend", True
        self.clear(columns=True)
        self._spend_rows = {}
        self._add_columns()
        return True

    # ------------------------------------------------------------------ data
    def show(self, data: TableData) -> None:
        """Apply a new table: update changed cells, add and remove rows, sort once."""
        self._table_data = data
        self.dimension = data.dimension
        budgets = self.budget_pane and data.dimension in BUDGET_DIMENSIONS
        if budgets != self.budgets or data.latency != self.latency:
            # (the Entities pane: customers have budgets, orgs not; latency comes with the data)
            self.budgets, self.latency = budgets, data.latency
            self._fit_columns()
        wanted = {self._row_key(r): r for r in data.rows if self._visible(r)}
        changed = False
        with self.app.batch_update():
            for key in [k for k in self._spend_rows if k not in wanted]:
                self.remove_row(key)
                del self._spend_rows[key]
                changed = True
            for key, row in wanted.items():
                keys = tuple(k for k, _ in self.columns_shown)
                values = row_cells(row, keys, self.name_width, data.latency_pending)
                if key in self._spend_rows:
                    old = self._spend_rows[key]
                    if old == row and data.latency_pending == self._pending:
                        continue
                    for column, value in zip(keys, values, strict=True):
                        if self.get_cell(key, column) != value:
                            self.update_cell(key, column, value, update_width=True)
                else:
                    self.add_row(*values, key=key)
                self._spend_rows[key] = row
                changed = True
            self._pending = data.latency_pending
            if changed:
                self._sort()

    @staticmethod
    def _row_key(row: TableRow) -> str:
        return row.value or "\x00none"

    def _visible(self, row: TableRow) -> bool:
        if not self.search:
            return True
        needle = self.search.lower()
        return needle in row.label.lower() or needle in row.value.lower()

    def set_search(self, text: str) -> None:
        self.search = text
        if self._table_data is not None:
            self.show(self._table_data)

    # ------------------------------------------------------------------ sorting
    def _sort(self) -> None:
        self.sort(self.sort_column, reverse=self.sort_reverse)
        self.mark_sort(self.sort_column, self.sort_reverse)

    def action_cycle_sort(self) -> None:
        """Sort by the next column (the header's ▼/▲ shows which). Share is skipped: it
        orders rows exactly as Spend does."""
        keys = [k for k, _ in self.columns_shown if k != "share"]
        at = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_column = keys[(at + 1) % len(keys)]
        self.sort_reverse = self.sort_column != "name"
        self._sort()

    def action_reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._sort()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, column != "name"
        self._sort()

    # ------------------------------------------------------------------ selection
    def shown_rows(self) -> list[TableRow]:
        """The rows on screen (search applied), in their order on screen."""
        return [self._spend_rows[str(row.key.value)] for row in self.ordered_rows]

    def selected(self) -> TableRow | None:
        key = self.cursor_key()
        return None if key is None else self._spend_rows.get(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self._spend_rows.get(str(event.row_key.value))
        if row is not None and self.dimension:
            self.post_message(self.Drill(self, self.dimension, row.value, row.label))
