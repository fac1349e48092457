"""The Entities pane's sessions and MCP tools: ranked by the source for the window
(``core.top``), filtered like every pane, and a session's drill-down."""

from __future__ import annotations

from spendtui.core.facts import NotExact
from spendtui.core.measures import ZERO
from spendtui.core.query import Filters, Query, Window
from spendtui.core.top import TOP_TTL, TopCells
from spendtui.core.totals import Totals
from spendtui.dashboard.model import TableData, TableRow
from spendtui.engine import SpendEngine
from spendtui.errors import SourceError

#: The most sessions or tools the table lists (the biggest spenders; the caveat says how
#: many there were).
TOP_ROWS = 500
PLURAL = {"session": "sessions", "tool": "tools"}


def _cells(engine: SpendEngine, dimension: str, window: Window) -> TopCells:
    return engine.top_cells(dimension, window.first_day, window.last_day)


def top_table(engine: SpendEngine, dimension: str, window: Window, filters: Filters) -> TableData:
    """The ``TOP_ROWS`` sessions or tools with the most spend in the window and filters;
    a source that cannot say (the REST API, an older database) gives its reason."""
    try:
        cells = _cells(engine, dimension, window)
    except (NotExact, SourceError) as exc:
        return TableData(dimension, [], ZERO, refusal=str(exc))
    answer = cells.rank(TOP_ROWS, window, filters)
    total = Query(cells.cells).totals(window, filters)
    rows = [
        TableRow(
            value=r.id,
            label=r.id,
            totals=Totals(
                spend=r.spend,
                requests=r.requests,
                prompt_tokens=r.prompt_tokens,
                completion_tokens=r.completion_tokens,
                total_tokens=r.total_tokens,
                failures=r.failures,
                cache_hits=r.cache_hits,
                cache_read_tokens=r.cache_read_tokens,
                cache_creation_tokens=r.cache_creation_tokens,
            ),
            share=(r.spend / total.spend) if total.spend else 0.0,
            previous_spend=None,
        )
        for r in answer.rows
    ]
    shown = f"the {len(rows):,} biggest of {answer.groups:,} " if answer.groups > len(rows) else ""
    caveat = f"{shown}{PLURAL[dimension]}, read from the request logs every {TOP_TTL:.0f} s"
    return TableData(dimension, rows, total, caveats=(caveat[0].upper() + caveat[1:],))


def top_query(engine: SpendEngine, dimension: str, value: str, window: Window) -> Query:
    """Questions over one session's or tool's requests in the window (its drill-down)."""
    try:
        return _cells(engine, dimension, window).of(value)
    except (NotExact, SourceError) as exc:
        raise NotExact(str(exc)) from None
