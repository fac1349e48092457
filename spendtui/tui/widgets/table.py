"""The DataTable every spendtui table is built on."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets._data_table import RowKey


class SpendTable(DataTable):
    """A DataTable that redraws rows already on screen when new rows widen a column.

    Textual (8.2.8) measures the rows added since the last idle and widens their columns,
    but keeps the lines it has already rendered at the old widths: a frame drawn between
    ``add_row`` and that idle pass stays truncated ("$24.6") until something else clears
    the caches. Clearing them once per idle pass costs one redraw of the visible rows.
    """

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(new_rows)
        self._clear_caches()
