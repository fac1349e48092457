"""Prompt-cache tokens (cache read, cache creation) from every source, against ground truth.

LiteLLM 1.108.7's request log has no column for them: they are in the usage object it logs
in ``metadata.usage_object`` (Anthropic: ``cache_read_input_tokens`` /
``cache_creation_input_tokens``; OpenAI style: ``prompt_tokens_details.cached_tokens`` /
``cache_write_tokens`` / ``cache_creation_tokens``), and its daily tables hold the sums
(filled by ``extract_cache_read_tokens`` / ``extract_cache_creation_tokens``). The ground
truth here is SQL written for this test (SQLite ``json_type`` / ``json_extract``,
PostgreSQL ``jsonb``), and the odd cases' expected values are written out by hand.
"""

from __future__ import annotations

import copy
import json
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from spendtui.cli import main
from spendtui.core.query import Window
from spendtui.demo.generator import create_demo_db
from spendtui.engine import SpendEngine
from spendtui.sources.daily.tables import DailyTable, merge_page
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.sources.proxy.logs import raw_row
from spendtui.sources.proxy.reads import read_daily
from spendtui.timeutil import day_number, day_of, fixed_clock
from tests.helpers import FIXED_NOW, copy_demo_db_to_pg, create_pg_database, load_real_schema, need
from tests.peer import MASTER, PEER_DB, PEER_URL, peer_problem
from tests.proxy_server import RESPONSES, FixtureServer, LogStore, Reply, recorded, recorded_rows

FIRST, LAST = (FIXED_NOW - timedelta(days=19)).date(), FIXED_NOW.date()
WINDOW = ["--start", FIRST.isoformat(), "--end", LAST.isoformat()]
#: (metadata, cache read, cache creation) by LiteLLM's rule, worked out by hand. None: NULL.
CASES: list[tuple[str | None, int, int]] = [
    (None, 0, 0),
    ('{"user_api_key_alias": "no usage"}', 0, 0),
    ('{"usage_object": {"prompt_tokens": 90, "completion_tokens": 3}}', 0, 0),
    # an explicit zero gives way to the OpenAI-style field
    ('{"usage_object": {"cache_read_input_tokens": 0, "prompt_tokens_details": {"cached_tokens": 77}}}', 77, 0),
    # an explicit non-zero field wins; a float counts its whole part
    (
        '{"usage_object": {"cache_read_input_tokens": 40, "cache_creation_input_tokens": 9.7, '
        '"prompt_tokens_details": {"cached_tokens": 77, "cache_write_tokens": 5}}}',
        40,
        9,
    ),
    # text is no number; cache_write_tokens 0 gives way to cache_creation_tokens
    (
        '{"usage_object": {"cache_read_input_tokens": "12", '
        '"prompt_tokens_details": {"cache_write_tokens": 0, "cache_creation_tokens": 33}}}',
        0,
        33,
    ),
    ('{"usage_object": {"prompt_tokens_details": null, "cache_creation_input_tokens": 120}}', 0, 120),
    ('{"usage_object": "cached_tokens"}', 0, 0),  # not an object
    ('["cache_read_input_tokens", 3]', 0, 0),  # metadata not an object
    # beyond what a request can hold: 0 (the explicit field still wins over the details)
    ('{"usage_object": {"cache_read_input_tokens": 1e15, "prompt_tokens_details": {"cached_tokens": 8}}}', 0, 0),
]
#: Only SQLite can hold metadata that is no JSON at all (PostgreSQL's is jsonb).
CORRUPT = ('{"usage_object": {"cache_read_input_tokens": 5', 0, 0)


def _number(expr: str, pg: bool) -> str:
    """A JSON value as LiteLLM's Python sees a number (true is 1), else NULL."""
    if pg:
        return (
            f"CASE jsonb_typeof({expr}) WHEN 'number' THEN ({expr}#>>'{{}}')::numeric "
            f"WHEN 'boolean' THEN CASE WHEN ({expr}#>>'{{}}') = 'true' THEN 1 ELSE 0 END END"
        )
    path = expr
    return (
        f"CASE json_type(metadata, '{path}') WHEN 'integer' THEN json_extract(metadata, '{path}') "
        f"WHEN 'real' THEN json_extract(metadata, '{path}') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"
    )


def _whole(value: str, pg: bool) -> str:
    cast = f"trunc({value})::bigint" if pg else f"CAST({value} AS INTEGER)"
    return f"(CASE WHEN abs({value}) <= 1000000000000 THEN {cast} ELSE 0 END)"


def cache_exprs(pg: bool) -> tuple[str, str]:
    """A log row's cache read and creation tokens by LiteLLM's rule, written independently."""

    def at(*path: str) -> str:
        if pg:
            return "(metadata -> 'usage_object' -> " + " -> ".join(f"'{p}'" for p in path) + ")"
        return "$.usage_object." + ".".join(path)

    explicit_r = _number(at("cache_read_input_tokens"), pg)
    details_r = _number(at("prompt_tokens_details", "cached_tokens"), pg)
    explicit_w = _number(at("cache_creation_input_tokens"), pg)
    write_tokens = _number(at("prompt_tokens_details", "cache_write_tokens"), pg)
    creation_tokens = _number(at("prompt_tokens_details", "cache_creation_tokens"), pg)
    read = (
        f"CASE WHEN coalesce({explicit_r}, 0) <> 0 THEN {_whole(explicit_r, pg)} "
        f"WHEN {details_r} IS NOT NULL THEN {_whole(details_r, pg)} ELSE 0 END"
    )
    write = (
        f"CASE WHEN coalesce({explicit_w}, 0) <> 0 THEN {_whole(explicit_w, pg)} "
        f"WHEN coalesce({write_tokens}, 0) <> 0 THEN {_whole(write_tokens, pg)} "
        f"WHEN coalesce({creation_tokens}, 0) <> 0 THEN {_whole(creation_tokens, pg)} ELSE 0 END"
    )
    if not pg:  # (rows whose metadata is no JSON have none)
        return (
            f"CASE WHEN json_valid(metadata) THEN {read} ELSE 0 END",
            f"CASE WHEN json_valid(metadata) THEN {write} ELSE 0 END",
        )
    return read, write


def truth_sql(pg: bool) -> str:
    """Cache read and creation per model over [FIRST, LAST]."""
    read, write = cache_exprs(pg)
    model = "CASE WHEN coalesce(model_group, '') = '' THEN model ELSE model_group END"
    return (
        f"SELECT {model}, coalesce(sum({read}), 0), coalesce(sum({write}), 0) "  # noqa: S608
        f'FROM "LiteLLM_SpendLogs" WHERE "startTime" >= :lo AND "startTime" < :hi '
        "AND spend BETWEEN 0 AND 1000000 GROUP BY 1"
    )


def truth(url: str) -> dict[str, tuple[int, int]]:
    pg = url.startswith("postgresql")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    params = {"lo": FIRST.isoformat(), "hi": (LAST + timedelta(days=1)).isoformat()}
    with engine.connect() as conn:
        rows = conn.execute(text(truth_sql(pg)), params).fetchall()
    engine.dispose()
    return {m or "(none)": (int(r), int(w)) for m, r, w in rows}


def case_rows(cases: list[tuple[str | None, int, int]], prefix: str, hours_ago: float) -> list[dict]:
    """One request per case, each under a model of its own (``prefix-i``)."""
    at = FIXED_NOW - timedelta(hours=hours_ago)
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.000")
    return [
        {
            "request_id": f"{prefix}-{i}",
            "call_type": "acompletion",
            "api_key": "cache-test-key",
            "spend": 0.001,
            "total_tokens": 100,
            "prompt_tokens": 90,
            "completion_tokens": 10,
            "startTime": stamp,
            "endTime": stamp,
            "model": f"anthropic/{prefix}-{i}",
            "model_group": f"{prefix}-{i}",
            "metadata": metadata,
            "status": "success",
            # written at once (a cold load aggregates them in SQL), or after the load (a poll)
            "created_at": (at if hours_ago > 3 else FIXED_NOW + timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S.000"),
        }
        for i, (metadata, _, _) in enumerate(cases)
    ]


def insert(url: str, rows: list[dict]) -> None:
    names = list(rows[0])
    if url.startswith("postgresql"):
        cols = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("%s::jsonb" if n == "metadata" else "%s" for n in names)
        with psycopg.connect(url) as conn:
            conn.cursor().executemany(
                f'INSERT INTO "LiteLLM_SpendLogs" ({cols}) VALUES ({marks})',  # noqa: S608
                [tuple(r[n] for n in names) for r in rows],
            )
            conn.commit()
        return
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.executemany(
            f'INSERT INTO "LiteLLM_SpendLogs" ({", ".join(chr(34) + n + chr(34) for n in names)}) '  # noqa: S608
            f"VALUES ({', '.join('?' for _ in names)})",
            [tuple(r[n] for n in names) for r in rows],
        )


def expected_cases(cases: list[tuple[str | None, int, int]], prefix: str) -> dict[str, tuple[int, int]]:
    return {f"{prefix}-{i}": (r, w) for i, (_, r, w) in enumerate(cases)}


def report_cache(capsys, url: str, *extra: str) -> tuple[dict[str, tuple[int, int]], dict]:
    code = main(["report", "models", "--db", url, *WINDOW, *extra, "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    rows = {r["name"]: (r["cache_read_tokens"], r["cache_creation_tokens"]) for r in doc["rows"]}
    return rows, doc


def engine_cache(engine: SpendEngine) -> dict[str, tuple[int, int]]:
    window = Window(day_number(FIRST), day_number(LAST))
    return {
        g.name: (g.totals.cache_read_tokens, g.totals.cache_creation_tokens)
        for g in engine.query.breakdown("model", window)
    }


@pytest.fixture(scope="module")
def cache_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database (its Anthropic and OpenAI models log cache usage) plus the odd cases."""
    path = tmp_path_factory.mktemp("cache") / "demo.db"
    create_demo_db(path, rows=6_000, days=20, seed=21, now=FIXED_NOW)
    insert(f"sqlite:///{path}", case_rows([*CASES, CORRUPT], "case", hours_ago=30))
    return path


def test_the_ground_truth_follows_litellms_rule(cache_db) -> None:
    found = truth(f"sqlite:///{cache_db}")
    assert {m: found[m] for m in expected_cases([*CASES, CORRUPT], "case")} == expected_cases([*CASES, CORRUPT], "case")
    demo = {m: v for m, v in found.items() if not m.startswith("case-")}
    assert sum(r for r, _ in demo.values()) > 0 and sum(w for _, w in demo.values()) > 0  # the demo moves


def test_sqlite_report_equals_sql_ground_truth(capsys, cache_db) -> None:
    url = f"sqlite:///{cache_db}"
    rows, doc = report_cache(capsys, url)
    assert rows == truth(url)
    assert rows["claude-sonnet-4-5"][0] > 0 and rows["gpt-4o"][0] > 0 and rows["gemini-2.5-flash"] == (0, 0)
    total = doc["total"]
    assert total["cache_read_tokens"] == sum(r for r, _ in rows.values())
    assert total["cache_creation_tokens"] == sum(w for _, w in rows.values())
    # CSV: appended after the older columns (and after id)
    assert main(["report", "models", "--db", url, *WINDOW, "--format", "csv"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert ",total_tokens,id,cache_read_tokens,cache_creation_tokens," in header  # (then the latency)
    at = header.split(",").index("cache_read_tokens")
    assert any(line.startswith("case-4,") and line.split(",")[at : at + 2] == ["40", "9"] for line in lines)


def test_every_report_kind_carries_cache_tokens(capsys, cache_db) -> None:
    url = f"sqlite:///{cache_db}"
    want = sum(r for r, _ in truth(url).values())
    for kind in ("spend", "daily", "models", "providers", "tags", "keys", "users", "teams", "customers"):
        code = main(["report", kind, "--db", url, *WINDOW, "--format", "json"])
        out = capsys.readouterr()
        assert code == 0, (kind, out.err)
        doc = json.loads(out.out)
        assert doc["total"]["cache_read_tokens"] == want, kind
        for row in doc["rows"]:
            assert {"cache_read_tokens", "cache_creation_tokens"} <= set(row), kind
        if kind not in ("spend", "tags"):  # (a request counts in each of its tags)
            assert sum(r["cache_read_tokens"] for r in doc["rows"]) == want, kind
    for kind in ("organizations", "projects", "agents"):
        code = main(["report", kind, "--db", url, *WINDOW, "--format", "json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0 and sum(r["cache_read_tokens"] for r in doc["rows"]) == want, kind


def test_sqlite_polls_read_cache_tokens_as_the_cold_load(cache_db, tmp_path) -> None:
    db = tmp_path / "live.db"
    shutil.copy(cache_db, db)
    url = f"sqlite:///{db}"
    engine = SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(FIXED_NOW))
    engine.load(day_number(FIRST))
    insert(url, case_rows([*CASES, CORRUPT], "polled", hours_ago=2))
    assert engine.refresh(deep=False).rows == len(CASES) + 1
    found = engine_cache(engine)
    engine.close()
    assert found == truth(url)
    assert {m: found[m] for m in expected_cases([*CASES, CORRUPT], "polled")} == expected_cases(
        [*CASES, CORRUPT], "polled"
    )


@pytest.fixture(scope="module")
def pg_demo(cache_db) -> Path:
    """The demo database without the row whose metadata is no JSON (jsonb cannot hold it)."""
    lite = Path(cache_db).with_name("no-corrupt.db")
    shutil.copy(cache_db, lite)
    with sqlite3.connect(lite) as conn:
        conn.execute(f"DELETE FROM \"LiteLLM_SpendLogs\" WHERE request_id = 'case-{len(CASES)}'")
    return lite


def pg_copy(name: str, demo: Path) -> str:
    url = create_pg_database(name)
    load_real_schema(url)
    copy_demo_db_to_pg(demo, url)
    return url


@pytest.fixture(scope="module")
def pg_url(pg_demo) -> str:
    return pg_copy("spendtui_cache_tokens", pg_demo)


def test_postgres_report_equals_jsonb_ground_truth(capsys, pg_url) -> None:
    found = truth(pg_url)
    assert {m: found[m] for m in expected_cases(CASES, "case")} == expected_cases(CASES, "case")
    rows, _ = report_cache(capsys, pg_url)
    assert rows == found


def test_postgres_polls_read_cache_tokens_as_the_cold_load(pg_url) -> None:
    engine = SpendEngine(DatabaseSource(parse_database_url(pg_url)), clock=fixed_clock(FIXED_NOW))
    engine.load(day_number(FIRST))
    insert(pg_url, case_rows(CASES, "pg-polled", hours_ago=2))
    engine.refresh(deep=True)
    found = engine_cache(engine)
    engine.close()
    with psycopg.connect(pg_url) as conn:  # (the next test reads the database as it was)
        conn.execute("DELETE FROM \"LiteLLM_SpendLogs\" WHERE request_id LIKE 'pg-polled-%'")
    assert {m: found[m] for m in expected_cases(CASES, "pg-polled")} == expected_cases(CASES, "pg-polled")
    assert {m: v for m, v in found.items() if not m.startswith("pg-polled")} == truth(pg_url)


#: LiteLLM's daily tables, filled from the logs the way LiteLLM fills them (the cache
#: columns by its rule, written in jsonb here).
DAILY_FILL = """
INSERT INTO "{table}" (id, {entity}, date, api_key, model, model_group, custom_llm_provider, prompt_tokens,
    completion_tokens, cache_read_input_tokens, cache_creation_input_tokens, spend, api_requests,
    successful_requests, failed_requests, updated_at)
SELECT gen_random_uuid()::text, e, to_char("startTime", 'YYYY-MM-DD'), api_key, model, model_group,
    custom_llm_provider, sum(prompt_tokens), sum(completion_tokens), sum(r), sum(w), sum(spend), count(*),
    count(*) FILTER (WHERE status IS DISTINCT FROM 'failure'), count(*) FILTER (WHERE status = 'failure'), now()
FROM (SELECT l.*, {value} AS e, c.r, c.w FROM "LiteLLM_SpendLogs" l {join},
      LATERAL ({cache}) AS c(r, w) WHERE spend BETWEEN 0 AND 1000000) s
GROUP BY e, 3, api_key, model, model_group, custom_llm_provider
"""


def test_postgres_history_daily_reads_the_daily_tables_cache_columns(capsys, pg_demo) -> None:
    url = pg_copy("spendtui_cache_tokens_daily", pg_demo)
    read, write = cache_exprs(True)
    tags = (
        ", jsonb_array_elements_text(CASE WHEN jsonb_typeof(l.request_tags) = 'array' "
        "THEN l.request_tags ELSE '[]' END) AS t(e)"
    )
    with psycopg.connect(url) as conn:
        for table, entity, value, join in (
            ("LiteLLM_DailyUserSpend", "user_id", "nullif(l.\"user\", '')", ""),
            ("LiteLLM_DailyTeamSpend", "team_id", "nullif(l.team_id, '')", ""),
            ("LiteLLM_DailyEndUserSpend", "end_user_id", "nullif(l.end_user, '')", ""),
            ("LiteLLM_DailyTagSpend", "tag", "t.e", tags),
        ):
            fill = DAILY_FILL.format(
                table=table, entity=entity, value=value, join=join, cache=f"SELECT {read}, {write}"
            )
            conn.execute(fill)  # type: ignore[arg-type]
        conn.commit()
        daily = {
            m: (int(r), int(w))
            for m, r, w in conn.execute(
                "SELECT CASE WHEN coalesce(model_group, '') = '' THEN model ELSE model_group END, "
                'sum(cache_read_input_tokens), sum(cache_creation_input_tokens) FROM "LiteLLM_DailyUserSpend" '
                "WHERE date BETWEEN %s AND %s GROUP BY 1",
                (FIRST.isoformat(), LAST.isoformat()),
            ).fetchall()
        }
    assert daily == truth(url)  # (the tables were filled consistently with the logs)
    rows, doc = report_cache(capsys, url, "--history", "daily")
    assert rows == daily  # every day of the window is closed (the real clock is later)
    assert doc["total"]["cache_creation_tokens"] == sum(w for _, w in daily.values()) > 0
    code = main(["report", "teams", "--db", url, *WINDOW, "--history", "daily", "--format", "json"])
    teams = json.loads(capsys.readouterr().out)
    assert code == 0 and sum(r["cache_read_tokens"] for r in teams["rows"]) == sum(r for r, _ in daily.values())


# ---------------------------------------------------------------------------- the proxy
#: Usage objects given to recorded request-log rows (by position), and what they hold.
PROXY_USAGE = {
    0: ({"cache_read_input_tokens": 300, "cache_creation_input_tokens": 50}, (300, 50)),
    1: ({"prompt_tokens_details": {"cached_tokens": 1024}}, (1024, 0)),
    2: ({"prompt_tokens_details": None}, (0, 0)),
    4: ({"cache_read_input_tokens": 25, "prompt_tokens_details": {"cached_tokens": 99}}, (25, 0)),
    3: (
        {"cache_read_input_tokens": 0, "prompt_tokens_details": {"cached_tokens": 7, "cache_creation_tokens": 9}},
        (7, 9),
    ),
}


def proxy_rows() -> list[dict]:
    rows = recorded_rows()
    for at, (usage, _) in PROXY_USAGE.items():
        rows[at] = {**rows[at], "metadata": {**rows[at]["metadata"], "usage_object": usage}}
    rows[5] = {**rows[5], "metadata": None}
    rows[6] = {**rows[6], "metadata": json.dumps({"usage_object": {"cache_read_input_tokens": 11}})}  # as text
    return rows


def test_proxy_request_log_rows_carry_cache_tokens() -> None:
    rows = proxy_rows()
    parsed = [raw_row(r) for r in rows]
    for at, (_, want) in PROXY_USAGE.items():
        assert (parsed[at].cache_read_tokens, parsed[at].cache_creation_tokens) == want
    assert (parsed[5].cache_read_tokens, parsed[6].cache_read_tokens) == (0, 11)
    # the recorded rows themselves log usage objects without cache fields: 0
    assert all(p.cache_read_tokens == p.cache_creation_tokens == 0 for p in parsed[7:])
    assert [raw_row(r).cache_read_tokens for r in recorded_rows()] == [0] * len(recorded_rows())


def _with_cache_metrics(body: dict) -> tuple[dict, dict[tuple[str, str], tuple[int, int]]]:
    """The recorded answer with cache tokens in every api_keys / api_key_breakdown entry,
    and the per (day, key) sums of the api_keys entries."""
    body = copy.deepcopy(body)
    want: dict[tuple[str, str], tuple[int, int]] = {}
    n = 0
    for day in body["results"]:
        breakdown = day["breakdown"]
        for key, entry in breakdown["api_keys"].items():
            n += 1
            entry["metrics"]["cache_read_input_tokens"] = 1000 * n
            entry["metrics"]["cache_creation_input_tokens"] = n
            have = want.get((day["date"], key), (0, 0))
            want[(day["date"], key)] = (have[0] + 1000 * n, have[1] + n)
        for group in breakdown["model_groups"].values():
            for per_key in group["api_key_breakdown"].values():
                per_key["metrics"]["cache_read_input_tokens"] = 5
    return body, want


def test_proxy_daily_activity_carries_cache_tokens() -> None:
    body = json.loads((RESPONSES / "user_daily_activity.json").read_text())
    table = DailyTable("user")
    merge_page(table, body, "recorded")
    assert all(cell[7] == cell[8] == 0 for cell in table.keys.values())  # the recording: 0, as its JSON says
    changed, want = _with_cache_metrics(body)
    table = DailyTable("user")
    merge_page(table, changed, "changed")
    assert {k: (c[7], c[8]) for k, c in table.keys.items()} == want
    per_model = {k: c[7] for k, c in table.cells["model"].items()}
    assert per_model and set(per_model.values()) == {5}


def test_proxy_source_totals_include_cache_tokens() -> None:
    """A whole proxy load: the live days from the request log, older days from daily activity."""
    changed, want = _with_cache_metrics(json.loads((RESPONSES / "user_daily_activity.json").read_text()))
    with FixtureServer() as server:
        server.route("/spend/logs/v2", LogStore(proxy_rows()))
        server.route("/user/daily/activity", Reply(200, changed))
        for name in ("key_list", "team_list", "customer_list"):
            server.route(f"/{name.replace('_', '/')}", recorded(name))
        later = FIXED_NOW.replace(hour=12) + timedelta(days=5)  # the recorded day is closed
        source = ProxySource(HttpSettings(server.url, "sk-test-master"), clock=fixed_clock(later))
        engine = SpendEngine(source, clock=fixed_clock(later))
        try:
            day = day_of(FIXED_NOW)
            engine.load(day - 1)
            closed = engine.query.totals(Window(day - 1, day))
        finally:
            engine.close()
    assert closed.cache_read_tokens == sum(r for r, _ in want.values())
    assert closed.cache_creation_tokens == sum(w for _, w in want.values())


@pytest.mark.peer
def test_the_live_peers_daily_activity_gives_its_tables_cache_columns() -> None:
    """The real proxy's ``/user/daily/activity`` against its own daily table, per day and key
    (the peer's fake models report no prompt caching, so these are its zeros, read through)."""
    problem = peer_problem()
    need(problem is None, problem or "")
    with psycopg.connect(PEER_DB) as conn:
        rows = conn.execute(
            "SELECT date, api_key, sum(cache_read_input_tokens), sum(cache_creation_input_tokens) "
            'FROM "LiteLLM_DailyUserSpend" GROUP BY 1, 2'
        ).fetchall()
    need(bool(rows), "the peer's daily table is empty")
    days = sorted({day_number(date.fromisoformat(d)) for d, _, _, _ in rows})
    source = ProxySource(HttpSettings(PEER_URL, MASTER))
    try:
        table = source.http.run(lambda: read_daily(source.http, "user", days[0], days[-1]))
    finally:
        source.close()
    want = {(d, k): (int(r), int(w)) for d, k, r, w in rows}
    assert {k: (c[7], c[8]) for k, c in table.keys.items()} == want
