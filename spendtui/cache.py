"""The cube cache: a warm restart reads only the rows written since the last run.

After a load, and every few minutes while polling, the engine saves its cube (cells,
interned dimension values, data-quality counters), the source's poll cursor and the
loaded day range to one ``.npz`` file under the platform cache directory
(``~/.cache/spendtui`` on Linux). The next start restores it and polls from the cursor.

A cache is used only when everything says it still describes the source:

* the file name is a hash of the source's identity (its masked URL) and schema
  fingerprint; inside, format version, spendtui version, identity and fingerprint
  must all match;
* a BLAKE2b checksum over every array and the metadata must match (a truncated or
  bit-flipped file, or one written by something else, is rejected);
* shapes, id ranges and the day order of the cells are re-checked, and interned values
  are replayed into fresh tables that must come out with the same ids;
* the cache must cover the requested days and must not come from the future;
* the source must confirm the database still holds the rows the cursor stands for
  (``DatabaseSource.restore_cursor``; see ``sources/db/continuity.py``).

Anything else rebuilds from the source and says why. Loading never executes code: only
plain numeric arrays (``allow_pickle=False``) and JSON. Files are written to a temporary
name and renamed, so a crash leaves the old cache or the new one, never a mix; a file
cut short by a power loss fails the checksum. The files hold key hashes and spend, so the
directory is private to the user (0700, files 0600).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from spendtui import __version__
from spendtui.core.cube import CellChunk, Cube, Quality, RawRow
from spendtui.core.dims import Dimensions
from spendtui.core.measures import N_MEASURES

FORMAT = 1
MAGIC = "spendtui-cube"
#: Cell columns as the cube holds them, with their dtypes.
CELL_COLUMNS = {
    "day": np.int32,
    "hour": np.int8,
    "mctx": np.int32,
    "kctx": np.int32,
    "cust": np.int32,
    "tagset": np.int32,
}
INTERNERS = ("models", "providers", "keys", "users", "teams", "customers", "tags")
CONTEXTS = ("mctx_model", "mctx_provider", "kctx_key", "kctx_user", "kctx_team")
#: A restart that finds at least this many new rows aggregates them in SQL (like a cold
#: load) instead of polling them one by one.
CATCH_UP_ROWS = 20_000
#: Hourly cells of days now held whole (rows polled days ago) are merged before saving
#: once there are COMPACT_FROM of them and they are at least 1/COMPACT_SHARE of all cells.
COMPACT_FROM = 10_000
COMPACT_SHARE = 10
#: Cache files not written for this long belong to sources no longer used: deleted.
FORGET_AFTER_DAYS = 30


class CorruptCache(ValueError):
    """The file is not a cache this version can trust."""


@runtime_checkable
class CacheableSource(Protocol):
    """What a source offers so its cube can be cached (``DatabaseSource`` does)."""

    def identity(self) -> str: ...

    def schema_fingerprint(self) -> str: ...

    def cursor_state(self) -> dict[str, object]: ...

    def restore_cursor(self, state: dict[str, object]) -> str | None: ...

    def catch_up(self, first_day: int, hourly_from_day: int, min_rows: int) -> object | None: ...

    def poll(self, deep: bool = False) -> list[RawRow]: ...


@dataclass
class Restored:
    """A cube restored from the cache and brought up to date."""

    cube: Cube
    first_day: int
    #: Rows read from the source since the cache was written.
    new_rows: int
    saved_at: str


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
    def restore(self, source: CacheableSource, first_day: int, hourly_from_day: int) -> Restored | None:
        """The cached cube, checked and caught up, or None (``status`` says why)."""
        path = self.path_for(source)
        if not path.exists():
            self.status = "no cube cache yet: full load"
            return None
        try:
            meta, arrays = read_file(path)
            problem = self._mismatch(meta, source, first_day, hourly_from_day)
            if problem is None:
                cube = build_cube(meta, arrays, hourly_from_day)
                problem = source.restore_cursor(meta["cursor"])
        except (CorruptCache, OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as exc:
            self.status = f"cube cache unreadable, rebuilt ({_short(exc)})"
            path.unlink(missing_ok=True)
            return None
        if problem is not None:
            self.status = f"cube cache not used: {problem}; full load"
            return None
        new_rows = catch_up(source, cube, int(meta["first_day"]), hourly_from_day)
        self.status = f"restored {cube.n:,} cells from the cube cache, {new_rows:,} new rows read"
        return Restored(cube, int(meta["first_day"]), new_rows, str(meta["saved_at"]))

    @staticmethod
    def _mismatch(meta: dict, source: CacheableSource, first_day: int, hourly_from_day: int) -> str | None:
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
    def save(self, source: CacheableSource, cube: Cube, first_day: int, hourly_from_day: int) -> Path:
        """Write the cube atomically; OSError if the directory cannot be written."""
        started = time.perf_counter()
        meta = {
            "identity": source.identity(),
            "fingerprint": source.schema_fingerprint(),
            "first_day": first_day,
            "hourly_from_day": hourly_from_day,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "cursor": source.cursor_state(),
        }
        path = self.path_for(source)
        write_file(path, meta, cube, hourly_from_day)
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
def catch_up(source: CacheableSource, cube: Cube, first_day: int, hourly_from_day: int) -> int:
    """Fold in rows written since the cache: aggregated in SQL when there are many."""
    result = source.catch_up(first_day, hourly_from_day, CATCH_UP_ROWS)
    before = cube.quality.skipped + int(cube.view("m")[1].sum())
    if result is not None:
        chunks: Iterable[CellChunk] = result.chunks  # type: ignore[attr-defined]
        for chunk in chunks:
            cube.add_chunk(chunk)
        rows: list[RawRow] = result.rows  # type: ignore[attr-defined]
        if rows:
            cube.add_rows(rows)
        cube.sort_by_day()
        cube.dims.forget_load_caches()
        return cube.quality.skipped + int(cube.view("m")[1].sum()) - before
    rows = source.poll(deep=True)
    if rows:
        cube.add_rows(rows)
        cube.sort_by_day()
    return len(rows)


# ---------------------------------------------------------------------- file format
def _pack_strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _unpack_strings(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    data = blob.tobytes()
    bounds = offsets.tolist()
    ordered = all(a <= b for a, b in zip(bounds, bounds[1:], strict=False))
    if bounds[0] != 0 or bounds[-1] != len(data) or not ordered:
        raise CorruptCache("string table offsets")
    return [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(bounds, bounds[1:], strict=False)]


def _cube_arrays(cube: Cube, hourly_from_day: int) -> tuple[dict[str, np.ndarray], int]:
    """The arrays a cube is saved as, and how many cells are in day order (cells are
    merged first when hourly cells of days now held whole have piled up)."""
    stale_hours = int(((cube.view("day") < hourly_from_day) & (cube.view("hour") >= 0)).sum())
    if stale_hours >= max(COMPACT_FROM, cube.n // COMPACT_SHARE):
        cube = _compacted(cube, hourly_from_day)
    arrays: dict[str, np.ndarray] = {name: cube.view(name) for name in CELL_COLUMNS}
    arrays["m"] = cube.view("m")
    dims = cube.dims
    for name in INTERNERS:
        arrays[f"s_{name}"], arrays[f"o_{name}"] = _pack_strings(getattr(dims, name).values)
    for name in CONTEXTS:
        arrays[name] = np.asarray(getattr(dims, name), dtype=np.int32)
    flat = [t for tags in dims.tagset_tags for t in tags]
    arrays["tagset_flat"] = np.asarray(flat, dtype=np.int32)
    arrays["tagset_off"] = np.cumsum([0] + [len(t) for t in dims.tagset_tags]).astype(np.int64)
    return arrays, cube.sorted_n


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
    return copy


def _checksum(meta: dict, arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.blake2b(digest_size=32)
    digest.update(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def write_file(path: Path, meta: dict, cube: Cube, hourly_from_day: int) -> None:
    arrays, sorted_n = _cube_arrays(cube, hourly_from_day)
    full = {
        **meta,
        "magic": MAGIC,
        "format": FORMAT,
        "version": __version__,
        "n": len(arrays["day"]),
        "sorted_n": sorted_n,
        "spend_bound": int(cube.spend_bound),
        "quality": asdict(cube.quality),
        "arrays": {k: [v.dtype.str, list(v.shape)] for k, v in sorted(arrays.items())},
    }
    full["checksum"] = _checksum(full, arrays)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".cube-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            meta_bytes = np.frombuffer(json.dumps(full).encode(), dtype=np.uint8)
            np.savez(out, meta=meta_bytes, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_file(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Metadata and arrays of a cache file, checksum verified; CorruptCache otherwise."""
    with np.load(path, allow_pickle=False) as npz:
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise CorruptCache("not an npz archive")
        meta = json.loads(npz["meta"].tobytes())
        if not isinstance(meta, dict) or meta.get("magic") != MAGIC:
            raise CorruptCache("not a spendtui cube cache")
        if meta.get("format") != FORMAT:
            raise CorruptCache(f"cache format {meta.get('format')}, expected {FORMAT}")
        manifest = meta["arrays"]
        arrays = {}
        for name, (dtype, shape) in manifest.items():
            array = npz[name]
            if array.dtype.str != dtype or list(array.shape) != shape:
                raise CorruptCache(f"array {name} has the wrong shape or type")
            arrays[name] = array
        if set(npz.files) != {"meta", *manifest}:
            raise CorruptCache("unexpected members")
    claimed = meta.pop("checksum", None)
    if claimed != _checksum(meta, arrays):
        raise CorruptCache("checksum mismatch")
    return meta, arrays


# ---------------------------------------------------------------------- rebuilding
def _restore_dims(arrays: dict[str, np.ndarray]) -> Dimensions:
    """Replay the interned values into fresh tables; every id must come out the same."""
    dims = Dimensions()
    for name in INTERNERS:
        values = _unpack_strings(arrays[f"s_{name}"], arrays[f"o_{name}"])
        interner = getattr(dims, name)
        if not values or values[0] != "":
            raise CorruptCache(f"{name} table")
        for i, value in enumerate(values[1:], 1):
            if interner.intern(value) != i:
                raise CorruptCache(f"{name} table")
    models, providers = dims.models.values, dims.providers.values
    keys, users, teams = dims.keys.values, dims.users.values, dims.teams.values
    try:
        mctx = zip(arrays["mctx_model"].tolist(), arrays["mctx_provider"].tolist(), strict=True)
        for i, (m, p) in enumerate(mctx):
            if dims.model_context(models[m], providers[p]) != i:
                raise CorruptCache("model contexts")
        kctx = zip(*(arrays[name].tolist() for name in CONTEXTS[2:]), strict=True)
        for i, (k, u, t) in enumerate(kctx):
            if dims.key_context(keys[k], users[u], teams[t]) != i:
                raise CorruptCache("key contexts")
        flat, off = arrays["tagset_flat"].tolist(), arrays["tagset_off"].tolist()
        n_tags = len(dims.tags)
        for i in range(len(off) - 1):
            ids = tuple(flat[off[i] : off[i + 1]])
            if any(not 0 < t < n_tags for t in ids) or list(ids) != sorted(set(ids)):
                raise CorruptCache("tag sets")
            if dims._tagset_id(ids) != i:
                raise CorruptCache("tag sets")
    except IndexError:
        raise CorruptCache("context tables") from None
    return dims


def build_cube(meta: dict, arrays: dict[str, np.ndarray], hourly_from_day: int) -> Cube:
    """A cube from checked arrays; hours before ``hourly_from_day`` become whole days,
    as a cold load now would have them."""
    n, sorted_n = int(meta["n"]), int(meta["sorted_n"])
    m = arrays["m"]
    if m.shape != (N_MEASURES, n) or not 0 <= sorted_n <= n:
        raise CorruptCache("cell count")
    dims = _restore_dims(arrays)
    cube = Cube(capacity=max(1024, n + n // 4))
    cube.dims = dims
    limits = {
        "mctx": len(dims.mctx_model),
        "kctx": len(dims.kctx_key),
        "cust": len(dims.customers),
        "tagset": len(dims.tagset_tags),
    }
    for name in CELL_COLUMNS:
        column = arrays[name]
        if column.shape != (n,):
            raise CorruptCache(f"column {name}")
        if n and name in limits and (column.min() < 0 or column.max() >= limits[name]):
            raise CorruptCache(f"column {name} refers to unknown values")
        getattr(cube, name)[:n] = column
    hour = cube.hour[:n]
    if n and (hour.min() < -1 or hour.max() > 23):
        raise CorruptCache("column hour")
    days = cube.day[:sorted_n]
    if sorted_n > 1 and not bool((days[1:] >= days[:-1]).all()):
        raise CorruptCache("cells out of day order")
    if n and m.min() < 0:
        raise CorruptCache("negative measures")
    cube.m[:, :n] = m
    hour[(cube.day[:n] < hourly_from_day) & (hour >= 0)] = -1
    cube.n, cube.sorted_n = n, sorted_n
    cube.spend_bound = int(meta["spend_bound"])
    quality = meta["quality"]
    cube.quality = Quality(**{k: quality[k] for k in ("bad_spend", "bad_time", "bad_tags", "duplicates")})
    cube.quality.notes = [str(note) for note in quality["notes"]]
    return cube


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
