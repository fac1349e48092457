"""Questions asked of a cube: totals, breakdowns and series for a window and filters.

All answers come from the cells in memory; nothing here touches a source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from spendtui.core.cube import Cube
from spendtui.core.dims import ATTRIBUTED, NONE_LABEL, UNTAGGED_LABEL, tag_category
from spendtui.core.measures import Totals, group_matrix, group_totals, to_totals
from spendtui.core.selection import DIMENSIONS, FILTER_DIMENSIONS, NO_FILTERS, Filters, Window
from spendtui.timeutil import day_date

__all__ = ["DIMENSIONS", "FILTER_DIMENSIONS", "NO_FILTERS", "Breakdown", "Filters", "Group", "Query", "Window"]

_CONTEXT = {
    "model": ("mctx", "mctx_model", "models"),
    "provider": ("mctx", "mctx_provider", "providers"),
    "key": ("kctx", "kctx_key", "keys"),
    "user": ("kctx", "kctx_user", "users"),
    "team": ("kctx", "kctx_team", "teams"),
    # attributed (see dims.Attribution): the table is computed, interning as it goes
    "organization": ("kctx", "kctx_organization", "organizations"),
    "project": ("kctx", "kctx_project", "projects"),
    "agent": ("kctx", "kctx_agent", "agents"),
}


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: the raw value (``""`` for none) and its totals.

    A ``tag:<category>`` breakdown has two rows that are no value of the category: ``""``
    for requests without tags, ``(untagged)``, and ``(no <category>)`` for requests with
    tags but none of the category (its value is its name); ``dims.is_placeholder`` tells
    them from values found in the data.
    """

    value: str
    totals: Totals
    #: What the row stands for when ``value`` is empty: ``(none)`` or ``(untagged)``.
    empty_label: str = field(default=NONE_LABEL, compare=False)

    @property
    def name(self) -> str:
        return self.value or self.empty_label


class Breakdown(list[Group]):
    """Breakdown rows, by spend descending. ``caveats`` is non-empty when rows are missing
    (a fact set's flagged partial answer, see ``core/facts.py``: every row present is
    exact, never wrong); a single cube's breakdown is always complete."""

    caveats: tuple[str, ...] = ()


def _bool_lookup(size: int, ids: list[int]) -> np.ndarray:
    table = np.zeros(size, dtype=bool)
    if ids:
        table[ids] = True
    return table


Parts = list[slice | np.ndarray]


class Query:
    """Read-only questions over one cube. Cheap to create; holds no copies of the data.

    A window selects a slice of the day-sorted cells (plus matching cells of the small
    unsorted tail), so unfiltered answers read views, not copies.
    """

    def __init__(self, cube: Cube) -> None:
        self.cube = cube

    # ------------------------------------------------------------------ selection
    def _filter_mask(self, part: slice | np.ndarray, filters: Filters) -> np.ndarray:
        cube, dims = self.cube, self.cube.dims
        mask: np.ndarray | None = None
        for dimension, values in filters.items():
            if dimension in _CONTEXT:
                column, table, interner_name = _CONTEXT[dimension]
                per_context = dims.array(table)  # (first: an attributed table interns values)
                interner = getattr(dims, interner_name)
                ids = [i for v in values if (i := interner.get(v)) is not None]
                allowed = _bool_lookup(len(interner), ids)[per_context]
                keep = allowed[getattr(cube, column)[part]]
            elif dimension == "customer":
                ids = [i for v in values if (i := dims.customers.get(v)) is not None]
                keep = _bool_lookup(len(dims.customers), ids)[cube.cust[part]]
            else:  # tag: see dims.tags_match ("" is untagged, <category>:(no <category>) lacks it)
                keep = dims.tag_filter_mask(values)[cube.tagset[part]]
            mask = keep if mask is None else mask & keep
        assert mask is not None
        return mask

    def select(self, window: Window | None, filters: Filters = NO_FILTERS) -> Parts:
        """Positions of the cells in the window that pass the filters."""
        parts = self.cube.day_parts(window.first_day if window else None, window.last_day if window else None)
        if window is not None and window.until_hour is not None:
            parts = self._before_hour(parts, window.until_hour)
        if filters.is_empty():
            return parts
        out: Parts = []
        for part in parts:
            keep = self._filter_mask(part, filters)
            if isinstance(part, slice):
                out.append(np.flatnonzero(keep) + part.start)
            else:
                out.append(part[keep])
        return out

    def _before_hour(self, parts: Parts, until_hour: int) -> Parts:
        """The cells of ``parts`` in the hours before ``until_hour``. A day held only as a
        whole day cannot be cut: that is a caller's error, not an answer."""
        out: Parts = []
        for part in parts:
            hours = self.cube.hour[part]
            if (hours < 0).any():
                raise ValueError("this day is held as a whole day, not hour by hour")
            keep = np.flatnonzero(hours < until_hour)
            out.append(keep + part.start if isinstance(part, slice) else part[keep])
        return out

    def mask(self, window: Window | None, filters: Filters = NO_FILTERS) -> np.ndarray:
        """Boolean mask over all cells (for callers that need one)."""
        mask = np.zeros(self.cube.n, dtype=bool)
        for part in self.select(window, filters):
            mask[part] = True
        return mask

    def value_ids(self, dimension: str, parts: Parts) -> tuple[np.ndarray, list[str]]:
        """The value id of each cell of ``parts`` in a dimension a request has one value of
        (every one but the tags), and the values the ids index."""
        dims = self.cube.dims
        if dimension == "customer":
            return self._gather(parts, "cust"), dims.customers.values
        if dimension not in _CONTEXT:
            raise ValueError(f"{dimension!r} is not a one-value dimension")
        column, table, interner_name = _CONTEXT[dimension]
        ids = dims.array(table)[self._gather(parts, column)]  # (first: an attributed table interns values)
        return ids, getattr(dims, interner_name).values

    def _gather(self, parts: Parts, name: str) -> np.ndarray:
        column = self.cube.view(name)
        pieces = [column[..., p] for p in parts]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=-1)

    # ------------------------------------------------------------------ answers
    def totals(self, window: Window | None, filters: Filters = NO_FILTERS) -> Totals:
        m = self._gather(self.select(window, filters), "m")
        return group_totals(np.zeros(m.shape[1], dtype=np.intp), m, 1, self.cube.spend_bound)[0]

    def breakdown(self, dimension: str, window: Window | None, filters: Filters = NO_FILTERS) -> Breakdown:
        """Rows for every value of ``dimension`` with requests or spend, by spend descending.

        ``tag`` gives one row per tag (a request counts once in each of its tags) plus
        ``(untagged)``; ``tag:<category>`` one row per value of that category (a request
        counts once in each of its values), plus ``(no <category>)`` for requests with tags
        but none of the category and ``(untagged)`` for requests without tags. Always
        complete: ``caveats`` is empty.
        """
        cube, dims = self.cube, self.cube.dims
        parts = self.select(window, filters)
        m = self._gather(parts, "m")
        bound = cube.spend_bound
        if dimension in _CONTEXT:
            column, table, interner_name = _CONTEXT[dimension]
            groups = dims.array(table)[self._gather(parts, column)]
            values = getattr(dims, interner_name).values
            rows = self._rows(group_totals(groups, m, len(values), bound), values)
        elif dimension == "customer":
            values = dims.customers.values
            rows = self._rows(group_totals(self._gather(parts, "cust"), m, len(values), bound), values)
        elif dimension == "tag" or dimension.startswith("tag:"):
            category = dimension[4:] if dimension.startswith("tag:") else None
            rows = self._tag_rows(self._gather(parts, "tagset"), m, category)
        else:
            raise ValueError(f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}")
        rows.sort(key=lambda g: (-g.totals.spend, -g.totals.requests, g.name))
        return rows

    @staticmethod
    def _rows(totals: list[Totals], values: list[str], empty: str = NONE_LABEL) -> Breakdown:
        return Breakdown(Group(values[i], t, empty) for i, t in enumerate(totals) if t.requests or t.spend)

    def _tag_rows(self, tagsets: np.ndarray, m: np.ndarray, category: str | None) -> Breakdown:
        """Sum per tag set, then spread each set's sums onto its tags (vectorised)."""
        dims = self.cube.dims
        per_set, hi = group_matrix(tagsets, m, len(dims.tagset_tags), self.cube.spend_bound)
        pair_set, pair_target, labels = dims.tag_pairs(category)
        out = np.zeros((per_set.shape[0], len(labels)), dtype=np.int64)
        for j in range(per_set.shape[0]):
            np.add.at(out[j], pair_target, per_set[j][pair_set])
        out_hi = None
        if hi is not None:
            out_hi = np.zeros(len(labels), dtype=np.int64)
            np.add.at(out_hi, pair_target, hi[pair_set])
        return self._rows(to_totals(out, out_hi), labels, UNTAGGED_LABEL)

    def daily(self, window: Window, filters: Filters = NO_FILTERS) -> list[tuple[date, Totals]]:
        """Every day of the window, in order, zero days included."""
        parts = self.select(window, filters)
        groups = self._gather(parts, "day").astype(np.int64) - window.first_day
        totals = group_totals(groups, self._gather(parts, "m"), window.days, self.cube.spend_bound)
        return [(day_date(window.first_day + i), t) for i, t in enumerate(totals)]

    def hourly(self, day: int, filters: Filters = NO_FILTERS) -> list[tuple[int, Totals]] | None:
        """24 hourly totals for a day, or None when that day is only held as whole days."""
        parts = self.select(Window(day, day), filters)
        hours = self._gather(parts, "hour")
        if len(hours) and (hours < 0).any():
            return None
        totals = group_totals(hours.astype(np.int64), self._gather(parts, "m"), 24, self.cube.spend_bound)
        return list(enumerate(totals))

    def tag_categories(self, window: Window | None = None) -> list[str]:
        """Every tag category seen (``project``, ``env``...), sorted."""
        dims = self.cube.dims
        used = np.unique(self._gather(self.select(window), "tagset"))
        seen: set[str] = set()
        for tagset_id in used.tolist():
            for t in dims.tagset_tags[tagset_id]:
                category = tag_category(dims.tags.values[t])
                if category:
                    seen.add(category)
        return sorted(seen)

    def values(self, dimension: str) -> list[str]:
        """Every value of a dimension the cube knows (for filter pickers)."""
        dims = self.cube.dims
        if dimension in ("customer", "tag"):
            interner = dims.customers if dimension == "customer" else dims.tags
        else:
            _, table, interner_name = _CONTEXT[dimension]
            if table in ATTRIBUTED:  # the values some key context is attributed to now
                used = np.unique(dims.array(table)).tolist()
                values = getattr(dims, interner_name).values
                return sorted(values[i] for i in used if i)
            interner = getattr(dims, interner_name)
        return sorted(v for v in interner.values if v)
