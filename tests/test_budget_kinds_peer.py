"""The new budget kinds over the real LiteLLM proxy peer (free build): a team member's budget
and a tag budget made through the API, a project budget and a key's per-model budget
(Enterprise-only through the API) seeded in the peer's database; each read back by the
proxy source equals the peer's own rows, and organizations say why they are missing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from spendtui.core.budget_state import BudgetList, BudgetState
from spendtui.sources.proxy import HttpSettings, ProxySource
from tests.helpers import need
from tests.peer import MASTER, PEER_DB, PEER_URL, call, must, peer_problem

pytestmark = pytest.mark.peer
USD = 10**12


@pytest.fixture(autouse=True)
def _peer() -> None:
    problem = peer_problem()
    need(problem is None, problem or "")


def pico(value: Any) -> int:
    return int(Decimal(str(value)) * USD)


def sql(query: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(PEER_DB) as conn:
        cur = conn.execute(query, params)
        rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows


@pytest.fixture
def setup() -> Iterator[dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    team, user, tag, project, budget = f"kinds-team-{run}", f"kinds-user-{run}", f"kinds:{run}", f"kinds-proj-{run}", ""
    must(*call("POST", "/team/new", {"team_id": team, "team_alias": f"Kinds {run}"}), "team/new")
    key = ""
    try:
        member = {"team_id": team, "member": {"user_id": user, "role": "user"}, "max_budget_in_team": 3.5}
        must(*call("POST", "/team/member_add", member), "team/member_add")
        body = {"name": tag, "description": "spendtui test", "max_budget": 4.25, "budget_duration": "30d"}
        must(*call("POST", "/tag/new", body), "tag/new")
        key = must(*call("POST", "/key/generate", {"key_alias": f"kinds-{run}", "team_id": team}), "key/generate")[
            "key"
        ]
        # Enterprise-only through the API: seeded as LiteLLM would store them
        budget = f"kinds-budget-{run}"
        sql(
            'INSERT INTO "LiteLLM_BudgetTable" (budget_id, max_budget, soft_budget, budget_duration, budget_reset_at, '
            "created_by, updated_by) VALUES (%s, 6.5, 5, '7d', now() + interval '3 days', 'test', 'test')",
            budget,
        )
        sql(
            'INSERT INTO "LiteLLM_ProjectTable" (project_id, project_alias, team_id, budget_id, spend, created_by, '
            "updated_by) VALUES (%s, %s, %s, %s, 1.25, 'test', 'test')",
            project,
            f"Kinds project {run}",
            team,
            budget,
        )
        limits = {"gpt-4o": {"budget_limit": 2.5, "time_period": "30d"}, "gpt-4o-mini": {"budget_limit": 1}}
        sql(
            'UPDATE "LiteLLM_VerificationToken" SET model_max_budget = %s, model_spend = %s WHERE key_alias = %s',
            json.dumps(limits),
            json.dumps({"gpt-4o": 0.75}),
            f"kinds-{run}",
        )
        yield {"team": team, "user": user, "tag": tag, "project": project, "run": run}
    finally:
        if key:
            call("POST", "/key/delete", {"keys": [key]})
        call("POST", "/tag/delete", {"name": tag})
        sql('DELETE FROM "LiteLLM_ProjectTable" WHERE project_id = %s', project)
        if budget:
            sql('DELETE FROM "LiteLLM_BudgetTable" WHERE budget_id = %s', budget)
        call("POST", "/team/delete", {"team_ids": [team]})


def by_uid(states: list[BudgetState]) -> dict[str, BudgetState]:
    return {s.uid: s for s in states}


def test_proxy_reads_every_kind_the_free_build_answers(setup: dict[str, str]) -> None:
    source = ProxySource(HttpSettings(PEER_URL, MASTER))
    try:
        states = source.budgets()
    finally:
        source.close()
    assert isinstance(states, BudgetList)
    got = by_uid(states)
    team, user, run = setup["team"], setup["user"], setup["run"]

    ((spend, max_budget),) = sql(
        'SELECT m.spend, b.max_budget FROM "LiteLLM_TeamMembership" m JOIN "LiteLLM_BudgetTable" b '
        "ON b.budget_id = m.budget_id WHERE m.team_id = %s AND m.user_id = %s",
        team,
        user,
    )
    member = got[f"member:{team}/{user}"]
    assert member.name == f"{user} @ Kinds {run}" and member.max_budget == pico(max_budget) == pico(3.5)
    assert member.spend == pico(spend) and member.log_scope == (("team", team), ("user", user))

    ((max_budget, duration),) = sql(
        'SELECT b.max_budget, b.budget_duration FROM "LiteLLM_TagTable" g JOIN "LiteLLM_BudgetTable" b '
        "ON b.budget_id = g.budget_id WHERE g.tag_name = %s",
        setup["tag"],
    )
    tag = got[f"tag:{setup['tag']}"]
    assert tag.max_budget == pico(max_budget) == pico(4.25) and tag.budget_duration == duration == "30d"
    assert tag.spend_from == "logs"  # 1.108's /tag/list has no spend counter
    assert any("/tag/list has no spend counter" in n for n in states.notes)

    ((spend, max_budget, soft_budget, duration),) = sql(
        'SELECT p.spend, b.max_budget, b.soft_budget, b.budget_duration FROM "LiteLLM_ProjectTable" p '
        'JOIN "LiteLLM_BudgetTable" b ON b.budget_id = p.budget_id WHERE p.project_id = %s',
        setup["project"],
    )
    project = got[f"project:{setup['project']}"]
    assert (project.spend, project.max_budget, project.soft_budget) == (
        pico(spend),
        pico(max_budget),
        pico(soft_budget),
    )
    assert project.budget_duration == duration and project.name == f"Kinds project {run}"

    ((token,),) = sql('SELECT token FROM "LiteLLM_VerificationToken" WHERE key_alias = %s', f"kinds-{run}")
    four = got[f"model:key:{token}/gpt-4o"]
    mini = got[f"model:key:{token}/gpt-4o-mini"]
    assert (four.max_budget, four.spend, four.budget_duration, four.spend_from) == (
        pico(2.5),
        pico(0.75),
        "30d",
        "counter",
    )
    assert (mini.max_budget, mini.budget_duration, mini.spend_from) == (pico(1), None, "logs")
    assert four.name == f"kinds-{run} · gpt-4o" and four.log_scope == (("key", token), ("model", "gpt-4o"))

    # the free build refuses organizations: said, not silently empty
    assert not any(s.kind == "organization" for s in states)
    status, _ = call("GET", "/organization/list")
    if status == 403:
        assert any("organization budgets not shown" in n and "Enterprise" in n for n in states.notes)
