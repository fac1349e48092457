"""``report sessions`` and ``report tools``: the sessions or MCP tools with the most spend.

JSON::

    {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD", "group_by": "session",
     "rows": [{"id": ..., "name": ..., "spend": 1.234567, "requests": ..., "prompt_tokens": ...,
               "completion_tokens": ..., "total_tokens": ..., "failures": ...,
               "first_seen": "…Z", "last_seen": "…Z", "models": [...],
               "keys": [{"id": <hash>, "label": <alias or sk-...abcd>}],
               "cache_read_tokens": ..., "cache_creation_tokens": ...}],
     "groups": <sessions with requests in the range>, "shown": <rows>,
     "total": {"spend": ..., "requests": ...}, "without": {"spend": ..., "requests": ...}}

``total`` covers every request with a session (or tool), ``without`` the others, so the
two add up to the range's spend. CSV has the row fields in that order, lists joined with
``;``. ``spend`` is USD with exactly 6 decimals.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from spendtui.core.names import Names
from spendtui.core.query import Window
from spendtui.core.top import TopAnswer, TopRow
from spendtui.money import format_usd_auto, to_micro_decimal
from spendtui.reports.render import exact_json, spend_value

CSV_FIELDS = (
    "id",
    "name",
    "spend",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "failures",
    "first_seen",
    "last_seen",
    "models",
    "keys",
    "cache_read_tokens",
    "cache_creation_tokens",
)


def _when(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _row(r: TopRow, names: Names) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.id,
        "spend": spend_value(r.spend),
        "requests": r.requests,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "total_tokens": r.total_tokens,
        "failures": r.failures,
        "first_seen": _when(r.first_seen),
        "last_seen": _when(r.last_seen),
        "models": list(r.models),
        "keys": [{"id": k, "label": names.key(k)} for k in r.keys],
        "cache_read_tokens": r.cache_read_tokens,
        "cache_creation_tokens": r.cache_creation_tokens,
    }


def render_top_json(answer: TopAnswer, window: Window, names: Names) -> str:
    doc = {
        "start": window.first.isoformat(),
        "end": window.last.isoformat(),
        "group_by": answer.dimension,
        "rows": [_row(r, names) for r in answer.rows],
        "groups": answer.groups,
        "shown": len(answer.rows),
        "total": {"spend": spend_value(answer.spend), "requests": answer.requests},
        "without": {"spend": spend_value(answer.spend_without), "requests": answer.requests_without},
    }
    return exact_json(doc) + "\n"


def render_top_csv(answer: TopAnswer, names: Names) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for r in answer.rows:
        writer.writerow(
            [
                r.id,
                r.id,
                str(to_micro_decimal(r.spend)),
                r.requests,
                r.prompt_tokens,
                r.completion_tokens,
                r.total_tokens,
                r.failures,
                _when(r.first_seen) or "",
                _when(r.last_seen) or "",
                ";".join(r.models),
                ";".join(names.key(k) for k in r.keys),
                r.cache_read_tokens,
                r.cache_creation_tokens,
            ]
        )
    return out.getvalue()


def _duration(r: TopRow) -> str:
    if r.first_seen is None or r.last_seen is None:
        return "-"
    seconds = int((r.last_seen - r.first_seen).total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _listed(values: list[str], width: int = 28) -> str:
    text = ", ".join(values)
    return text if len(text) <= width else text[: width - 1] + "…"


def render_top_table(answer: TopAnswer, window: Window, names: Names) -> str:
    title = answer.dimension
    header = [title, "spend", "share", "requests", "tokens", "failed", "first seen (UTC)", "span", "models", "keys"]
    body = []
    for r in answer.rows:
        share = f"{r.spend * 100 / answer.spend:.1f}%" if answer.spend else "-"
        body.append(
            [
                r.id if len(r.id) <= 40 else r.id[:39] + "…",
                format_usd_auto(r.spend),
                share,
                f"{r.requests:,}",
                f"{r.total_tokens:,}",
                f"{r.failures:,}",
                r.first_seen.strftime("%m-%d %H:%M") if r.first_seen else "-",
                _duration(r),
                _listed(list(r.models)),
                _listed([names.key(k) for k in r.keys], 24),
            ]
        )
    lines = [window.label(), ""]
    if body:
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
        left = {0, 8, 9}

        def line(cells: list[str]) -> str:
            return "  ".join(
                c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        lines += [line(header), "  ".join("-" * w for w in widths), *(line(b) for b in body), ""]
    plural = "sessions" if answer.dimension == "session" else "tools"
    lines.append(
        f"{answer.groups:,} {plural} with requests, {format_usd_auto(answer.spend)} over {answer.requests:,} "
        f"requests (top {len(answer.rows):,} shown); without a {answer.dimension}: "
        f"{format_usd_auto(answer.spend_without)} over {answer.requests_without:,} requests"
    )
    if answer.skipped:
        lines.append(f"note: {answer.skipped:,} rows skipped: spend missing, negative, NaN or absurd")
    return "\n".join(lines) + "\n"
