"""SQLite DDL for the two layouts spendtui reads: LiteLLM's own tables, and the compact one.

The LiteLLM layout uses the real table and column names (``"LiteLLM_SpendLogs"``,
``"startTime"``, ``"user"``...) with SQLite types; the compact layout is the simplified
``LiteLLM_SpendLogs`` / ``LiteLLM_VerificationToken`` pair some users keep.
"""

from __future__ import annotations

LITELLM_DDL = """
CREATE TABLE "LiteLLM_SpendLogs" (
    request_id TEXT PRIMARY KEY NOT NULL,
    call_type TEXT NOT NULL,
    api_key TEXT NOT NULL DEFAULT '',
    spend REAL NOT NULL DEFAULT 0.0,
    total_tokens INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    "startTime" TEXT NOT NULL,
    "endTime" TEXT NOT NULL,
    "completionStartTime" TEXT,
    model TEXT NOT NULL DEFAULT '',
    model_id TEXT DEFAULT '',
    model_group TEXT DEFAULT '',
    custom_llm_provider TEXT DEFAULT '',
    api_base TEXT DEFAULT '',
    "user" TEXT DEFAULT '',
    metadata TEXT DEFAULT '{}',
    cache_hit TEXT DEFAULT '',
    cache_key TEXT DEFAULT '',
    request_tags TEXT DEFAULT '[]',
    team_id TEXT,
    end_user TEXT,
    requester_ip_address TEXT,
    messages TEXT DEFAULT '{}',
    response TEXT DEFAULT '{}',
    session_id TEXT,
    status TEXT,
    mcp_namespaced_tool_name TEXT,
    organization_id TEXT,
    agent_id TEXT,
    request_duration_ms INTEGER,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE "LiteLLM_VerificationToken" (
    token TEXT PRIMARY KEY NOT NULL,
    key_name TEXT,
    key_alias TEXT,
    soft_budget_cooldown INTEGER NOT NULL DEFAULT 0,
    spend REAL NOT NULL DEFAULT 0.0,
    expires TEXT,
    models TEXT DEFAULT '[]',
    aliases TEXT NOT NULL DEFAULT '{}',
    config TEXT NOT NULL DEFAULT '{}',
    user_id TEXT,
    team_id TEXT,
    permissions TEXT NOT NULL DEFAULT '{}',
    max_parallel_requests INTEGER,
    metadata TEXT NOT NULL DEFAULT '{}',
    blocked INTEGER,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    max_budget REAL,
    budget_duration TEXT,
    budget_reset_at TEXT,
    budget_id TEXT,
    organization_id TEXT,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT,
    updated_at TEXT DEFAULT CURRENT_TIMESTAMP,
    updated_by TEXT,
    project_id TEXT,
    last_active TEXT,
    agent_id TEXT,
    total_spend REAL NOT NULL DEFAULT 0.0,
    model_spend TEXT NOT NULL DEFAULT '{}',
    model_max_budget TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE "LiteLLM_BudgetTable" (
    budget_id TEXT PRIMARY KEY NOT NULL,
    max_budget REAL,
    soft_budget REAL,
    max_parallel_requests INTEGER,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    model_max_budget TEXT,
    budget_duration TEXT,
    budget_reset_at TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_by TEXT NOT NULL
);
CREATE TABLE "LiteLLM_TeamTable" (
    team_id TEXT PRIMARY KEY NOT NULL,
    team_alias TEXT,
    organization_id TEXT,
    admins TEXT,
    members TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    max_budget REAL,
    soft_budget REAL,
    spend REAL NOT NULL DEFAULT 0.0,
    models TEXT,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    budget_duration TEXT,
    budget_reset_at TEXT,
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    model_spend TEXT NOT NULL DEFAULT '{}',
    model_max_budget TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE "LiteLLM_UserTable" (
    user_id TEXT PRIMARY KEY NOT NULL,
    user_alias TEXT,
    team_id TEXT,
    teams TEXT DEFAULT '[]',
    user_role TEXT,
    max_budget REAL,
    spend REAL NOT NULL DEFAULT 0.0,
    user_email TEXT,
    models TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    budget_duration TEXT,
    budget_reset_at TEXT,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT DEFAULT CURRENT_TIMESTAMP,
    model_spend TEXT NOT NULL DEFAULT '{}',
    model_max_budget TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE "LiteLLM_EndUserTable" (
    user_id TEXT PRIMARY KEY NOT NULL,
    alias TEXT,
    spend REAL NOT NULL DEFAULT 0.0,
    allowed_model_region TEXT,
    default_model TEXT,
    budget_id TEXT,
    blocked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE "LiteLLM_OrganizationTable" (
    organization_id TEXT PRIMARY KEY NOT NULL,
    organization_alias TEXT NOT NULL,
    budget_id TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    models TEXT DEFAULT '[]',
    spend REAL NOT NULL DEFAULT 0.0,
    model_spend TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT NOT NULL DEFAULT 'default_user_id',
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_by TEXT NOT NULL DEFAULT 'default_user_id',
    object_permission_id TEXT
);
CREATE TABLE "LiteLLM_ProjectTable" (
    project_id TEXT PRIMARY KEY NOT NULL,
    project_alias TEXT,
    team_id TEXT,
    budget_id TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    models TEXT DEFAULT '[]',
    spend REAL NOT NULL DEFAULT 0.0,
    model_spend TEXT NOT NULL DEFAULT '{}',
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT NOT NULL DEFAULT 'default_user_id',
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_by TEXT NOT NULL DEFAULT 'default_user_id',
    description TEXT
);
CREATE TABLE "LiteLLM_AgentsTable" (
    agent_id TEXT PRIMARY KEY NOT NULL,
    agent_name TEXT NOT NULL,
    litellm_params TEXT,
    agent_card_params TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT NOT NULL DEFAULT 'default_user_id',
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_by TEXT NOT NULL DEFAULT 'default_user_id',
    spend REAL NOT NULL DEFAULT 0.0,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    enabled INTEGER NOT NULL DEFAULT 1,
    execution_mode TEXT NOT NULL DEFAULT 'autonomous'
);
CREATE TABLE "LiteLLM_DeletedVerificationToken" (
    id TEXT PRIMARY KEY NOT NULL,
    token TEXT NOT NULL,
    key_name TEXT,
    key_alias TEXT,
    spend REAL NOT NULL DEFAULT 0.0,
    models TEXT DEFAULT '[]',
    metadata TEXT NOT NULL DEFAULT '{}',
    user_id TEXT,
    team_id TEXT,
    tpm_limit INTEGER,
    rpm_limit INTEGER,
    max_budget REAL,
    budget_duration TEXT,
    budget_reset_at TEXT,
    budget_id TEXT,
    organization_id TEXT,
    project_id TEXT,
    agent_id TEXT,
    created_at TEXT,
    created_by TEXT,
    updated_at TEXT,
    updated_by TEXT,
    deleted_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_by TEXT,
    total_spend REAL NOT NULL DEFAULT 0.0
);
CREATE TABLE "LiteLLM_DeletedTeamTable" (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL,
    team_alias TEXT,
    organization_id TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    max_budget REAL,
    spend REAL NOT NULL DEFAULT 0.0,
    budget_duration TEXT,
    budget_reset_at TEXT,
    blocked INTEGER NOT NULL DEFAULT 0,
    created_at TEXT,
    updated_at TEXT,
    deleted_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_by TEXT
);
CREATE TABLE "LiteLLM_TeamMembership" (
    user_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    spend REAL NOT NULL DEFAULT 0.0,
    budget_id TEXT,
    total_spend REAL NOT NULL DEFAULT 0.0,
    PRIMARY KEY (user_id, team_id)
);
CREATE TABLE "LiteLLM_TagTable" (
    tag_name TEXT PRIMARY KEY NOT NULL,
    description TEXT,
    models TEXT,
    model_info TEXT,
    spend REAL NOT NULL DEFAULT 0.0,
    budget_id TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE "LiteLLM_ProxyModelTable" (
    model_id TEXT PRIMARY KEY NOT NULL,
    model_name TEXT NOT NULL,
    litellm_params TEXT NOT NULL,
    model_info TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_by TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX "LiteLLM_SpendLogs_startTime_idx" ON "LiteLLM_SpendLogs" ("startTime");
CREATE INDEX "LiteLLM_SpendLogs_end_user_idx" ON "LiteLLM_SpendLogs" (end_user);
CREATE INDEX "LiteLLM_SpendLogs_api_key_startTime_idx" ON "LiteLLM_SpendLogs" (api_key, "startTime");
"""

COMPACT_DDL = """
CREATE TABLE LiteLLM_SpendLogs (
    id INTEGER PRIMARY KEY,
    api_key TEXT,
    user TEXT,
    team_id TEXT,
    request_tags TEXT,
    model_group TEXT,
    api_base TEXT,
    spend REAL,
    total_tokens INTEGER,
    completion_tokens INTEGER,
    prompt_tokens INTEGER,
    created_at TEXT
);
CREATE TABLE LiteLLM_VerificationToken (
    token TEXT PRIMARY KEY,
    spend REAL,
    max_budget REAL,
    user_id TEXT,
    team_id TEXT
);
CREATE INDEX idx_spendlogs_created_at ON LiteLLM_SpendLogs (created_at);
"""

#: The LiteLLM-layout SpendLogs columns the generator fills, in insert order.
LITELLM_LOG_COLUMNS: tuple[str, ...] = (
    "request_id",
    "call_type",
    "api_key",
    "spend",
    "total_tokens",
    "prompt_tokens",
    "completion_tokens",
    "startTime",
    "endTime",
    "completionStartTime",
    "model",
    "model_id",
    "model_group",
    "custom_llm_provider",
    "api_base",
    "user",
    "metadata",
    "cache_hit",
    "cache_key",
    "request_tags",
    "team_id",
    "end_user",
    "requester_ip_address",
    "session_id",
    "status",
    "mcp_namespaced_tool_name",
    "organization_id",
    "agent_id",
    "request_duration_ms",
    "created_at",
    "updated_at",
)
COMPACT_LOG_COLUMNS: tuple[str, ...] = (
    "api_key",
    "user",
    "team_id",
    "request_tags",
    "model_group",
    "api_base",
    "spend",
    "total_tokens",
    "completion_tokens",
    "prompt_tokens",
    "created_at",
)


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """An INSERT with one ``?`` per column, names quoted."""
    cols = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    return f'INSERT INTO "{table}" ({cols}) VALUES ({marks})'  # noqa: S608 (fixed identifiers)
