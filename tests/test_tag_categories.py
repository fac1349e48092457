"""Grouping by one tag category: "(no <category>)" for requests that have tags but none of
the category, "(untagged)" only for requests without any tag.

Figures are compared with SQL ground truth (tests/truth.py) on SQLite and PostgreSQL, and
with a single cube of the same requests for the proxy's fact set. Each row can be used as
a filter (the dashboard's drill-down and "filter by row"): its totals are the row's.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest

from spendtui.cli import main
from spendtui.core.cube import Cube, RawRow
from spendtui.core.dims import (
    describe_tag_filter,
    is_placeholder,
    request_tags,
    tag_filter,
    tags_match,
)
from spendtui.core.facts import NotExact
from spendtui.core.query import Filters, Query, Window
from spendtui.engine import SpendEngine
from spendtui.money import PICO, to_pico
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import day_number, fixed_clock
from tests.helpers import FIXED_NOW
from tests.truth import Truth

START, END = date(2026, 10, 28), date(2026, 11, 27)
CATEGORIES = ("project", "env", "team", "cost-center", "feature", "sprint")


def row(rid: str, spend: float, tags: object) -> RawRow:
    return RawRow(
        rid, "2026-11-20 10:00:00", "m", "p", "k", "u", "t", None, tags, to_pico(spend), 1, 1, 2, False, False
    )


ROWS = [
    row("a", 1, '["project:web", "env:prod"]'),
    row("b", 2, '["project:web"]'),
    row("c", 4, "[]"),
    row("d", 8, '["project:api", "project:web"]'),  # two values of one category: once in each
    row("e", 16, '["urgent"]'),  # a tag without a category
    row("f", 32, '["env:"]'),  # a category with no value counts as none of it
    row("g", 64, "not json"),  # unreadable: tags, none of any category
    row("h", 128, None),
    row("i", 256, '["env:(no env)"]'),  # says it has no env: counted so, in rows and filters alike
]


def cube_of(rows: list[RawRow]) -> Query:
    cube = Cube()
    cube.add_rows(rows)
    return Query(cube)


def spends(groups) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {g.name: g.totals.spend // PICO for g in groups}


def test_requests_with_tags_but_not_the_category_are_not_untagged() -> None:
    q = cube_of(ROWS)
    assert spends(q.breakdown("tag:env", None)) == {
        "prod": 1,
        "(no env)": 2 + 8 + 16 + 32 + 64 + 256,
        "(untagged)": 4 + 128,
    }
    assert spends(q.breakdown("tag:project", None)) == {
        "web": 1 + 2 + 8,
        "api": 8,
        "(no project)": 16 + 32 + 64 + 256,
        "(untagged)": 4 + 128,
    }
    # the two rows have distinct values (a table keyed by value keeps both); (no env) is
    # its own value, so a dashboard that shows values as they are shows it right
    groups = q.breakdown("tag:env", None)
    values = [g.value for g in groups]
    assert len(set(values)) == len(values) and "" in values and "(no env)" in values
    assert {g.value: g.name for g in groups if is_placeholder(g.value, "tag:env")} == {
        "": "(untagged)",
        "(no env)": "(no env)",
    }
    assert not is_placeholder("prod", "tag:env") and not is_placeholder("(no env)", "tag:project")
    # the plain tag breakdown is unchanged
    assert spends(q.breakdown("tag", None))["(untagged)"] == 4 + 128


@pytest.mark.parametrize("category", [None, "env", "project", "nosuch"])
def test_every_row_used_as_a_filter_has_the_rows_totals(category) -> None:
    q = cube_of(ROWS)
    dimension = f"tag:{category}" if category else "tag"
    for group in q.breakdown(dimension, None):
        wanted = frozenset({tag_filter(category, group.value)})
        if category is None and group.value == "env:(no env)":
            continue  # a literal tag saying "(no env)": as a filter it means no env (i is one of those)
        assert q.totals(None, Filters(tag=wanted)) == group.totals, group.name
        assert describe_tag_filter(next(iter(wanted))) == (
            group.name if is_placeholder(group.value, dimension) else next(iter(wanted))
        )
    web = Filters(tag=frozenset({tag_filter("project", "web")}))
    assert q.totals(None, web).spend // PICO == 11  # a, b and d (d also counts in api)


def test_tags_match_agrees_with_the_cube_filter_row_by_row() -> None:
    """The dashboard's tail filters raw rows with tags_match; the cube with masks."""
    q = cube_of(ROWS)
    filters = [
        "",
        "env:prod",
        "urgent",
        "(unreadable tags)",
        tag_filter("env", "(no env)"),
        tag_filter("project", "(no project)"),
    ]
    for f in filters:
        by_rows = sum(r.spend for r in ROWS if tags_match(request_tags(r.tags), [f]))
        assert q.totals(None, Filters(tag=frozenset({f}))).spend == by_rows, f


def demo_engine(db) -> SpendEngine:  # type: ignore[no-untyped-def]
    engine = SpendEngine(DatabaseSource(parse_database_url(f"sqlite:///{db}")), clock=fixed_clock(FIXED_NOW))
    engine.load(day_number(START))
    return engine


@pytest.mark.parametrize("category", CATEGORIES)
def test_demo_rows_and_their_filters_equal_sql(litellm_db, category) -> None:
    truth = Truth(f"sqlite:///{litellm_db}").tags(START, END, category)
    assert f"(no {category})" in truth and "(untagged)" in truth
    engine = demo_engine(litellm_db)
    try:
        window = Window.from_dates(START, END)
        groups = engine.query.breakdown(f"tag:{category}", window)
        assert {g.name for g in groups} == set(truth)
        for group in groups:
            spend, requests, prompt, completion, total = truth[group.name]
            for t in (
                group.totals,
                engine.query.totals(window, Filters(tag=frozenset({tag_filter(category, group.value)}))),
            ):
                assert abs(t.spend / PICO - spend) <= 1e-6, group.name
                assert (t.requests, t.prompt_tokens, t.completion_tokens, t.total_tokens) == (
                    requests,
                    prompt,
                    completion,
                    total,
                ), group.name
    finally:
        engine.close()


def test_untagged_is_the_same_requests_in_every_grouping(capsys, litellm_db) -> None:
    argv = ["--db", f"sqlite:///{litellm_db}", "--start", START.isoformat(), "--end", END.isoformat()]
    docs = {}
    for prefix in (None, "cost-center"):
        extra = ["--tag-prefix", prefix] if prefix else []
        assert main(["report", "tags", *extra, *argv, "--format", "json"]) == 0
        docs[prefix] = {r["name"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert docs[None]["(untagged)"] == docs["cost-center"]["(untagged)"]
    assert docs["cost-center"]["(no cost-center)"]["label"] == "(no cost-center)"
    # the demo has at most one cost-center per request: the rows add up to the total
    assert main(["report", "spend", *argv, "--format", "json"]) == 0
    total = json.loads(capsys.readouterr().out)["total"]
    assert sum(r["requests"] for r in docs["cost-center"].values()) == total["requests"]


def test_table_shows_both_placeholders(capsys, litellm_db) -> None:
    argv = ["--db", f"sqlite:///{litellm_db}", "--start", START.isoformat(), "--end", END.isoformat()]
    assert main(["report", "tags", "--tag-prefix", "cost-center", *argv]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split("  ")[0] for line in lines[4:] if line and not line.startswith(("-", "TOTAL", "A request"))]
    assert "(no cost-center)" in names and "(untagged)" in names
    assert not any("\x00" in line for line in lines)


# ---------------------------------------------------------------- the proxy's fact set


@pytest.fixture(scope="module")
def proxy():  # type: ignore[no-untyped-def]
    from tests.proxy_server import FixtureServer
    from tests.test_facts import proxy_engine, requests, serve, truth

    rows = requests(seed=13, n=4000)
    with FixtureServer() as server:
        serve(server, rows)
        engine = proxy_engine(server)
        yield engine, truth(rows)
        engine.close()


def test_fact_set_leaves_out_what_the_tag_table_cannot_count_and_says_so(proxy) -> None:
    from tests.test_facts import TODAY, WINDOW, same_rows

    engine, want = proxy
    got = engine.query.breakdown("tag:cost-center", WINDOW)
    assert not any(is_placeholder(g.value, "tag:cost-center") for g in got)
    assert "(untagged)" in got.caveats[0] and "(no cost-center)" in got.caveats[0]
    want_rows = want.breakdown("tag:cost-center", WINDOW)
    same_rows(got, [g for g in want_rows if not is_placeholder(g.value, "tag:cost-center")])
    with pytest.raises(NotExact, match="cannot answer"):
        engine.query.totals(WINDOW, Filters(tag=frozenset({tag_filter("cost-center", "(no cost-center)")})))
    with pytest.raises(NotExact, match="cannot answer"):
        engine.query.totals(WINDOW, Filters(tag=frozenset({""})))
    # the live days come from the request log: both rows are there, exact, and filter exactly
    live = Window(TODAY - 1, TODAY)
    got = engine.query.breakdown("tag:cost-center", live)
    assert not getattr(got, "caveats", ()) and {"(untagged)", "(no cost-center)"} <= {g.name for g in got}
    same_rows(got, want.breakdown("tag:cost-center", live))
    for value in ("", "(no cost-center)"):
        f = Filters(tag=frozenset({tag_filter("cost-center", value)}))
        a, b = engine.query.totals(live, f), want.totals(live, f)
        assert (a.requests, a.spend) == (b.requests, b.spend) and a.requests > 0


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def pg_db() -> str:
    from spendtui.demo.generator import generate_rows
    from spendtui.demo.world import build_world
    from tests.helpers import create_pg_database, insert_pg_keys, insert_pg_rows, load_real_schema

    url = create_pg_database("spendtui_test_tag_categories")
    load_real_schema(url)
    world = build_world(23)
    batch = generate_rows(world, np.random.default_rng(9), FIXED_NOW - timedelta(days=40), FIXED_NOW, 8_000)
    insert_pg_rows(url, batch)
    insert_pg_keys(url, world)
    return url


@pytest.mark.postgres
@pytest.mark.parametrize("category", ["cost-center", "env", "nosuch"])
def test_pg_category_rows_equal_sql(capsys, pg_db, category) -> None:
    from tests.test_reports_sqlite import assert_rows

    args = ["--db", pg_db, "--start", "2026-11-01", "--end", END.isoformat(), "--format", "json"]
    code = main(["report", "tags", "--tag-prefix", category, *args])
    out = capsys.readouterr()
    assert code == (1 if category == "nosuch" else 0), out.err
    doc = json.loads(out.out)
    truth = Truth(pg_db).tags(date(2026, 11, 1), END, category)
    assert f"(no {category})" in truth and "(untagged)" in truth
    assert_rows(doc, truth)
