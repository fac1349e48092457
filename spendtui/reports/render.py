"""Report output: aligned tables for people, CSV and JSON for scripts.

JSON (every report)::

    {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "group_by": "model",
     "rows": [{"id": ..., "name": ..., "label": ..., "spend": 1.234567, "requests": ...,
               "prompt_tokens": ..., "completion_tokens": ..., "total_tokens": ...,
               "cache_read_tokens": ..., "cache_creation_tokens": ...}],
     "total": {"spend": ..., "requests": ..., ...}}

``id`` is the identity (the key's hash, the team id, the model, the day...; null for a
row that stands for none: ``(none)``, ``(untagged)``, ``(no project)``). For the older
kinds, ``name`` is what LiteLLM logs (the identity, or the placeholder) and ``label`` what
people call it (key alias, else LiteLLM's ``sk-...abcd`` key name; team alias; customer
alias; else the name itself); key rows add ``key_alias`` and ``key_name`` (null when the
database has none). ``organizations``, ``projects`` and ``agents`` rows have ``id`` and
``name`` (the alias or agent name, else the id) and no ``label``. CSV has the same
columns in this order, except that the older kinds have ``id`` last (scripts that read
their columns by position keep working). ``spend`` is USD with exactly 6 decimals.
The cache-token columns come last in CSV (after ``id``: added later, so scripts that read
columns by position keep working). ``models``, ``keys`` and ``teams`` rows (and their
total) add ``latency_p50_ms``, ``latency_p95_ms``, ``ttft_p50_ms`` and ``ttft_p95_ms``
(milliseconds, one decimal, within 2 % of the exact nearest-rank percentile; null when
unknown: no such request, or a source without request durations), after the cache tokens
in CSV. ``report user`` replaces ``rows`` by ``"user"``, ``"daily"`` and ``"models"`` (rows
shaped as above).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from typing import Any

from spendtui.core.latency import NO_LATENCY, Latency, format_ms
from spendtui.core.measures import Totals
from spendtui.money import format_usd_auto, to_micro_decimal
from spendtui.reports.build import ENTITY_KINDS, LATENCY_KINDS, LATENCY_TOTAL, Report, ReportRow

FORMATS = ("table", "csv", "json")
_NUMBER = re.compile(r'"\\u0000(-?[0-9]+\.[0-9]{6})\\u0000"')
_FIELDS = ("spend", "requests", "prompt_tokens", "completion_tokens", "total_tokens")
#: Prompt-cache tokens (read from the cache, written to it): last in CSV rows.
_CACHE_FIELDS = ("cache_read_tokens", "cache_creation_tokens")


def spend_value(pico: int) -> str:
    """A marker that json.dumps keeps as a string; ``exact_json`` writes the bare number."""
    return f"\x00{to_micro_decimal(pico)}\x00"


def exact_json(doc: Mapping[str, Any]) -> str:
    """``doc`` as indented JSON, each ``spend_value`` a bare number with 6 decimals."""
    return _NUMBER.sub(r"\1", json.dumps(doc, indent=2, ensure_ascii=False))


def _numbers(t: Totals) -> dict[str, Any]:
    return {
        "spend": spend_value(t.spend),
        "requests": t.requests,
        "prompt_tokens": t.prompt_tokens,
        "completion_tokens": t.completion_tokens,
        "total_tokens": t.total_tokens,
        "cache_read_tokens": t.cache_read_tokens,
        "cache_creation_tokens": t.cache_creation_tokens,
    }


#: Latency percentiles in milliseconds (``core.latency``: within 2 %), null when unknown:
#: last in CSV rows of models, keys and teams.
_LATENCY_FIELDS = ("latency_p50_ms", "latency_p95_ms", "ttft_p50_ms", "ttft_p95_ms")


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _latency_values(latency: Latency) -> list[float | None]:
    return [_ms(latency.p50_ms), _ms(latency.p95_ms), _ms(latency.ttft_p50_ms), _ms(latency.ttft_p95_ms)]


def _with_latency(report: Report, group_by: str | None) -> bool:
    return group_by in LATENCY_KINDS and report.sections is None


def _latency_of(report: Report, row_id: str | None) -> Latency:
    """A row's latency (``row_id`` None: the row of requests without a value)."""
    if report.latency is None:
        return NO_LATENCY
    return report.latency.get(row_id if row_id is not None else "", NO_LATENCY)


def _is_key(group_by: str | None) -> bool:
    return group_by == "key"


def _is_entity(group_by: str | None) -> bool:
    return group_by in ENTITY_KINDS


def _json_rows(rows: list[ReportRow], group_by: str | None) -> list[dict[str, Any]]:
    if _is_entity(group_by):
        return [{"id": r.id, "name": r.label, **_numbers(r.totals)} for r in rows]
    if _is_key(group_by):
        return [
            {
                "id": r.id,
                "name": r.name,
                "label": r.label,
                "key_alias": r.key_alias or None,
                "key_name": r.key_name or None,
                **_numbers(r.totals),
            }
            for r in rows
        ]
    return [{"id": r.id, "name": r.name, "label": r.label, **_numbers(r.totals)} for r in rows]


def render_json(report: Report) -> str:
    doc: dict[str, Any] = {
        "start": report.window.first.isoformat(),
        "end": report.window.last.isoformat(),
        "group_by": report.group_by,
    }
    if report.sections is not None:
        doc["user"] = report.subject
        for name, (group_by, rows) in report.sections.items():
            doc[name] = _json_rows(rows, group_by)
    else:
        doc["rows"] = _json_rows(report.rows, report.group_by)
        if _with_latency(report, report.group_by):
            for row, r in zip(doc["rows"], report.rows, strict=True):
                row.update(zip(_LATENCY_FIELDS, _latency_values(_latency_of(report, r.id)), strict=True))
    doc["total"] = _numbers(report.total)
    if _with_latency(report, report.group_by):
        doc["total"].update(zip(_LATENCY_FIELDS, _latency_values(_latency_of(report, LATENCY_TOTAL)), strict=True))
    return exact_json(doc)


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    sections: Mapping[str, tuple[str | None, list[ReportRow]]] = report.sections or {"": (report.group_by, report.rows)}
    with_section = report.sections is not None
    if not with_section and _is_entity(report.group_by):
        writer.writerow(["id", "name", *_FIELDS, *_CACHE_FIELDS])
        for r in report.rows:
            writer.writerow([r.id or "", r.label, *_csv_numbers(r.totals), *_csv_cache(r.totals)])
        if not report.rows:
            writer.writerow(["", "total", *_csv_numbers(report.total), *_csv_cache(report.total)])
        return out.getvalue()
    keys = not with_section and _is_key(report.group_by)
    latency = _with_latency(report, report.group_by)
    writer.writerow(
        (["section"] if with_section else [])
        + ["name", "label"]
        + (["key_alias", "key_name"] if keys else [])
        + [*_FIELDS, "id", *_CACHE_FIELDS]
        + (list(_LATENCY_FIELDS) if latency else [])
    )
    for section, (_, rows) in sections.items():
        for r in rows:
            writer.writerow(
                ([section] if with_section else [])
                + [r.name, r.label]
                + ([r.key_alias, r.key_name] if keys else [])
                + _csv_numbers(r.totals)
                + [r.id or ""]
                + _csv_cache(r.totals)
                + (_csv_latency(_latency_of(report, r.id)) if latency else [])
            )
    if not report.rows and not with_section:
        writer.writerow(["total", "total", *_csv_numbers(report.total), "", *_csv_cache(report.total)])
    return out.getvalue()


def _csv_numbers(t: Totals) -> list[Any]:
    return [str(to_micro_decimal(t.spend)), t.requests, t.prompt_tokens, t.completion_tokens, t.total_tokens]


def _csv_cache(t: Totals) -> list[Any]:
    return [t.cache_read_tokens, t.cache_creation_tokens]


def _csv_latency(latency: Latency) -> list[Any]:
    return ["" if v is None else v for v in _latency_values(latency)]


def _table(title: str, rows: list[ReportRow], total: Totals, latency: dict[str, Latency] | None = None) -> list[str]:
    """The aligned table; with ``latency`` (per row id, ``LATENCY_TOTAL``: the total) p50 and p95
    columns of duration and time to first token."""
    lat = ["p50", "p95", "ttft p50", "ttft p95"] if latency is not None else []

    def lat_cells(row_id: str | None) -> list[str]:
        if latency is None:
            return []
        found = latency.get(row_id if row_id is not None else "", NO_LATENCY)
        return [format_ms(v) for v in (found.p50_ms, found.p95_ms, found.ttft_p50_ms, found.ttft_p95_ms)]

    header = [
        title,
        "spend",
        "share",
        "requests",
        "prompt tok",
        "completion tok",
        "total tok",
        "cache read",
        "cache write",
        *lat,
    ]
    body = []
    for r in rows:
        t = r.totals
        share = f"{t.spend * 100 / total.spend:.1f}%" if total.spend else "-"
        name = r.label if r.label == r.name else f"{r.label} ({_short(r.name)})"
        body.append(
            [
                name,
                format_usd_auto(t.spend),
                share,
                f"{t.requests:,}",
                f"{t.prompt_tokens:,}",
                f"{t.completion_tokens:,}",
                f"{t.total_tokens:,}",
                f"{t.cache_read_tokens:,}",
                f"{t.cache_creation_tokens:,}",
                *lat_cells(r.id),
            ]
        )
    footer = [
        "TOTAL",
        format_usd_auto(total.spend),
        "100.0%" if total.spend else "-",
        f"{total.requests:,}",
        f"{total.prompt_tokens:,}",
        f"{total.completion_tokens:,}",
        f"{total.total_tokens:,}",
        f"{total.cache_read_tokens:,}",
        f"{total.cache_creation_tokens:,}",
        *lat_cells(LATENCY_TOTAL),
    ]
    widths = [max(len(str(row[i])) for row in [header, *body, footer]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = str(cells[0]).ljust(widths[0])
        rest = [str(c).rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(header), rule, *(line(b) for b in body), rule, line(footer)]


def _short(name: str) -> str:
    return name[:10] + "…" if len(name) > 12 else name


def render_table(report: Report) -> str:
    lines = [f"{report.window.label()}"]
    if report.sections is not None:
        lines[0] = f"user {report.subject}: {report.window.label()}"
        for name, (group_by, rows) in report.sections.items():
            lines += ["", *_table(group_by or name, rows, report.total)]
    elif report.group_by is None:
        t = report.total
        lines += [
            f"spend             {format_usd_auto(t.spend)}",
            f"requests          {t.requests:,} ({t.failures:,} failed, {t.cache_hits:,} cache hits)",
            f"prompt tokens     {t.prompt_tokens:,}",
            f"completion tokens {t.completion_tokens:,}",
            f"total tokens      {t.total_tokens:,}",
            f"cache read tokens {t.cache_read_tokens:,} (prompt tokens read from the provider's cache)",
            f"cache write tokens {t.cache_creation_tokens:,} (prompt tokens written to it)",
        ]
    else:
        title = report.group_by.replace("tag:", "") if report.group_by.startswith("tag:") else report.group_by
        latency = report.latency if report.group_by in LATENCY_KINDS else None
        lines += ["", *_table(title, report.rows, report.total, latency)]
        if latency is not None:
            lines.append("Latency: successful requests; TTFT: streamed ones; percentiles within 2 %.")
        if report.group_by.startswith("tag"):
            lines.append("A request with several tags counts once in each; the total counts it once.")
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return render_json(report) + "\n"
    if fmt == "csv":
        return render_csv(report)
    return render_table(report)
