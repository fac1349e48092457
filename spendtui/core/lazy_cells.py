"""Cells read once on first use, then kept up to date by polls (latency histograms, the
cost audit): both cost an aggregate over the window's logs, too slow for a load.

``held`` answers without reading (a snapshot must not wait seconds for an aggregate):
it returns what is held and notes what is due, and ``read_due`` reads it (the
dashboard's next step, ``dashboard.session``). ``cells`` does both (reports, tests).
``fold`` adds a poll's rows (those the read did not count: ``core.read_bound``). The
window is read again only when the cube's dimensions change (a reload) or the window
reaches further back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

import numpy as np

from spendtui.core.cube import Cube, RawRow
from spendtui.core.dims import Dimensions
from spendtui.core.query import Query
from spendtui.core.read_bound import ReadBound
from spendtui.core.selection import Filters, Window
from spendtui.errors import SourceError

#: Seconds before a failed read is tried again.
RETRY_AFTER = 60.0


class Foldable(Protocol):
    dims: Dimensions

    def add_rows(self, rows: list[RawRow]) -> int: ...


class Found(Protocol):
    @property
    def bound(self) -> ReadBound: ...


F = TypeVar("F", bound=Found)
C = TypeVar("C", bound=Foldable)


class LazyCells(Generic[F, C]):
    """The cells of the window's days: ``read(first_day, last_day)`` gives what a read
    found, ``build(found, dims)`` the cells holding it."""

    def __init__(
        self, read: Callable[[int, int], F], build: Callable[[F, Dimensions], C], clock: Callable[[], float]
    ) -> None:
        self._read = read
        self._build = build
        self._clock = clock
        self._cells: C | None = None
        self._first_day = 0
        #: Which later rows the last read counted already.
        self._bound = ReadBound()
        #: What ``read_due`` reads: (first day, last day, dimensions).
        self._due: tuple[int, int, Dimensions] | None = None
        #: Why the last read failed, and when (not tried again for ``RETRY_AFTER`` s).
        self.error: str | None = None
        self._error_at = 0.0

    def held(self, first_day: int, today: int, dims: Dimensions) -> C | None:
        """The cells held for ``first_day``..``today`` over ``dims``, without reading:
        None when nothing usable is held (a read is then due, unless the last one failed
        less than ``RETRY_AFTER`` s ago: ``error`` says why)."""
        held = self._cells
        if held is not None and held.dims is dims and first_day >= self._first_day:
            return held
        if self.error is not None and self._clock() - self._error_at < RETRY_AFTER:
            return None
        self._due = (first_day, today, dims)
        return None

    @property
    def due(self) -> bool:
        return self._due is not None

    def read_due(self) -> None:
        """Read what ``held`` found due (a ``SourceError`` is kept in ``error``)."""
        due, self._due = self._due, None
        if due is None:
            return
        first_day, last_day, dims = due
        try:
            found = self._read(first_day, last_day)
        except SourceError as exc:
            self.error, self._error_at = str(exc), self._clock()
            return
        self.error = None
        self._cells, self._first_day, self._bound = self._build(found, dims), first_day, found.bound

    def fold(self, rows: list[RawRow], dims: Dimensions) -> int:
        """Add a poll's rows (those the last read did not count) to the cells held over
        ``dims``; nothing when none are held (the next read counts them). Returns how
        many requests were added."""
        held = self._cells
        if held is None or held.dims is not dims:
            return 0
        return held.add_rows([row for row in rows if not self._bound.counted(row)])

    def cells(self, first_day: int, today: int, dims: Dimensions) -> C:
        """Cells covering ``first_day``..``today`` over ``dims``, read now if due; raises
        ``SourceError`` when the read fails."""
        self.error = None
        held = self.held(first_day, today, dims)
        if self.due:
            self.read_due()
            if self.error is not None:
                raise SourceError(self.error)
            held = self.held(first_day, today, dims)
        assert held is not None
        return held


def day_cells_cube(dims: Dimensions, day: np.ndarray, ids: np.ndarray) -> Cube:
    """Cells of whole days (``day``) and composite ids (``ids``: (n, 5)) as a cube over
    ``dims``, with no measures of its own: it selects the positions of the cells' own
    columns for a window and filters, as the spend cube selects spend."""
    n = len(day)
    cube = Cube(capacity=max(1, n), measures=2)
    cube.dims = dims
    if n:
        when = np.stack([day, np.full(n, -1, np.int32)], axis=1)
        cube.add_interned(when, ids, np.zeros((n, 2), np.int64))
    return cube


def select_days(cube: Cube, window: Window | None, filters: Filters) -> tuple[Query, list[slice | np.ndarray]]:
    """The positions of ``day_cells_cube``'s cells in ``window`` (whole days: an hour cut
    is ignored) that pass ``filters``."""
    if window is not None and window.until_hour is not None:
        window = Window(window.first_day, window.last_day)
    query = Query(cube)
    return query, query.select(window, filters)
