"""``spendtui audit`` output: the price lookup that feeds ``core.audit``, and the table,
CSV and JSON forms of its answer.

JSON: ``{"prices": {"source", "date", "notes"}, "by", "start", "end", "tolerance_percent",
"rows": [{<by>, "requests", "logged_spend", "expected_spend", "difference",
"difference_percent", "zero_cost_requests", "drifted_requests", "unpriced_requests",
"unpriced_spend", "unreadable_spend", "unpriced_models", "examples": [...], "id", "name"}],
"total": {...}}``: ``id`` is the row's value (null for requests without one), ``name`` what
people call it (``group_name``: the key, team, user or customer alias, else the id). CSV
has the same columns, ``name`` last (added later: columns read by position stay put).
Money is USD with 6 decimals (bare JSON numbers, exact); ``expected_spend`` and the
difference cover the requests with a price (``unpriced_spend`` is what the others logged).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from spendtui.core.audit import Audit, AuditRow, Example
from spendtui.core.names import Names
from spendtui.core.prices import PriceMap
from spendtui.money import format_usd_auto
from spendtui.reports.render import exact_json, spend_value

_FIELDS = (
    "requests",
    "logged_spend",
    "expected_spend",
    "difference",
    "difference_percent",
    "zero_cost_requests",
    "drifted_requests",
    "unpriced_requests",
    "unpriced_spend",
    "unreadable_spend",
)


def _percent(row: AuditRow) -> str | None:
    """Logged against expected, in percent of expected (2 decimals); None without any."""
    if row.expected_spend == 0:
        return None
    value = Decimal(row.difference * 100) / Decimal(row.expected_spend)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _example(e: Example) -> dict[str, Any]:
    r = e.request
    return {
        "kind": e.kind,
        "request_id": r.request_id,
        "time": r.start,
        "model": r.model,
        "model_group": r.model_group,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "cache_read_tokens": r.cache_read_tokens,
        "cache_creation_tokens": r.cache_creation_tokens,
        "reasoning_tokens": r.reasoning_tokens,
        "logged_spend": spend_value(r.logged or 0),
        "expected_spend": None if e.expected is None else spend_value(e.expected),
    }


def _numbers(row: AuditRow) -> dict[str, Any]:
    percent = _percent(row)
    return {
        "requests": row.requests,
        "logged_spend": spend_value(row.logged_spend),
        "expected_spend": spend_value(row.expected_spend),
        "difference": spend_value(row.difference),
        "difference_percent": None if percent is None else float(percent),
        "zero_cost_requests": row.zero_cost_requests,
        "drifted_requests": row.drifted_requests,
        "unpriced_requests": row.unpriced_requests,
        "unpriced_spend": spend_value(row.unpriced_spend),
        "unreadable_spend": row.unreadable_spend,
        "unpriced_models": sorted(row.unpriced_models),
    }


def group_name(by: str, value: str, names: Names | None) -> str:
    """What people call an audit row's value: the alias of a key (else LiteLLM's
    ``sk-...abcd`` key name), team, user or customer, else the value; ``(none)`` for none."""
    if not value:
        return "(none)"
    if names is None:
        return value
    found = {
        "key": names.key_alias.get(value) or names.key_name.get(value),
        "team": names.team_alias.get(value),
        "user": names.user_alias.get(value),
        "customer": names.customer_alias.get(value),
    }.get(by)
    return found or value


def render_audit_json(
    audit: Audit, prices: PriceMap, by: str, first: date, last: date, names: Names | None = None
) -> str:
    doc = {
        "prices": {"source": prices.source, "date": prices.date, "notes": list(prices.notes)},
        "by": by,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "tolerance_percent": float(audit.tolerance),
        "rows": [
            {
                by: row.name,
                **_numbers(row),
                "examples": [_example(e) for e in row.examples()],
                "id": row.name or None,
                "name": group_name(by, row.name, names),
            }
            for row in audit.ordered()
        ],
        "total": {**_numbers(audit.total), "examples": [_example(e) for e in audit.total.examples()]},
    }
    return exact_json(doc) + "\n"


def render_audit_csv(audit: Audit, by: str, names: Names | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([by, *_FIELDS, "unpriced_models", "name"])
    for row in [*audit.ordered(), audit.total]:
        numbers = _numbers(row)
        cells = [str(v).strip("\x00") if v is not None else "" for v in (numbers[f] for f in _FIELDS)]
        total = row is audit.total
        label = "(total)" if total else group_name(by, row.name, names)
        writer.writerow([row.name if not total else "(total)", *cells, " ".join(numbers["unpriced_models"]), label])
    return out.getvalue()


def render_audit_table(audit: Audit, prices: PriceMap, by: str, first: date, last: date) -> str:
    """Findings first: a summary line, the rows, then the examples of the findings."""
    total = audit.total
    lines = [
        f"Cost audit {first} .. {last} (UTC), by {by}: {total.requests:,} requests, "
        f"logged {format_usd_auto(total.logged_spend)}",
        f"Prices: {prices.source}" + (f" (dated {prices.date})" if prices.date else ""),
    ]
    lines += [f"  note: {n}" for n in prices.notes]
    if total.findings == 0:
        lines.append(f"All costs check out: every priced request within {audit.tolerance}% of its price.")
    else:
        lines.append(
            f"Findings: {total.zero_cost_requests:,} zero-cost, {total.drifted_requests:,} drifted, "
            f"{total.unpriced_requests:,} unpriced requests (tolerance {audit.tolerance}%)"
        )
    head = [by, "requests", "logged", "expected", "diff", "diff %", "zero-cost", "drifted", "unpriced"]
    table = [head]
    for row in [*audit.ordered(), total]:
        percent = _percent(row)
        table.append(
            [
                row.name if row is not total else "total",
                f"{row.requests:,}",
                format_usd_auto(row.logged_spend),
                format_usd_auto(row.expected_spend),
                format_usd_auto(row.difference),
                "" if percent is None else f"{percent}%",
                f"{row.zero_cost_requests:,}",
                f"{row.drifted_requests:,}",
                f"{row.unpriced_requests:,}",
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    lines.append("")
    for i, cells in enumerate(table):
        if i == len(table) - 1:
            lines.append("  ".join("-" * w for w in widths))
        lines.append(
            "  ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(cells, widths, strict=True)))
        )
    if total.unpriced_models:
        lines += ["", "No price for: " + ", ".join(sorted(total.unpriced_models)) + " (add them with --prices FILE)"]
    examples = total.examples()
    if examples:
        lines += ["", "Largest findings:"]
        for e in examples:
            r = e.request
            expected = "no price" if e.expected is None else format_usd_auto(e.expected)
            lines.append(
                f"  {e.kind:<9} {r.request_id}  {r.start}  {r.model or r.model_group}  "
                f"{r.prompt_tokens:,}+{r.completion_tokens:,} tokens  logged {format_usd_auto(r.logged or 0)}, "
                f"expected {expected}"
            )
    return "\n".join(lines) + "\n"
