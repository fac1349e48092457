"""The spend engine: one source, one cube, kept current by incremental polls.

Everything spendtui shows (dashboard panes, reports, budget checks) asks the engine.
The engine is synchronous and not thread-safe: the TUI calls it from one worker thread
at a time and hands immutable answers to the UI thread. The one exception is a poll's
network part, ``fetch``, which touches no cube state: the TUI runs it outside its engine
lock (serialised with loads), so a slow proxy never holds up a view change; ``absorb``
then folds the rows in under the lock.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Protocol

from spendtui.cache import CacheableSource, CubeCache, History
from spendtui.core.cube import Cube, Loaded, RawRow
from spendtui.core.dims import Attribution, Dimensions
from spendtui.core.facts import ALL_DIMENSIONS, FactCube, FactSet
from spendtui.core.log_reads import LogReads
from spendtui.core.names import Names
from spendtui.core.query import Query
from spendtui.core.questions import Questions
from spendtui.core.recent import RecentRequests
from spendtui.errors import SourceError
from spendtui.gcpause import collection_paused
from spendtui.timeutil import Clock, day_of, system_clock

#: Days kept at hourly resolution (yesterday and today, UTC).
HOURLY_DAYS = 2
#: Requests kept for the live tail.
TAIL_SIZE = 500
#: Seconds between deep polls (see DatabaseSource.poll), at least. A deep poll reads
#: two days of requests: on a busy proxy's PostgreSQL that takes seconds, so the next one
#: waits until deep polls take at most 1/DEEP_SHARE of the time (``deep_interval``).
DEEP_EVERY = 60.0
DEEP_SHARE = 100
#: Seconds between cube cache saves while the cube changes (see spendtui/cache.py).
CACHE_EVERY = 300.0


class Source(Protocol):
    """What the engine needs from a source (database or proxy)."""

    kind: str

    @property
    def display(self) -> str: ...

    def load(self, first_day: int, hourly_from_day: int) -> LoadResultLike: ...

    def poll(self, deep: bool = False) -> list[RawRow]: ...

    def names(self) -> Names: ...

    def recent(self, limit: int = 200) -> list[RawRow]: ...

    def close(self) -> None: ...


class LoadResultLike(Loaded, Protocol):
    """What the engine reads from a source's load (``sources/db/load.py:LoadResult``,
    ``sources/proxy/source.py:ProxyLoad``): the chunks and rows; the optional parts
    (``notes``, ``fact_cubes``, ``live_first_day``, ``partial_measures``, ``followups``,
    ``late``) are read with ``getattr``."""


@dataclass
class Fetched:
    """What a poll's network part brought back, for ``absorb``."""

    rows: list[RawRow]
    #: The engine's load generation when fetched: rows fetched before a (re)load are
    #: already in the new cube, or found again by the next poll.
    generation: int
    #: Names read again because a key never seen before appeared (None: not needed).
    names: Names | None
    seconds: float


@dataclass
class RefreshStats:
    """What the last load or poll did, for the status bar and the benchmark."""

    rows: int = 0
    seconds: float = 0.0
    at: float = field(default_factory=time.time)


class SpendEngine(LogReads):
    """Owns the cube for one source and a loaded range of days (and, through ``LogReads``,
    what else is read from the request logs: sessions and tools, latency, the cost audit)."""

    def __init__(
        self,
        source: Source,
        clock: Clock = system_clock,
        cache: CubeCache | None = None,
        hourly_days: int = HOURLY_DAYS,
    ) -> None:
        self.source = source
        self.clock = clock
        #: Days a load keeps by hour, today included (spike rules compare 8: spendtui.budgets.rules_eval).
        self.hourly_days = hourly_days
        self.cube = Cube()
        self._names = Names()
        self.first_day: int | None = None
        self.last_refresh: RefreshStats | None = None
        self._keys_checked: set[str] = set()
        self._last_deep = time.monotonic()
        #: Seconds from one automatic deep poll to the next (``deep_interval``).
        self.deep_every = DEEP_EVERY
        #: The newest requests, oldest first (bounded, each request once): the live tail.
        self.tail = RecentRequests(TAIL_SIZE)
        #: Sources that cannot give every dimension for every day (the proxy) add fact
        #: cubes for older days; ``cube`` then holds the live days from ``live_first_day``.
        self.fact_cubes: list[FactCube] = []
        self.live_first_day: int | None = None
        self.partial_measures: dict[str, str] = {}
        #: Where the cube is kept for a warm restart (None: no cache); see spendtui/cache.py.
        self.cache = cache
        self._cache_saved: tuple[weakref.ref[Cube], int] | None = None
        self._cache_saved_at = 0.0
        #: Bumped by every (re)load; see ``Fetched.generation``.
        self.generation = 0
        #: Leave what a load left for after its first screen (``LoadResult.followups``:
        #: checks that add notes; ``LoadResult.late``: rows written late for requests long
        #: before) for ``run_followups`` instead of running it inside ``load``: the
        #: dashboard draws the data first.
        self.defer_followups = False
        LogReads.__init__(self)
        self._followups: list[Callable[[], list[str]]] = []

    @property
    def query(self) -> Questions:
        """Questions over the loaded data: one cube (``Query``), or a fact set routing to
        several (``FactSet``); both answer as ``Questions``."""
        if not self.fact_cubes:
            return Query(self.cube)
        live = FactCube("request logs", self.cube, ALL_DIMENSIONS, self.live_first_day or 0)
        return FactSet([live, *self.fact_cubes], self.partial_measures)

    def today(self) -> int:
        return day_of(self.clock())

    def now(self) -> datetime:
        return self.clock()

    def hourly_from_day(self) -> int:
        """The first UTC day a load keeps by hour."""
        return self.today() - (self.hourly_days - 1)

    def load(self, first_day: int) -> RefreshStats:
        """Cold load from ``first_day`` (UTC day number) to now; replaces the cube.
        With a cache: a warm restart instead, when the cache is valid."""
        if self.cache is not None and (warm := self._warm_load(first_day)) is not None:
            return warm
        started = time.perf_counter()
        with collection_paused():  # nothing built here is garbage until the cube is done
            result, cube = self._build(first_day)
        cube.quality.notes.extend(getattr(result, "notes", None) or [])
        self.fact_cubes = list(getattr(result, "fact_cubes", None) or [])
        self.live_first_day = getattr(result, "live_first_day", None)
        self.partial_measures = dict(getattr(result, "partial_measures", None) or {})
        self.cube = cube
        self.first_day = first_day
        self.generation += 1
        self._followups = list(getattr(result, "followups", None) or [])
        late = getattr(result, "late", None)
        if late is not None:  # the data first, then the checks
            self._followups.insert(0, partial(self._fold_late, late, restart=False))
        if not self.defer_followups:
            self.run_followups()
        self.refresh_names()
        self.tail.clear()
        self.tail.extend(self.source.recent(TAIL_SIZE))
        stats = RefreshStats(rows=cube.n, seconds=time.perf_counter() - started)
        self.last_refresh = stats
        return stats

    def _build(self, first_day: int) -> tuple[LoadResultLike, Cube]:
        """The source's load for ``first_day`` on, and the cube built from it."""
        result = self.source.load(first_day, self.hourly_from_day())
        cube = Cube()
        # chunks aggregate separately (SQLite reads rowid ranges, 2,048 rows at a time under
        # a rollback journal), so a day's cells repeat once per chunk: merged as they
        # arrive, the cube holds about half the cells at 1M rows (less memory, faster
        # answers and restarts). One chunk (PostgreSQL's one aggregate) is taken as it is.
        cube.begin_load()
        for chunk in result.chunks:
            cube.add_chunk(chunk)
        cube.finish_load()
        if result.rows:
            cube.add_rows(result.rows)
        cube.sort_by_day()
        cube.dims.forget_load_caches()
        return result, cube

    @property
    def followups_pending(self) -> bool:
        return bool(self._followups)

    def run_followups(self) -> bool:
        """Run the checks the last load left (the daily tables against the request logs,
        ``sources/db/daily.py``) and add their notes to the cube; False when none were
        pending (a check that fails says so in its note: the data is loaded already)."""
        pending, self._followups = self._followups, []
        for i, check in enumerate(pending):
            try:
                self.cube.quality.notes.extend(check())
            except SourceError:
                # (a check says so in a note; a read of rows raises) tried again next time
                self._followups = pending[i:] + self._followups
                if not self.defer_followups:
                    raise
                break
        return bool(pending)

    def _log_source(self) -> object:
        return self.source

    def _dims(self) -> Dimensions:
        return self.cube.dims

    def _attribution(self) -> Attribution:
        return self.names.attribution

    def ensure_loaded(self, first_day: int) -> None:
        """Load, or reload from an earlier day, so ``first_day`` is covered."""
        if self.first_day is None or first_day < self.first_day:
            self.load(first_day)

    def refresh(self, deep: bool | None = None) -> RefreshStats:
        """Fold in rows written since the last load or refresh.

        Every ``deep_every`` seconds (or when asked) the poll also looks far back for rows
        the proxy wrote late."""
        return self.absorb(self.fetch(deep))

    def fetch(self, deep: bool | None = None) -> Fetched:
        """A poll's network part: new rows from the source (and names, when a new key
        shows up). Reads no cube state, so it may run while another thread reads the
        cube; never at the same time as ``load`` or another ``fetch``."""
        started = time.perf_counter()
        generation = self.generation
        if deep is None:
            deep = time.monotonic() - self._last_deep >= self.deep_every
        if deep:
            self._last_deep = time.monotonic()
        try:
            rows = self.source.poll(deep=deep)
        finally:  # (a deep poll that ran into the statement timeout spaces them too)
            if deep:
                self.deep_every = deep_interval(time.monotonic() - self._last_deep)
        return self._fetched(rows, generation, started)

    def _fetched(self, rows: list[RawRow], generation: int, started: float) -> Fetched:
        """Rows read for ``absorb``, with the names read again if a new key appeared."""
        names = self.source.names() if rows and self._unknown_keys(rows) else None
        return Fetched(rows, generation, names, time.perf_counter() - started)

    def absorb(self, fetched: Fetched) -> RefreshStats:
        """Fold fetched rows into the cube. Rows fetched before a reload are dropped:
        the reload read them already (loads and fetches never overlap)."""
        stats = self._fold(fetched)
        self.last_refresh = stats
        self._maybe_save_cache()
        return stats

    def _fold(self, fetched: Fetched) -> RefreshStats:
        started = time.perf_counter()
        rows = fetched.rows if fetched.generation == self.generation else []
        added = self.cube.add_rows(rows) if rows else 0
        if rows:
            self.fold_reads(rows)  # (percentiles and the audit follow every poll)
        self.tail.extend(rows)
        if self.cube.n - self.cube.sorted_n > max(20_000, self.cube.n // 10):
            self.cube.sort_by_day()
        if fetched.names is not None and fetched.generation == self.generation:
            self.names = fetched.names
        return RefreshStats(rows=added, seconds=fetched.seconds + time.perf_counter() - started)

    @property
    def names(self) -> Names:
        """What things are called, and what keys and teams belong to."""
        return self._names

    @names.setter
    def names(self, names: Names) -> None:
        """New names; the cube (and the history cubes) attribute organizations, projects
        and agents by them."""
        self._names = names
        attribution = names.attribution
        for cube in (self.cube, *(f.cube for f in self.fact_cubes)):
            cube.dims.attribute(attribution)

    def refresh_names(self) -> None:
        self.names = self.source.names()
        self._keys_checked = set(self.cube.dims.keys.values)

    def _unknown_keys(self, rows: list[RawRow]) -> bool:
        """A key never looked up before appeared (a new key was created)."""
        fresh = {r.api_key for r in rows if r.api_key} - self._keys_checked
        self._keys_checked |= fresh
        return bool(fresh)

    def close(self) -> None:
        self.save_cache()
        self.source.close()

    # ------------------------------------------------------------------ cube cache
    def _warm_load(self, first_day: int) -> RefreshStats | None:
        """The cube from the cache plus the rows written since; None when there is no
        usable cache (``cache.status`` says why)."""
        assert self.cache is not None
        if not isinstance(self.source, CacheableSource):
            return None
        started = time.perf_counter()
        if not self.cache.has_file(self.source):  # (this also reflects the schema, once)
            return None
        # the live tail is an independent read: it runs while the cache is read, checked
        # and caught up
        with ThreadPoolExecutor(1, thread_name_prefix="spendtui-tail") as pool:
            tail = pool.submit(self.source.recent, TAIL_SIZE)
            restored = self.cache.restore(self.source, first_day, self.hourly_from_day())
            if restored is None:
                tail.exception()  # a cold load follows and reads the tail again
                return None
            recent = tail.result()
        self.cube = restored.cube
        self.first_day = restored.first_day
        history = restored.history
        self.fact_cubes = list(history.facts) if history is not None else []
        self.live_first_day = history.live_first_day if history is not None else None
        self.partial_measures = dict(history.partial_measures) if history is not None else {}
        self._followups = [partial(self._fold_late, restored.late)] if restored.late is not None else []
        self.generation += 1
        self.refresh_names()
        self.tail.clear()
        self.tail.extend(recent)
        if restored.new_rows == 0:  # the file already holds exactly this cube
            self._cache_saved = (weakref.ref(self.cube), self.cube.generation)
            self._cache_saved_at = time.monotonic()
        stats = RefreshStats(rows=self.cube.n, seconds=time.perf_counter() - started)
        self.last_refresh = stats
        if not self.defer_followups:
            self.run_followups()
        return stats

    def _fold_late(self, read: Callable[[], list[RawRow]], restart: bool = True) -> list[str]:
        """A load's followup: rows written late for requests long before, which the load
        left for after its first screen (``Restored.late`` after a warm restart: written
        while spendtui was away; ``LoadResult.late``), folded in like a poll's."""
        started = time.perf_counter()
        fetched = self._fetched(read(), self.generation, started)
        self._fold(fetched)
        if fetched.rows and restart and self.cache is not None:
            self.cache.status += f", then {len(fetched.rows):,} written late for earlier requests"
        return []

    def save_cache(self) -> bool:
        """Save the cube for a warm restart if it changed since last saved. Never raises
        for a cache problem: False, and ``cache.status`` says what went wrong."""
        if self.cache is None or self.first_day is None or not isinstance(self.source, CacheableSource):
            return False
        if self._cache_saved is not None:
            ref, generation = self._cache_saved
            if ref() is self.cube and generation == self.cube.generation:
                return True
        try:
            history = History(self.fact_cubes, self.live_first_day, self.partial_measures) if self.fact_cubes else None
            self.cache.save(self.source, self.cube, self.first_day, self.hourly_from_day(), history)
        except (OSError, ValueError, TypeError, SourceError) as exc:
            self.cache.status = f"cube cache not saved: {exc}"
            return False
        self._cache_saved = (weakref.ref(self.cube), self.cube.generation)
        self._cache_saved_at = time.monotonic()
        return True

    def _maybe_save_cache(self) -> None:
        """After a refresh: save a newly loaded cube at once, a changing one every CACHE_EVERY s."""
        if self.cache is None:
            return
        fresh = self._cache_saved is None or self._cache_saved[0]() is not self.cube
        if fresh or time.monotonic() - self._cache_saved_at >= CACHE_EVERY:
            self.save_cache()


def deep_interval(seconds: float) -> float:
    """Seconds until the next automatic deep poll after one that took ``seconds``: every
    DEEP_EVERY, or less often where deep polls would take over 1/DEEP_SHARE of the time."""
    return max(DEEP_EVERY, DEEP_SHARE * seconds)
