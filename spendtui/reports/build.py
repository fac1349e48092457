"""Build report data from the engine's cube: rows that add up to the total."""

from __future__ import annotations

from dataclasses import dataclass

from spendtui.core.dims import is_placeholder
from spendtui.core.latency import Latency
from spendtui.core.measures import Totals
from spendtui.core.names import Names
from spendtui.core.query import NO_FILTERS, Filters, Window
from spendtui.core.questions import Questions

#: ``spendtui report KIND`` -> breakdown dimension (None: total only; "day": daily rows).
REPORT_KINDS: dict[str, str | None] = {
    "spend": None,
    "daily": "day",
    "models": "model",
    "providers": "provider",
    "tags": "tag",
    "keys": "key",
    "users": "user",
    "teams": "team",
    "customers": "customer",
    "organizations": "organization",
    "projects": "project",
    "agents": "agent",
}
#: Kinds whose rows are ``id`` and ``name`` only (no ``label``: they came after it).
ENTITY_KINDS = ("organization", "project", "agent")
#: Kinds whose rows carry latency percentiles (``latency_p50_ms``...).
LATENCY_KINDS = ("model", "key", "team")
#: ``Report.latency``'s key of the total (no value of a dimension can be it).
LATENCY_TOTAL = "\x00total"


@dataclass(frozen=True)
class ReportRow:
    """``name`` is the identity LiteLLM logs (key hash, team id...), or what a row without
    one stands for (``(none)``, ``(untagged)``); ``label`` is for people (key alias, else
    LiteLLM's ``sk-...abcd`` key name; team, customer, organization and project aliases,
    agent names; else the name). ``id`` is the identity alone: None for a row without one.
    Key rows also carry the alias and key name themselves ("" when unknown)."""

    name: str
    label: str
    totals: Totals
    key_alias: str = ""
    key_name: str = ""
    id: str | None = None


@dataclass(frozen=True)
class Report:
    window: Window
    group_by: str | None
    rows: list[ReportRow]
    total: Totals
    #: Extra sections (``report user``): name -> (group_by, rows).
    sections: dict[str, tuple[str, list[ReportRow]]] | None = None
    subject: str | None = None
    notes: tuple[str, ...] = ()
    #: Latency per row value (``""``: the row of requests without one) and of the total
    #: (``LATENCY_TOTAL``) for ``LATENCY_KINDS``; None where
    #: the source has none (every latency field is then null).
    latency: dict[str, Latency] | None = None


def _rows(
    query: Questions, dimension: str, window: Window, filters: Filters, names: Names
) -> tuple[list[ReportRow], tuple[str, ...]]:
    """The rows, and what is missing from them (a fact set's flagged partial answer)."""
    if dimension == "day":
        days = query.daily(window, filters)
        return [ReportRow(d.isoformat(), d.isoformat(), t, id=d.isoformat()) for d, t in days], ()
    base = dimension.split(":", 1)[0]
    groups = query.breakdown(dimension, window, filters)
    rows = []
    for g in groups:
        if is_placeholder(g.value, dimension):
            rows.append(ReportRow(g.name, g.name, g.totals))
        elif base == "key":
            alias, key_name = names.key_alias.get(g.value, ""), names.key_name.get(g.value, "")
            rows.append(ReportRow(g.name, names.label(base, g.value), g.totals, alias, key_name, id=g.value))
        elif base == "user":  # (reports only: the dashboard shows user ids)
            rows.append(ReportRow(g.name, names.user_alias.get(g.value) or g.value, g.totals, id=g.value))
        else:
            rows.append(ReportRow(g.name, names.label(base, g.value), g.totals, id=g.value))
    return rows, groups.caveats


def build_report(
    query: Questions,
    kind: str,
    window: Window,
    names: Names,
    *,
    tag_prefix: str | None = None,
    filters: Filters = NO_FILTERS,
    notes: tuple[str, ...] = (),
) -> Report:
    """The report ``kind`` over ``window``; ``tag_prefix`` narrows ``tags`` to one category."""
    if kind not in REPORT_KINDS:
        raise ValueError(f"unknown report {kind!r}")
    dimension = REPORT_KINDS[kind]
    if tag_prefix is not None:
        if kind != "tags":
            raise ValueError("--tag-prefix only applies to the tags report")
        dimension = f"tag:{tag_prefix}"
    total = query.totals(window, filters)
    rows, caveats = _rows(query, dimension, window, filters, names) if dimension else ([], ())
    group_by = dimension
    return Report(window, group_by, rows, total, notes=notes + caveats)


def build_user_report(
    query: Questions, user_id: str, window: Window, names: Names, notes: tuple[str, ...] = ()
) -> Report:
    """One internal user's total, daily rows and model rows."""
    filters = Filters(user=frozenset({user_id}))
    total = query.totals(window, filters)
    daily, _ = _rows(query, "day", window, filters, names)
    models, caveats = _rows(query, "model", window, filters, names)
    return Report(
        window,
        "user",
        [],
        total,
        sections={"daily": ("day", daily), "models": ("model", models)},
        subject=user_id,
        notes=notes + caveats,
    )
