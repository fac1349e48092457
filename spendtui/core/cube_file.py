"""A cube as one ``.npz`` file: written by ``np.savez``, read back checked, no pickle.

Members are plain integer ``.npy`` arrays plus ``meta``, UTF-8 JSON bytes. Integer
columns are stored in the narrowest type that holds them (a cell's request count fits
a byte, its spend needs 64 bits), which halves the file. Interned values are stored as
one UTF-8 blob with offsets per table; tag sets as flat ids with offsets.

Reading does not go through ``zipfile``'s member reader (it copies every block a few
times, ~0.4 GB/s): the file is read once, the zip directory gives each member's place,
and arrays are views of that buffer, checked against the manifest in ``meta`` and a
CRC-32 over the metadata and every array (zlib's, the check zip itself uses; it catches
truncation and flipped bits, not deliberate forgery: the cache directory is private).
Only stored (uncompressed) members of non-object dtypes are accepted, so loading never
unpickles.
"""

from __future__ import annotations

import io
import json
import mmap
import struct
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from spendtui.core.cube import Cube, Quality
from spendtui.core.dims import Dimensions
from spendtui.core.measures import N_MEASURES

#: JSON metadata (``meta``, a part's description): JSON-able when written; as read back,
#: whatever the file holds, checked where it is used.
Meta = dict[str, Any]

#: 2: ``parts`` (the closed days' fact cubes of ``history: daily``) after the main cube.
#: 3: key contexts carry the row's organization and agent (and their string tables).
#: 4: nine measures (cache-read and cache-creation tokens added).
FORMAT = 4
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
INTERNERS = ("models", "providers", "keys", "users", "teams", "customers", "organizations", "agents", "tags")
CONTEXTS = (
    "mctx_model",
    "mctx_provider",
    "kctx_key",
    "kctx_user",
    "kctx_team",
    "kctx_row_organization",
    "kctx_row_agent",
)
_LOCAL_HEADER = b"PK\x03\x04"


class OtherFormat(ValueError):
    """A cube file another spendtui version wrote (a different ``FORMAT``)."""

    def __init__(self, found: object) -> None:
        super().__init__(f"written by another spendtui version (cube file format {found}, this one reads {FORMAT})")


class CorruptCache(ValueError):
    """The file is not a cube file this version can trust."""


# ---------------------------------------------------------------------- writing
def _narrow(values: np.ndarray) -> np.ndarray:
    """The same integers in the smallest signed type that holds them."""
    if values.size == 0:
        return values
    lo, hi = int(values.min()), int(values.max())
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return values.astype(dtype) if values.dtype != dtype else values
    return values


def _pack_strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def cube_arrays(cube: Cube) -> dict[str, np.ndarray]:
    """Every array a cube is saved as."""
    arrays = {name: _narrow(cube.view(name)) for name in CELL_COLUMNS}
    measures = cube.view("m")
    for j in range(N_MEASURES):
        arrays[f"m{j}"] = _narrow(measures[j])
    dims = cube.dims
    for name in INTERNERS:
        arrays[f"s_{name}"], arrays[f"o_{name}"] = _pack_strings(getattr(dims, name).values)
    for name in CONTEXTS:
        arrays[name] = np.asarray(getattr(dims, name), dtype=np.int32)
    flat = [t for tags in dims.tagset_tags for t in tags]
    arrays["tagset_flat"] = np.asarray(flat, dtype=np.int32)
    arrays["tagset_off"] = np.cumsum([0] + [len(t) for t in dims.tagset_tags]).astype(np.int64)
    return arrays


def _checksum(meta: Meta, arrays: dict[str, np.ndarray]) -> int:
    crc = zlib.crc32(json.dumps(meta, sort_keys=True).encode())
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        crc = zlib.crc32(f"{name}:{array.dtype.str}:{array.shape}".encode(), crc)
        crc = zlib.crc32(array.data.cast("B"), crc)
    return crc


def _cube_meta(cube: Cube) -> Meta:
    return {
        "n": cube.n,
        "sorted_n": cube.sorted_n,
        "spend_bound": int(cube.spend_bound),
        "quality": {
            "bad_spend": cube.quality.bad_spend,
            "bad_time": cube.quality.bad_time,
            "bad_tags": cube.quality.bad_tags,
            "duplicates": cube.quality.duplicates,
            "notes": list(cube.quality.notes),
        },
    }


def _part_prefix(index: int) -> str:
    return f"p{index}_"


def write_cube(out: io.BufferedIOBase, cube: Cube, meta: Meta, parts: Sequence[tuple[Meta, Cube]] = ()) -> None:
    """Write ``cube`` and ``meta`` (JSON-able) to an open binary file, with more cubes
    that go with it (``parts``: each with its own JSON-able description), all under one
    checksum; ``part_cubes`` reads them back."""
    arrays = cube_arrays(cube)
    described = []
    for index, (about, part) in enumerate(parts):
        described.append({**about, **_cube_meta(part)})
        arrays.update({_part_prefix(index) + name: array for name, array in cube_arrays(part).items()})
    full = {
        **meta,
        "magic": MAGIC,
        "format": FORMAT,
        **_cube_meta(cube),
        "parts": described,
        "arrays": {k: [v.dtype.str, list(v.shape)] for k, v in sorted(arrays.items())},
    }
    full["checksum"] = _checksum(full, arrays)
    # (numpy >= 2.1 declares ``allow_pickle: bool`` beside ``**kwds``, so a typed ``**arrays``
    # "could" fill it; spelling it out instead would add a member on older numpy)
    members = cast("dict[str, Any]", arrays)
    np.savez(out, meta=np.frombuffer(json.dumps(full).encode(), dtype=np.uint8), **members)


# ---------------------------------------------------------------------- reading
def _members(data: bytes) -> dict[str, np.ndarray]:
    """Views of the stored ``.npy`` members of an npz held in ``data``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise CorruptCache(str(exc)) from None
    out: dict[str, np.ndarray] = {}
    for info in infos:
        plain = info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 1
        if not plain or not info.filename.endswith(".npy"):
            raise CorruptCache(f"unexpected member {info.filename!r}")
        at = info.header_offset
        if data[at : at + 4] != _LOCAL_HEADER:
            raise CorruptCache("broken zip entry")
        name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
        start = at + 30 + name_len + extra_len
        end = start + info.file_size
        if end > len(data):
            raise CorruptCache("file cut short")
        header = io.BytesIO(data[start : min(end, start + 4096)])
        version = np.lib.format.read_magic(header)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(header)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(header)
        else:
            raise CorruptCache(f"npy version {version}")
        count = int(np.prod(shape, dtype=np.int64))
        if fortran or dtype.hasobject or start + header.tell() + count * dtype.itemsize != end:
            raise CorruptCache(f"member {info.filename!r} is not a plain array")
        array = np.frombuffer(data, dtype=dtype, count=count, offset=start + header.tell())
        out[info.filename[:-4]] = array.reshape(shape)
    return out


def read_cube_file(data: bytes) -> tuple[Meta, dict[str, np.ndarray]]:
    """Metadata and arrays of a cube file's bytes, all checked; CorruptCache otherwise."""
    members = _members(data)
    if "meta" not in members:
        raise CorruptCache("no metadata")
    try:
        meta = json.loads(members.pop("meta").tobytes())
    except (UnicodeDecodeError, ValueError):
        raise CorruptCache("unreadable metadata") from None
    if not isinstance(meta, dict) or meta.get("magic") != MAGIC:
        raise CorruptCache("not a spendtui cube file")
    if meta.get("format") != FORMAT:
        raise OtherFormat(meta.get("format"))
    manifest = meta.get("arrays")
    if not isinstance(manifest, dict) or set(manifest) != set(members):
        raise CorruptCache("members differ from the manifest")
    for name, (dtype, shape) in manifest.items():
        if members[name].dtype.str != dtype or list(members[name].shape) != shape:
            raise CorruptCache(f"array {name} has the wrong shape or type")
    claimed = meta.pop("checksum", None)
    if claimed != _checksum(meta, members):
        raise CorruptCache("checksum mismatch")
    return meta, members


# ---------------------------------------------------------------------- rebuilding
def _unpack_strings(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    data = blob.tobytes()
    bounds = offsets.tolist()
    ordered = all(a <= b for a, b in zip(bounds, bounds[1:], strict=False))
    if not bounds or bounds[0] != 0 or bounds[-1] != len(data) or not ordered:
        raise CorruptCache("string table offsets")
    return [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(bounds, bounds[1:], strict=False)]


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
    organizations, agents = dims.organizations.values, dims.agents.values
    try:
        mctx = zip(*(arrays[name].tolist() for name in CONTEXTS[:2]), strict=True)
        for i, (m, p) in enumerate(mctx):
            if min(m, p) < 0 or dims.model_context(models[m], providers[p]) != i:
                raise CorruptCache("model contexts")
        kctx = zip(*(arrays[name].tolist() for name in CONTEXTS[2:]), strict=True)
        for i, (k, u, t, o, a) in enumerate(kctx):
            context = dims.key_context(keys[k], users[u], teams[t], organizations[o], agents[a])
            if min(k, u, t, o, a) < 0 or context != i:
                raise CorruptCache("key contexts")
    except (IndexError, ValueError):
        raise CorruptCache("context tables") from None
    flat, off = arrays["tagset_flat"].tolist(), arrays["tagset_off"].tolist()
    n_tags = len(dims.tags)
    for i in range(len(off) - 1):
        ids = tuple(flat[off[i] : off[i + 1]])
        if any(not 0 < t < n_tags for t in ids) or list(ids) != sorted(set(ids)):
            raise CorruptCache("tag sets")
        if dims._tagset_id(ids) != i:  # noqa: SLF001 (the same ids a cold load assigned)
            raise CorruptCache("tag sets")
    return dims


def part_cubes(meta: Meta, arrays: dict[str, np.ndarray]) -> list[tuple[Meta, Cube]]:
    """The ``parts`` written with the main cube: (description, cube) each, checked as the
    main cube is (their cells are whole days: nothing to turn from hours)."""
    parts = meta.get("parts")
    if not isinstance(parts, list):
        raise CorruptCache("parts")
    out = []
    for index, about in enumerate(parts):
        if not isinstance(about, dict):
            raise CorruptCache("parts")
        prefix = _part_prefix(index)
        own = {name[len(prefix) :]: array for name, array in arrays.items() if name.startswith(prefix)}
        out.append((about, build_cube(about, own, hourly_from_day=0)))
    return out


def _prefaulted(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """Zeroed memory with its pages already mapped (MAP_POPULATE, one system call):
    touching fresh pages one fault at a time costs several times more, and far more
    on some virtual machines. Plain zeros where the platform lacks it."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if size < (1 << 20) or not populate:
        return np.zeros(shape, dtype=dtype)
    buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)
    return np.frombuffer(buffer, dtype=dtype).reshape(shape)


def build_cube(meta: Meta, arrays: dict[str, np.ndarray], hourly_from_day: int) -> Cube:
    """A cube from checked arrays, with room to grow; hourly cells of days before
    ``hourly_from_day`` become whole-day cells, as a cold load now would hold them."""
    n, sorted_n = int(meta["n"]), int(meta["sorted_n"])
    if not 0 <= sorted_n <= n:
        raise CorruptCache("cell count")
    dims = _restore_dims(arrays)
    limits = {
        "mctx": len(dims.mctx_model),
        "kctx": len(dims.kctx_key),
        "cust": len(dims.customers),
        "tagset": len(dims.tagset_tags),
        "hour": 24,
    }
    measures = [f"m{j}" for j in range(N_MEASURES)]
    for name in (*CELL_COLUMNS, *measures):
        column = arrays[name]
        if column.shape != (n,):
            raise CorruptCache(f"column {name}")
        if not n:
            continue
        lowest = -1 if name == "hour" else 0
        if column.min() < lowest or (name in limits and column.max() >= limits[name]):
            raise CorruptCache(f"column {name} holds values out of range")
    days = arrays["day"][:sorted_n]
    if sorted_n > 1 and not bool((days[1:] >= days[:-1]).all()):
        raise CorruptCache("cells out of day order")
    cube = Cube(capacity=1)
    capacity = max(1024, n + n // 8)  # room for days of polls before the cube must grow
    for name, dtype in CELL_COLUMNS.items():
        column = _prefaulted((capacity,), dtype)
        column[:n] = arrays[name]
        setattr(cube, name, column)
    cube.m = _prefaulted((N_MEASURES, capacity), np.int64)
    for j in range(N_MEASURES):
        cube.m[j, :n] = arrays[f"m{j}"]
    cube.dims = dims
    hour = cube.hour[:n]
    hour[(cube.day[:n] < hourly_from_day) & (hour >= 0)] = -1
    cube.n, cube.sorted_n = n, sorted_n
    cube.spend_bound = int(meta["spend_bound"])
    quality = meta["quality"]
    cube.quality = Quality(
        bad_spend=int(quality["bad_spend"]),
        bad_time=int(quality["bad_time"]),
        bad_tags=int(quality["bad_tags"]),
        duplicates=int(quality["duplicates"]),
    )
    cube.quality.notes = [str(note) for note in quality["notes"]]
    return cube
