"""``report sessions`` and ``report tools`` on a real demo database, SQLite and PostgreSQL:
every figure equals plain SQL over the request rows, summed here in Python."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from spendtui.demo.generator import create_demo_db
from tests.helpers import FIXED_NOW, pg_copy_of, spendtui
from tests.test_cache_tokens import cache_exprs

START, END = date(2026, 11, 1), date(2026, 11, 27)
RANGE = ["--start", START.isoformat(), "--end", END.isoformat()]
COLUMNS = {"sessions": "session_id", "tools": "mcp_namespaced_tool_name"}
BACKENDS = ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("top") / "demo.db"
    create_demo_db(path, rows=20_000, days=40, seed=21, now=FIXED_NOW)
    return path


@pytest.fixture(scope="module")
def pg_url(demo_db: Path) -> str:
    return pg_copy_of(demo_db, "spendtui_test_top")


@pytest.fixture
def url(request: pytest.FixtureRequest, backend: str, demo_db: Path) -> str:
    return request.getfixturevalue("pg_url") if backend == "pg" else f"sqlite:///{demo_db}"


def truth(url: str, column: str) -> tuple[dict[str, dict[str, Any]], int, int, int, int]:
    """Per value of ``column``: spend (pico), requests, tokens, failures, first/last time,
    models and keys; then spend and requests with a value and without, over usable rows."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    lo, hi = START.isoformat(), (END + timedelta(days=1)).isoformat()
    cast = "CAST(:lo AS timestamp)" if url.startswith("postgresql") else ":lo"
    cast_hi = cast.replace(":lo", ":hi")
    read, write = cache_exprs(url.startswith("postgresql"))  # (LiteLLM's rule, written for that test)
    sql = (
        f'SELECT {column}, spend, prompt_tokens, completion_tokens, total_tokens, status, "startTime", '  # noqa: S608
        f'model_group, model, api_key, {read}, {write} FROM "LiteLLM_SpendLogs" '
        f'WHERE "startTime" >= {cast} AND "startTime" < {cast_hi}'
    )
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"lo": lo, "hi": hi}).all()
    engine.dispose()
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "spend": 0,
            "requests": 0,
            "p": 0,
            "c": 0,
            "t": 0,
            "f": 0,
            "r": 0,
            "w": 0,
            "times": [],
            "models": set(),
            "keys": set(),
        }
    )
    spend_with = requests_with = spend_without = requests_without = 0
    for value, spend, p, c, t, status, start, group, model, key, cache_read, cache_write in rows:
        if spend is None or not 0 <= spend <= 1_000_000:
            continue
        pico = round(spend * 1e12)
        if not value:
            spend_without += pico
            requests_without += 1
            continue
        g = groups[value]
        g["spend"] += pico
        g["requests"] += 1
        g["p"] += p or 0
        g["c"] += c or 0
        g["t"] += t if t is not None else (p or 0) + (c or 0)
        g["f"] += status == "failure"
        g["r"] += int(cache_read or 0)
        g["w"] += int(cache_write or 0)
        g["times"].append(start if isinstance(start, datetime) else datetime.fromisoformat(start[:19]))
        g["models"].add(group or model)
        g["keys"].add(key)
        spend_with += pico
        requests_with += 1
    return dict(groups), spend_with, requests_with, spend_without, requests_without


def usd(pico: int) -> Decimal:
    return (Decimal(pico) / 10**12).quantize(Decimal("0.000001"))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["sessions", "tools"])
def test_top_rows_and_totals_equal_sql(kind: str, url: str) -> None:
    run = spendtui("report", kind, *RANGE, "--db", url, "--format", "json", "--top", "25")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout, parse_float=Decimal)
    groups, spend_with, requests_with, spend_without, requests_without = truth(url, COLUMNS[kind])
    assert len(groups) > 5, "the demo should log some " + kind
    assert sum(g["r"] for g in groups.values()) > 0, "some of them read the prompt cache"
    assert doc["groups"] == len(groups) and doc["shown"] == min(25, len(groups))
    assert doc["total"] == {"spend": usd(spend_with), "requests": requests_with}
    assert doc["without"] == {"spend": usd(spend_without), "requests": requests_without}
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1]["spend"], -kv[1]["requests"], kv[0]))[:25]
    assert [r["id"] for r in doc["rows"]] == [k for k, _ in ranked]
    for row, (_, g) in zip(doc["rows"], ranked, strict=True):
        assert row["spend"] == usd(g["spend"]) and row["requests"] == g["requests"]
        assert (row["prompt_tokens"], row["completion_tokens"], row["total_tokens"]) == (g["p"], g["c"], g["t"])
        assert row["failures"] == g["f"]
        assert (row["cache_read_tokens"], row["cache_creation_tokens"]) == (g["r"], g["w"])
        assert row["first_seen"] == min(g["times"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row["last_seen"] == max(g["times"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row["models"] == sorted(g["models"]) and {k["id"] for k in row["keys"]} == g["keys"]
        assert all(k["label"] and k["label"] != k["id"] for k in row["keys"])  # aliases, not hashes


def test_table_and_csv_say_the_same(demo_db: Path) -> None:
    db = ["--db", f"sqlite:///{demo_db}"]
    doc = json.loads(spendtui("report", "sessions", *RANGE, *db, "--format", "json", "--top", "3").stdout)
    csv_run = spendtui("--format", "csv", "--top", "3", "report", "sessions", *RANGE, *db)  # flags before too
    assert csv_run.returncode == 0, csv_run.stderr
    lines = csv_run.stdout.splitlines()
    assert lines[0].split(",")[:4] == ["id", "name", "spend", "requests"] and len(lines) == 4
    assert [line.split(",")[0] for line in lines[1:]] == [r["id"] for r in doc["rows"]]
    table = spendtui("report", "sessions", *RANGE, *db, "--top", "3")
    assert table.returncode == 0 and all(r["id"] in table.stdout for r in doc["rows"])
    assert f"{doc['groups']:,} sessions with requests" in table.stdout


def test_a_proxy_source_or_an_older_database_says_why_it_cannot(tmp_path: Path) -> None:
    run = spendtui("report", "sessions", "--proxy", "http://127.0.0.1:9", "--key", "sk-test")
    assert run.returncode == 3 and "REST API has no per-session or per-tool totals" in run.stderr, run.stderr
    old = tmp_path / "compact.db"
    assert spendtui("demo-db", str(old), "--rows", "500", "--layout", "compact").returncode == 0
    run = spendtui("report", "tools", "--db", f"sqlite:///{old}")
    assert run.returncode == 3 and "no mcp_namespaced_tool_name column" in run.stderr, run.stderr
    run = spendtui("report", "models", "--top", "3", "--db", f"sqlite:///{old}")
    assert run.returncode == 2 and "--top only applies" in run.stderr
