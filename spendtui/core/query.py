"""Questions asked of a cube: totals, breakdowns and series for a window and filters.

All answers come from the cells in memory; nothing here touches a source.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from spendtui.core.cube import Cube
from spendtui.core.dims import NONE_LABEL, UNTAGGED_LABEL, tag_category, tag_value
from spendtui.core.measures import Totals, group_totals
from spendtui.timeutil import day_date, day_number

#: Dimensions a breakdown can group by (``tag:<category>`` is also accepted).
DIMENSIONS = ("model", "provider", "key", "user", "team", "customer", "tag")
FILTER_DIMENSIONS = DIMENSIONS

_CONTEXT = {
    "model": ("mctx", "mctx_model", "models"),
    "provider": ("mctx", "mctx_provider", "providers"),
    "key": ("kctx", "kctx_key", "keys"),
    "user": ("kctx", "kctx_user", "users"),
    "team": ("kctx", "kctx_team", "teams"),
}


@dataclass(frozen=True)
class Window:
    """An inclusive range of UTC days."""

    first_day: int
    last_day: int

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("a window cannot end before it starts")

    @classmethod
    def from_dates(cls, first: date, last: date) -> Window:
        return cls(day_number(first), day_number(last))

    @classmethod
    def last_days(cls, n: int, today: date) -> Window:
        """The last ``n`` days including today."""
        return cls.from_dates(today - timedelta(days=n - 1), today)

    @classmethod
    def month_to_date(cls, today: date) -> Window:
        return cls.from_dates(today.replace(day=1), today)

    @classmethod
    def quarter_to_date(cls, today: date) -> Window:
        first_month = (today.month - 1) // 3 * 3 + 1
        return cls.from_dates(today.replace(month=first_month, day=1), today)

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.first_day - self.days, self.first_day - 1)

    @property
    def first(self) -> date:
        return day_date(self.first_day)

    @property
    def last(self) -> date:
        return day_date(self.last_day)

    def label(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first.isoformat()} UTC"
        return f"{self.first.isoformat()} – {self.last.isoformat()} UTC"


@dataclass(frozen=True)
class Filters:
    """Values to keep per dimension: OR within a dimension, AND across dimensions.

    Keys are filtered by their hash (what LiteLLM logs), teams by team id, tags by the
    full ``category:value`` text.
    """

    model: frozenset[str] = frozenset()
    provider: frozenset[str] = frozenset()
    key: frozenset[str] = frozenset()
    user: frozenset[str] = frozenset()
    team: frozenset[str] = frozenset()
    customer: frozenset[str] = frozenset()
    tag: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not any(getattr(self, d) for d in FILTER_DIMENSIONS)

    def with_value(self, dimension: str, value: str) -> Filters:
        """These filters plus one value for a dimension."""
        if dimension not in FILTER_DIMENSIONS:
            raise ValueError(f"unknown filter dimension {dimension!r}")
        return replace(self, **{dimension: getattr(self, dimension) | {value}})

    def without(self, dimension: str) -> Filters:
        return replace(self, **{dimension: frozenset()})

    def items(self) -> list[tuple[str, frozenset[str]]]:
        return [(d, getattr(self, d)) for d in FILTER_DIMENSIONS if getattr(self, d)]


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: the raw value (``""`` for none) and its totals."""

    value: str
    totals: Totals
    #: What the row stands for when ``value`` is empty: ``(none)`` or ``(untagged)``.
    empty_label: str = field(default=NONE_LABEL, compare=False)

    @property
    def name(self) -> str:
        return self.value or self.empty_label


def _bool_lookup(size: int, ids: list[int]) -> np.ndarray:
    table = np.zeros(size, dtype=bool)
    if ids:
        table[ids] = True
    return table


class Query:
    """Read-only questions over one cube. Cheap to create; holds no copies of the data."""

    def __init__(self, cube: Cube) -> None:
        self.cube = cube

    # ------------------------------------------------------------------ masks
    def mask(self, window: Window | None, filters: Filters = NO_FILTERS) -> np.ndarray:
        cube = self.cube
        dims = cube.dims
        mask = np.ones(cube.n, dtype=bool)
        if window is not None:
            day = cube.view("day")
            mask &= (day >= window.first_day) & (day <= window.last_day)
        for dimension, values in filters.items():
            if dimension in _CONTEXT:
                column, table, interner_name = _CONTEXT[dimension]
                interner = getattr(dims, interner_name)
                ids = [i for v in values if (i := interner.get(v)) is not None]
                wanted = _bool_lookup(len(interner), ids)
                allowed_ctx = wanted[dims.array(table)]
                mask &= allowed_ctx[cube.view(column)]
            elif dimension == "customer":
                ids = [i for v in values if (i := dims.customers.get(v)) is not None]
                mask &= _bool_lookup(len(dims.customers), ids)[cube.view("cust")]
            elif dimension == "tag":
                ids = {i for v in values if (i := dims.tags.get(v)) is not None}
                mask &= dims.tagset_has(ids)[cube.view("tagset")]
        return mask

    # ------------------------------------------------------------------ answers
    def totals(self, window: Window | None, filters: Filters = NO_FILTERS) -> Totals:
        mask = self.mask(window, filters)
        m = self.cube.view("m")[mask]
        return group_totals(np.zeros(len(m), dtype=np.intp), m, 1, self.cube.spend_bound)[0]

    def breakdown(self, dimension: str, window: Window | None, filters: Filters = NO_FILTERS) -> list[Group]:
        """Rows for every value of ``dimension`` with requests or spend, by spend descending.

        ``tag`` gives one row per tag (a request counts once in each of its tags) plus
        ``(untagged)``; ``tag:<category>`` one row per value of that category, plus
        ``(untagged)`` for requests without a tag of the category.
        """
        cube = self.cube
        dims = cube.dims
        mask = self.mask(window, filters)
        m = cube.view("m")[mask]
        if dimension in _CONTEXT:
            column, table, interner_name = _CONTEXT[dimension]
            values = getattr(dims, interner_name).values
            groups = dims.array(table)[cube.view(column)[mask]]
            rows = self._rows(groups, m, len(values), values)
        elif dimension == "customer":
            values = dims.customers.values
            rows = self._rows(cube.view("cust")[mask], m, len(values), values)
        elif dimension == "tag" or dimension.startswith("tag:"):
            category = dimension[4:] if dimension.startswith("tag:") else None
            rows = self._tag_rows(cube.view("tagset")[mask], m, category)
        else:
            raise ValueError(f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}")
        rows.sort(key=lambda g: (-g.totals.spend, -g.totals.requests, g.name))
        return rows

    def _rows(self, groups: np.ndarray, m: np.ndarray, size: int, values: list[str]) -> list[Group]:
        totals = group_totals(groups, m, size, self.cube.spend_bound)
        return [Group(values[i], t) for i, t in enumerate(totals) if t.requests or t.spend]

    def _tag_rows(self, tagsets: np.ndarray, m: np.ndarray, category: str | None) -> list[Group]:
        dims = self.cube.dims
        per_set = group_totals(tagsets, m, len(dims.tagset_tags), self.cube.spend_bound)
        acc: dict[str, Totals] = {}
        tag_names = dims.tags.values
        for tagset_id, totals in enumerate(per_set):
            if not (totals.requests or totals.spend):
                continue
            names = [tag_names[t] for t in dims.tagset_tags[tagset_id]]
            if category is not None:
                names = sorted({tag_value(n) for n in names if tag_category(n) == category})
            if not names:
                names = [""]
            for name in names:
                acc[name] = acc[name] + totals if name in acc else totals
        return [Group(name, t, UNTAGGED_LABEL) for name, t in acc.items()]

    def daily(self, window: Window, filters: Filters = NO_FILTERS) -> list[tuple[date, Totals]]:
        """Every day of the window, in order, zero days included."""
        cube = self.cube
        mask = self.mask(window, filters)
        groups = cube.view("day")[mask].astype(np.int64) - window.first_day
        totals = group_totals(groups, cube.view("m")[mask], window.days, cube.spend_bound)
        return [(day_date(window.first_day + i), t) for i, t in enumerate(totals)]

    def hourly(self, day: int, filters: Filters = NO_FILTERS) -> list[tuple[int, Totals]] | None:
        """24 hourly totals for a day, or None when that day is only held as whole days."""
        cube = self.cube
        mask = self.mask(Window(day, day), filters)
        hours = cube.view("hour")[mask]
        if len(hours) and (hours < 0).any():
            return None
        totals = group_totals(hours.astype(np.int64), cube.view("m")[mask], 24, cube.spend_bound)
        return list(enumerate(totals))

    def tag_categories(self, window: Window | None = None) -> list[str]:
        """Every tag category seen (``project``, ``env``...), sorted."""
        cube = self.cube
        dims = cube.dims
        used = np.unique(cube.view("tagset")[self.mask(window)]) if window else range(len(dims.tagset_tags))
        seen: set[str] = set()
        for tagset_id in used:
            for t in dims.tagset_tags[int(tagset_id)]:
                category = tag_category(dims.tags.values[t])
                if category:
                    seen.add(category)
        return sorted(seen)

    def values(self, dimension: str) -> list[str]:
        """Every value of a dimension the cube knows (for filter pickers)."""
        dims = self.cube.dims
        interner = {
            "model": dims.models,
            "provider": dims.providers,
            "key": dims.keys,
            "user": dims.users,
            "team": dims.teams,
            "customer": dims.customers,
            "tag": dims.tags,
        }[dimension]
        return sorted(v for v in interner.values if v)
