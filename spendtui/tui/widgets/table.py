"""The DataTable every spendtui table is built on."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text, TextType
from textual.widgets import DataTable
from textual.widgets._data_table import CellType, ColumnKey, RowKey
from textual.widgets.data_table import RowDoesNotExist

#: After the title of the column a table is sorted by: descending, ascending.
SORT_MARKS = {True: " ▼", False: " ▲"}


class SpendTable(DataTable):
    """A DataTable that redraws rows already on screen when new rows widen a column.

    Textual (8.2.8) measures the rows added since the last idle and widens their columns,
    but keeps the lines it has already rendered at the old widths: a frame drawn between
    ``add_row`` and that idle pass stays truncated ("$24.6") until something else clears
    the caches. Clearing them once per idle pass costs one redraw of the visible rows.

    The column a table is sorted by carries ▼ (descending) or ▲ (ascending) after its
    title (``mark_sort``); every title keeps room for the mark, so columns never jump.
    """

    _titles: dict[str, str] | None = None

    def add_column(
        self, label: TextType, *, width: int | None = None, key: str | None = None, default: CellType | None = None
    ) -> ColumnKey:
        title = label.plain if isinstance(label, Text) else str(label)
        if key is not None:
            if self._titles is None:
                self._titles = {}
            self._titles[key] = title
        return super().add_column(Text(title + "  "), width=width, key=key, default=default)

    def mark_sort(self, column: str | None, reverse: bool) -> None:
        """Show which column the rows are sorted by, and which way."""
        titles = self._titles or {}
        for key, col in self.columns.items():
            title = titles.get(str(key.value))
            if title is not None:
                col.label = Text(title + (SORT_MARKS[reverse] if key.value == column else "  "))
        self._clear_caches()
        self.refresh()

    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None for an empty table)."""
        if self.row_count == 0:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except (RowDoesNotExist, IndexError):
            return None

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()
