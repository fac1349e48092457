"""Latency histograms as cells over the cube's dimensions, and how long they are kept.

A source reads, for a range of UTC days, how many successful requests fell in each
latency bucket (``core.latency``), split by UTC day and the cube's composite key
(``LatencyGroups``). ``LatencyCells`` holds them as cells that share the cube's
dimensions, so the dashboard's window and filters (tags, customers, attributed
organizations...) select them exactly as they select spend; the histograms of the cells
selected merge by addition, per value of the dimension asked, and the percentiles are
read from the merged counts.

Reading every request's duration is an aggregate over the window's logs (about a second
at 1M rows), so it is not part of a load: ``LatencyCache`` reads the window when a pane
first asks, and from then on folds in each poll's rows as the cube does (``fold``), so
the percentiles follow every poll. A read says which later rows it did not count
(``LatencyGroups.bound``): a poll row it counted already is not
added twice. The window is read again only when the cube is rebuilt (new dimensions) or
reaches further back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Protocol, runtime_checkable

import numpy as np

from spendtui.core.cell_merge import merge
from spendtui.core.cube import Cube, RawRow
from spendtui.core.dims import Dimensions
from spendtui.core.latency import MAX_MS, N_BUCKETS, NO_BUCKET, NO_LATENCY, Latency, bucket_of, bucket_value
from spendtui.core.lazy_cells import LazyCells, day_cells_cube, select_days
from spendtui.core.query import Query
from spendtui.core.read_bound import ReadBound
from spendtui.core.selection import NO_FILTERS, Filters, Window
from spendtui.timeutil import day_date, day_number, parse_timestamp

#: Why a source without ``latency_groups`` (the proxy's REST API) cannot answer.
NO_LATENCY_SOURCE = (
    "the REST API has no request durations (its daily activity has none; LiteLLM's request "
    "logs in its database do: point spendtui at it with --db)"
)
#: Cells added by polls since the last merge, beyond which they are merged.
MERGE_AFTER = 20_000
PERCENTS = (50, 95)
#: Group ids below this get a histogram each without looking for the ones present.
DIRECT_GROUPS = 2048


@dataclass(frozen=True)
class LatencyGroups:
    """What a source read for UTC days ``first_day``..``last_day``: per group of requests
    with the same day, composite key and buckets, how many there were. ``duration`` and
    ``ttft`` are bucket numbers (``NO_BUCKET``: none)."""

    first_day: int
    last_day: int
    #: ``YYYY-MM-DD`` per group.
    days: list[str]
    #: ``Dimensions.composite`` keys per group.
    keys: list[str]
    duration: np.ndarray
    ttft: np.ndarray
    counts: np.ndarray
    #: Successful requests whose duration could not be used (negative, or over a day),
    #: in all and per ``YYYY-MM-DD`` day.
    unusable: int = 0
    unusable_days: dict[str, int] = field(default_factory=dict)
    #: Which later rows (polls) these counts leave out, and the rows of the read to fold
    #: in one by one instead (PostgreSQL: the poll cursor's re-read overlap).
    bound: ReadBound = ReadBound()
    rows: tuple[RawRow, ...] = ()


@dataclass(frozen=True)
class LatencyReport:
    """Latency per value of one dimension (``""``: requests without one), of every request,
    and how many successful requests had a duration that could not be used."""

    rows: dict[str, Latency]
    total: Latency
    unusable: int = 0


def latency_report(
    values: list[str], duration: np.ndarray, ttft: np.ndarray, counts: np.ndarray, unusable: int
) -> LatencyReport:
    """``LatencyReport`` from per-(value, buckets) counts (one entry per group)."""
    at: dict[str, int] = {}
    ids = np.fromiter((at.setdefault(v, len(at)) for v in values), np.intp, len(values))
    names = list(at)
    rows = {names[i]: found for i, found in latencies(ids, duration, ttft, counts).items()}
    total = latencies(np.zeros(len(values), np.intp), duration, ttft, counts).get(0, NO_LATENCY)
    return LatencyReport(rows, total, unusable)


@runtime_checkable
class LatencySource(Protocol):
    """A source that can read latency buckets for UTC days ``first_day``..``last_day``:
    split like the cube's cells (``latency_groups``), or per value of one dimension for a
    report without filters (``latency_by``: ``model``, ``key`` or ``team``); raises
    ``SourceError`` when it cannot (naming why)."""

    def latency_groups(self, first_day: int, last_day: int) -> LatencyGroups: ...

    def latency_by(self, dimension: str, first_day: int, last_day: int) -> LatencyReport: ...


def _empty() -> dict[str, np.ndarray]:
    return {
        "day": np.zeros(0, np.int32),
        "ids": np.zeros((0, 5), np.int32),
        "duration": np.zeros(0, np.int16),
        "ttft": np.zeros(0, np.int16),
        "count": np.zeros(0, np.int64),
    }


class LatencyCells:
    """Latency histograms per (UTC day, composite key) over shared ``dims``."""

    def __init__(self, dims: Dimensions) -> None:
        self.dims = dims
        self._cols = _empty()
        #: Unusable durations per UTC day number.
        self._unusable: dict[int, int] = {}
        #: Cells added by polls since the last merge.
        self._added = 0
        self.cube = self._build_cube()

    @property
    def unusable(self) -> int:
        """Successful requests held whose duration could not be used (said in a note)."""
        return sum(self._unusable.values())

    def replace(self, found: LatencyGroups) -> None:
        """Hold ``found`` instead of whatever was held for its days."""
        cols = self._cols
        keep = (cols["day"] < found.first_day) | (cols["day"] > found.last_day)
        fresh = self._intern(found)
        merged = {name: np.concatenate([cols[name][keep], fresh[name]]) for name in cols}
        days = merged["day"]
        if len(days) > 1 and (days[1:] < days[:-1]).any():  # (kept days after the fresh ones)
            order = np.argsort(days, kind="stable")
            merged = {name: column[order] for name, column in merged.items()}
        self._cols = merged
        unusable = {d: n for d, n in self._unusable.items() if not found.first_day <= d <= found.last_day}
        for text, n in found.unusable_days.items():
            day = day_number(date.fromisoformat(text))
            unusable[day] = unusable.get(day, 0) + n
        self._unusable = unusable
        self.cube = self._build_cube()

    def _intern(self, found: LatencyGroups) -> dict[str, np.ndarray]:
        n = len(found.keys)
        if n == 0:
            return _empty()
        day_at: dict[str, int] = {}
        day_of = np.fromiter((day_at.setdefault(d, len(day_at)) for d in found.days), np.intp, n)
        day_numbers = np.array([day_number(date.fromisoformat(d)) for d in day_at], dtype=np.int32)
        key_at: dict[str, int] = {}
        key_of = np.fromiter((key_at.setdefault(k, len(key_at)) for k in found.keys), np.intp, n)
        contexts = map(self.dims.composite, key_at)
        ids = np.fromiter(chain.from_iterable(contexts), np.int32, 5 * len(key_at)).reshape(-1, 5)
        self.dims.forget_load_caches()
        # groups repeat (a source reads in chunks): merged, in day order (a window is a slice)
        ids = ids[key_of]
        columns = [day_numbers[day_of], *(ids[:, j] for j in range(5)), found.duration, found.ttft]
        merged_columns, counts = merge(columns, [np.asarray(found.counts, dtype=np.int64)])
        day, *id_columns, duration, ttft = merged_columns
        return {
            "day": day.astype(np.int32),
            "ids": np.stack(id_columns, axis=1).astype(np.int32),
            "duration": duration.astype(np.int16),
            "ttft": ttft.astype(np.int16),
            "count": counts[:, 0],
        }

    def add_rows(self, rows: list[RawRow]) -> int:
        """Fold in request rows read one by one (polls): the successful ones with a
        duration or a first token, bucketed by ``core.latency``'s rule in Python (the
        source computed their milliseconds as its aggregate does). Returns how many."""
        groups: dict[tuple[int, int, int, int, int, int, int, int], int] = {}
        dims = self.dims
        for row in rows:
            moment = parse_timestamp(row.start)
            if row.failed or moment is None:
                continue
            day = day_number(moment.date())
            duration, ttft = _bucket(row.duration_ms), _bucket(row.ttft_ms)
            if duration is None:
                self._unusable[day] = self._unusable.get(day, 0) + 1
                duration = NO_BUCKET
            if ttft is None:
                ttft = NO_BUCKET
            if duration == NO_BUCKET and ttft == NO_BUCKET:
                continue
            tagset, ok = dims.tagset(row.tags)
            key = (
                day,
                dims.model_context(row.model, row.provider),
                dims.key_context(row.api_key, row.user, row.team, row.organization, row.agent),
                dims.customers.intern(row.customer),
                tagset,
                int(ok),
                duration,
                ttft,
            )
            groups[key] = groups.get(key, 0) + 1
        if not groups:
            return 0
        table = np.array([(*k, n) for k, n in groups.items()], dtype=np.int64)
        fresh: dict[str, np.ndarray] = {
            "day": table[:, 0].astype(np.int32),
            "ids": table[:, 1:6].astype(np.int32),
            "duration": table[:, 6].astype(np.int16),
            "ttft": table[:, 7].astype(np.int16),
            "count": table[:, 8],
        }
        self._cols = {name: np.concatenate([self._cols[name], fresh[name]]) for name in self._cols}
        self._added += len(table)
        if self._added > max(MERGE_AFTER, len(self._cols["day"]) // 10):
            self._merge()
        else:  # (the cube's cells stay in step with the columns: appended in the same order)
            n = len(table)
            when = np.stack([fresh["day"], np.full(n, -1, np.int32)], axis=1)
            self.cube.add_interned(when, fresh["ids"], np.stack([np.zeros(n, np.int64), fresh["count"]], axis=1))
        return int(table[:, 8].sum())

    def _merge(self) -> None:
        """Cells with equal coordinates summed into one, in day order (polls add many)."""
        cols = self._cols
        ids = cols["ids"]
        columns = [cols["day"], *(ids[:, j] for j in range(5)), cols["duration"], cols["ttft"]]
        merged_columns, counts = merge(columns, [cols["count"]])
        day, *id_columns, duration, ttft = merged_columns
        self._cols = {
            "day": day.astype(np.int32),
            "ids": np.stack(id_columns, axis=1).astype(np.int32).reshape(-1, 5),
            "duration": duration.astype(np.int16),
            "ttft": ttft.astype(np.int16),
            "count": counts[:, 0],
        }
        self._added = 0
        self.cube = self._build_cube()

    def _build_cube(self) -> Cube:
        """The cells' coordinates as a cube, in the same order as the bucket columns."""
        return day_cells_cube(self.dims, self._cols["day"], self._cols["ids"])

    def _positions(self, window: Window | None, filters: Filters) -> tuple[Query, list[slice | np.ndarray]]:
        return select_days(self.cube, window, filters)

    def _column(self, name: str, parts: list[slice | np.ndarray]) -> np.ndarray:
        column = self._cols[name]
        pieces = [column[p] for p in parts]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def by(self, dimension: str, window: Window | None = None, filters: Filters = NO_FILTERS) -> dict[str, Latency]:
        """Latency per value of ``dimension`` (one a request has one value of: not tags)
        over the cells in ``window`` that pass ``filters``; values without requests
        with a duration are left out."""
        query, parts = self._positions(window, filters)
        ids, values = query.value_ids(dimension, parts)
        stats = self._stats(ids, parts)
        return {values[int(i)]: s for i, s in stats.items()}

    def overall(self, window: Window | None = None, filters: Filters = NO_FILTERS) -> Latency:
        """Latency of every request in ``window`` that passes ``filters``."""
        _, parts = self._positions(window, filters)
        groups = np.zeros(len(self._column("count", parts)), np.intp)
        return self._stats(groups, parts).get(0, NO_LATENCY)

    def _stats(self, groups: np.ndarray, parts: list[slice | np.ndarray]) -> dict[int, Latency]:
        """Latency per group id (``groups``: one per cell of ``parts``)."""
        column = self._column
        return latencies(groups, column("duration", parts), column("ttft", parts), column("count", parts))

    def daily(self, window: Window, filters: Filters = NO_FILTERS) -> list[tuple[date, Latency]]:
        """Every day of the window, in order (days without requests: no percentiles)."""
        _, parts = self._positions(window, filters)
        days = self._column("day", parts).astype(np.intp) - window.first_day
        stats = self._stats(days, parts)
        return [(day_date(window.first_day + i), stats.get(i, NO_LATENCY)) for i in range(window.days)]


def _bucket(ms: float | None) -> int | None:
    """A poll row's bucket: NO_BUCKET without a value, None when it cannot be used
    (negative, or over a day: the SQL aggregate's rule)."""
    if ms is None:
        return NO_BUCKET
    if ms < 0 or ms > MAX_MS or ms != ms:
        return None
    return bucket_of(ms)


def _percentiles(groups: np.ndarray, buckets: np.ndarray, counts: np.ndarray) -> dict[int, tuple[int, list[float]]]:
    """Per group id: requests with a bucket, and the value of each of ``PERCENTS``."""
    has = buckets >= 0
    if not has.any():
        return {}
    ids = groups[has].astype(np.int64)
    top = int(ids.max()) + 1
    if top <= DIRECT_GROUPS:  # (models, teams, days: a histogram per possible id is small)
        present, inverse = np.arange(top), ids
    else:  # (keys, users: only the ids present, found by a sort)
        present, inverse = np.unique(ids, return_inverse=True)
    flat = inverse.astype(np.int64) * N_BUCKETS + buckets[has].astype(np.int64)
    hist = np.bincount(flat, weights=counts[has], minlength=len(present) * N_BUCKETS)
    hist = np.rint(hist).astype(np.int64).reshape(len(present), N_BUCKETS)  # (exact below 2**53)
    cumulative = hist.cumsum(axis=1)
    totals = cumulative[:, -1]
    values = [bucket_value(b) for b in range(N_BUCKETS)]
    found: list[np.ndarray] = []
    for percent in PERCENTS:
        rank = np.maximum(1, (totals * percent + 99) // 100)
        found.append((cumulative < rank[:, None]).sum(axis=1))
    return {
        int(g): (int(totals[i]), [values[int(b[i])] for b in found])
        for i, g in enumerate(present.tolist())
        if totals[i]
    }


def latencies(groups: np.ndarray, duration: np.ndarray, ttft: np.ndarray, counts: np.ndarray) -> dict[int, Latency]:
    """Latency per group id from bucket columns and their request counts (merged by addition)."""
    spans = _percentiles(groups, duration, counts)
    firsts = _percentiles(groups, ttft, counts)
    out: dict[int, Latency] = {}
    for g in spans.keys() | firsts.keys():
        n, (p50, p95) = spans.get(g, (0, [None, None]))
        tn, (t50, t95) = firsts.get(g, (0, [None, None]))
        out[g] = Latency(n, p50, p95, tn, t50, t95)
    return out


def _latency_cells(found: LatencyGroups, dims: Dimensions) -> LatencyCells:
    cells = LatencyCells(dims)
    cells.replace(found)
    cells.add_rows(list(found.rows))
    return cells


class LatencyCache(LazyCells[LatencyGroups, LatencyCells]):
    """The latency cells of the window's days (``core.lazy_cells``)."""

    def __init__(self, read: Callable[[int, int], LatencyGroups], clock: Callable[[], float]) -> None:
        super().__init__(read, _latency_cells, clock)
