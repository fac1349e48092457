"""The DataTable every spendtui table is built on."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets._data_table import RowKey
from textual.widgets.data_table import RowDoesNotExist


class SpendTable(DataTable):
    """A DataTable that redraws rows already on screen when new rows widen a column.

    Textual (8.2.8) measures the rows added since the last idle and widens their columns,
    but keeps the lines it has already rendered at the old widths: a frame drawn between
    ``add_row`` and that idle pass stays truncated ("$24.6") until something else clears
    the caches. Clearing them once per idle pass costs one redraw of the visible rows.
    """

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
