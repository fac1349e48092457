"""A fact set: several cubes that each know some dimensions exactly, asked like one.

The database source has every request, so one cube answers everything. A LiteLLM proxy's
REST API does not: its daily tables each cross *one* dimension (model, provider, user,
team, customer or tag) with the key, and only the request log (``/spend/logs/v2``) has
every dimension of every request, affordable for the last day or two. A ``FactSet``
holds one ``FactCube`` per such view and answers the same questions as ``Query``
(``totals``, ``breakdown``, ``daily``, ``hourly``, ``tag_categories``, ``values``):

* Each question needs a set of dimensions: those it filters on plus the one it groups by.
* Each day of the window is answered by the first cube (in the order given) that covers
  the day and knows every needed dimension; consecutive days with the same cube form a
  segment, and the answer is the exact sum of the segments' answers.
* A *tag-per-row* cube (LiteLLM's tag table: a request with three tags is three rows)
  answers only questions about one tag at a time: per-tag rows, or one tag as a filter.
  It cannot tell which requests had no tag, so a tag breakdown over its days has no
  ``(untagged)`` row, and a ``tag:<category>`` breakdown no ``(no <category>)`` row
  either (a request's other tags are rows of their own): that answer is a **flagged
  partial answer** (``Breakdown.caveats`` says what is missing; every row present is
  exact). Filtering by those two rows (``""``, ``<category>:(no <category>)``) is refused there.
* Any other question that no cube can answer exactly for some day raises ``NotExact``
  naming the dimensions and days; nothing is ever estimated.

Days no cube covers (outside the loaded range) count as empty, as in a single cube.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from spendtui.core.cube import Cube
from spendtui.core.dims import NONE_LABEL, UNTAGGED_LABEL, is_placeholder, is_placeholder_filter, no_category_label
from spendtui.core.measures import ZERO, Totals
from spendtui.core.query import DIMENSIONS, NO_FILTERS, Breakdown, Filters, Group, Query, Window
from spendtui.errors import SpendtuiError
from spendtui.timeutil import day_date, day_number

__all__ = ["ALL_DIMENSIONS", "Breakdown", "FactCube", "FactSet", "NotExact"]

ALL_DIMENSIONS = frozenset(DIMENSIONS)


class NotExact(SpendtuiError):
    """No cube holds this combination of dimensions for some days of the window."""

    exit_code = 3


@dataclass(frozen=True)
class FactCube:
    """One cube and what it knows exactly.

    ``known`` are the dimensions whose values in the cells are exact (other dimensions
    hold ``""`` and must not be asked about). ``first_day``/``last_day`` are the days it
    covers (``last_day`` None: open-ended, e.g. the live request log). ``tag_per_row``
    marks LiteLLM's tag table (see the module docstring). ``unusable`` says why a cube
    that exists may not be used (its table disagrees with the others); it then answers
    nothing and the reason appears in ``NotExact`` messages.
    """

    name: str
    cube: Cube
    known: frozenset[str]
    first_day: int
    last_day: int | None = None
    tag_per_row: bool = False
    unusable: str | None = None

    def covers(self, day: int) -> bool:
        return day >= self.first_day and (self.last_day is None or day <= self.last_day)


def _base(dimension: str) -> str:
    return "tag" if dimension.startswith("tag:") else dimension


def _needed(filters: Filters, dimension: str | None) -> frozenset[str]:
    dims = {d for d, _ in filters.items()}
    if dimension is not None:
        dims.add(_base(dimension))
    unknown = dims - ALL_DIMENSIONS
    if unknown:
        raise ValueError(f"unknown dimension {sorted(unknown)[0]!r}; use one of {', '.join(DIMENSIONS)}")
    return frozenset(dims)


def _can_answer(fact: FactCube, needed: frozenset[str], filters: Filters, dimension: str | None) -> bool:
    if fact.unusable is not None or not needed <= fact.known:
        return False
    if not fact.tag_per_row:
        return True
    grouping_by_tag = dimension is not None and _base(dimension) == "tag"
    if "tag" not in needed:
        return False  # a request with n tags is n rows: any other sum would count it n times
    if grouping_by_tag:
        return not filters.tag  # which tags co-occur is not known
    # one tag; not (untagged) nor (no <category>): requests without a row of their own
    return len(filters.tag) == 1 and not any(is_placeholder_filter(t) for t in filters.tag)


def _window_text(first: int, last: int) -> str:
    return Window(first, last).label()


class FactSet:
    """Read-only questions over several fact cubes (see the module docstring)."""

    def __init__(self, cubes: Iterable[FactCube], partial_measures: dict[str, str] | None = None) -> None:
        self.cubes = list(cubes)
        if not self.cubes:
            raise ValueError("a fact set needs at least one cube")
        #: Measures some cubes cannot count (e.g. cache hits in LiteLLM's daily tables),
        #: with what the figure is made of; shown to the user, never silently zero.
        self.partial_measures = dict(partial_measures or {})

    @property
    def cube(self) -> Cube:
        """The cube that knows every dimension (the live request log), for callers that
        need interned values; answers must go through this fact set."""
        for fact in self.cubes:
            if fact.known == ALL_DIMENSIONS and not fact.tag_per_row:
                return fact.cube
        return self.cubes[0].cube

    # ------------------------------------------------------------------ routing
    def plan(
        self, window: Window, filters: Filters = NO_FILTERS, dimension: str | None = None
    ) -> list[tuple[FactCube, Window]]:
        """Which cube answers which days; NotExact if some covered day has no cube."""
        needed = _needed(filters, dimension)
        segments: list[tuple[FactCube, Window]] = []
        missing: list[int] = []
        current: FactCube | None = None
        start = window.first_day
        for day in range(window.first_day, window.last_day + 1):
            covering = [f for f in self.cubes if f.covers(day)]
            chosen = next((f for f in covering if _can_answer(f, needed, filters, dimension)), None)
            if covering and chosen is None:
                missing.append(day)
            if chosen is not current:
                if current is not None:
                    segments.append((current, Window(start, day - 1)))
                current, start = chosen, day
        if current is not None:  # (a single day keeps its hour bound)
            segments.append((current, Window(start, window.last_day, window.until_hour)))
        if missing:
            raise NotExact(self._refusal(needed, filters, dimension, missing))
        return segments

    def _refusal(self, needed: frozenset[str], filters: Filters, dimension: str | None, days: list[int]) -> str:
        asked = " × ".join(sorted(needed)) or "totals"
        if "tag" in needed and (len(filters.tag) > 1 or (dimension and _base(dimension) == "tag" and filters.tag)):
            asked += " (several tags at once)"
        covering = [fact for fact in self.cubes if fact.covers(days[0])]
        # the view meant for a dimension asked about, if the source could not read it: its
        # reason is the answer (the list of every other view would bury it)
        blocked = [f for f in covering if f.unusable and needed & (f.known - {"key"})]
        if blocked:
            reasons = "; ".join(f"{f.name} (unusable: {f.unusable})" for f in blocked)
            said = reasons
        else:
            views = [
                f"{f.name} ({f'unusable: {f.unusable}' if f.unusable else ' × '.join(sorted(f.known))})"
                for f in covering
            ]
            said = f"the source only has {'; '.join(views) or 'nothing'} for those days"
        return (
            f"cannot answer {asked} exactly for {_window_text(days[0], days[-1])}: {said}. "
            "Narrow the window to the days read from request logs, or read the database instead"
        )

    # ------------------------------------------------------------------ answers
    def totals(self, window: Window | None, filters: Filters = NO_FILTERS) -> Totals:
        total = ZERO
        for fact, part in self.plan(self._whole(window), filters):
            total = total + Query(fact.cube).totals(part, filters)
        return total

    def breakdown(self, dimension: str, window: Window | None, filters: Filters = NO_FILTERS) -> Breakdown:
        """Like ``Query.breakdown``; a tag breakdown over tag-per-row days has no
        ``(untagged)`` row and says so in ``caveats``."""
        merged: dict[str, Totals] = {}
        labels: dict[str, str] = {}
        untagged_unknown: list[Window] = []
        # (grouping by something else under one tag filter, every row is one of that tag's requests)
        by_tag = _base(dimension) == "tag"
        for fact, part in self.plan(self._whole(window), filters, dimension):
            for group in Query(fact.cube).breakdown(dimension, part, filters):
                if fact.tag_per_row and by_tag and is_placeholder(group.value, dimension):
                    continue
                merged[group.value] = merged.get(group.value, ZERO) + group.totals
                labels[group.value] = group.empty_label
            if fact.tag_per_row and by_tag:
                # untagged requests are unknown only on days that had requests at all
                busy = [d for d, t in self.daily(part, filters) if t.requests or t.spend]
                if busy:
                    untagged_unknown.append(Window(day_number(busy[0]), day_number(busy[-1])))
        rows = Breakdown(Group(v, t, labels.get(v, NONE_LABEL)) for v, t in merged.items() if t.requests or t.spend)
        if untagged_unknown:
            rows = Breakdown(g for g in rows if not is_placeholder(g.value, dimension))
            first, last = untagged_unknown[0].first_day, untagged_unknown[-1].last_day
            if dimension.startswith("tag:"):
                lacking = no_category_label(dimension[4:])
                rows.caveats = (
                    f"{UNTAGGED_LABEL} is not shown, nor {lacking}: the proxy's tag table has no row for a "
                    f"request without tags, and does not say which requests had no {dimension[4:]} tag, "
                    f"so they cannot be counted for {_window_text(first, last)}",
                )
            else:
                rows.caveats = (
                    f"{UNTAGGED_LABEL} is not shown: the proxy's tag table has no row for a request "
                    f"without tags, so it cannot be counted for {_window_text(first, last)}",
                )
        rows.sort(key=lambda g: (-g.totals.spend, -g.totals.requests, g.name))
        return rows

    def daily(self, window: Window, filters: Filters = NO_FILTERS) -> list[tuple[date, Totals]]:
        out = {window.first_day + i: ZERO for i in range(window.days)}
        for fact, part in self.plan(window, filters):
            for day, totals in Query(fact.cube).daily(part, filters):
                out[day_number(day)] = totals
        return [(day_date(d), t) for d, t in sorted(out.items())]

    def hourly(self, day: int, filters: Filters = NO_FILTERS) -> list[tuple[int, Totals]] | None:
        """24 hourly totals, or None when the day is only known as whole days."""
        segments = self.plan(Window(day, day), filters)
        fact_cube = segments[0][0].cube if segments else self.cube
        return Query(fact_cube).hourly(day, filters)

    def tag_categories(self, window: Window | None = None) -> list[str]:
        seen: set[str] = set()
        for fact in self.cubes:
            if "tag" not in fact.known or fact.unusable is not None:
                continue
            if window is None:
                seen.update(Query(fact.cube).tag_categories(None))
            elif (part := self._clip(fact, window)) is not None:
                seen.update(Query(fact.cube).tag_categories(part))
        return sorted(seen)

    def values(self, dimension: str) -> list[str]:
        seen: set[str] = set()
        for fact in self.cubes:
            if dimension in fact.known:
                seen.update(Query(fact.cube).values(dimension))
        return sorted(seen)

    # ------------------------------------------------------------------ helpers
    def _whole(self, window: Window | None) -> Window:
        """An explicit window for ``None`` (everything any cube holds)."""
        if window is not None:
            return window
        lows, highs = [], []
        for fact in self.cubes:
            held = fact.cube.day_range()
            lows.append(fact.first_day)
            highs.append(max(held[1] if held else fact.first_day, fact.last_day or fact.first_day))
        return Window(min(lows), max(highs))

    @staticmethod
    def _clip(fact: FactCube, window: Window) -> Window | None:
        first = max(window.first_day, fact.first_day)
        last = window.last_day if fact.last_day is None else min(window.last_day, fact.last_day)
        return Window(first, last) if first <= last else None
