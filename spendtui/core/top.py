"""The biggest spenders of a dimension too fine for the cube: sessions and MCP tools.

A session (``session_id``: one agent run or conversation, from the ``x-litellm-session-id``
header) has a handful of requests; a cube cell per session would multiply the cells by
the sessions. So the source reads them for a range of UTC days when asked (``TopGroups``:
each value split by the cube's composite key), and ``rank`` applies the dashboard's
filters through the cube's own dimensions (the same attribution, the same tag rules) and
ranks the values by spend (``TopAnswer``). What a source must offer is ``TopSource``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np

from spendtui.core.cube import Cube
from spendtui.core.dims import Dimensions
from spendtui.core.measures import N_MEASURES, group_totals
from spendtui.core.query import Query
from spendtui.core.selection import NO_FILTERS, Filters, Window

#: Why a source without ``top_groups`` (the proxy's REST API) cannot answer.
NO_TOP = "LiteLLM's REST API has no per-session or per-tool totals; point spendtui at the database (--db)"
#: Dimensions answered this way: the name used in reports, the LiteLLM log column.
TOP_COLUMNS = {"session": "session_id", "tool": "mcp_namespaced_tool_name"}


@dataclass(frozen=True)
class TopRow:
    """One session or tool. Money is integer pico-dollars; times are UTC."""

    id: str
    spend: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    failures: int
    first_seen: datetime | None
    last_seen: datetime | None
    #: Distinct models and key hashes of its requests, sorted.
    models: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    cache_hits: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0


@dataclass(frozen=True)
class TopAnswer:
    """The ``limit`` biggest of ``groups`` values in the range, and the requests without one
    (those are not filtered: only the report, which has no filters, shows them)."""

    dimension: str
    rows: list[TopRow]
    #: Distinct values with requests in the range (``rows`` may show fewer).
    groups: int
    #: Spend and requests of every request with a value, and of those without one.
    spend: int
    requests: int
    spend_without: int
    requests_without: int
    #: Rows the source could not count (unusable spend), said to the user.
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TopGroup:
    """The requests of one value with one composite key (``Dimensions.composite``)."""

    value: str
    #: The UTC day, ``YYYY-MM-DD``.
    day: str
    key: str
    #: The cube's measures in its order (``measures.N_MEASURES``): spend (pico), requests,
    #: prompt, completion, total tokens, failures, cache hits, cache-read, cache-write tokens.
    measures: tuple[int, ...]
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True)
class TopGroups:
    """What a source read for one range: the groups, and the requests without a value."""

    dimension: str
    groups: list[TopGroup]
    spend_without: int
    requests_without: int
    skipped: int = 0


@runtime_checkable
class TopSource(Protocol):
    """A source that can read sessions and tools for UTC days ``first_day``..``last_day``
    (day numbers); raises ``SourceError`` when it cannot (naming why)."""

    def top_groups(self, dimension: str, first_day: int, last_day: int) -> TopGroups: ...


class TopCells:
    """A source's groups as cube cells that share the cube's dimensions (``dims``: its
    attribution decides organizations, projects and agents; values it has not seen are
    interned), so the dashboard's filters and questions apply to them as to the cube."""

    def __init__(self, found: TopGroups, dims: Dimensions) -> None:
        self.found = found
        self.cells = cells = Cube()
        cells.dims = dims
        days = [cells.bucket(g.day) or (0, -1) for g in found.groups]
        order = sorted(range(len(days)), key=days.__getitem__)  # by day: a window is a slice
        #: The groups in cell order, and the index in ``values`` of each one's value.
        self.groups = [found.groups[i] for i in order]
        at: dict[str, int] = {}
        self.value_of = np.fromiter((at.setdefault(g.value, len(at)) for g in self.groups), np.intp, len(order))
        self.values = list(at)
        if order:
            when = np.array([days[i] for i in order], dtype=np.int32)
            ids = np.array([dims.composite(g.key) for g in self.groups], dtype=np.int32)
            measures = np.array([g.measures for g in self.groups], dtype=np.int64).reshape(-1, N_MEASURES)
            cells.spend_bound = int(measures[:, 0].sum())
            cells.add_interned(when, ids, measures)
            dims.forget_load_caches()

    def of(self, value: str) -> Query:
        """Questions over the requests of one value only (a drill-down)."""
        part = Cube()
        part.dims = self.cells.dims
        if value in self.values:
            rows = np.flatnonzero(self.value_of == self.values.index(value))
            c = self.cells
            when = np.stack([c.day[rows], c.hour[rows].astype(np.int32)], axis=1)
            ids = np.stack([c.mctx[rows], c.kctx[rows], c.cust[rows], c.tagset[rows], np.ones(len(rows))], axis=1)
            part.spend_bound = c.spend_bound
            part.add_interned(when, ids.astype(np.int32), c.view("m")[:, rows].T)
        return Query(part)

    def rank(self, limit: int, window: Window | None = None, filters: Filters = NO_FILTERS) -> TopAnswer:
        """The ``limit`` values with the most spend among the cells in ``window`` that pass
        ``filters`` (ties: more requests first, then by value)."""
        cells, groups = self.cells, self.groups
        keep = np.zeros(cells.n, dtype=bool)
        for part in Query(cells).select(window, filters):
            keep[part] = True
        kept = np.flatnonzero(keep)
        names = self.values
        value_of = self.value_of
        totals = (
            group_totals(value_of[kept], cells.view("m")[:, kept], len(names), cells.spend_bound) if len(kept) else []
        )
        dims = cells.dims
        models: dict[int, set[str]] = {}
        keys: dict[int, set[str]] = {}
        first: dict[int, datetime] = {}
        last: dict[int, datetime] = {}
        for i in kept.tolist():
            v, g = int(value_of[i]), groups[i]
            model = dims.models.values[dims.mctx_model[int(cells.mctx[i])]]
            key = dims.keys.values[dims.kctx_key[int(cells.kctx[i])]]
            if model:
                models.setdefault(v, set()).add(model)
            if key:
                keys.setdefault(v, set()).add(key)
            if g.first_seen is not None and (v not in first or g.first_seen < first[v]):
                first[v] = g.first_seen
            if g.last_seen is not None and (v not in last or g.last_seen > last[v]):
                last[v] = g.last_seen
        present = sorted({int(value_of[i]) for i in kept.tolist()})
        order = sorted(present, key=lambda v: (-totals[v].spend, -totals[v].requests, names[v]))
        rows = [
            TopRow(
                id=names[v],
                spend=totals[v].spend,
                requests=totals[v].requests,
                prompt_tokens=totals[v].prompt_tokens,
                completion_tokens=totals[v].completion_tokens,
                total_tokens=totals[v].total_tokens,
                failures=totals[v].failures,
                first_seen=first.get(v),
                last_seen=last.get(v),
                models=tuple(sorted(models.get(v, ()))),
                keys=tuple(sorted(keys.get(v, ()))),
                cache_hits=totals[v].cache_hits,
                cache_read_tokens=totals[v].cache_read_tokens,
                cache_creation_tokens=totals[v].cache_creation_tokens,
            )
            for v in order[:limit]
        ]
        found = self.found
        return TopAnswer(
            found.dimension,
            rows,
            len(present),
            sum(totals[v].spend for v in present),
            sum(totals[v].requests for v in present),
            found.spend_without,
            found.requests_without,
            found.skipped,
        )


#: How long a source's sessions or tools are reused before they are read again (each read
#: is one aggregate over the range's request logs; polls every 2 s would repeat it).
TOP_TTL = 15.0


class TopCache:
    """The last ``TopCells`` per (dimension, days), read again after ``TOP_TTL`` seconds or
    when the cube (and so its dimensions) is replaced by a load."""

    def __init__(self, read: Callable[[str, int, int], TopGroups], clock: Callable[[], float]) -> None:
        self._read = read
        self._clock = clock
        self._held: dict[tuple[str, int, int], tuple[float, Dimensions, TopCells]] = {}

    def cells(self, dimension: str, first_day: int, last_day: int, dims: Dimensions) -> TopCells:
        key = (dimension, first_day, last_day)
        held = self._held.get(key)
        now = self._clock()
        if held is not None and held[1] is dims and now - held[0] < TOP_TTL:
            return held[2]
        cells = TopCells(self._read(dimension, first_day, last_day), dims)
        self._held = {k: v for k, v in self._held.items() if v[1] is dims and now - v[0] < TOP_TTL}
        self._held[key] = (now, dims, cells)
        return cells
