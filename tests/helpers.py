"""Test helpers: fixed clock, fixture paths, PostgreSQL test databases, demo rows in PG."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spendtui.demo.generator import RowBatch
from spendtui.demo.schema import LITELLM_LOG_COLUMNS
from spendtui.demo.world import DemoWorld, abbreviate_key

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
FIXTURES = DATA / "litellm-1.108.7"
RESPONSES = FIXTURES / "responses"
#: The moment every demo database in the tests pretends is "now".
FIXED_NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip outside CI when a real server is missing; fail under CI=true."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)


def pg_admin_url() -> str | None:
    return os.environ.get("SPENDTUI_TEST_PG")


def create_pg_database(name: str) -> str:
    """A fresh, empty database on the test server; returns its URL."""
    import psycopg

    admin = pg_admin_url()
    need(bool(admin), "SPENDTUI_TEST_PG is not set: start one with `bash .ci/postgres.sh start`")
    assert admin is not None
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        need(False, f"PostgreSQL test server unreachable: {exc}")
    return admin.rsplit("/", 1)[0] + f"/{name}"


def load_real_schema(url: str) -> None:
    """Apply the recorded LiteLLM 1.108.7 schema (pg_dump output, psql meta-commands removed)."""
    import psycopg

    sql = (FIXTURES / "schema.sql").read_text()
    sql = "\n".join(line for line in sql.splitlines() if not line.startswith("\\") and " OWNER TO " not in line)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


#: Kept for benchmarks/pg.py, which imports it from here: the demo generator's own column list.
LOG_COLUMNS_PG = LITELLM_LOG_COLUMNS


def insert_pg_rows(url: str, batch: RowBatch, columns: tuple[str, ...] = LITELLM_LOG_COLUMNS) -> None:
    """COPY generated rows into "LiteLLM_SpendLogs"."""
    import psycopg

    cols = ", ".join(f'"{c}"' for c in columns)
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            with cur.copy(f'COPY "LiteLLM_SpendLogs" ({cols}) FROM STDIN') as copy:
                for row in zip(*(batch.columns[c] for c in columns), strict=True):
                    copy.write_row(row)
        conn.commit()


def insert_pg_keys(url: str, world: DemoWorld) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        for key in world.keys:
            conn.execute(
                'INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, user_id, team_id, '
                "max_budget, budget_duration, metadata) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    key.token,
                    abbreviate_key(key.raw),
                    key.alias,
                    key.user_id,
                    key.team.team_id if key.team else None,
                    key.max_budget,
                    key.budget_duration,
                    json.dumps({}),
                ),
            )
        for team in world.teams:
            conn.execute(
                'INSERT INTO "LiteLLM_TeamTable" (team_id, team_alias) VALUES (%s, %s)',
                (team.team_id, team.alias),
            )
        conn.commit()


#: Tables a demo database has, in an order LiteLLM's foreign keys accept.
DEMO_TABLES = (
    "LiteLLM_BudgetTable",
    "LiteLLM_OrganizationTable",
    "LiteLLM_TeamTable",
    "LiteLLM_ProjectTable",
    "LiteLLM_AgentsTable",
    "LiteLLM_UserTable",
    "LiteLLM_EndUserTable",
    "LiteLLM_VerificationToken",
    "LiteLLM_DeletedVerificationToken",
    "LiteLLM_DeletedTeamTable",
    "LiteLLM_TeamMembership",
    "LiteLLM_TagTable",
    "LiteLLM_SpendLogs",
)


def pg_copy_of(sqlite_path: Path, name: str) -> str:
    """A fresh PostgreSQL database ``name`` with LiteLLM's real schema holding the rows of
    a LiteLLM-layout SQLite file; its URL."""
    url = create_pg_database(name)
    load_real_schema(url)
    copy_demo_db_to_pg(sqlite_path, url)
    return url


def copy_demo_db_to_pg(sqlite_path: Path, url: str) -> None:
    """COPY every table of a LiteLLM-layout SQLite demo database into a PostgreSQL database
    with LiteLLM's real schema (``load_real_schema``): the columns both have, but for PG
    arrays (the demo keeps JSON text there). Tables absent from the demo file are skipped."""
    import psycopg

    lite = sqlite3.connect(sqlite_path)
    try:
        with psycopg.connect(url) as conn:
            for table in DEMO_TABLES:
                have = [r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')]
                if not have:
                    continue
                pg_types = dict(
                    conn.execute(
                        "SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND table_name = %s",
                        (table,),
                    ).fetchall()
                )
                cols = [c for c in have if c in pg_types and pg_types[c] != "ARRAY"]
                quoted = ", ".join(f'"{c}"' for c in cols)
                with conn.cursor() as cur:
                    with cur.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                        for row in lite.execute(f'SELECT {quoted} FROM "{table}"'):  # noqa: S608 (table names above)
                            copy.write_row(row)
            conn.commit()
    finally:
        lite.close()


@contextmanager
def locked_copy(source: Path, directory: Path) -> Iterator[Path]:
    """A copy of the SQLite database ``source`` in ``directory``, held by a writer's
    ``BEGIN EXCLUSIVE`` (no reader gets in) until the block ends."""
    db = directory / "locked.db"
    shutil.copy(source, db)
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        yield db
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def spendtui(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a fresh process (environment: the test's isolated one)."""
    return subprocess.run(
        [sys.executable, "-m", "spendtui", *argv],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=120,
        cwd=cwd,
    )
