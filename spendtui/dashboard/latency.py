"""Latency for the dashboard: the percentile columns of the Models, Keys and Teams
tables and the Charts pane's daily series (``core.latency_cells``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from spendtui.core.facts import NotExact
from spendtui.core.latency import NO_LATENCY, Latency
from spendtui.core.latency_cells import LatencyCells
from spendtui.core.query import Filters, Window
from spendtui.dashboard.model import TableData
from spendtui.engine import SpendEngine
from spendtui.errors import SourceError

#: The tables that show latency columns.
LATENCY_DIMENSIONS = ("model", "key", "team")


def _cells(engine: SpendEngine, window: Window) -> LatencyCells | str:
    """The engine's latency cells for the window, or why there are none."""
    try:
        return engine.latency_cells(window.first_day)
    except (NotExact, SourceError) as exc:
        return str(exc)


def with_latency(engine: SpendEngine, data: TableData, window: Window, filters: Filters) -> TableData:
    """``data`` (a model, key or team table) with each row's latency; unchanged where the
    source has none (the table then has no latency columns)."""
    if data.dimension not in LATENCY_DIMENSIONS or data.refusal is not None:
        return data
    cells = _cells(engine, window)
    if isinstance(cells, str):
        return data
    found = cells.by(data.dimension, window, filters)
    rows = [replace(r, latency=found.get(r.value, NO_LATENCY)) for r in data.rows]
    return replace(data, rows=rows, latency=True)


def daily_latency(
    engine: SpendEngine, window: Window, filters: Filters
) -> tuple[list[tuple[date, Latency]] | None, str | None]:
    """Each day's latency in the window under ``filters``, or None and why not."""
    cells = _cells(engine, window)
    if isinstance(cells, str):
        return None, cells
    return cells.daily(window, filters), None
