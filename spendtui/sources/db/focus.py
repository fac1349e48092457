"""The requests of a FOCUS export (``core.focus``), read from LiteLLM's request logs.

Each request as the audit reads it (``sources.db.audit``: model, tokens, cache and
reasoning tokens, logged spend), with its charge period (the UTC day, or hour, of its
request time: the cube's ``SpendSql.bucket_expr``), key, team and raw tags; priced and
summed in ``core.focus``. SQLite is read in the cold load's rowid chunks, PostgreSQL
streamed, as the audit reads them.
"""

from __future__ import annotations

from spendtui.core.audit import Pricing
from spendtui.core.focus import FocusGroups
from spendtui.sources.db.access import DatabaseAccess
from spendtui.sources.db.audit import read_audit_columns_with

#: ``:hourly_from`` for ``SpendSql.bucket_expr`` when every bucket is an hour: before any
#: request (SQLite compares text and numbers with it as it compares the column's values).
_ALWAYS = {"sqlite": "0", "postgresql": "0001-01-01"}


def read_focus_groups(
    source: DatabaseAccess, first_day: int, last_day: int, hourly: bool, pricing: Pricing
) -> FocusGroups:
    """Every request of UTC days ``first_day``..``last_day`` summed per ``FocusKey``."""
    sql = source.sql
    extra = [sql.bucket_expr(), sql._coalesced("api_key"), sql._coalesced("team_id"), sql.tags_expr()]
    params = {"hourly_from": _ALWAYS[sql.d.name]} if hourly else {}
    groups = FocusGroups()
    for cols, models, (periods, keys, teams, tags) in read_audit_columns_with(
        source, first_day, last_day, extra, params
    ):
        groups.add(cols, models, periods, keys, teams, tags, pricing)
    return groups
