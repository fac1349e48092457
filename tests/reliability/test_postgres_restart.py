"""PostgreSQL restarted under the database source: a clear error while it is down, then the
source recovers by itself and the totals equal SQL ground truth (nothing lost or doubled)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta

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


async def test_dashboard_shows_stale_then_recovers_after_a_restart(private_pg) -> None:
    """The same through the dashboard, polling every second: STALE with the data's age,
    growing gaps between attempts, recovery by itself, totals equal SQL afterwards."""
    import asyncio
    import re
    import time

    import psycopg

    from spendtui.config import Config, Profile
    from spendtui.dashboard.session import uncached_engine_factory
    from spendtui.tui.app import SpendApp
    from spendtui.tui.launch import Launch
    from spendtui.tui.widgets.status import StatusBar

    admin, ctl = private_pg
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE restart_tui")
    url = admin.rsplit("/", 1)[0] + "/restart_tui"
    load_real_schema(url)
    world = build_world(18)
    rng = np.random.default_rng(3)
    now = datetime.now(UTC)  # the dashboard runs on the real clock here: ages are real
    insert_pg_rows(url, generate_rows(world, rng, now - timedelta(days=5), now - timedelta(minutes=5), 2000))
    profile = Profile(name="pg", database_url=url)
    config = Config(path=None, profiles={}, active=profile)
    app = SpendApp(Launch(config=config, refresh=1.0, autopoll=True, engine_factory=uncached_engine_factory))

    def sql_total(window: Window) -> tuple[float, int]:
        with psycopg.connect(url) as conn:
            spend, n = conn.execute(
                'SELECT coalesce(sum(spend), 0), count(*) FROM "LiteLLM_SpendLogs" '
                'WHERE "startTime" >= %s AND "startTime" < %s AND spend BETWEEN 0 AND 1e6',
                (window.first, window.last + timedelta(days=1)),
            ).fetchone()
        return float(spend), int(n)

    async def until(what, seconds: float, why: str) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + seconds
        while not what():
            assert time.monotonic() < deadline, f"not within {seconds:g}s: {why}"
            await pilot.pause(0.2)

    async with app.run_test(size=(160, 40)) as pilot:
        await until(lambda: app.applied is not None and app.applied.kpis is not None, 60, "first data")
        assert app.engine is not None
        window = Window(app.engine.today() - 20, app.engine.today())
        shown = app.applied.kpis.window  # type: ignore[union-attr]
        status = app.query_one(StatusBar)
        failures: list[float] = []
        await asyncio.to_thread(ctl, "stop")
        down_at = time.monotonic()
        seen = 0
        while time.monotonic() - down_at < 25:
            if app.polls.failures != seen:
                seen = app.polls.failures
                failures.append(round(time.monotonic() - down_at, 1))
            await pilot.pause(0.1)
        rendered = str(status.render())
        age = re.search(r"updated \d\d:\d\d:\d\d UTC \((\d+)s ago\)", rendered)
        assert status.stale_since is not None and "STALE since" in rendered
        assert age and int(age.group(1)) >= 20, rendered
        assert "spendtui:spendtui@" not in rendered  # the URL is masked
        assert app.applied.kpis.window == shown  # type: ignore[union-attr]  # the last data stays
        print(f"\nPostgreSQL down 25 s: failed polls at {failures} s; status bar: {rendered}")
        assert 2 <= len(failures) <= 6  # at a 1 s refresh a naive loop would have failed ~25 times
        await asyncio.to_thread(ctl, "start")
        up_at = time.monotonic()
        await asyncio.to_thread(
            insert_pg_rows, url, generate_rows(world, rng, now - timedelta(minutes=4), now, 300, growth=False)
        )
        await until(lambda: status.stale_since is None, 90, "recovered by itself")
        recovered = time.monotonic() - up_at
        app.action_refresh_now()  # a deep poll, as r does
        want = sql_total(window)

        def equal() -> bool:
            with app.session.lock:
                got = app.engine.query.totals(window)  # type: ignore[union-attr]
            return got.requests == want[1] and abs(got.spend / 1e12 - want[0]) < 1e-6

        await until(equal, 60, "totals equal SQL")
        print(f"recovered {recovered:.0f} s after the restart; {want[1]} requests, ${want[0]:.6f} = SQL")
        assert want[1] == shown.requests + 300
