"""Where a read of the request logs stopped, so that a poll after it adds only rows the
read did not count (latency histograms, the cost audit: both read the window once, then
fold in each poll's rows).

* SQLite: rows up to the highest rowid the read planned; a later row has a higher one.
* PostgreSQL: polls re-read an overlap before their cursor's mark (``sources/db/cursor``),
  so the read names the request ids it counted from there on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spendtui.core.cube import RawRow


@dataclass(frozen=True)
class ReadBound:
    """Which later rows (polls) a read leaves out: rows past ``upto_rowid``, and rows
    not among ``counted_ids``."""

    upto_rowid: int | None = None
    counted_ids: frozenset[str] = frozenset()

    def counted(self, row: RawRow) -> bool:
        """Whether ``row`` (from a poll after the read) is in the read's counts already."""
        if self.upto_rowid is not None and row.rowid is not None and row.rowid <= self.upto_rowid:
            return True
        return row.request_id in self.counted_ids


@dataclass
class ReadMark:
    """A ``ReadBound`` being collected while a read streams its rows."""

    upto_rowid: int | None = None
    ids: set[str] = field(default_factory=set)

    def bound(self) -> ReadBound:
        return ReadBound(self.upto_rowid, frozenset(self.ids))
