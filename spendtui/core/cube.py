"""The in-memory spend cube: one cell per (time bucket, model, key, customer, tag set).

Cells are columns of numpy arrays, so a breakdown or filter over hundreds of thousands
of cells is a handful of vectorised operations. Time buckets are UTC days, or UTC hours
(``hour`` 0-23) for recent data; ``hour == -1`` marks a whole-day cell. Several cells may
share the same coordinates (a late row lands in a new cell): every answer is a sum, so
that changes nothing but memory, and ``compact()`` merges them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Protocol

import numpy as np

from spendtui.core.cell_merge import Batches, merge
from spendtui.core.dims import Dimensions
from spendtui.core.measures import N_MEASURES, SPEND
from spendtui.timeutil import day_number, parse_timestamp

_DIM_FIELDS = ("day", "hour", "mctx", "kctx", "cust", "tagset")
#: Recent cells remembered for merging new rows into (see ``_prune_hot``).
HOT_LIMIT = 20_000


@dataclass
class Quality:
    """Rows the cube could not use as they are, by reason. Shown to the user, never hidden."""

    bad_spend: int = 0
    bad_time: int = 0
    bad_tags: int = 0
    duplicates: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.bad_spend + self.bad_time

    def describe(self) -> list[str]:
        out = []
        if self.bad_spend:
            out.append(f"{self.bad_spend:,} rows skipped: spend missing, negative, NaN or absurd")
        if self.bad_time:
            out.append(f"{self.bad_time:,} rows skipped: unreadable timestamp")
        if self.bad_tags:
            out.append(f"{self.bad_tags:,} rows with unreadable request_tags (counted, untagged)")
        return out + self.notes


@dataclass
class RawRow:
    """One request as a source reads it, before interning. ``spend`` is pico-dollars."""

    request_id: str
    start: object
    model: str | None
    provider: str | None
    api_key: str | None
    user: str | None
    team: str | None
    customer: str | None
    tags: object
    spend: int | None
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    failed: bool
    cache_hit: bool
    #: The row's own ``organization_id`` / ``agent_id`` (None: not logged; attributed
    #: from the key then, see ``dims.Attribution``).
    organization: str | None = None
    agent: str | None = None
    #: Prompt tokens read from / written to the provider's prompt cache.
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    #: Where the source's table holds the row (SQLite's rowid), if it says.
    rowid: int | None = None
    #: Milliseconds the request took, and to its first token (``core.latency``'s rule,
    #: computed by the source; None: not recorded).
    duration_ms: float | None = None
    ttft_ms: float | None = None
    #: What LiteLLM logged as ``model`` and ``model_group`` (``model`` above is the group,
    #: else the model: what the cube shows), for the price lookup (``core.audit``), and the
    #: reasoning tokens of its usage object.
    logged_model: str | None = None
    model_group: str | None = None
    reasoning_tokens: int = 0


@dataclass
class CellChunk:
    """Pre-aggregated cells from a source, before interning.

    ``buckets`` are ``YYYY-MM-DD`` (whole day) or ``YYYY-MM-DD HH`` (one hour) UTC strings;
    ``keys`` are composite row keys (see ``Dimensions.composite``); ``measures`` is an
    (n, 9) int64 array in ``measures`` order. ``bad_spend`` counts rows the source already
    excluded for unusable spend.
    """

    buckets: list[str]
    keys: list[str]
    measures: np.ndarray
    bad_spend: int = 0


class Loaded(Protocol):
    """What a source's read hands a cube: pre-aggregated ``chunks`` (``Cube.add_chunk``),
    then raw ``rows`` (``Cube.add_rows``); a cold load and a cache catch-up each give one.
    Read-only, so a list satisfies ``chunks`` as well as a generator does."""

    @property
    def chunks(self) -> Iterable[CellChunk]: ...

    @property
    def rows(self) -> list[RawRow]: ...


class Cube:
    """Spend cells plus the interned dimension values they refer to."""

    def __init__(self, capacity: int = 1024, measures: int = N_MEASURES) -> None:
        #: Measure rows per cell: the nine of ``measures`` (a latency cube: spend 0 and
        #: requests, ``core.latency_cells``).
        self.n_measures = measures
        self.dims = Dimensions()
        self.quality = Quality()
        self.n = 0
        self._alloc(capacity)
        #: Total spend ever added (pico), an upper bound for overflow-safe sums.
        self.spend_bound = 0
        self._buckets: dict[str, tuple[int, int] | None] = {}
        self._hot: dict[tuple[int, int, int, int, int, int], int] = {}
        self.generation = 0
        #: Cells [0, sorted_n) are in day order, so a window is a slice of them; later
        #: cells (late rows for old days) form a small unsorted tail.
        self.sorted_n = 0
        #: A cold load's cells until ``finish_load`` (see ``begin_load``).
        self._batches: Batches | None = None

    # ------------------------------------------------------------------ storage
    def _alloc(self, capacity: int) -> None:
        self.day = np.zeros(capacity, dtype=np.int32)
        self.hour = np.zeros(capacity, dtype=np.int8)
        self.mctx = np.zeros(capacity, dtype=np.int32)
        self.kctx = np.zeros(capacity, dtype=np.int32)
        self.cust = np.zeros(capacity, dtype=np.int32)
        self.tagset = np.zeros(capacity, dtype=np.int32)
        #: Measures, one contiguous row per measure (column sums stay cache-friendly).
        self.m = np.zeros((self.n_measures, capacity), dtype=np.int64)

    def _reserve(self, extra: int) -> None:
        need = self.n + extra
        capacity = len(self.day)
        if need <= capacity:
            return
        # 1.5x: a grown copy briefly coexists with the old one (the process keeps that
        # peak), so overshooting by up to half costs less than doubling
        new_capacity = max(need, capacity + capacity // 2)
        for name in _DIM_FIELDS:
            old = getattr(self, name)
            grown = np.zeros(new_capacity, dtype=old.dtype)
            grown[: self.n] = old[: self.n]
            setattr(self, name, grown)
        grown_m = np.zeros((self.n_measures, new_capacity), dtype=np.int64)
        grown_m[:, : self.n] = self.m[:, : self.n]
        self.m = grown_m

    def view(self, name: str) -> np.ndarray:
        """The used part of a column (``m``: the (9, n) measure rows)."""
        if name == "m":
            return self.m[:, : self.n]
        column: np.ndarray = getattr(self, name)
        return column[: self.n]

    def _append(self, cols: dict[str, np.ndarray], measures: np.ndarray) -> int:
        count = len(measures)
        self._reserve(count)
        start = self.n
        for name in _DIM_FIELDS:
            getattr(self, name)[start : start + count] = cols[name]
        self.m[:, start : start + count] = measures.T
        if count and self.sorted_n == start:
            days = self.day[start : start + count]
            in_order = bool((days[1:] >= days[:-1]).all()) if count > 1 else True
            after = start == 0 or days[0] >= self.day[start - 1]
            if in_order and after:
                self.sorted_n = start + count
        self.n += count
        self.spend_bound += int(measures[:, SPEND].sum()) if count else 0
        self.generation += 1
        return start

    # ------------------------------------------------------------------ ingest
    def bucket(self, text: str) -> tuple[int, int] | None:
        """(day, hour) of a ``YYYY-MM-DD`` or ``YYYY-MM-DD HH`` bucket; hour -1 for a day."""
        found = self._buckets.get(text)
        if found is not None or text in self._buckets:
            return found
        result: tuple[int, int] | None = None
        try:
            if len(text) == 10:
                result = (day_number(date.fromisoformat(text)), -1)
            elif len(text) == 13 and text[10] in " T":
                hour = int(text[11:13])
                if 0 <= hour < 24:
                    result = (day_number(date.fromisoformat(text[:10])), hour)
        except ValueError:
            result = None
        self._buckets[text] = result
        return result

    def add_chunk(self, chunk: CellChunk) -> None:
        """Add pre-aggregated cells (cold load).

        Buckets and keys repeat (a key recurs in every hour and day it has requests: 78k
        cells, 36 buckets and 14k keys for two days at 10M rows), so each distinct one is
        parsed or interned once and handed to the cells by index."""
        n = len(chunk.keys)
        self.quality.bad_spend += chunk.bad_spend
        if n == 0:
            return
        keys, measures = chunk.keys, chunk.measures
        bucket_at: dict[str, int] = {}
        bucket_of = np.fromiter((bucket_at.setdefault(b, len(bucket_at)) for b in chunk.buckets), np.intp, count=n)
        buckets = [self.bucket(b) for b in bucket_at]
        if None in buckets:  # unreadable request times: counted, not added
            keep = np.array([b is not None for b in buckets])[bucket_of]
            self.quality.bad_time += int(measures[~keep, 1].sum())
            keys = [k for k, kept in zip(keys, keep.tolist(), strict=True) if kept]
            measures, bucket_of = measures[keep], bucket_of[keep]
            n = len(keys)
            if n == 0:
                return
        # (mctx, kctx, customer, tag set, tags readable) per distinct key
        key_at: dict[str, int] = {}
        key_of = np.fromiter((key_at.setdefault(k, len(key_at)) for k in keys), dtype=np.intp, count=n)
        contexts = map(self.dims.composite, key_at)
        ids = np.fromiter(chain.from_iterable(contexts), dtype=np.int32, count=5 * len(key_at)).reshape(-1, 5)
        when = np.array([b if b is not None else (0, -1) for b in buckets], dtype=np.int32)
        self.add_interned(when[bucket_of], ids[key_of], measures)

    def add_interned(self, when: np.ndarray, ids: np.ndarray, measures: np.ndarray) -> None:
        """Add cells whose coordinates are interned already: ``when`` (n, 2) day and hour,
        ``ids`` (n, 5) what ``Dimensions.composite`` gives, ``measures`` (n, 9)."""
        unreadable_tags = ids[:, 4] == 0
        if unreadable_tags.any():
            self.quality.bad_tags += int(measures[unreadable_tags, 1].sum())
        cols = {
            "day": when[:, 0],
            "hour": when[:, 1],
            "mctx": ids[:, 0],
            "kctx": ids[:, 1],
            "cust": ids[:, 2],
            "tagset": ids[:, 3],
        }
        if self._batches is not None:
            self._batches.add([cols[name] for name in _DIM_FIELDS], measures)
            return
        self._append(cols, measures)

    def begin_load(self) -> None:
        """Collect the chunks that follow (``add_chunk``) merged batch by batch, and hold
        them out of the cube until ``finish_load``: a cold load's chunks repeat a day's
        cells once per chunk, and merging as they arrive keeps the load's memory peak
        near the merged size (see ``cell_merge``)."""
        self._batches = Batches()

    def finish_load(self) -> None:
        """Put the chunks since ``begin_load`` into the cube, merged and in day order."""
        batches, self._batches = self._batches, None
        taken = batches.take() if batches is not None else None
        if taken is None:
            return
        columns, measures = taken
        if self.n == 0:
            self._alloc(_with_room(len(measures)))
        self._append(dict(zip(_DIM_FIELDS, columns, strict=True)), measures)

    def add_rows(self, rows: Iterable[RawRow]) -> int:
        """Fold raw request rows in (incremental polls); returns how many were added."""
        groups: dict[tuple[int, int, int, int, int, int], list[int]] = {}
        dims = self.dims
        added = 0
        for row in rows:
            if row.spend is None:
                self.quality.bad_spend += 1
                continue
            moment = parse_timestamp(row.start)
            if moment is None:
                self.quality.bad_time += 1
                continue
            day, hour = day_number(moment.date()), moment.hour
            tagset, ok = dims.tagset(row.tags)
            if not ok:
                self.quality.bad_tags += 1
            key = (
                day,
                hour,
                dims.model_context(row.model, row.provider),
                dims.key_context(row.api_key, row.user, row.team, row.organization, row.agent),
                dims.customers.intern(row.customer),
                tagset,
            )
            acc = groups.get(key)
            if acc is None:
                acc = groups[key] = [0] * N_MEASURES
            acc[0] += row.spend
            acc[1] += 1
            acc[2] += row.prompt_tokens
            acc[3] += row.completion_tokens
            acc[4] += row.total_tokens
            acc[5] += 1 if row.failed else 0
            acc[6] += 1 if row.cache_hit else 0
            acc[7] += row.cache_read_tokens
            acc[8] += row.cache_creation_tokens
            added += 1
        if not groups:
            return 0
        fresh_keys, fresh_values = [], []
        for key, acc in groups.items():
            at = self._hot.get(key)
            if at is not None:
                self.m[:, at] += np.asarray(acc, dtype=np.int64)
                self.spend_bound += acc[0]
            else:
                fresh_keys.append(key)
                fresh_values.append(acc)
        if fresh_keys:
            order = sorted(range(len(fresh_keys)), key=lambda i: fresh_keys[i][:2])
            fresh_keys = [fresh_keys[i] for i in order]
            fresh_values = [fresh_values[i] for i in order]
            arr = np.asarray(fresh_keys, dtype=np.int64)
            cols = {name: arr[:, i] for i, name in enumerate(_DIM_FIELDS)}
            start = self._append(cols, np.asarray(fresh_values, dtype=np.int64))
            for offset, key in enumerate(fresh_keys):
                self._hot[key] = start + offset
            if len(self._hot) > HOT_LIMIT:
                self._prune_hot()
        self.generation += 1
        return added

    def _prune_hot(self) -> None:
        """Forget merge targets older than the last two hours: new rows land in the current
        hour, so older entries would only cost memory (a late row just adds a cell)."""
        newest = max(k[0] * 24 + k[1] for k in self._hot)
        self._hot = {k: v for k, v in self._hot.items() if k[0] * 24 + k[1] >= newest - 1}

    # ------------------------------------------------------------------ maintenance
    def sort_by_day(self) -> None:
        """Put every cell in day order (after a load, or when the unsorted tail grows)."""
        if self.sorted_n == self.n:
            return
        order = np.argsort(self.view("day"), kind="stable")
        for name in _DIM_FIELDS:
            column = getattr(self, name)
            column[: self.n] = column[: self.n][order]
        self.m[:, : self.n] = self.m[:, : self.n][:, order]
        self.sorted_n = self.n
        self._hot.clear()

    def day_parts(self, first_day: int | None, last_day: int | None) -> list[slice | np.ndarray]:
        """Positions of the cells in a day range: a slice of the sorted cells plus any
        matching cells of the unsorted tail."""
        if first_day is None or last_day is None:
            return [slice(0, self.n)]
        days = self.day[: self.sorted_n]
        lo = int(np.searchsorted(days, first_day, "left"))
        hi = int(np.searchsorted(days, last_day, "right"))
        parts: list[slice | np.ndarray] = [slice(lo, hi)]
        if self.sorted_n < self.n:
            tail = self.day[self.sorted_n : self.n]
            hits = np.flatnonzero((tail >= first_day) & (tail <= last_day))
            if len(hits):
                parts.append(hits + self.sorted_n)
        return parts

    def compact(self, hourly_from_day: int | None = None) -> None:
        """Merge cells with equal coordinates; hours before ``hourly_from_day`` become days.

        Leaves the cells in day order (``sorted_n == n``). A cold load merges its chunks
        as they arrive instead (``begin_load``)."""
        if self.n == 0:
            return
        hour = self.view("hour")
        if hourly_from_day is not None:
            hour = np.where(self.view("day") < hourly_from_day, np.int8(-1), hour)
        columns = [self.view("day"), hour] + [self.view(n) for n in _DIM_FIELDS[2:]]
        merged_columns, merged = merge(columns, list(self.view("m")))
        del columns, hour
        bound = self.spend_bound
        self.n = 0
        self.sorted_n = 0
        self._alloc(_with_room(len(merged)))
        self._append(dict(zip(_DIM_FIELDS, merged_columns, strict=True)), merged)  # by day first: stays in order
        self.spend_bound = bound
        self._hot.clear()

    def day_range(self) -> tuple[int, int] | None:
        """First and last day that has a cell."""
        if self.n == 0:
            return None
        days = self.view("day")
        return int(days.min()), int(days.max())

    def nbytes(self) -> int:
        """Memory held by the cell columns."""
        return sum(getattr(self, n).nbytes for n in (*_DIM_FIELDS, "m"))


def _with_room(cells: int) -> int:
    """Capacity for ``cells`` plus room for the polls that follow a load."""
    return max(1024, cells + cells // 8)
