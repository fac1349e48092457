"""The live tail's memory: the newest requests, bounded, each request id once.

The same request can reach the tail twice: a load reads the newest rows a moment after
it fixed the poll cursor (rows written in between come again with the next poll), a
warm restart reads them while it restores the cache, and a deep poll or a late-row read
finds rows again. The tail keeps the first copy and ignores the rest, so a view keyed by
request id never sees a duplicate.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator

from spendtui.core.cube import RawRow


class RecentRequests:
    """The newest ``size`` requests, oldest first, de-duplicated by request id."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[str, RawRow] = OrderedDict()

    def extend(self, rows: Iterable[RawRow]) -> int:
        """Append the rows not held yet (the oldest fall off); returns how many were new."""
        added = 0
        held = self._rows
        for row in rows:
            if row.request_id in held:
                continue
            held[row.request_id] = row
            added += 1
            if len(held) > self.size:
                held.popitem(last=False)
        return added

    def clear(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[RawRow]:
        return iter(self._rows.values())

    def __reversed__(self) -> Iterator[RawRow]:
        return reversed(self._rows.values())

    def __getitem__(self, index: int) -> RawRow:
        """``[0]`` the oldest, ``[-1]`` the newest."""
        if index == -1:
            return next(reversed(self._rows.values()))
        if index == 0:
            return next(iter(self._rows.values()))
        return list(self._rows.values())[index]
