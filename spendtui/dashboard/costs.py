"""The Costs pane and the Overview's cost warning (``core.audit_cells``): the audit of the
current slice (window and filters) per model, its total, and what the cache saved."""

from __future__ import annotations

from dataclasses import dataclass

from spendtui.core.audit_cells import AuditTotals
from spendtui.core.query import Filters, Window
from spendtui.dashboard import format as fmt
from spendtui.engine import SpendEngine


@dataclass(frozen=True)
class CostRow:
    model: str
    totals: AuditTotals


@dataclass(frozen=True)
class CostsData:
    """What the Costs pane shows; ``pending`` while the audit is read, ``note`` when it
    cannot be (the proxy's REST API, a read that failed, a bad price file)."""

    rows: tuple[CostRow, ...] = ()
    total: AuditTotals = AuditTotals()
    prices: str = ""
    tolerance: str = ""
    pending: bool = False
    note: str | None = None


def costs(engine: SpendEngine, window: Window, filters: Filters) -> CostsData:
    """The audit of ``window`` under ``filters``, per model, findings first."""
    cells = engine.audit(window.first_day)
    if isinstance(cells, str):
        return CostsData(note=cells)
    if cells is None:
        return CostsData(pending=True)
    found = cells.by("model", window, filters)
    rows = sorted(
        (CostRow(model, totals) for model, totals in found.items()),
        key=lambda r: (-r.totals.findings, -r.totals.logged, r.model),
    )
    prices = engine.prices
    said = "" if prices is None else prices.source + (f" (dated {prices.date})" if prices.date else "")
    return CostsData(tuple(rows), cells.overall(window, filters), said, f"{cells.tolerance}%")


def cost_warning(engine: SpendEngine, window: Window, filters: Filters) -> str | None:
    """What the Overview warns of when the slice has zero-cost or drifted requests
    (``1,204 zero-cost and 87 drifted``); None: none, or not known yet (the audit is read
    after the first screen)."""
    cells = engine.audit(window.first_day)
    if cells is None or isinstance(cells, str):
        return None
    total = cells.overall(window, filters)
    if not (total.zero_cost or total.drifted):
        return None
    parts = [f"{fmt.count(n)} {what}" for n, what in ((total.zero_cost, "zero-cost"), (total.drifted, "drifted")) if n]
    return " and ".join(parts)
