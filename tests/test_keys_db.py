"""Database key writes: opt-in only, LiteLLM's format, one transaction, both layouts and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3

import psycopg
import pytest

from spendtui.cli import main
from spendtui.errors import WriteRefused
from spendtui.keys.db_writer import DatabaseKeyWriter, KeyWriteError
from spendtui.keys.spec import SpecError, parse_spec
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from tests.helpers import create_pg_database, load_real_schema


def writer(url: str, allowed: bool = True) -> DatabaseKeyWriter:
    target = parse_database_url(url)
    source = DatabaseSource(target)
    schema = source.schema()
    source.close()
    return DatabaseKeyWriter(target, schema, allowed=allowed)


def test_spec_rules() -> None:
    spec = parse_spec({"alias": "a", "max_budget": "10.50", "budget_duration": "monthly", "models": "x, y ,x"})
    assert spec.budget_duration == "30d" and spec.models == ("x", "y") and str(spec.max_budget) == "10.50"
    assert spec.request_body() == {"budget_duration": "30d", "key_alias": "a", "max_budget": 10.5, "models": ["x", "y"]}
    with pytest.raises(SpecError) as info:
        parse_spec(
            {
                "alias": "a",
                "max_budget": "NaN",
                "soft_budget": "-1",
                "budget_duration": "2mo",
                "tpm_limit": "1.5",
                "duration": "forever",
                "metadata": "NaN",
            }
        )
    assert set(info.value.errors) == {
        "max_budget",
        "soft_budget",
        "budget_duration",
        "tpm_limit",
        "duration",
        "metadata",
    }
    with pytest.raises(SpecError, match="above the max budget"):
        parse_spec({"alias": "a", "max_budget": "5", "soft_budget": "6"})
    with pytest.raises(SpecError, match="needs a max budget"):
        parse_spec({"alias": "a", "budget_duration": "7d"})


def test_refused_without_opt_in(litellm_db, tmp_path) -> None:
    db = tmp_path / "k.db"
    shutil.copy(litellm_db, db)
    with pytest.raises(WriteRefused, match="allow-db-writes"):
        writer(f"sqlite:///{db}", allowed=False)


def test_create_update_block_delete_sqlite(litellm_db, tmp_path) -> None:
    db = tmp_path / "k.db"
    shutil.copy(litellm_db, db)
    w = writer(f"sqlite:///{db}")
    spec = parse_spec(
        {
            "alias": "ops-key",
            "max_budget": "12",
            "budget_duration": "7d",
            "soft_budget": "10",
            "models": "gpt-4o",
            "tags": "project:ops",
            "tpm_limit": "1000",
            "duration": "30d",
        }
    )
    created = w.create(spec)
    assert created.key.startswith("sk-") and len(created.key) == 25
    assert created.token == hashlib.sha256(created.key.encode()).hexdigest()
    assert created.budget_reset_at is not None and created.budget_reset_at.weekday() == 0  # LiteLLM: Mondays
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT key_alias, key_name, max_budget, budget_duration, models, metadata, tpm_limit, "
            'expires, budget_id, spend FROM "LiteLLM_VerificationToken" WHERE token = ?',
            (created.token,),
        ).fetchone()
        stored = conn.execute(
            'SELECT count(*) FROM "LiteLLM_VerificationToken" WHERE token = ?', (created.key,)
        ).fetchone()[0]
    assert stored == 0  # the raw key is never stored
    alias, name, max_budget, duration, models, metadata, tpm, expires, budget_id, spend = row
    assert (alias, name, max_budget, duration, tpm, spend) == ("ops-key", created.key_name, 12.0, "7d", 1000, 0.0)
    assert json.loads(models) == ["gpt-4o"] and json.loads(metadata) == {"tags": ["project:ops"]}
    assert expires is not None and budget_id
    w.update(created.token, parse_spec({"max_budget": "20", "soft_budget": "15"}, require_alias=False))
    w.block(created.token, True)
    with sqlite3.connect(db) as conn:
        assert conn.execute(
            'SELECT max_budget, blocked FROM "LiteLLM_VerificationToken" WHERE token = ?', (created.token,)
        ).fetchone() == (20.0, 1)
        assert conn.execute(
            'SELECT soft_budget FROM "LiteLLM_BudgetTable" WHERE budget_id = ?', (budget_id,)
        ).fetchone() == (15.0,)
    w.delete(created.token)
    with pytest.raises(KeyWriteError, match="no such key"):
        w.delete(created.token)
    w.close()


def test_transaction_is_all_or_nothing(litellm_db, tmp_path) -> None:
    db = tmp_path / "k.db"
    shutil.copy(litellm_db, db)
    with sqlite3.connect(db) as conn:  # make the key insert fail after the budget row went in
        conn.execute(
            'CREATE TRIGGER no_keys BEFORE INSERT ON "LiteLLM_VerificationToken" '
            "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
        )
        before = conn.execute('SELECT count(*) FROM "LiteLLM_BudgetTable"').fetchone()[0]
    w = writer(f"sqlite:///{db}")
    with pytest.raises(KeyWriteError, match="refused by test trigger"):
        w.create(parse_spec({"alias": "x", "max_budget": "5", "soft_budget": "4"}))
    with sqlite3.connect(db) as conn:
        assert conn.execute('SELECT count(*) FROM "LiteLLM_BudgetTable"').fetchone()[0] == before


def test_compact_layout_stores_what_it_can(compact_db, tmp_path, capsys) -> None:
    db = tmp_path / "c.db"
    shutil.copy(compact_db, db)
    code = main(
        [
            "keys",
            "create",
            "--alias",
            "c1",
            "--max-budget",
            "3",
            "--team",
            "t1",
            "--db",
            str(db),
            "--allow-db-writes",
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr()
    assert code == 0 and "alias 'c1' is not stored" in out.err
    doc = json.loads(out.out)
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT max_budget, team_id, spend FROM LiteLLM_VerificationToken WHERE token = ?", (doc["token"],)
        ).fetchone()
    assert row == (3.0, "t1", 0.0) and doc["token"] == hashlib.sha256(doc["key"].encode()).hexdigest()
    code = main(
        [
            "keys",
            "create",
            "--alias",
            "c2",
            "--budget-duration",
            "7d",
            "--max-budget",
            "1",
            "--db",
            str(db),
            "--allow-db-writes",
        ]
    )
    assert code == 2 and "no column for: budget_duration" in capsys.readouterr().err


def test_compact_layout_updates_what_it_has_and_refuses_the_rest(compact_db, tmp_path, capsys) -> None:
    """The compact token table has max_budget but no budget_id or budget_duration: an
    update of the max budget is written; the others are refused, naming the column,
    with nothing written (it used to fail on 'SELECT budget_id')."""
    db = tmp_path / "c.db"
    shutil.copy(compact_db, db)
    with sqlite3.connect(db) as conn:
        token, before = conn.execute("SELECT token, max_budget FROM LiteLLM_VerificationToken LIMIT 1").fetchone()
    args = ["--db", str(db), "--allow-db-writes"]
    assert main(["keys", "update", token, "--max-budget", "12.5", *args]) == 0
    capsys.readouterr()
    for flag, value, column in (("--budget-duration", "30d", "budget_duration"), ("--soft-budget", "2", "soft_budget")):
        code = main(["keys", "update", token, flag, value, "--max-budget", "99", *args])
        assert code == 2 and f"no column for: {column}; nothing was written" in capsys.readouterr().err
    with sqlite3.connect(db) as conn:
        after = conn.execute("SELECT max_budget FROM LiteLLM_VerificationToken WHERE token = ?", (token,)).fetchone()
    assert after == (12.5,) and before != 12.5


@pytest.mark.postgres
def test_postgres_real_schema(capsys) -> None:
    url = create_pg_database("spendtui_test_keys")
    load_real_schema(url)
    code = main(
        [
            "keys",
            "create",
            "--alias",
            "pg-key",
            "--max-budget",
            "50",
            "--budget-duration",
            "monthly",
            "--soft-budget",
            "40",
            "--models",
            "gpt-4o,gpt-4o-mini",
            "--tags",
            "env:prod",
            "--db",
            url,
            "--allow-db-writes",
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT key_alias, max_budget, budget_duration, models, metadata, budget_reset_at, "
            'budget_id FROM "LiteLLM_VerificationToken" WHERE token = %s',
            (doc["token"],),
        ).fetchone()
        soft = conn.execute('SELECT soft_budget FROM "LiteLLM_BudgetTable" WHERE budget_id = %s', (row[6],)).fetchone()
    assert row[:5] == ("pg-key", 50.0, "30d", ["gpt-4o", "gpt-4o-mini"], {"tags": ["env:prod"]})
    assert row[5].day == 1 and soft == (40.0,)
    assert main(["keys", "block", "pg-key", "--db", url, "--allow-db-writes"]) == 0
    assert main(["keys", "delete", "pg-key", "--db", url, "--allow-db-writes"]) == 2  # no --yes, no terminal
    assert main(["keys", "delete", "pg-key", "--db", url, "--allow-db-writes", "--yes"]) == 0
