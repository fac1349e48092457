"""SQL ground truth, written independently of spendtui: plain GROUP BY per question.

Each function returns {name: (spend_usd_float, requests, prompt, completion, total)}
for rows whose request time falls in [start, end] (inclusive UTC days), using only
rows with usable spend (0 <= spend <= 1e6), as spendtui documents.

Organization, project and agent (``Truth.owners``) follow LiteLLM 1.108's attribution:
organization = the log row's organization_id, else its key's (live, else deleted), else
its team's (live, else deleted); project = its key's; agent = the row's agent_id, else its
key's. Written as LEFT JOINs on the key and team tables and their deleted twins.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import create_engine, text

MEASURES = (
    "sum(spend), count(*), sum(coalesce(prompt_tokens,0)), sum(coalesce(completion_tokens,0)), "
    "sum(coalesce(total_tokens, coalesce(prompt_tokens,0) + coalesce(completion_tokens,0)))"
)


#: The owners of a log row ``l`` joined with its key ``k`` (deleted: ``dk``) and team ``t``
#: (deleted: ``dt``); '' counts as none.
OWNER_SQL = {
    "organization": "COALESCE(NULLIF(l.organization_id, ''), NULLIF(k.organization_id, ''), "
    "NULLIF(dk.organization_id, ''), NULLIF(t.organization_id, ''), NULLIF(dt.organization_id, ''))",
    "project": "COALESCE(NULLIF(k.project_id, ''), NULLIF(dk.project_id, ''))",
    "agent": "COALESCE(NULLIF(l.agent_id, ''), NULLIF(k.agent_id, ''), NULLIF(dk.agent_id, ''))",
}
#: A deleted key or team counts only when no live one has its id (one row per id).
OWNER_JOINS = """
LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = l.api_key
LEFT JOIN (SELECT token, max(organization_id) AS organization_id, max(project_id) AS project_id,
           max(agent_id) AS agent_id FROM "LiteLLM_DeletedVerificationToken" GROUP BY token) dk
       ON dk.token = l.api_key AND k.token IS NULL
LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = l.team_id
LEFT JOIN (SELECT team_id, max(organization_id) AS organization_id FROM "LiteLLM_DeletedTeamTable"
           GROUP BY team_id) dt
       ON dt.team_id = l.team_id AND t.team_id IS NULL
"""
#: Log columns with the row alias, for grouping next to an owner.
MODEL_SQL = "CASE WHEN coalesce(l.model_group, '') = '' THEN l.model ELSE l.model_group END"


class Truth:
    """Ground-truth queries against one database (sqlite or postgresql, litellm or compact)."""

    def __init__(self, url: str, layout: str = "litellm") -> None:
        self.url = url
        self.layout = layout
        self.pg = url.startswith("postgresql")
        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        self.ts = '"startTime"' if layout == "litellm" else "created_at"

    def _where(self, start: date, end: date, row: str = "") -> tuple[str, dict]:
        lo = start.isoformat()
        hi = (end + timedelta(days=1)).isoformat()
        cast = "CAST(:lo AS timestamp)" if self.pg else ":lo"
        cast_hi = "CAST(:hi AS timestamp)" if self.pg else ":hi"
        ts, spend = f"{row}{self.ts}", f"{row}spend"
        return (
            f"{ts} >= {cast} AND {ts} < {cast_hi} AND {spend} >= 0 AND {spend} <= 1000000",
            {"lo": lo, "hi": hi},
        )

    def _run(self, sql: str, params: dict) -> dict:
        with self.engine.connect() as conn:
            rows = conn.execute(text(sql), params).fetchall()
        return {
            (r[0] if r[0] not in (None, "") else "(none)"): (
                float(r[1] or 0),
                int(r[2] or 0),
                int(r[3] or 0),  # (sums over no rows are NULL)
                int(r[4] or 0),
                int(r[5] or 0),
            )
            for r in rows
        }

    def total(self, start: date, end: date) -> tuple:
        where, params = self._where(start, end)
        got = self._run(f"SELECT 'total', {MEASURES} FROM \"LiteLLM_SpendLogs\" WHERE {where}", params)
        return got.get("total", (0.0, 0, 0, 0, 0))

    def by(self, column_sql: str, start: date, end: date) -> dict:
        where, params = self._where(start, end)
        sql = f'SELECT {column_sql} AS g, {MEASURES} FROM "LiteLLM_SpendLogs" WHERE {where} GROUP BY 1'
        merged: dict = {}
        for name, vals in self._run(sql, params).items():
            old = merged.get(name)
            merged[name] = vals if old is None else tuple(a + b for a, b in zip(old, vals, strict=True))
        return merged

    def model(self, start: date, end: date) -> dict:
        if self.layout == "compact":
            return self.by("model_group", start, end)
        return self.by("CASE WHEN coalesce(model_group, '') = '' THEN model ELSE model_group END", start, end)

    def daily(self, start: date, end: date) -> dict:
        expr = f"to_char({self.ts}, 'YYYY-MM-DD')" if self.pg else f"substr({self.ts}, 1, 10)"
        return self.by(expr, start, end)

    def tags(self, start: date, end: date, prefix: str | None = None) -> dict:
        where, params = self._where(start, end)
        if self.pg:
            each = "jsonb_array_elements_text(coalesce(request_tags, '[]'::jsonb))"
            source = f'"LiteLLM_SpendLogs", LATERAL {each} AS j(value)'
            empty = "coalesce(jsonb_array_length(request_tags), 0) = 0"
        else:
            source = "\"LiteLLM_SpendLogs\", json_each(coalesce(request_tags, '[]')) AS j"
            empty = "coalesce(json_array_length(request_tags), 0) = 0"
        value = "j.value"
        cond = ""
        if prefix:
            value = f"trim(substr(j.value, {len(prefix) + 2}))"
            cond = f" AND j.value LIKE '{prefix}:%'"
        sql = f"SELECT {value}, {MEASURES} FROM {source} WHERE {where}{cond} GROUP BY 1"
        out = self._run(sql, params)
        if prefix:
            # requests with tags but none of the category: "(no <prefix>)"; without tags: "(untagged)"
            if self.pg:
                inner = "jsonb_array_elements_text(coalesce(request_tags, '[]'::jsonb)) AS k(value)"
            else:
                inner = "json_each(coalesce(request_tags, '[]')) AS k"
            lacking = f"NOT ({empty}) AND NOT EXISTS (SELECT 1 FROM {inner} WHERE k.value LIKE '{prefix}:%')"
            label = f"(no {prefix})"
            none_of = self._run(
                f"SELECT '{label}', {MEASURES} FROM \"LiteLLM_SpendLogs\" WHERE {where} AND {lacking}", params
            )
            if none_of.get(label, (0, 0))[1]:
                out[label] = none_of[label]
        untagged = self._run(
            f"SELECT '(untagged)', {MEASURES} FROM \"LiteLLM_SpendLogs\" WHERE {where} AND {empty}",
            params,
        )
        if untagged.get("(untagged)", (0, 0))[1]:
            out["(untagged)"] = untagged["(untagged)"]
        return out

    def owners(
        self,
        dim: str,
        start: date,
        end: date,
        *,
        only: tuple[str, str] | None = None,
        group_sql: str | None = None,
    ) -> dict:
        """Per organization, project or agent id (``OWNER_SQL``); ``only=(dim, id)`` keeps
        the rows one owner ('' for none) has; ``group_sql`` groups by another expression
        over ``l`` (e.g. ``MODEL_SQL``) instead."""
        where, params = self._where(start, end, "l.")
        if only is not None:
            where += f" AND COALESCE({OWNER_SQL[only[0]]}, '') = :only"
            params["only"] = only[1]
        measures = (
            "sum(l.spend), count(*), sum(coalesce(l.prompt_tokens,0)), sum(coalesce(l.completion_tokens,0)), "
            "sum(coalesce(l.total_tokens, coalesce(l.prompt_tokens,0) + coalesce(l.completion_tokens,0)))"
        )
        sql = (
            f"SELECT {group_sql or OWNER_SQL[dim]} AS g, {measures} "
            f'FROM "LiteLLM_SpendLogs" l {OWNER_JOINS} WHERE {where} GROUP BY 1'
        )
        return self._run(sql, params)

    def owner_names(self, dim: str) -> dict[str, str]:
        """id -> alias or name, from the organization, project or agent table."""
        table, ident, name = {
            "organization": ("LiteLLM_OrganizationTable", "organization_id", "organization_alias"),
            "project": ("LiteLLM_ProjectTable", "project_id", "project_alias"),
            "agent": ("LiteLLM_AgentsTable", "agent_id", "agent_name"),
        }[dim]
        with self.engine.connect() as conn:
            return {r[0]: r[1] for r in conn.execute(text(f'SELECT {ident}, {name} FROM "{table}"'))}
