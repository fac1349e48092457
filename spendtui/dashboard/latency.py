"""Latency for the dashboard: the percentile columns of the Models, Keys and Teams
tables and the Charts pane's daily series (``core.latency_cells``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from spendtui.core.latency import NO_LATENCY, Latency
from spendtui.core.latency_cells import NO_LATENCY_SOURCE
from spendtui.core.query import Filters, Window
from spendtui.dashboard.model import TableData
from spendtui.engine import SpendEngine

#: The tables that show latency columns.
LATENCY_DIMENSIONS = ("model", "key", "team")


def with_latency(engine: SpendEngine, data: TableData, window: Window, filters: Filters) -> TableData:
    """``data`` (a model, key or team table) with each row's latency; while it is being
    read, marked pending; unchanged where the source has none (no latency columns)."""
    if data.dimension not in LATENCY_DIMENSIONS or data.refusal is not None:
        return data
    cells = engine.latency(window.first_day)
    if isinstance(cells, str):
        # a source without durations has no latency columns (its reason is on the Charts
        # pane); a read that failed says why here, until it is tried again
        return data if cells == NO_LATENCY_SOURCE else replace(data, caveats=(*data.caveats, cells))
    if cells is None:
        return replace(data, latency=True, latency_pending=True)
    found = cells.by(data.dimension, window, filters)
    rows = [replace(r, latency=found.get(r.value, NO_LATENCY)) for r in data.rows]
    return replace(data, rows=rows, latency=True)


def daily_latency(
    engine: SpendEngine, window: Window, filters: Filters
) -> tuple[list[tuple[date, Latency]] | None, str | None]:
    """Each day's latency in the window under ``filters``; or None and why not (None and
    None while it is being read)."""
    cells = engine.latency(window.first_day)
    if isinstance(cells, str):
        return None, cells
    if cells is None:
        return None, None
    return cells.daily(window, filters), None
