"""Organizations, projects and agents end to end, against the real LiteLLM peer.

A free LiteLLM refuses to create or list organizations and projects (403 "Enterprise"),
so their rows are seeded in the peer's PostgreSQL, as LiteLLM's own admin would have
written them; the team in the organization, the agent and the keys are created through
the API, and requests are sent through the proxy. Then, for the keys of this run:

* live days: the proxy source's organization, project and agent breakdowns equal the
  database source's, and both equal SQL over LiteLLM_SpendLogs joined to the key and team
  tables (written here, independently of spendtui's attribution);
* closed days (the clock moved three days on): the proxy answers project and agent from
  LiteLLM's daily tables, equal to the database source reading them (``history: daily``),
  and refuses organizations, naming the Enterprise licence its endpoint wants.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from spendtui.core.facts import NotExact
from spendtui.core.query import Filters, Window
from spendtui.engine import SpendEngine
from spendtui.money import to_pico
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.timeutil import fixed_clock
from tests.helpers import need
from tests.peer import MASTER, PEER_DB, PEER_URL, call, must, peer_problem

pytestmark = pytest.mark.peer

SLACK = 10**6  # 1e-6 USD


class Entities:
    """One run's organization, project, agent, teams and keys."""

    def __init__(self) -> None:
        run = uuid.uuid4().hex[:8]
        self.org, self.project, self.team_org, self.team_plain = (
            f"org-{run}",
            f"proj-{run}",
            f"team-org-{run}",
            f"team-plain-{run}",
        )
        self.tokens: dict[str, str] = {}
        self.raw: dict[str, str] = {}
        self.agent = ""
        self.run = run

    def seed(self) -> None:
        import psycopg

        with psycopg.connect(PEER_DB) as conn:
            conn.execute(
                'INSERT INTO "LiteLLM_BudgetTable"(budget_id, created_by, updated_by) VALUES (%s, %s, %s)',
                (f"budget-{self.run}", "test", "test"),
            )
            conn.execute(
                'INSERT INTO "LiteLLM_OrganizationTable"(organization_id, organization_alias, budget_id, '
                "created_by, updated_by) VALUES (%s, %s, %s, 'test', 'test')",
                (self.org, f"Org {self.run}", f"budget-{self.run}"),
            )
        must(*call("POST", "/team/new", {"team_id": self.team_org, "organization_id": self.org}), "team/new")
        must(*call("POST", "/team/new", {"team_id": self.team_plain}), "team/new")
        with psycopg.connect(PEER_DB) as conn:
            conn.execute(
                'INSERT INTO "LiteLLM_ProjectTable"(project_id, project_alias, team_id, created_by, updated_by) '
                "VALUES (%s, %s, %s, 'test', 'test')",
                (self.project, f"Project {self.run}", self.team_org),
            )
        card = {
            "name": f"agent-{self.run}",
            "description": "test agent",
            "url": "http://127.0.0.1:9/",
            "version": "1",
            "capabilities": {},
            "skills": [],
            "defaultInputModes": ["text"],
            "defaultOutputModes": ["text"],
        }
        agent = must(
            *call("POST", "/v1/agents", {"agent_name": f"agent-{self.run}", "agent_card_params": card}), "agent"
        )
        self.agent = agent["agent_id"]
        specs = {
            # the organization through the team only; and with a project of that team
            "in-org": {"team_id": self.team_org},
            "in-project": {"team_id": self.team_org, "project_id": self.project},
            # an organization of the key itself, in a team outside it
            "key-org": {"team_id": self.team_plain, "organization_id": self.org},
            "agent": {"agent_id": self.agent},
            "plain": {},
        }
        for name, spec in specs.items():
            body = must(*call("POST", "/key/generate", {"key_alias": f"{name}-{self.run}", **spec}), "key/generate")
            self.raw[name], self.tokens[name] = body["key"], body["token_id"] if "token_id" in body else body["token"]

    def send(self) -> int:
        sent = 0
        for i, key in enumerate(self.raw.values()):
            for j in range(2):
                body = {
                    "model": ["gpt-4o-mini", "claude-haiku-4-5"][(i + j) % 2],
                    "messages": [{"role": "user", "content": "go " * (i + 2)}],
                }
                status, answer = call("POST", "/chat/completions", body, key=key)
                assert status == 200, f"completion failed: HTTP {status}: {str(answer)[:200]}"
                sent += 1
        return sent


def _sql(query: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(PEER_DB) as conn:
        return conn.execute(query, params).fetchall()


def wait_written(tokens: list[str], sent: int, timeout: float = 45) -> None:
    """Until the request log and the user, agent and organization daily tables hold
    this run's requests (LiteLLM writes them in batches)."""
    deadline = time.monotonic() + timeout
    counts: tuple = ()
    while time.monotonic() < deadline:
        counts = (
            _sql('SELECT count(*) FROM "LiteLLM_SpendLogs" WHERE api_key = ANY(%s)', tokens)[0][0],
            _sql('SELECT coalesce(sum(api_requests), 0) FROM "LiteLLM_DailyUserSpend" WHERE api_key = ANY(%s)', tokens)[
                0
            ][0],
            _sql(
                'SELECT coalesce(sum(api_requests), 0) FROM "LiteLLM_DailyAgentSpend" WHERE api_key = ANY(%s)', tokens
            )[0][0],
        )
        if counts[0] >= sent and counts[1] >= sent and counts[2] >= 2:
            return
        time.sleep(0.5)
    raise AssertionError(f"LiteLLM did not write this run's requests within {timeout:g}s: {counts}")


@pytest.fixture(scope="module")
def entities() -> Entities:
    problem = peer_problem()
    need(problem is None, problem or "")
    made = Entities()
    made.seed()
    sent = made.send()
    wait_written(list(made.tokens.values()), sent)
    return made


def truth(kind: str, tokens: list[str]) -> dict[str, tuple[int, int]]:
    """(spend in pico-dollars, requests) per organization, project or agent, by SQL:
    the row's own value, else the key's (else, for the organization, the team's)."""
    value = {
        "organization": "coalesce(nullif(s.organization_id, ''), k.organization_id, t.organization_id, '')",
        "project": "coalesce(k.project_id, '')",
        "agent": "coalesce(nullif(s.agent_id, ''), k.agent_id, '')",
    }[kind]
    rows = _sql(
        f'SELECT {value}, sum(s.spend), count(*) FROM "LiteLLM_SpendLogs" s '  # noqa: S608
        'LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = s.api_key '
        'LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = s.team_id '
        "WHERE s.api_key = ANY(%s) GROUP BY 1",
        tokens,
    )
    return {v: (to_pico(spend) or 0, n) for v, spend, n in rows}


def answered(query, kind: str, window: Window, tokens: list[str]) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    rows = query.breakdown(kind, window, Filters(key=frozenset(tokens)))
    return {g.value: (g.totals.spend, g.totals.requests) for g in rows}


def same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name, (spend, requests) in want.items():
        assert got[name][1] == requests, name
        assert abs(got[name][0] - spend) <= SLACK, name


def engines(shift: timedelta, history: str = "logs") -> tuple[SpendEngine, SpendEngine]:
    clock = fixed_clock(datetime.now(UTC) + shift)
    proxy = SpendEngine(ProxySource(HttpSettings(PEER_URL, MASTER), clock=clock), clock=clock)
    database = SpendEngine(DatabaseSource(parse_database_url(PEER_DB), history=history), clock=clock)
    return proxy, database


def test_live_days_by_organization_project_and_agent(entities: Entities) -> None:
    tokens = list(entities.tokens.values())
    proxy, database = engines(timedelta(0))
    try:
        today = proxy.today()
        window = Window(today - 1, today)
        proxy.load(window.first_day)
        database.load(window.first_day)
        for kind in ("organization", "project", "agent"):
            want = truth(kind, tokens)
            same(answered(proxy.query, kind, window, tokens), want)
            same(answered(database.query, kind, window, tokens), want)
        # the run's entities are all there, with the requests of their keys
        org = truth("organization", tokens)
        # LiteLLM gives a key in a team the team's organization, and ignores the one asked
        # for a key in a team without one (key-org): in-org and in-project only
        assert org[entities.org][1] == 4 and org[""][1] == 6
        assert truth("project", tokens)[entities.project][1] == 2
        assert truth("agent", tokens)[entities.agent][1] == 2
        assert proxy.names.project(entities.project) == f"Project {entities.run}"
        assert proxy.names.agent(entities.agent) == f"agent-{entities.run}"
        assert proxy.names.team_organization[entities.team_org] == entities.org
    finally:
        proxy.close()
        database.close()


def test_closed_days_from_the_daily_tables(entities: Entities) -> None:
    tokens = list(entities.tokens.values())
    proxy, database = engines(timedelta(days=3), history="daily")
    try:
        today = proxy.today()
        window = Window(today - 5, today)
        proxy.load(window.first_day)
        database.load(window.first_day)
        assert proxy.fact_cubes and database.fact_cubes
        for kind in ("project", "agent"):
            want = truth(kind, tokens)
            same(answered(proxy.query, kind, window, tokens), want)
            same(answered(database.query, kind, window, tokens), want)
        # the database has LiteLLM_DailyOrganizationSpend: exact there
        same(answered(database.query, "organization", window, tokens), truth("organization", tokens))
        # the free proxy keeps /organization/daily/activity for Enterprise users: refused, saying so
        with pytest.raises(NotExact) as caught:
            proxy.query.breakdown("organization", window)
        assert "/organization/daily/activity: needs a LiteLLM Enterprise licence (HTTP 403)" in str(caught.value)
    finally:
        proxy.close()
        database.close()
