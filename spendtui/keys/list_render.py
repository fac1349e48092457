"""``spendtui keys list`` output: an aligned table for people, CSV and JSON for scripts.

JSON::

    {"listed_at": "2026-11-27T12:00:00Z", "count": 1,
     "keys": [{"token": "<sha256>", "key_alias": "web-prod", "key_name": "sk-...abcd",
               "team_id": "team-1", "team": "Web", "user_id": "ana", "spend": 41.500000,
               "max_budget": 50.000000, "soft_budget": 40.000000, "budget_duration": "30d",
               "budget_reset_at": "2026-12-01T00:00:00Z", "next_reset": "2026-12-01T00:00:00Z",
               "next_reset_assumed": false, "reset_overdue": false, "percent_used": 83.00,
               "percent_of": "max_budget", "blocked": false, "expires": null, "expired": false}],
     "unknown_fields": [], "notes": []}

Money is USD with six decimals, or more when LiteLLM's counter has them: always exact.
Times are UTC. ``percent_used`` is of the max budget, else of the soft budget
(``percent_of``); null without a limit or for a $0 limit with spend. Fields the source
cannot tell (a simplified table lacks their columns) are null in JSON and listed in
``unknown_fields``; CSV says ``unknown``; the table ``?``. CSV has the same columns as a
key object. The raw key is never output: only LiteLLM's ``sk-...abcd`` form and the
stored hash (``token``; left empty if a database holds raw keys there).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from spendtui.core.names import abbreviate_hash
from spendtui.keys.listing import KeyList, ListedKey
from spendtui.money import format_usd_auto, to_decimal, to_micro_decimal

FORMATS = ("table", "csv", "json")
FIELDS = (
    "token",
    "key_alias",
    "key_name",
    "team_id",
    "team",
    "user_id",
    "spend",
    "max_budget",
    "soft_budget",
    "budget_duration",
    "budget_reset_at",
    "next_reset",
    "next_reset_assumed",
    "reset_overdue",
    "percent_used",
    "percent_of",
    "blocked",
    "expires",
    "expired",
)
#: What the table shows for a field the source cannot tell.
UNKNOWN = "?"
_NUMBER = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)\\u0000"')


class _Usd(str):
    """A USD amount or a percentage as exact decimal text (a bare number in JSON)."""


def _usd(pico: int | None) -> _Usd | None:
    """Six decimals like ``spendtui check``, more when LiteLLM's counter has them (exact)."""
    if pico is None:
        return None
    micro, exact = to_micro_decimal(pico), to_decimal(pico)
    return _Usd(micro if micro == exact else format(exact.normalize(), "f"))


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _percent(k: ListedKey, places: int = 2, rounding: str = ROUND_HALF_EVEN) -> Decimal | None:
    """spend / limit as a percentage, rounded from the exact fraction (half-even for JSON
    and CSV; the table rounds down, the app's rule: 79.96 % is not yet "80.0%")."""
    if k.used is None:
        return None
    share = k.used * 100
    return (Decimal(share.numerator) / Decimal(share.denominator)).quantize(Decimal(1).scaleb(-places), rounding)


#: Output fields and the BudgetState fields they are made of: unknown when any is.
_MADE_OF = {
    "key_alias": ("alias",),
    "key_name": ("key_name",),
    "team_id": ("team_id",),
    "team": ("team_id",),
    "user_id": ("user_id",),
    "spend": ("spend",),
    "max_budget": ("max_budget",),
    "soft_budget": ("soft_budget",),
    "budget_duration": ("budget_duration",),
    "budget_reset_at": ("budget_reset_at",),
    "next_reset": ("budget_duration",),
    "next_reset_assumed": ("budget_duration",),
    "reset_overdue": ("budget_duration",),
    "percent_used": ("spend", "max_budget"),
    "percent_of": ("spend", "max_budget"),
    "blocked": ("blocked",),
    "expires": ("expires",),
    "expired": ("expires",),
}


def unknown_fields(unknown: frozenset[str]) -> set[str]:
    """Output fields a source with these unknown BudgetState fields cannot fill."""
    return {f for f, parts in _MADE_OF.items() if unknown.intersection(parts)}


def key_fields(k: ListedKey, unknown: frozenset[str] = frozenset()) -> dict[str, Any]:
    """One key as output fields; None for what the source cannot tell."""
    s, b = k.state, k.budget
    fields = {
        "token": k.token,
        "key_alias": s.alias,
        "key_name": k.key_name,
        "team_id": s.team_id,
        "team": k.team,
        "user_id": s.user_id,
        "spend": _usd(s.spend),
        "max_budget": _usd(s.max_budget),
        "soft_budget": _usd(s.soft_budget),
        "budget_duration": s.budget_duration,
        "budget_reset_at": _time(s.budget_reset_at),
        "next_reset": _time(b.window.end),
        "next_reset_assumed": b.window.assumed,
        "reset_overdue": b.reset_overdue,
        "percent_used": None if k.used is None else _Usd(_percent(k)),
        "percent_of": None if b.limit is None else ("soft_budget" if b.limit_is_soft else "max_budget"),
        "blocked": s.blocked,
        "expires": _time(s.expires),
        "expired": k.expired,
    }
    for name in unknown_fields(unknown):
        fields[name] = None
    if k.token is None:  # a raw key stored as the token: its sk-...abcd form is known
        fields["key_name"] = k.key_name
    return fields


def render_json(listing: KeyList, keys: list[ListedKey]) -> str:
    def number(value: Any) -> Any:
        return f"\x00{value}\x00" if isinstance(value, _Usd) else value

    doc = {
        "listed_at": _time(listing.listed_at),
        "count": len(keys),
        "keys": [{f: number(v) for f, v in key_fields(k, listing.unknown).items()} for k in keys],
        "unknown_fields": sorted(unknown_fields(listing.unknown)),
        "notes": list(listing.notes),
    }
    return _NUMBER.sub(r"\1", json.dumps(doc, indent=1, ensure_ascii=False)) + "\n"


def render_csv(listing: KeyList, keys: list[ListedKey]) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    unknown = unknown_fields(listing.unknown)
    for k in keys:
        fields = key_fields(k, listing.unknown)
        writer.writerow(["unknown" if f in unknown and fields[f] is None else cell(fields[f]) for f in FIELDS])
    return out.getvalue()


def _money(pico: int | None) -> str:
    return "-" if pico is None else format_usd_auto(pico)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def _row(k: ListedKey, unknown: frozenset[str]) -> list[str]:
    s, b = k.state, k.budget
    if b.window.end is None:
        resets = "never" if s.budget_duration is None else "-"
    else:
        resets = _when(b.window.end) + (" overdue" if b.reset_overdue else " assumed" if b.window.assumed else "")
    if k.over_zero_limit:
        used = "$0 limit"
    elif k.used is None:
        used = "-"
    else:
        used = f"{_percent(k, 1, ROUND_FLOOR)}%" + (" soft" if b.limit_is_soft else "")
    expires = "never" if s.expires is None else _when(s.expires) + (" expired" if k.expired else "")
    cells = {
        "key_alias": s.alias or "-",
        "key_name": k.key_name or abbreviate_hash(k.token or ""),
        "team": k.team or "-",
        "user_id": s.user_id or "-",
        "spend": _money(s.spend),
        "max_budget": _money(s.max_budget),
        "budget_duration": s.budget_duration or "-",
        "next_reset": resets,
        "percent_used": used,
        "soft_budget": _money(s.soft_budget),
        "blocked": "yes" if s.blocked else "-",
        "expires": expires,
    }
    hidden = unknown_fields(unknown) - {"key_name"}  # without a stored name the hash stands in
    return [UNKNOWN if name in hidden else text for name, text in cells.items()]


def render_table(listing: KeyList, keys: list[ListedKey], total: int) -> str:
    shown = f"{len(keys)} of {total}" if len(keys) != total else str(total)
    lines = [f"virtual keys at {listing.listed_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {shown}"]
    if keys:
        header = ["alias", "key", "team", "user", "spend", "max budget", "duration", "next reset (UTC)"]
        header += ["used", "soft budget", "blocked", "expires (UTC)"]
        body = [_row(k, listing.unknown) for k in keys]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        right = {4, 5, 8, 9}

        def line(cells: list[str]) -> str:
            out = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
            return "  ".join(out).rstrip()

        lines += ["", line(header), "  ".join("-" * w for w in widths), *(line(r) for r in body)]
    lines += [f"note: {n}" for n in listing.notes]
    return "\n".join(lines) + "\n"
