"""The fact set answers exactly what the proxy's data determines, and refuses the rest.

Demo requests are served by a real HTTP server the way a LiteLLM proxy would serve them
(request log for the live days, daily tables paged over table rows for history, see
``litellm_daily.py``); every answer of the proxy source's fact set is compared with a
single cube built from the same requests (the database source's view).
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest

from spendtui.core.cube import Cube
from spendtui.core.dims import Attribution, is_placeholder
from spendtui.core.facts import Breakdown, NotExact
from spendtui.core.query import DIMENSIONS, NO_FILTERS, Filters, Query, Window
from spendtui.demo.generator import generate_rows
from spendtui.demo.world import build_world
from spendtui.engine import SpendEngine
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.sources.proxy.logs import raw_row
from spendtui.timeutil import day_of, fixed_clock
from tests.helpers import FIXED_NOW
from tests.litellm_daily import DailyEndpoint, log_rows, table_rows
from tests.proxy_server import FixtureServer, LogStore, PagedList, Reply

TODAY = day_of(FIXED_NOW)
WINDOW = Window(TODAY - 19, TODAY)
SLACK = 10**6  # 1e-6 USD: daily tables sum each request's double in SQL
DAILY = ("user", "team", "customer", "tag", "organization", "agent")
DELETED_AT = "2026-11-30T00:00:00Z"


def requests(seed: int = 7, n: int = 6000) -> list[dict]:
    world = build_world(seed)
    batch = generate_rows(world, np.random.default_rng(seed), FIXED_NOW - timedelta(days=19), FIXED_NOW, n)
    return log_rows(batch)


def serve(server: FixtureServer, rows: list[dict], tables: dict | None = None, seed: int = 7) -> None:
    server.route("/spend/logs/v2", LogStore(rows))
    for entity in DAILY:
        found = (tables or {}).get(entity, table_rows(rows, entity))
        server.route(f"/{entity}/daily/activity", DailyEndpoint(found))
    serve_names(server, seed)


def serve_names(server: FixtureServer, seed: int) -> None:
    """The demo world's keys (deleted ones under ``status=deleted``), teams, organizations,
    projects and agents, shaped as LiteLLM 1.108.7 lists them."""
    world = build_world(seed)

    def key(k) -> dict:  # type: ignore[no-untyped-def]
        item = {
            "token": k.token,
            "key_alias": k.alias,
            "team_id": k.team.team_id if k.team else None,
            "organization_id": k.organization_id,
            "project_id": k.project_id,
            "agent_id": k.agent_id,
        }
        return {**item, "deleted_at": DELETED_AT} if k.deleted or k.token in gone else item

    def team(t) -> dict:  # type: ignore[no-untyped-def]
        item = {"team_id": t.team_id, "team_alias": t.alias, "organization_id": t.organization_id}
        return {**item, "deleted_at": DELETED_AT} if t.deleted or t.team_id in gone else item

    gone = deleted(world)
    keys = [key(k) for k in world.keys]
    teams = [team(t) for t in world.teams]
    server.route(
        "/key/list",
        PagedList("keys", "size", [k for k in keys if "deleted_at" not in k], [k for k in keys if "deleted_at" in k]),
    )
    server.route("/team/list", Reply(200, [t for t in teams if "deleted_at" not in t]))
    server.route("/v2/team/list", PagedList("teams", "page_size", [], [t for t in teams if "deleted_at" in t]))
    server.route(
        "/organization/list",
        Reply(
            200, [{"organization_id": o.organization_id, "organization_alias": o.alias} for o in world.organizations]
        ),
    )
    server.route(
        "/project/list", Reply(200, [{"project_id": p.project_id, "project_alias": p.alias} for p in world.projects])
    )
    server.route("/v1/agents", Reply(200, [{"agent_id": a.agent_id, "agent_name": a.name} for a in world.agents]))


def deleted(world) -> set[str]:  # type: ignore[no-untyped-def]
    """Keys and a team the fixture lists as deleted (their spend stays in the logs)."""
    return {k.token for k in world.keys[::60]} | {world.teams[-1].team_id}


def attribution(seed: int = 7) -> Attribution:
    """What the demo world's keys and teams belong to (deleted ones included), as the
    database source reads it from LiteLLM_VerificationToken and LiteLLM_TeamTable."""
    world = build_world(seed)
    return Attribution(
        {k.token: k.organization_id for k in world.keys if k.organization_id},
        {k.token: k.project_id for k in world.keys if k.project_id},
        {k.token: k.agent_id for k in world.keys if k.agent_id},
        {t.team_id: t.organization_id for t in world.teams if t.organization_id},
    )


def proxy_engine(server: FixtureServer) -> SpendEngine:
    clock = fixed_clock(FIXED_NOW)
    engine = SpendEngine(ProxySource(HttpSettings(server.url, "sk-test-master"), clock=clock), clock=clock)
    engine.load(WINDOW.first_day)
    return engine


def truth(rows: list[dict], seed: int = 7) -> Query:
    cube = Cube()
    cube.add_rows(raw_row(r) for r in rows)
    cube.sort_by_day()
    cube.dims.attribute(attribution(seed))
    return Query(cube)


def same(got, want) -> None:
    assert got.requests == want.requests and got.failures == want.failures
    assert (got.prompt_tokens, got.completion_tokens) == (want.prompt_tokens, want.completion_tokens)
    assert abs(got.spend - want.spend) <= SLACK


def same_rows(got: list, want: list) -> None:
    got_map, want_map = {g.name: g.totals for g in got}, {g.name: g.totals for g in want}
    assert got_map.keys() == want_map.keys()
    for name in got_map:
        same(got_map[name], want_map[name])


@pytest.fixture(scope="module")
def setup():
    rows = requests()
    with FixtureServer() as server:
        serve(server, rows)
        engine = proxy_engine(server)
        yield engine, truth(rows), server
        engine.close()


def test_history_comes_from_several_pages_and_cubes(setup) -> None:
    engine, _, server = setup
    daily = [r for r in server.requests if r.path == "/user/daily/activity"]
    assert len(daily) >= 2  # pages split days: they were merged
    names = {f.name for f in engine.fact_cubes}
    assert names == {f"daily {d} × key" for d in ("model", "provider", *DAILY)}
    assert all(f.unusable is None for f in engine.fact_cubes)
    assert "cache_hits" in engine.partial_measures


def test_every_single_dimension_question_is_exact(setup) -> None:
    engine, want, _ = setup
    got = engine.query
    same(got.totals(WINDOW), want.totals(WINDOW))
    for (d1, t1), (d2, t2) in zip(got.daily(WINDOW), want.daily(WINDOW), strict=True):
        assert d1 == d2
        same(t1, t2)
    for dim in DIMENSIONS:
        rows = got.breakdown(dim, WINDOW)
        expected = want.breakdown(dim, WINDOW)
        assert len([g for g in expected if g.value]) >= 3, dim  # (the demo world has several of each)
        if dim == "tag":
            assert isinstance(rows, Breakdown) and "(untagged)" in rows.caveats[0]
            expected = [g for g in expected if g.value]
        else:
            assert not getattr(rows, "caveats", ())
        same_rows(rows, expected)
    assert got.tag_categories(WINDOW) == want.tag_categories(WINDOW)
    for dim in DIMENSIONS:
        assert set(got.values(dim)) == set(want.values(dim))


@pytest.mark.parametrize(
    ("dimension", "filters"),
    [
        ("model", Filters(user=frozenset({"user-001", "user-003"}))),
        ("model", Filters(team=frozenset({"team-platform"}))),
        ("provider", Filters(team=frozenset({"team-platform"}))),
        ("key", Filters(customer=frozenset({"customer_10001"}))),
        ("team", Filters(customer=frozenset({"customer_10001"}))),
        ("user", Filters(tag=frozenset({"env:prod"}))),
        ("tag:project", Filters(key=frozenset())),
        ("day", Filters(tag=frozenset({"env:prod"}))),
        ("model", Filters(key=frozenset({"litellm_proxy_master_key"}))),
    ],
)
def test_crossed_questions_the_tables_determine_are_exact(setup, dimension, filters) -> None:
    engine, want, _ = setup
    got = engine.query
    filters = _real_values(want, filters)
    same(got.totals(WINDOW, filters), want.totals(WINDOW, filters))
    if dimension == "day":
        for (_, a), (_, b) in zip(got.daily(WINDOW, filters), want.daily(WINDOW, filters), strict=True):
            same(a, b)
        return
    expected = want.breakdown(dimension, WINDOW, filters)
    rows = got.breakdown(dimension, WINDOW, filters)
    if dimension.startswith("tag"):
        # (untagged) and (no <category>) cannot be counted from the tag table: left out, said so
        expected = [g for g in expected if not is_placeholder(g.value, dimension)]
        assert "(untagged)" in rows.caveats[0]
        if dimension.startswith("tag:"):
            assert f"(no {dimension[4:]})" in rows.caveats[0]
    same_rows(rows, expected)


def _real_values(q: Query, filters: Filters) -> Filters:
    """Replace made-up values by real ones of the demo world (first values seen)."""
    out = filters
    for dim, values in filters.items():
        known = q.values(dim)
        if not values & set(known):
            out = out.without(dim).with_value(dim, known[0])
    return out


@pytest.mark.parametrize(
    ("dimension", "filters"),
    [
        ("model", Filters(customer=frozenset({"c"}))),
        ("customer", Filters(tag=frozenset({"t"}))),
        ("key", Filters(tag=frozenset({"a", "b"}))),
        ("tag", Filters(tag=frozenset({"t"}))),
        ("provider", Filters(model=frozenset({"m"}))),
        ("customer", Filters(model=frozenset({"m"}))),
    ],
)
def test_questions_the_tables_cannot_answer_are_refused(setup, dimension, filters) -> None:
    engine, want, _ = setup
    with pytest.raises(NotExact, match="cannot answer") as caught:
        engine.query.breakdown(dimension, WINDOW, filters)
    assert "\n" not in str(caught.value)
    # the live days hold every dimension of every request: the same question is exact there
    live = Window(TODAY - 1, TODAY)
    f = _real_values(want, filters)
    expected = [g for g in want.breakdown(dimension, live, f)]
    got = engine.query.breakdown(dimension, live, f)
    assert not getattr(got, "caveats", ())
    same_rows(got, expected)


@pytest.mark.parametrize(
    ("dimension", "filters"),
    [
        # organization: the row's, else the key's, else the team's; the team is known per key-day
        ("organization", Filters(team=frozenset({"t"}))),
        ("team", Filters(organization=frozenset({"o"}))),
        ("model", Filters(organization=frozenset({"o"}))),
        ("customer", Filters(organization=frozenset({"o"}))),
        # project: the key's alone, so every view answers it
        ("project", Filters(model=frozenset({"m"}))),
        ("model", Filters(project=frozenset({"p"}))),
        ("project", Filters(tag=frozenset({"env:prod"}))),
        ("provider", Filters(project=frozenset({"p"}))),
        # agent: the agent table crosses it with the key (and what is known per key-day)
        ("agent", Filters(user=frozenset({"u"}))),
        ("key", Filters(agent=frozenset({"a"}))),
    ],
)
def test_organization_project_and_agent_questions_are_exact(setup, dimension, filters) -> None:
    engine, want, _ = setup
    got = engine.query
    filters = _real_values(want, filters)
    expected = want.breakdown(dimension, WINDOW, filters)
    assert [g for g in expected if g.value], "the question must have an answer to compare"
    rows = got.breakdown(dimension, WINDOW, filters)
    assert not getattr(rows, "caveats", ())
    same_rows(rows, expected)


def test_agents_of_a_key_that_changed_agent_in_a_day_are_refused_by_model(setup) -> None:
    engine, want, _ = setup
    # the demo's keys send requests as several agents in a day: agent × model is unknown
    assert any("several agents" in n for n in engine.cube.quality.notes)
    with pytest.raises(NotExact, match="cannot answer agent × model exactly"):
        engine.query.breakdown("agent", WINDOW, _real_values(want, Filters(model=frozenset({"m"}))))


def test_deleted_keys_and_teams_are_named_from_the_proxy(setup) -> None:
    engine, _, _ = setup
    world = build_world(7)
    gone = deleted(world)
    names = engine.names
    assert names.deleted_keys == {k.token for k in world.keys} & gone
    assert names.deleted_teams == {t.team_id for t in world.teams} & gone
    key = next(k for k in world.keys if k.token in gone)
    assert names.key(key.token) == f"{key.alias} (deleted)"
    team = world.teams[-1]
    assert names.team(team.team_id) == f"{team.alias} (deleted)"
    assert names.organization(world.organizations[0].organization_id) == world.organizations[0].alias
    assert names.project(world.projects[0].project_id) == world.projects[0].alias
    assert names.agent(world.agents[0].agent_id) == world.agents[0].name


ENTERPRISE = {
    "detail": {
        "error": "Organizations are only available for LiteLLM Enterprise users. You must be a LiteLLM "
        "Enterprise user to use this feature."
    }
}


def test_organizations_are_refused_for_closed_days_when_the_proxy_keeps_them_for_enterprise() -> None:
    """A free LiteLLM answers /organization/daily/activity and /organization/list with 403:
    organizations of closed days are refused, saying why; never zeros."""
    rows = requests(seed=7, n=3000)
    with FixtureServer() as server:
        serve(server, rows)
        server.route("/organization/daily/activity", Reply(403, ENTERPRISE))
        server.route("/organization/list", Reply(403, ENTERPRISE))
        engine = proxy_engine(server)
        try:
            want = truth(rows)
            for filters in (NO_FILTERS, _real_values(want, Filters(team=frozenset({"t"})))):
                with pytest.raises(NotExact) as caught:
                    engine.query.breakdown("organization", WINDOW, filters)
                text = str(caught.value)
                assert "cannot answer organization" in text
                assert "daily organization × key (unusable: " in text
                assert "/organization/daily/activity: needs a LiteLLM Enterprise licence (HTTP 403)" in text
                # the reason, not a list of every other view that buries it (fits an 80x24 notice)
                assert "daily model × key" not in text and len(text) < 400
            with pytest.raises(NotExact, match="Enterprise licence"):
                engine.query.totals(WINDOW, _real_values(want, Filters(organization=frozenset({"o"}))))
            # what does not need the organization table is still exact
            for dim in ("project", "agent", "team"):
                same_rows(engine.query.breakdown(dim, WINDOW), want.breakdown(dim, WINDOW))
            # the live days (request logs) know the organization of every request
            live = Window(TODAY - 1, TODAY)
            same_rows(engine.query.breakdown("organization", live), want.breakdown("organization", live))
            assert not engine.names.organization_alias  # /organization/list refused: ids shown
            assert any("organization" in n and "Enterprise" in n for n in engine.cube.quality.notes)
        finally:
            engine.close()


def test_hours_are_known_for_the_live_days_only(setup) -> None:
    engine, want, _ = setup
    hours = engine.query.hourly(TODAY)
    assert hours is not None
    for (h1, a), (h2, b) in zip(hours, want.hourly(TODAY) or [], strict=True):
        assert h1 == h2
        same(a, b)
    assert engine.query.hourly(TODAY - 5) is None


def test_a_key_with_two_users_in_a_day_is_not_attributed_by_key() -> None:
    rows = requests(seed=8, n=2500)
    day = f"{(FIXED_NOW - timedelta(days=6)).date()}"
    that_day = [r for r in rows if r["startTime"].startswith(day) and r["user"] != "default_user_id"]
    counts = Counter(r["api_key"] for r in that_day)
    victim = next(k for k, n in counts.most_common() if n >= 2)
    next(r for r in that_day if r["api_key"] == victim)["user"] = "someone-else"
    with FixtureServer() as server:
        serve(server, rows)
        engine = proxy_engine(server)
        try:
            want = truth(rows)
            same_rows(engine.query.breakdown("user", WINDOW), want.breakdown("user", WINDOW))
            with pytest.raises(NotExact):
                engine.query.breakdown("model", WINDOW, Filters(user=frozenset({"someone-else"})))
            assert any("several users" in n for n in engine.cube.quality.notes)
        finally:
            engine.close()


def test_a_table_that_disagrees_is_not_used() -> None:
    rows = requests(seed=9, n=2000)
    customers = table_rows(rows, "customer")
    extra = copy.deepcopy(customers[0])
    extra["entity"], extra["api_requests"] = "ghost", extra["api_requests"] + 5
    with FixtureServer() as server:
        serve(server, rows, {"customer": [*customers, extra]})
        engine = proxy_engine(server)
        try:
            with pytest.raises(NotExact, match="disagrees"):
                engine.query.breakdown("customer", WINDOW)
            same(engine.query.totals(WINDOW), truth(rows).totals(WINDOW))
        finally:
            engine.close()


def test_an_agent_the_list_leaves_out_is_read_by_its_id() -> None:
    """LiteLLM 1.108's /v1/agents lists the agents it holds in memory: after a restart an
    older agent is only in its database, which /v1/agents/{id} still reads. Its key's
    agent is then named, not shown as a bare id (seen on the peer after a restart)."""
    from spendtui.sources.proxy.http import HttpSettings
    from spendtui.sources.proxy.source import ProxySource

    with FixtureServer() as server:
        serve_names(server, 7)
        world = build_world(7)
        listed, unlisted = world.agents[0], world.agents[1]
        server.route("/v1/agents", Reply(200, [{"agent_id": listed.agent_id, "agent_name": listed.name}]))
        server.route(
            f"/v1/agents/{unlisted.agent_id}", Reply(200, {"agent_id": unlisted.agent_id, "agent_name": unlisted.name})
        )
        names = ProxySource(HttpSettings(server.url, "sk-test-master")).names()
        assert names.label("agent", listed.agent_id) == listed.name
        assert names.label("agent", unlisted.agent_id) == unlisted.name
        # an agent neither answers keeps its id, and nothing else is asked for one by one
        asked = [p for p in server.paths() if p.startswith("/v1/agents/")]
        assert sorted(asked) == sorted(
            f"/v1/agents/{a.agent_id}"
            for a in world.agents
            if a is not listed and any(k.agent_id == a.agent_id for k in world.keys)
        )
        for agent in world.agents[2:]:
            assert names.label("agent", agent.agent_id) == agent.agent_id
