"""Whether a cold load reads the prompt-cache tokens from each request row's metadata.

LiteLLM logs the usage object (with the cache tokens) inside ``metadata``, next to the
model's whole price entry: about 10 kB a row in 1.108.7. Reading that for every row of a
window made a SQLite cold load 7x slower (100k rows: 0.95 s without, 7.1 s with) and
PostgreSQL detoasts every row's. So the newest rows are sampled once: where their
metadata is large, the cache tokens are not read from the logs, and every load says so
(LiteLLM's daily tables have them: ``history: daily``). Small metadata (the demo, a
trimmed or older LiteLLM) is read as before.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from spendtui.sources.db.sql import SpendSql

#: Newest rows sampled, and the average metadata size (bytes) above which it is not read.
SAMPLE_ROWS = 200
LARGE_METADATA = 2048


def usage_decision(conn: Connection, sql: SpendSql) -> str | None:
    """Sample the newest rows' metadata; turn ``sql.metadata_usage`` off when it is large,
    and return the note that says so (None: the cache tokens are read)."""
    if not sql.schema.col("metadata"):
        return None
    size = "length(metadata)" if sql.d.sqlite else "octet_length(metadata::text)"
    newest = "rowid" if sql.d.sqlite else sql.ts
    average = conn.execute(
        text(
            f"SELECT avg({size}) FROM (SELECT metadata FROM {sql.table} "  # noqa: S608
            f"ORDER BY {newest} DESC LIMIT {SAMPLE_ROWS}) AS newest"
        )
    ).scalar()
    conn.rollback()
    if average is None or float(average) <= LARGE_METADATA:
        return None
    sql.metadata_usage = False
    # (short: the status line drops notes that do not fit beside the rest; README says why)
    return f"cache tokens not read ({float(average) / 1024:.1f} kB of metadata a row)"
