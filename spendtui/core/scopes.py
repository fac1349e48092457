"""A scope written in the config (``team: Alpha``, ``key: my-key``) as query filters.

Budget plans and spend rules name what they count by dimension: several dimensions
combine with AND, several values of one dimension with OR (what ``Filters`` does). The
records hold keys by hash and teams, customers, organizations, projects and agents by id;
a config may name them by alias instead, resolved here through ``Names``.
"""

from __future__ import annotations

import re

from spendtui.core.names import Names
from spendtui.core.questions import Questions
from spendtui.core.selection import Filters

#: (dimension, values) pairs, in the config's order; empty for all spend.
Scope = tuple[tuple[str, tuple[str, ...]], ...]

_HASH = re.compile(r"^[0-9a-f]{64}$")


def describe_scope(scope: Scope) -> str:
    """``all spend`` or ``tag project:web-app, team Alpha``: stable text for a scope."""
    if not scope:
        return "all spend"
    return ", ".join(f"{dim} {' or '.join(values)}" for dim, values in scope)


def _reverse(mapping: dict[str, str], wanted: str) -> list[str]:
    return [ident for ident, label in mapping.items() if label == wanted]


def resolve_value(dim: str, value: str, names: Names) -> list[str]:
    """A scope value as the records hold it: key alias -> hashes; team, customer,
    organization or project alias, or agent name -> ids; anything else as written."""
    aliases = {
        "team": names.team_alias,
        "customer": names.customer_alias,
        "organization": names.organization_alias,
        "project": names.project_alias,
        "agent": names.agent_name,
    }
    if dim == "key" and not _HASH.match(value):
        found = _reverse(names.key_alias, value) or _reverse(names.key_name, value)
    elif dim in aliases:
        found = _reverse(aliases[dim], value)
    else:
        found = []
    return found or [value]


def scope_filters(scope: Scope, names: Names, query: Questions) -> tuple[Filters, tuple[tuple[str, str], ...]]:
    """The scope as query filters, and the (dimension, value) pairs no loaded record has."""
    filters = Filters()
    missing: list[tuple[str, str]] = []
    for dim, values in scope:
        known = set(query.values(dim))
        for value in values:
            resolved = resolve_value(dim, value, names)
            for v in resolved:
                filters = filters.with_value(dim, v)
            if not known.intersection(resolved):
                missing.append((dim, value))
    return filters, tuple(missing)
