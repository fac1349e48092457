"""Where the next poll starts, how rows advance it, and its JSON form for the cube cache.

* SQLite: the highest ``rowid`` read (exact for append-only tables).
* PostgreSQL: the newest insert time (``created_at``) or request time (``"startTime"``)
  read, re-read with an overlap; rows already read in that overlap are recognised by
  ``request_id`` and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from spendtui.core.cube import RawRow
from spendtui.sources.db.decode import raw_row

#: Re-read window for sources without an exact cursor: before the newest insert time
#: (``created_at``), or before the newest request time without one. A PostgreSQL cold
#: load returns the rows of this window raw, so polls can re-read it.
WRITTEN_OVERLAP = timedelta(minutes=5)
#: What a normal poll (every few seconds) re-reads before the newest insert time: rows of
#: writers whose transactions began before the newest row read but committed after it
#: (several proxies flushing their batches at once). Deep polls, a minute or so apart,
#: re-read the whole WRITTEN_OVERLAP.
COMMIT_OVERLAP = timedelta(minutes=1)
START_OVERLAP = timedelta(minutes=15)
#: PostgreSQL timestamps are naive UTC; cursors compare with them as they are.
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001


@dataclass
class Cursor:
    """Where the next poll starts."""

    rowid: int = 0
    #: Newest insert (or request) time seen.
    mark: datetime | None = None
    #: Rows before this were aggregated by the cold load: polls never read below it.
    floor: datetime | None = None
    #: request ids read at or after the re-read horizon -> their mark value.
    seen: dict[str, datetime] = field(default_factory=dict)

    def since(self, overlap: timedelta) -> datetime:
        """Where the next poll starts: the overlap before the mark, never below the floor."""
        start = (self.mark - overlap) if self.mark else _NAIVE_EPOCH
        return max(start, self.floor) if self.floor else start

    def newest_seen(self) -> str | None:
        """The request id read with the newest mark (a continuity probe), if any."""
        return max(self.seen, key=self.seen.__getitem__) if self.seen else None

    def to_state(self, dialect: str) -> dict[str, object]:
        """JSON-able form (without the continuity probes, which need the database)."""
        return {
            "dialect": dialect,
            "rowid": self.rowid,
            "mark": _iso(self.mark),
            "floor": _iso(self.floor),
            "seen": {k: v.isoformat() for k, v in self.seen.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Cursor:
        """The cursor ``to_state`` described (as read back from JSON); malformed state
        raises ValueError/TypeError/KeyError."""
        seen = state["seen"]
        if not isinstance(seen, dict):
            raise TypeError("seen")
        return cls(
            rowid=int(state["rowid"]),
            mark=_from_iso(state["mark"]),
            floor=_from_iso(state["floor"]),
            seen={str(k): datetime.fromisoformat(v) for k, v in seen.items()},
        )


def take_rows(result: Iterable[Sequence[Any]], cursor: Cursor, *, use_written: bool, sqlite: bool) -> list[RawRow]:
    """Decode ``SpendSql.raw_rows`` rows, advancing ``cursor`` and skipping rows it has
    already seen (PostgreSQL's overlap re-reads)."""
    out: list[RawRow] = []
    # rows unpack by position (SpendSql.raw_rows order): ten times cheaper than by name
    for r in result:
        rid, request_id, ts, written = r[0], r[1], r[2], r[3]
        if rid is not None and rid > cursor.rowid:
            cursor.rowid = rid
        if not sqlite:
            mark_value = written if use_written else ts
            if request_id is not None:
                if request_id in cursor.seen:
                    continue
                if isinstance(mark_value, datetime):
                    cursor.seen[request_id] = mark_value
            if isinstance(mark_value, datetime) and (cursor.mark is None or mark_value > cursor.mark):
                cursor.mark = mark_value
        out.append(raw_row(r))
    return out


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _from_iso(value: object) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))
