"""The real LiteLLM schema on a real PostgreSQL server: reports equal SQL ground truth."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest

from spendtui.cli import main
from spendtui.demo.generator import generate_rows
from spendtui.demo.world import build_world
from spendtui.engine import SpendEngine
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from tests.helpers import FIXED_NOW, create_pg_database, insert_pg_keys, insert_pg_rows, load_real_schema
from tests.test_reports_sqlite import assert_rows, assert_total
from tests.truth import Truth

pytestmark = pytest.mark.postgres
START, END = date(2026, 11, 1), date(2026, 11, 27)


@pytest.fixture(scope="module")
def pg_litellm() -> str:
    url = create_pg_database("spendtui_test_reports")
    load_real_schema(url)
    world = build_world(21)
    rng = np.random.default_rng(5)
    batch = generate_rows(world, rng, FIXED_NOW - timedelta(days=40), FIXED_NOW, 12_000)
    insert_pg_rows(url, batch)
    insert_pg_keys(url, world)
    return url


def run_json(capsys, *argv: str) -> dict:
    code = main([*argv, "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


@pytest.mark.parametrize(
    ("kind", "column"),
    [
        ("keys", "api_key"),
        ("users", '"user"'),
        ("teams", "team_id"),
        ("customers", "end_user"),
        ("providers", "custom_llm_provider"),
    ],
)
def test_pg_breakdowns_match_sql(capsys, pg_litellm, kind, column) -> None:
    truth = Truth(pg_litellm)
    doc = run_json(capsys, "report", kind, "--db", pg_litellm, "--start", str(START), "--end", str(END))
    assert_rows(doc, truth.by(column, START, END))
    assert_total(doc, truth.total(START, END))


def test_pg_models_daily_tags(capsys, pg_litellm) -> None:
    truth = Truth(pg_litellm)
    args = ["--db", pg_litellm, "--start", str(START), "--end", str(END)]
    assert_rows(run_json(capsys, "report", "models", *args), truth.model(START, END))
    daily = run_json(capsys, "report", "daily", *args)
    assert_rows({"rows": [r for r in daily["rows"] if r["requests"]]}, truth.daily(START, END))
    assert_rows(run_json(capsys, "report", "tags", *args), truth.tags(START, END))
    assert_rows(
        run_json(capsys, "report", "tags", "--tag-prefix", "project", *args),
        truth.tags(START, END, "project"),
    )


def test_pg_prisma_url_and_names(pg_litellm) -> None:
    prisma_url = pg_litellm + "?connection_limit=5&pool_timeout=10&schema=public"
    source = DatabaseSource(parse_database_url(prisma_url))
    engine = SpendEngine(source)
    engine.load(engine.today() - 30)
    names = engine.names
    assert names.key_alias and names.team_alias
    key, alias = next(iter(names.key_alias.items()))
    assert names.key(key) == alias
    engine.close()


def test_pg_session_is_read_only(pg_litellm) -> None:
    from sqlalchemy import text

    from spendtui.errors import SourceError

    source = DatabaseSource(parse_database_url(pg_litellm))
    with pytest.raises(SourceError, match="read-only"):
        with source.connection() as conn:
            conn.execute(text('DELETE FROM "LiteLLM_SpendLogs"'))
    with source.connection() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
        assert conn.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
    source.close()
