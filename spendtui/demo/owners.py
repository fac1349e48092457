"""Who the demo's requests belong to: the LiteLLM 1.108 log columns organization_id and
agent_id, session_id and mcp_namespaced_tool_name, and which keys and team the demo deletes.

Everything here draws from its own random stream or none, so the requests, keys and teams
of a seed are the same as before these columns existed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from spendtui.demo.accounts import SpendIndex
from spendtui.demo.world import DemoWorld

_MS = 1000

#: How many keys ``choose_deleted`` deletes at most, and how long before ``now`` their last request must be.
DELETED_KEYS = 3
DELETED_KEY_IDLE = timedelta(days=2)


def choose_deleted(world: DemoWorld, index: SpendIndex, now: datetime) -> None:
    """Mark up to three keys and one team deleted, chosen by rule (no random draw).

    Keys: the highest lifetime spenders among keys without any budget that made no request
    in the last two days (a deleted key stops spending). Team: the one with the least
    lifetime spend above zero among teams without a budget, one in an organization if any;
    it is deleted just after its last request, and its keys stop spending with it.
    """
    lifetime = index.since("api_key", None)
    last = index.last_seen("api_key")
    idle_since = (now - DELETED_KEY_IDLE).strftime("%Y-%m-%d %H:%M:%S")
    candidates = [
        k
        for k in world.keys
        if k.max_budget is None
        and k.soft_budget is None
        and k.budget_duration is None
        and lifetime.get(k.token, 0.0) > 0
        and last.get(k.token, "") < idle_since
    ]
    candidates.sort(key=lambda k: (-lifetime[k.token], k.token))
    for key in candidates[:DELETED_KEYS]:
        key.deleted = True
    by_team = index.since("team_id", None)
    teams = [t for t in world.teams if t.max_budget is None and by_team.get(t.team_id, 0.0) > 0]
    if teams:
        min(teams, key=lambda t: (t.organization_id is None, by_team[t.team_id], t.team_id)).deleted = True


#: Of an agent key's requests, the share that logs its agent_id; of other keys' requests,
#: the share made on an agent's behalf (a random agent).
AGENT_LOGGED = 0.6
AGENT_BORROWED = 0.005


def owner_columns(
    world: DemoWorld,
    columns: dict[str, list[Any]],
    key: np.ndarray,
    master: np.ndarray,
    ts: np.ndarray,
    rng: np.random.Generator,
    organization_from: datetime | None,
) -> None:
    """Fill organization_id, agent_id, session_id and mcp_namespaced_tool_name (rows in
    write order). An agent's logged requests run in sessions (one per key and two
    hours) and some call an MCP tool; both follow from values already drawn, so the other
    columns stay as they were."""
    n = len(key)
    u = rng.random(n)
    pick = rng.integers(0, max(1, len(world.agents)), n)
    org_from = int(organization_from.timestamp() * _MS) if organization_from else None
    agents = [a.agent_id for a in world.agents]
    orgs, agent_ids = columns["organization_id"], columns["agent_id"]
    sessions: list[str | None] = [None] * n
    tools: list[str | None] = [None] * n
    for i in range(n):
        if master[i]:
            orgs.append(None)
            agent_ids.append(None)
            continue
        dk = world.keys[int(key[i])]
        orgs.append(dk.logged_organization_id if org_from is None or ts[i] >= org_from else None)
        if dk.agent_id is not None:
            agent_ids.append(dk.agent_id if u[i] < AGENT_LOGGED else None)
            if u[i] < AGENT_LOGGED:
                sessions[i] = _session(dk.token, int(ts[i]))
                if u[i] < MCP_SHARE:
                    tools[i] = MCP_TOOLS[int(u[i] / MCP_SHARE * len(MCP_TOOLS))]
        else:
            agent_ids.append(agents[int(pick[i])] if agents and u[i] < AGENT_BORROWED else None)
    columns["session_id"] = sessions
    columns["mcp_namespaced_tool_name"] = tools


#: Of an agent key's logged requests, the share that calls one of these MCP tools.
MCP_SHARE = 0.15
MCP_TOOLS = (
    "github-create_issue",
    "github-search_code",
    "jira-search_issues",
    "slack-post_message",
    "filesystem-read_file",
    "postgres-query",
)
#: An agent's session: its requests with one key in one two-hour slot.
SESSION_MS = 2 * 3600 * _MS


def _session(token: str, ts_ms: int) -> str:
    """The session id of an agent key's request at ``ts_ms`` (a uuid, as clients send)."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"spendtui-demo-session:{token}:{ts_ms // SESSION_MS}"))
