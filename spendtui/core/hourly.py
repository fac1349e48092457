"""Hourly spend of many keys, teams, users or customers at once, for burn rates.

The cube holds the last two UTC days by hour. ``Query.hourly`` answers one filter at a
time; a budget board needs hundreds of series, so this groups the hourly cells of the
days asked for once per dimension (one vectorised pass) and cuts out each value's hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np

from spendtui.core.forecast import HourlySpend
from spendtui.core.measures import SPEND
from spendtui.core.query import Filters, Parts, Query, Window
from spendtui.timeutil import day_start

#: Dimension -> (cube column, context table or None, interner name).
_GROUPS = {
    "key": ("kctx", "kctx_key", "keys"),
    "user": ("kctx", "kctx_user", "users"),
    "team": ("kctx", "kctx_team", "teams"),
    "customer": ("cust", None, "customers"),
    "organization": ("kctx", "kctx_organization", "organizations"),
    "project": ("kctx", "kctx_project", "projects"),
    "agent": ("kctx", "kctx_agent", "agents"),
}
_INT64_SAFE = 2**62


def hourly_days(query: Query, first_day: int, last_day: int) -> int | None:
    """The first day from which [first_day, last_day] is held by hour (None: none is)."""
    parts = query.select(Window(first_day, last_day))
    hours = _gather(query, parts, "hour")
    days = _gather(query, parts, "day")
    whole = days[hours < 0]
    start = int(whole.max()) + 1 if len(whole) else first_day
    return start if start <= last_day else None


def _gather(query: Query, parts: Parts, name: str) -> np.ndarray:
    column = query.cube.view(name)
    pieces = [column[..., p] for p in parts]
    if not pieces:
        return column[..., :0]
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=-1)


def hourly_by(
    query: Query, dimension: str, values: Iterable[str], first_day: int, last_day: int, until: datetime
) -> dict[str, HourlySpend]:
    """Hourly spend per value of ``dimension`` (key hash, team id, user id, customer id).

    Values never seen get all-zero series. Empty when the days are not held by hour.
    """
    column, table, interner_name = _GROUPS[dimension]
    wanted = list(dict.fromkeys(values))
    start_day = hourly_days(query, first_day, last_day)
    if start_day is None or not wanted:
        return {}
    n_hours = (last_day - start_day + 1) * 24
    cube, dims = query.cube, query.cube.dims
    per_context = dims.array(table) if table is not None else None  # (first: it may intern)
    interner = getattr(dims, interner_name)
    slot = np.full(len(interner), -1, dtype=np.int64)
    for i, value in enumerate(wanted):
        vid = interner.get(value)
        if vid is not None:
            slot[vid] = i
    parts = query.select(Window(start_day, last_day))
    ids = _gather(query, parts, column)
    if per_context is not None:
        ids = per_context[ids]
    rows = slot[ids]
    hour_index = (_gather(query, parts, "day").astype(np.int64) - start_day) * 24 + _gather(query, parts, "hour")
    spend = _gather(query, parts, "m")[SPEND]
    keep = rows >= 0
    groups = rows[keep] * n_hours + hour_index[keep]
    spend = spend[keep]
    size = len(wanted) * n_hours
    if cube.spend_bound < _INT64_SAFE:
        sums = np.zeros(size, dtype=np.int64)
        np.add.at(sums, groups, spend)
        table_values = sums.reshape(len(wanted), n_hours).tolist()
    else:  # split into 32-bit halves so int64 sums cannot overflow
        lo, hi = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        np.add.at(lo, groups, spend & 0xFFFFFFFF)
        np.add.at(hi, groups, spend >> 32)
        flat = [a + (b << 32) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
        table_values = [flat[i * n_hours : (i + 1) * n_hours] for i in range(len(wanted))]
    start = day_start(start_day)
    return {value: HourlySpend(start, tuple(row), until) for value, row in zip(wanted, table_values, strict=True)}


def hourly_filtered(
    query: Query, filters: Filters, first_day: int, last_day: int, until: datetime
) -> HourlySpend | None:
    """Hourly spend for one set of filters (a plan's scope), None if not held by hour."""
    start_day = hourly_days(query, first_day, last_day)
    if start_day is None:
        return None
    values: list[int] = []
    for day in range(start_day, last_day + 1):
        hours = query.hourly(day, filters)
        if hours is None:
            return None
        values += [t.spend for _, t in hours]
    return HourlySpend(day_start(start_day), tuple(values), until)
