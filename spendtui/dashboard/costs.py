"""The Costs pane and the Overview's cost warning (``core.audit_cells``): the audit of the
current slice (window and filters) per model, its total, and what the cache saved."""

from __future__ import annotations

from dataclasses import dataclass

from spendtui.core.audit_cells import AuditTotals
from spendtui.core.query import Filters, Window
from spendtui.core.repricing import Usage
from spendtui.core.whatif import whatif_from_sums
from spendtui.core.whatif_types import Candidate, CandidateCost, ModelUsage
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
    #: What the slice's billable requests would cost on the cheapest models of their
    #: mode and on the models they used (``core.whatif``, from the cells' token sums).
    whatif: tuple[CandidateCost, ...] = ()
    whatif_notes: tuple[str, ...] = ()


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
    candidates: tuple[CandidateCost, ...] = ()
    notes: tuple[str, ...] = ()
    pricing = engine.audit_pricing
    if prices is not None and pricing is not None:
        # the candidates: the models the proxy serves (as priced for the audit), so the
        # question is "what if this slice had gone to each of them"
        models = [Candidate(name, m.price, m.price.litellm_provider) for name, m in sorted(pricing.named.items())]
        result = whatif_from_sums(prices, _usages(found), models=models)
        # (a model is a candidate once; one whose tiered price needs each request's size
        # cannot be priced from sums: the notes name it, `spendtui report whatif` prices it)
        logged = {c.model for c in result.candidates if c.logged_model}
        kept = [c for c in result.candidates if (c.logged_model or c.model not in logged) and c.priced_requests]
        candidates, notes = tuple(kept), tuple(result.notes)
        unpriced = sorted({c.model for c in result.candidates} - {c.model for c in kept})
        if unpriced:
            notes = (f"not priced from summed tokens (tiered prices): {', '.join(unpriced)}", *notes)
    return CostsData(
        tuple(rows), cells.overall(window, filters), said, f"{cells.tolerance}%", False, None, candidates, notes
    )


def _usages(found: dict[str, AuditTotals]) -> list[ModelUsage]:
    """Each model's billable requests (neither cache hits nor failed) and cache hits, as
    summed usage for the what-if."""
    out = []
    for model, t in found.items():
        if not (t.billable or t.hits):
            continue
        usage = Usage(t.prompt, t.completion, t.cache_read, t.cache_creation, t.reasoning, t.billable)
        hits = Usage(t.hit_prompt, t.hit_completion, requests=t.hits) if t.hits else None
        out.append(ModelUsage(model, usage, t.billable_logged, model_group=model, cache_hits=hits))
    return out


def cost_warning(engine: SpendEngine, window: Window, filters: Filters) -> tuple[int, int] | None:
    """The zero-cost and drifted requests of the slice, which the Overview warns of; None:
    none, or not known yet (the audit is read after the first screen)."""
    cells = engine.audit(window.first_day)
    if cells is None or isinstance(cells, str):
        return None
    total = cells.overall(window, filters)
    return (total.zero_cost, total.drifted) if total.zero_cost or total.drifted else None


def warning_text(counts: tuple[int, int]) -> str:
    """``1,204 zero-cost and 87 drifted`` (the kinds there are)."""
    parts = [f"{fmt.count(n)} {what}" for n, what in zip(counts, ("zero-cost", "drifted"), strict=True) if n]
    return " and ".join(parts)
