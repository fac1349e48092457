"""Hostile strings are data, never SQL: key writes (the only writes spendtui makes, opt-in)
store them verbatim and touch nothing else; reads run in read-only sessions; filters and
search never reach SQL at all (they run on the in-memory cube, see test_properties.py).
Against real SQLite files and the real PostgreSQL test server."""

from __future__ import annotations

import json
import shutil
import sqlite3

import psycopg
import pytest
from sqlalchemy import text

from spendtui.cli import main
from spendtui.errors import SourceError
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from tests.helpers import create_pg_database, load_real_schema, pg_admin_url

HOSTILE = [
    'x\'); DROP TABLE "LiteLLM_SpendLogs"; --',
    "' OR '1'='1",
    'a"b\\c',
    "%_*?[]",
    "$1; SELECT pg_sleep(5)",
    ":token",
    "ünï’cödé 🙂",
]


def counts(url: str) -> tuple[int, int]:
    """Spend rows and keys, read independently of spendtui."""
    sql_logs = 'SELECT count(*) FROM "LiteLLM_SpendLogs"'
    sql_keys = 'SELECT count(*) FROM "LiteLLM_VerificationToken"'
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql_logs).fetchone()[0], conn.execute(sql_keys).fetchone()[0]
    with psycopg.connect(url) as conn:
        return conn.execute(sql_logs).fetchone()[0], conn.execute(sql_keys).fetchone()[0]


def stored(url: str, token: str) -> tuple:
    sql = 'SELECT key_alias, models, metadata FROM "LiteLLM_VerificationToken" WHERE token = '
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            alias, models, metadata = conn.execute(sql + "?", (token,)).fetchone()
            return alias, json.loads(models), json.loads(metadata)
    with psycopg.connect(url) as conn:
        return conn.execute(sql + "%s", (token,)).fetchone()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, litellm_db, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        db = tmp_path / "hostile.db"
        shutil.copy(litellm_db, db)
        return f"sqlite:///{db}"
    if not pg_admin_url():
        pytest.skip("SPENDTUI_TEST_PG is not set")
    url = create_pg_database("spendtui_test_hostile")
    load_real_schema(url)
    return url


def test_hostile_key_fields_are_stored_verbatim_and_touch_nothing_else(database, capsys) -> None:
    before_logs, before_keys = counts(database)
    for i, value in enumerate(HOSTILE):
        alias = f"{value}#{i}"
        argv = ["keys", "create", "--alias", alias, "--models", "gpt-4o", "--metadata", json.dumps({"note": value})]
        assert main([*argv, "--db", database, "--allow-db-writes", "--format", "json"]) == 0
        created = json.loads(capsys.readouterr().out)
        assert stored(database, created["token"]) == (alias, ["gpt-4o"], {"note": value})
        # found again by that alias, and only that key is changed
        assert main(["keys", "block", alias, "--db", database, "--allow-db-writes"]) == 0
        assert main(["keys", "delete", alias, "--db", database, "--allow-db-writes", "--yes"]) == 0
        capsys.readouterr()
        assert counts(database) == (before_logs, before_keys)
    # a name that is not there is refused, whatever it contains
    assert main(["keys", "delete", HOSTILE[0], "--db", database, "--allow-db-writes", "--yes"]) != 0
    assert counts(database) == (before_logs, before_keys)


def test_hostile_report_arguments_read_and_change_nothing(database, capsys) -> None:
    before = counts(database)
    for value in HOSTILE:
        for argv in (["report", "user", value], ["report", "tags", "--tag-prefix", value]):
            code = main([*argv, "--db", database, "--format", "json"])
            out = capsys.readouterr()
            if code == 2:  # a category cannot contain ':': refused before any query
                assert ":" in value and "without ':'" in out.err
            else:  # no such user or category: the (empty) report, and a warning naming it
                assert code == 1 and "warning: no request" in out.err, out.err
                json.loads(out.out)
    assert counts(database) == before


def test_sqlite_sessions_are_read_only(litellm_db, tmp_path) -> None:
    db = tmp_path / "ro.db"
    shutil.copy(litellm_db, db)
    url = f"sqlite:///{db}"
    before = counts(url)
    source = DatabaseSource(parse_database_url(url))
    try:
        for statement in ('DELETE FROM "LiteLLM_SpendLogs"', 'DROP TABLE "LiteLLM_SpendLogs"', "PRAGMA query_only = 0"):
            with pytest.raises(SourceError, match="readonly|read-only|read only"):
                with source.connection() as conn:
                    conn.execute(text(statement))
                    conn.execute(text('DELETE FROM "LiteLLM_SpendLogs"'))
    finally:
        source.close()
    assert counts(url) == before
