"""PostgreSQL restarted under the database source: a clear error while it is down, then the
source recovers by itself and the totals equal SQL ground truth (nothing lost or doubled)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from datetime import timedelta

import numpy as np
import pytest

from spendtui.core.selection import Window
from spendtui.demo.generator import generate_rows
from spendtui.demo.world import build_world
from spendtui.engine import SpendEngine
from spendtui.errors import SourceUnavailable
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import fixed_clock
from tests.helpers import FIXED_NOW, ROOT, insert_pg_rows, load_real_schema, need

pytestmark = pytest.mark.postgres


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def private_pg():  # type: ignore[no-untyped-def]
    """A PostgreSQL cluster of our own (the shared test server must not be restarted).

    Its directory sits directly under the temp dir: the postgres user must reach it."""
    need(os.path.isdir("/usr/lib/postgresql"), "PostgreSQL binaries are not installed")
    directory = os.path.join(tempfile.gettempdir(), f"spendtui-pg-restart-{os.getpid()}")
    env = {**os.environ, "SPENDTUI_PG_DIR": directory, "SPENDTUI_PG_PORT": str(free_port())}
    script = str(ROOT / ".ci" / "postgres.sh")
    url = subprocess.run(["bash", script, "start"], env=env, capture_output=True, text=True, check=True).stdout
    admin = url.strip()

    def ctl(action: str) -> None:
        subprocess.run(["bash", script, action], env=env, capture_output=True, text=True, check=True)

    yield admin, ctl
    ctl("stop")
    shutil.rmtree(env["SPENDTUI_PG_DIR"], ignore_errors=True)


def test_source_recovers_after_a_restart(private_pg) -> None:
    import psycopg

    admin, ctl = private_pg
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE restart_test")
    url = admin.rsplit("/", 1)[0] + "/restart_test"
    load_real_schema(url)
    world = build_world(17)
    rng = np.random.default_rng(2)
    insert_pg_rows(url, generate_rows(world, rng, FIXED_NOW - timedelta(days=10), FIXED_NOW, 3000))
    engine = SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(FIXED_NOW + timedelta(hours=1)))
    window = Window(engine.today() - 20, engine.today())
    engine.load(window.first_day)
    before = engine.query.totals(window)
    ctl("stop")
    with pytest.raises(SourceUnavailable) as info:
        engine.refresh()
    assert "restart_test" in str(info.value) or "127.0.0.1" in str(info.value)
    assert "spendtui:spendtui@" not in str(info.value)  # no password in the message
    assert engine.query.totals(window) == before  # the last data is kept
    ctl("start")
    insert_pg_rows(url, generate_rows(world, rng, FIXED_NOW, FIXED_NOW + timedelta(minutes=30), 200, growth=False))
    engine.refresh(deep=True)
    engine.refresh()
    with psycopg.connect(url) as conn:
        spend, requests = conn.execute(
            'SELECT sum(spend), count(*) FROM "LiteLLM_SpendLogs" WHERE "startTime" >= %s AND spend BETWEEN 0 AND 1e6',
            (window.first.isoformat(),),
        ).fetchone()
    after = engine.query.totals(window)
    assert after.requests == requests == before.requests + 200
    assert abs(after.spend / 1e12 - spend) < 1e-6
