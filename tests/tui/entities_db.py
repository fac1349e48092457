"""A small hand-written LiteLLM database with organizations, projects and agents, and the
plain SQL that says what each of them spent (the ground truth of the tests that use it).

Attribution (LiteLLM 1.108, see spendtui/core/dims.py): a request counts under the
organization its log row names, else its key's, else its team's; under its key's project;
under the agent its row names, else its key's. The rows cover each case: a row with NULL
organization_id whose key has one, one whose key has none but whose team has one, one with
neither, one naming its own organization and agent, and a key no longer in the key table.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

DDL = """
CREATE TABLE "LiteLLM_SpendLogs" (
    request_id TEXT PRIMARY KEY NOT NULL, call_type TEXT NOT NULL, api_key TEXT NOT NULL DEFAULT '',
    spend REAL NOT NULL DEFAULT 0.0, total_tokens INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0,
    "startTime" TEXT NOT NULL, "endTime" TEXT NOT NULL, model TEXT NOT NULL DEFAULT '',
    model_group TEXT DEFAULT '', custom_llm_provider TEXT DEFAULT '', "user" TEXT DEFAULT '',
    metadata TEXT DEFAULT '{}', cache_hit TEXT DEFAULT '', request_tags TEXT DEFAULT '[]',
    team_id TEXT, end_user TEXT, status TEXT, organization_id TEXT, agent_id TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE "LiteLLM_VerificationToken" (
    token TEXT PRIMARY KEY NOT NULL, key_name TEXT, key_alias TEXT, user_id TEXT, team_id TEXT,
    organization_id TEXT, project_id TEXT, agent_id TEXT, spend REAL NOT NULL DEFAULT 0.0
);
CREATE TABLE "LiteLLM_TeamTable" (
    team_id TEXT PRIMARY KEY NOT NULL, team_alias TEXT, organization_id TEXT, spend REAL NOT NULL DEFAULT 0.0
);
CREATE TABLE "LiteLLM_OrganizationTable" (
    organization_id TEXT PRIMARY KEY NOT NULL, organization_alias TEXT NOT NULL, budget_id TEXT NOT NULL,
    created_by TEXT NOT NULL, updated_by TEXT NOT NULL
);
CREATE TABLE "LiteLLM_ProjectTable" (
    project_id TEXT PRIMARY KEY NOT NULL, project_alias TEXT, team_id TEXT, created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE "LiteLLM_AgentsTable" (
    agent_id TEXT PRIMARY KEY NOT NULL, agent_name TEXT NOT NULL, agent_card_params TEXT NOT NULL,
    created_by TEXT NOT NULL, updated_by TEXT NOT NULL
);
"""

ORGS = [("org-acme", "Acme"), ("org-beta", "Beta Org"), ("org-gamma", "Gamma")]
PROJECTS = [("proj-apollo", "Apollo"), ("proj-noalias", None)]
AGENTS = [("agent-scout", "Scout"), ("agent-writer", "Writer")]
TEAMS = [("team-b", "Team B", "org-beta"), ("team-plain", "Plain team", None)]
#: token, alias, organization, project, agent
KEYS = [
    ("hash-a", "key-a", "org-acme", "proj-apollo", "agent-scout"),
    ("hash-b", "key-b", None, "proj-noalias", None),
    ("hash-c", "key-c", None, None, "agent-writer"),
]
#: key, team, the row's organization_id, the row's agent_id, model, spend (USD), prompt, completion
REQUESTS = [
    ("hash-a", "team-plain", None, None, "gpt-4o", 1.234567, 100, 20),  # org from the key
    ("hash-a", "team-b", None, None, "gpt-4o-mini", 0.099001, 40, 7),  # the key's org before the team's
    ("hash-b", "team-b", None, None, "gpt-4o", 0.470003, 70, 11),  # the key has none: the team's
    ("hash-b", "team-b", "org-gamma", "agent-scout", "gpt-4o-mini", 0.331337, 30, 3),  # the row's own
    ("hash-c", "team-plain", None, None, "gpt-4o", 2.050505, 200, 50),  # no organization at all
    ("hash-gone", None, None, None, "claude-3-5-sonnet", 3.500009, 300, 60),  # an unknown key
    ("hash-a", "team-plain", "", None, "claude-3-5-sonnet", 0.010101, 5, 1),  # '' is none: the key's
]
#: The days the requests are repeated on (each row once a day, spend scaled by the day).
DAYS = [date(2026, 11, 20), date(2026, 11, 24), date(2026, 11, 27)]


def create_entities_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(DDL)
    conn.executemany(
        'INSERT INTO "LiteLLM_OrganizationTable" VALUES (?, ?, ?, ?, ?)', [(o, a, "b", "x", "x") for o, a in ORGS]
    )
    conn.executemany(
        'INSERT INTO "LiteLLM_ProjectTable" VALUES (?, ?, NULL, ?, ?)', [(p, a, "x", "x") for p, a in PROJECTS]
    )
    conn.executemany(
        'INSERT INTO "LiteLLM_AgentsTable" VALUES (?, ?, ?, ?, ?)', [(g, n, "{}", "x", "x") for g, n in AGENTS]
    )
    conn.executemany('INSERT INTO "LiteLLM_TeamTable" (team_id, team_alias, organization_id) VALUES (?, ?, ?)', TEAMS)
    conn.executemany(
        'INSERT INTO "LiteLLM_VerificationToken" (token, key_alias, organization_id, project_id, agent_id) '
        "VALUES (?, ?, ?, ?, ?)",
        KEYS,
    )
    rows = []
    for d, day in enumerate(DAYS):
        for i, (key, team, org, agent, model, spend, prompt, completion) in enumerate(REQUESTS):
            start = f"{day.isoformat()} {10 + i % 2:02d}:{i:02d}:00.000"
            rows.append(
                (
                    f"req-{d}-{i}",
                    "acompletion",
                    key,
                    round(spend * (d + 1), 6),
                    prompt + completion,
                    prompt,
                    completion,
                    start,
                    start,
                    model,
                    model,
                    "openai",
                    f"user-{i % 3}",
                    "[]",
                    team,
                    None,
                    "success",
                    org,
                    agent,
                    start,
                )
            )
    conn.executemany(
        'INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, total_tokens, prompt_tokens, '
        'completion_tokens, "startTime", "endTime", model, model_group, custom_llm_provider, "user", request_tags, '
        "team_id, end_user, status, organization_id, agent_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.close()
    return path


#: Each request's organization, project and agent, attributed in plain SQL.
ATTRIBUTED = """
SELECT l.spend, l.prompt_tokens, l.completion_tokens, l.total_tokens, l.model, l."startTime" AS start,
    COALESCE(NULLIF(l.organization_id, ''), k.organization_id, t.organization_id) AS organization,
    k.project_id AS project,
    COALESCE(NULLIF(l.agent_id, ''), k.agent_id) AS agent
FROM "LiteLLM_SpendLogs" l
LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = l.api_key
LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = l.team_id
"""

#: The name each entity's id goes by (NULL: none).
NAMES = {
    "organization": 'SELECT organization_id, organization_alias FROM "LiteLLM_OrganizationTable"',
    "project": 'SELECT project_id, project_alias FROM "LiteLLM_ProjectTable"',
    "agent": 'SELECT agent_id, agent_name FROM "LiteLLM_AgentsTable"',
}


def truth(path: Path, entity: str, start: date, end: date, model: str | None = None) -> dict[str | None, tuple]:
    """id (None: no such entity) -> (spend USD, requests, prompt, completion, total tokens)
    over the UTC days ``start``..``end``, optionally of one model only."""
    conn = sqlite3.connect(path)
    try:
        sql = (
            f"SELECT {entity}, SUM(spend), COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens) "
            f"FROM ({ATTRIBUTED}) WHERE substr(start, 1, 10) BETWEEN ? AND ?"
            + (" AND model = ?" if model else "")
            + f" GROUP BY {entity}"
        )
        args = [start.isoformat(), end.isoformat(), *([model] if model else [])]
        return {r[0]: tuple(r[1:]) for r in conn.execute(sql, args)}  # noqa: S608 (our own names)
    finally:
        conn.close()


def names(path: Path, entity: str) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return {i: n for i, n in conn.execute(NAMES[entity]) if n}
    finally:
        conn.close()


def model_truth(path: Path, organization: str, start: date, end: date) -> dict[str, tuple]:
    """model -> (spend USD, requests) of one organization's requests."""
    conn = sqlite3.connect(path)
    try:
        sql = (
            f"SELECT model, SUM(spend), COUNT(*) FROM ({ATTRIBUTED}) "
            "WHERE organization = ? AND substr(start, 1, 10) BETWEEN ? AND ? GROUP BY model"
        )
        return {r[0]: (r[1], r[2]) for r in conn.execute(sql, (organization, start.isoformat(), end.isoformat()))}
    finally:
        conn.close()
