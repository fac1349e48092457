"""Merging cube cells that share coordinates, and a cold load's cells merged as they arrive.

A cold load reads the window in chunks (SQLite: rowid ranges of 2,048 rows under a
rollback journal), each aggregated on its own, so a day's cells repeat once per chunk
that holds rows of that day: at 1M rows, 90 days, 536k cells arrive for 289k distinct
ones. Holding them all before merging cost the load its memory peak (a cube grown to a
million cells, then copied); ``Batches`` merges every batch of consecutive chunks when it
is complete, so what is held stays near the merged size.
"""

from __future__ import annotations

import numpy as np

from spendtui.core.measures import N_MEASURES

#: Cells of consecutive chunks merged together (a day of 1M rows spans ~5 chunks of
#: 2,048 rows: most repeats of a cell fall within one batch).
BATCH_CELLS = 1 << 17

#: Coordinates (day, hour, mctx, kctx, cust, tagset) and measures (n, 9) of some cells.
Cells = tuple[list[np.ndarray], np.ndarray]


def merge(columns: list[np.ndarray], measures: list[np.ndarray]) -> Cells:
    """Cells with equal coordinates summed into one; the result is ordered by the
    coordinates (day first). ``measures`` are the measure rows (each a 1-D array: the
    cube's 9; a latency cell's one count)."""
    n = len(columns[0])
    key = _packed(columns)
    if key is None:  # coordinates too wide to pack into one integer: sort the rows
        order = np.lexsort(columns[::-1])
        changed = np.zeros(max(0, n - 1), dtype=bool)
        for col in columns:
            ordered = col[order]
            changed |= ordered[1:] != ordered[:-1]
    else:
        order = np.argsort(key, kind="stable")
        changed = np.diff(key[order]) != 0
        del key
    starts = np.flatnonzero(np.r_[True, changed])
    first = order[starts]  # one cell of each group, for its coordinates
    merged = np.empty((len(starts), len(measures)), dtype=np.int64)
    for j, row in enumerate(measures):
        merged[:, j] = np.add.reduceat(row[order], starts)
    return [col[first] for col in columns], merged


class Batches:
    """A cold load's cells, merged batch by batch; ``take`` merges what is left."""

    def __init__(self, batch_cells: int = BATCH_CELLS) -> None:
        self.batch_cells = batch_cells
        #: Merged batches, then the parts of the batch being filled.
        self._done: list[Cells] = []
        self._pending: list[Cells] = []
        self._pending_cells = 0
        self.parts = 0

    def add(self, columns: list[np.ndarray], measures: np.ndarray) -> None:
        """Cells with coordinate ``columns`` and (n, 9) ``measures``."""
        if len(measures) == 0:
            return
        self._pending.append((columns, measures))
        self._pending_cells += len(measures)
        self.parts += 1
        if self._pending_cells >= self.batch_cells:
            self._done.append(self._merged(self._pending))
            self._pending, self._pending_cells = [], 0

    def take(self) -> Cells | None:
        """Every cell added, merged (None when there were none); empties the batches."""
        parts, self._done, self._pending, self._pending_cells = self._done + self._pending, [], [], 0
        if not parts:
            return None
        if self.parts == 1:  # one aggregate (PostgreSQL): nothing repeats
            return parts[0]
        return self._merged(parts)

    @staticmethod
    def _merged(parts: list[Cells]) -> Cells:
        """The parts as one set of merged cells, freeing each input column once it is
        copied (the peak is the parts plus one column, not twice the parts)."""
        if len(parts) == 1 and len(parts[0][1]) <= 1:
            return parts[0]
        width = len(parts[0][0])
        column_parts = [[p[0][i] for p in parts] for i in range(width)]
        measure_parts = [p[1] for p in parts]
        parts.clear()
        columns = []
        for i in range(width):
            columns.append(np.concatenate(column_parts[i]))
            column_parts[i] = []
        rows = []
        for j in range(N_MEASURES):
            rows.append(np.concatenate([m[:, j] for m in measure_parts]))
        del measure_parts
        return merge(columns, rows)


def _packed(columns: list[np.ndarray]) -> np.ndarray | None:
    """One int64 per row that orders rows as the columns do (day first), or None when
    their ranges do not fit in 63 bits together."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    bits = 0
    for col in reversed(columns):
        low = int(col.min())
        width = max(1, int(col.max()) - low).bit_length()
        if bits + width > 63:
            return None
        key |= (col.astype(np.int64) - low) << bits
        bits += width
    return key
