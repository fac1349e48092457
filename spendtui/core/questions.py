"""What every answerer of spend questions offers, whatever holds the data.

``Query`` answers from one cube (the database source: every request, every dimension);
``FactSet`` (``core/facts.py``) from several cubes that each know some dimensions, routed
day by day. ``SpendEngine.query`` returns either, typed as ``Questions``: callers ask the
same questions of both and read the same answers. A breakdown is always a ``Breakdown``,
whose ``caveats`` say which rows a partial answer lacks (always empty from a ``Query``).
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from spendtui.core.cube import Cube
from spendtui.core.measures import Totals
from spendtui.core.query import Breakdown, Filters, Window

__all__ = ["Breakdown", "Questions"]


class Questions(Protocol):
    """Read-only questions over loaded spend (``Query``, ``FactSet``)."""

    @property
    def cube(self) -> Cube:
        """The cube that knows every dimension (a fact set's request-log cube): interned
        values and hourly cells. Answers go through the questions below."""
        ...

    def totals(self, window: Window | None, filters: Filters = ...) -> Totals:
        """The totals of the window (None: everything loaded) passing the filters."""
        ...

    def breakdown(self, dimension: str, window: Window | None, filters: Filters = ...) -> Breakdown:
        """One row per value of ``dimension`` with requests or spend, by spend descending."""
        ...

    def daily(self, window: Window, filters: Filters = ...) -> list[tuple[date, Totals]]:
        """Every day of the window, in order, zero days included."""
        ...

    def hourly(self, day: int, filters: Filters = ...) -> list[tuple[int, Totals]] | None:
        """24 hourly totals for a day, or None when that day is only held as whole days."""
        ...

    def tag_categories(self, window: Window | None = None) -> list[str]:
        """Every tag category seen in the window (None: everything loaded), sorted."""
        ...

    def values(self, dimension: str) -> list[str]:
        """Every value of a dimension known (for filter pickers), sorted."""
        ...
