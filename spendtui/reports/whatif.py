"""``spendtui report whatif``: the requests of a range re-priced on candidate models
(``core.whatif``), read from LiteLLM's request logs, as a table, CSV or JSON.

JSON: ``{"prices": {"source", "date", "notes"}, "start", "end", "requests", "logged_spend",
"expected_spend", "unpriced_requests", "failed_requests", "unreadable_requests", "modes":
{mode: requests}, "candidates": [{"model", "provider", "mode", "logged_model", "spend",
"saving", "saving_percent", "saving_vs_expected", "expected_requests", "priced_requests",
"unpriced_requests"}...],
"cache_savings": {"cache_hits", "unpriced_cache_hits", "hits_cost_without_cache",
"cache_read_tokens", "cache_read_saving", "cache_creation_tokens", "cache_creation_saving",
"total_saving"}, "notes": [...]}``. Money is USD with 6 decimals (bare JSON numbers);
``requests``, the spends and the candidates leave out cache hits and failed requests.
``saving`` is against what the candidate's priced requests logged; ``saving_vs_expected``
against the expected cost, at their own prices, of those of them that have one
(``expected_requests``). CSV: the candidates only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from spendtui.core.audit_cells import AuditSource
from spendtui.core.price_files import bundled_prices
from spendtui.core.prices import PriceMap, layered
from spendtui.core.whatif import WhatIf
from spendtui.core.whatif_types import CandidateCost, UnknownModel, WhatIfResult, resolve_models
from spendtui.errors import UsageError
from spendtui.money import format_usd_auto
from spendtui.reports.render import exact_json, spend_value

_CSV_FIELDS = (
    "mode",
    "model",
    "provider",
    "logged_model",
    "spend",
    "saving",
    "saving_percent",
    "saving_vs_expected",
    "priced_requests",
    "unpriced_requests",
)


def build_whatif(
    source: AuditSource,
    first_day: int,
    last_day: int,
    given: PriceMap | None,
    models: Sequence[str] | None,
    top: int,
) -> tuple[WhatIfResult, PriceMap]:
    """The what-if of the requests of UTC days ``first_day``..``last_day``, and the prices
    used: ``given`` (``--prices``), then the database's deployment prices, then the bundled
    snapshot, as ``spendtui audit`` lays them. ``models``: the ``--models`` names (a name
    without a price: ``UsageError``, before any request is read)."""
    prices = layered(m for m in (given, source.prices(), bundled_prices()) if m is not None)
    try:
        candidates = None if models is None else resolve_models(prices, models)
    except UnknownModel as exc:
        raise UsageError(f"--models: {exc}") from None
    whatif = WhatIf(prices, candidates, top)
    whatif.add_all(source.audit_requests("model", first_day, last_day))
    return whatif.result(), prices


def _percent(row: CandidateCost) -> float | None:
    percent = row.saving_percent
    return None if percent is None else float(percent)


def _candidate(row: CandidateCost) -> dict[str, Any]:
    vs_expected = row.saving_vs_expected
    return {
        "model": row.model,
        "provider": row.provider,
        "mode": row.mode,
        "logged_model": row.logged_model,
        "spend": spend_value(row.spend),
        "saving": spend_value(row.saving),
        "saving_percent": _percent(row),
        "saving_vs_expected": None if vs_expected is None else spend_value(vs_expected),
        "expected_requests": row.expected_requests,
        "priced_requests": row.priced_requests,
        "unpriced_requests": row.unpriced_requests,
    }


def render_whatif_json(result: WhatIfResult, prices: PriceMap, first: date, last: date) -> str:
    cache = result.cache
    doc = {
        "prices": {"source": prices.source, "date": prices.date, "notes": list(prices.notes)},
        "start": first.isoformat(),
        "end": last.isoformat(),
        "requests": result.requests,
        "logged_spend": spend_value(result.logged_spend),
        "expected_spend": spend_value(result.expected_spend),
        "unpriced_requests": result.unpriced_requests,
        "failed_requests": result.failed_requests,
        "unreadable_requests": result.unreadable_requests,
        "modes": result.modes,
        "candidates": [_candidate(row) for row in result.candidates],
        "cache_savings": {
            "cache_hits": cache.cache_hits,
            "unpriced_cache_hits": cache.unpriced_cache_hits,
            "hits_cost_without_cache": spend_value(cache.hits_cost),
            "cache_read_tokens": cache.cache_read_tokens,
            "cache_read_saving": spend_value(cache.cache_read_saving),
            "cache_creation_tokens": cache.cache_creation_tokens,
            "cache_creation_saving": spend_value(cache.cache_creation_saving),
            "total_saving": spend_value(cache.total),
        },
        "notes": result.notes,
    }
    return exact_json(doc) + "\n"


def render_whatif_csv(result: WhatIfResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_FIELDS)
    for row in result.candidates:
        values = {**_candidate(row), "logged_model": "yes" if row.logged_model else ""}
        values["saving_percent"] = row.saving_percent  # (as printed: 65.60, not 65.6)
        writer.writerow(["" if values[f] is None else str(values[f]).strip("\x00") for f in _CSV_FIELDS])
    return out.getvalue()


def render_whatif_table(result: WhatIfResult, prices: PriceMap, first: date, last: date) -> str:
    """Per mode, the candidates cheapest first; then the cache savings and the notes."""
    unpriced = f" ({result.unpriced_requests:,} on models without a price)" if result.unpriced_requests else ""
    lines = [
        f"What-if {first} .. {last} (UTC): {result.requests:,} requests re-priced, "
        f"logged {format_usd_auto(result.logged_spend)}, expected at their own prices "
        f"{format_usd_auto(result.expected_spend)}{unpriced}",
        f"Prices: {prices.source}" + (f" (dated {prices.date})" if prices.date else ""),
    ]
    lines += [f"  note: {n}" for n in prices.notes]
    head = ["model", "provider", "spend", "saving", "saving %", "vs expected", "priced"]
    for mode, count in result.modes.items():
        rows = [r for r in result.candidates if r.mode == mode]
        lines += ["", f"{mode}: {count:,} requests, cheapest first (* = a logged model, at its own price)"]
        table = [head]
        for r in rows:
            percent = r.saving_percent
            vs_expected = r.saving_vs_expected
            table.append(
                [
                    ("* " if r.logged_model else "  ") + r.model,
                    r.provider or "",
                    format_usd_auto(r.spend),
                    format_usd_auto(r.saving),
                    "" if percent is None else f"{percent}%",
                    "" if vs_expected is None else format_usd_auto(vs_expected),
                    f"{r.priced_requests:,}" if r.priced_requests == count else f"{r.priced_requests:,} of {count:,}",
                ]
            )
        lines += _columns(table)
    lines += ["", *_cache_lines(result)]
    others = [r for r in result.candidates if r.mode not in result.modes]
    if others:
        lines.append("No request of their mode: " + ", ".join(f"{r.model} ({r.mode})" for r in others))
    if result.notes:
        lines += ["", "Notes:", *(f"  {n}" for n in result.notes)]
    return "\n".join(lines) + "\n"


def _columns(table: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        "  " + "  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in table
    ]


def _cache_lines(result: WhatIfResult) -> list[str]:
    cache = result.cache
    lines = ["Cache savings (at each request's own model's price):"]
    hits = f"  {cache.cache_hits:,} cache hits would have cost {format_usd_auto(cache.hits_cost)} without the cache"
    if cache.unpriced_cache_hits:
        hits += f" ({cache.unpriced_cache_hits:,} of them without a price: not counted)"
    lines.append(hits)
    lines.append(
        f"  {cache.cache_read_tokens:,} cache-read tokens saved {format_usd_auto(cache.cache_read_saving)} "
        "against the input rate"
    )
    creation = cache.cache_creation_saving
    if creation < 0:
        what = f"cost {format_usd_auto(-creation)} more than plain input (the cache-write premium)"
    else:
        what = f"saved {format_usd_auto(creation)} against the input rate"
    lines.append(f"  {cache.cache_creation_tokens:,} cache-write tokens {what}")
    lines.append(f"  total saved by the cache: {format_usd_auto(cache.total)}")
    return lines
