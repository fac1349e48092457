"""The cube cache: a warm restart reads only the rows written since the last run.

After a load, and every few minutes while polling, the engine saves its cube (cells,
interned dimension values, data-quality counters), the source's poll cursor and the
loaded day range to one ``.npz`` file under the platform cache directory
(``~/.cache/spendtui`` on Linux). The next start restores it and polls from the cursor.

A cache is used only when everything says it still describes the source:

* the file name is a hash of the source's identity (its masked URL) and schema
  fingerprint; inside, format version, spendtui version, identity and fingerprint
  must all match;
* a CRC-32 over the metadata and every array must match, and the arrays must be what
  the metadata lists (a truncated or bit-flipped file is rejected; see
  ``core/cube_file.py`` for the format);
* shapes, id ranges and the day order of the cells are re-checked, and interned values
  are replayed into fresh tables that must come out with the same ids;
* the cache must cover the requested days and must not come from the future;
* the source must confirm the database still holds the rows the cursor stands for
  (``DatabaseSource.restore_cursor``; see ``sources/db/continuity.py``).

Anything else rebuilds from the source and says why. Loading never executes code: only
plain integer arrays and JSON are read, never pickles. Files are written to a temporary
name and renamed, so a crash leaves the old cache or the new one, never a mix; a file
cut short by a power loss fails the checksum. The files hold key hashes and spend, so the
directory is private to the user (0700, files 0600).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from spendtui import __version__
from spendtui.core.cube import Cube, Loaded, RawRow
from spendtui.core.cube_file import (
    CELL_COLUMNS,
    CorruptCache,
    Meta,
    OtherFormat,
    build_cube,
    part_cubes,
    read_cube_file,
    write_cube,
)
from spendtui.core.facts import FactCube

#: A restart that finds at least this many new rows aggregates them in SQL (like a cold
#: load) instead of polling them one by one.
CATCH_UP_ROWS = 20_000
#: Hourly cells of days now held whole (rows polled days ago) are merged before saving
#: once there are COMPACT_FROM of them and they are at least 1/COMPACT_SHARE of all cells.
COMPACT_FROM = 10_000
COMPACT_SHARE = 10
#: Cache files not written for this long belong to sources no longer used: deleted.
FORGET_AFTER_DAYS = 30


@runtime_checkable
class CacheableSource(Protocol):
    """What a source offers so its cube can be cached (``DatabaseSource`` does)."""

    def identity(self) -> str: ...

    def schema_fingerprint(self) -> str: ...

    def cursor_state(self) -> dict[str, object]: ...

    def restore_cursor(self, state: dict[str, object]) -> str | None: ...

    def catch_up(self, first_day: int, hourly_from_day: int, min_rows: int) -> Loaded | None: ...

    def catch_up_rows(self) -> tuple[list[RawRow], Callable[[], list[RawRow]] | None]: ...


@dataclass
class History:
    """What goes with the cube when closed days come from other tables (``history:
    daily``, see ``sources/db/daily.py``): their fact cubes, the first day the cube
    itself covers, and the measures those tables lack."""

    facts: list[FactCube]
    live_first_day: int | None
    partial_measures: dict[str, str]

    def parts(self) -> list[tuple[Meta, Cube]]:
        return [
            (
                {
                    "name": f.name,
                    "known": sorted(f.known),
                    "first_day": f.first_day,
                    "last_day": f.last_day,
                    "tag_per_row": f.tag_per_row,
                    "unusable": f.unusable,
                },
                f.cube,
            )
            for f in self.facts
        ]

    def describe(self) -> Meta:
        return {"live_first_day": self.live_first_day, "partial_measures": self.partial_measures}

    @classmethod
    def from_file(cls, meta: Meta, parts: list[tuple[Meta, Cube]]) -> History | None:
        """Rebuilt from a file's metadata and parts (None when it held none); a
        malformed description raises KeyError, TypeError or ValueError."""
        about: Any = meta.get("history")  # (None with parts: a TypeError below, as documented)
        if about is None and not parts:
            return None
        facts = []
        for info, cube in parts:
            last = info["last_day"]
            unusable = info["unusable"]
            facts.append(
                FactCube(
                    str(info["name"]),
                    cube,
                    frozenset(str(d) for d in info["known"]),
                    int(info["first_day"]),
                    None if last is None else int(last),
                    bool(info["tag_per_row"]),
                    None if unusable is None else str(unusable),
                )
            )
        live = about["live_first_day"]
        partial = {str(k): str(v) for k, v in dict(about["partial_measures"]).items()}
        return cls(facts, None if live is None else int(live), partial)


@dataclass
class Restored:
    """A cube restored from the cache and brought up to date."""

    cube: Cube
    first_day: int
    #: Rows read from the source since the cache was written.
    new_rows: int
    saved_at: str
    history: History | None = None
    #: Reads the rest of the rows written since the cache (for requests long before),
    #: for the caller to run after its first screen (``DatabaseSource.catch_up_rows``).
    late: Callable[[], list[RawRow]] | None = None


def default_directory() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("spendtui")


class CubeCache:
    """Cube cache files in one directory (the platform cache directory by default)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_directory()
        #: One line on what the cache did last (restored, rebuilt and why, saved, failed).
        self.status = ""

    def path_for(self, source: CacheableSource) -> Path:
        key = f"{source.identity()}\0{source.schema_fingerprint()}".encode()
        return self.directory / f"cube-{hashlib.sha256(key).hexdigest()[:24]}.npz"

    # ------------------------------------------------------------------ restore
    def has_file(self, source: CacheableSource) -> bool:
        """Whether a cache file exists for ``source`` (if not, ``status`` says so)."""
        if self.path_for(source).exists():
            return True
        self.status = "no cube cache yet: full load"
        return False

    def restore(self, source: CacheableSource, first_day: int, hourly_from_day: int) -> Restored | None:
        """The cached cube, checked and caught up, or None (``status`` says why)."""
        if not self.has_file(source):
            return None
        path = self.path_for(source)
        try:
            meta, arrays = read_file(path)
            problem = self._mismatch(meta, source, first_day, hourly_from_day)
            if problem is None:
                # the database probes wait on I/O: run them while the cube is rebuilt
                with ThreadPoolExecutor(1, thread_name_prefix="spendtui-cache") as pool:
                    probes = pool.submit(source.restore_cursor, meta["cursor"])
                    try:
                        cube = build_cube(meta, arrays, hourly_from_day)
                        history = History.from_file(meta, part_cubes(meta, arrays))
                    finally:
                        problem = probes.result()
        except OtherFormat as exc:
            self.status = f"cube cache {exc}: rebuilt"
            path.unlink(missing_ok=True)
            return None
        except (CorruptCache, OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            self.status = f"cube cache unreadable, rebuilt ({_short(exc)})"
            path.unlink(missing_ok=True)
            return None
        if problem is not None:
            self.status = f"cube cache not used: {problem}; full load"
            return None
        new_rows, late = catch_up(source, cube, int(meta["first_day"]), hourly_from_day)
        kept = f" (and {sum(f.cube.n for f in history.facts):,} of closed days' history)" if history else ""
        self.status = f"restored {cube.n:,} cells{kept} from the cube cache, {new_rows:,} new rows read"
        return Restored(cube, int(meta["first_day"]), new_rows, str(meta["saved_at"]), history, late)

    @staticmethod
    def _mismatch(meta: Meta, source: CacheableSource, first_day: int, hourly_from_day: int) -> str | None:
        if meta.get("version") != __version__:
            return f"written by spendtui {meta.get('version')}, this is {__version__}"
        if meta.get("identity") != source.identity():
            return "written for another source"
        if meta.get("fingerprint") != source.schema_fingerprint():
            return "the database schema changed"
        if int(meta["first_day"]) > first_day:
            return "it does not reach back far enough"
        if int(meta["hourly_from_day"]) > hourly_from_day:
            return "it was written later than now (clock moved back)"
        return None

    # ------------------------------------------------------------------ save
    def save(
        self, source: CacheableSource, cube: Cube, first_day: int, hourly_from_day: int, history: History | None = None
    ) -> Path:
        """Write the cube (and the history that goes with it) atomically; OSError if the
        directory cannot be written."""
        started = time.perf_counter()
        meta = {
            "identity": source.identity(),
            "fingerprint": source.schema_fingerprint(),
            "first_day": first_day,
            "hourly_from_day": hourly_from_day,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "cursor": source.cursor_state(),
        }
        if history is not None:
            meta["history"] = history.describe()
        path = self.path_for(source)
        write_file(path, meta, cube, hourly_from_day, history.parts() if history is not None else [])
        self._forget_old(keep=path)
        self.status = f"cube cache saved ({cube.n:,} cells, {time.perf_counter() - started:.2f}s)"
        return path

    def _forget_old(self, keep: Path) -> None:
        cutoff = time.time() - FORGET_AFTER_DAYS * 86400
        for old in self.directory.glob("cube-*.npz"):
            try:
                if old != keep and old.stat().st_mtime < cutoff:
                    old.unlink()
            except OSError:
                pass
        for stray in self.directory.glob(".cube-*.tmp"):  # left by a crash mid-write
            try:
                if stray.stat().st_mtime < time.time() - 3600:
                    stray.unlink()
            except OSError:
                pass


# ---------------------------------------------------------------------- catching up
def catch_up(
    source: CacheableSource, cube: Cube, first_day: int, hourly_from_day: int
) -> tuple[int, Callable[[], list[RawRow]] | None]:
    """Fold in rows written since the cache: aggregated in SQL when there are many. Also
    returns the reader for the rest, if the source leaves some for later."""
    result = source.catch_up(first_day, hourly_from_day, CATCH_UP_ROWS)
    before = cube.quality.skipped + int(cube.view("m")[1].sum())
    if result is not None:
        for chunk in result.chunks:
            cube.add_chunk(chunk)
        rows = result.rows
        if rows:
            cube.add_rows(rows)
        cube.sort_by_day()
        cube.dims.forget_load_caches()
        return cube.quality.skipped + int(cube.view("m")[1].sum()) - before, None
    rows, late = source.catch_up_rows()
    if rows:
        cube.add_rows(rows)
        cube.sort_by_day()
    return len(rows), late


# ---------------------------------------------------------------------- files
def _compacted(cube: Cube, hourly_from_day: int) -> Cube:
    """A merged copy of the cells (hours before ``hourly_from_day`` become days)."""
    copy = Cube(capacity=max(1024, cube.n))
    copy.dims = cube.dims
    for name in CELL_COLUMNS:
        getattr(copy, name)[: cube.n] = cube.view(name)
    copy.m[:, : cube.n] = cube.view("m")
    copy.n = copy.sorted_n = cube.n
    copy.compact(hourly_from_day)
    copy.sort_by_day()
    copy.spend_bound, copy.quality = cube.spend_bound, cube.quality
    return copy


def write_file(path: Path, meta: Meta, cube: Cube, hourly_from_day: int, parts: list[tuple[Meta, Cube]]) -> None:
    """Write atomically: a temporary file in the same directory, then a rename. Cells
    are merged first when hourly cells of days now held whole have piled up."""
    stale_hours = int(((cube.view("day") < hourly_from_day) & (cube.view("hour") >= 0)).sum())
    if stale_hours >= max(COMPACT_FROM, cube.n // COMPACT_SHARE):
        cube = _compacted(cube, hourly_from_day)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cube-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            write_cube(out, cube, {**meta, "version": __version__}, parts)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_file(path: Path) -> tuple[Meta, dict[str, np.ndarray]]:
    """Metadata and arrays of a cache file, checked; CorruptCache otherwise."""
    return read_cube_file(path.read_bytes())


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
