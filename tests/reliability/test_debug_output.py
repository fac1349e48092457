"""Secrets never reach debug output or logs.

spendtui has no ``--debug`` flag and logs nothing itself; what a user (or a bug report)
can capture is Python logging from the libraries it uses (httpx, httpcore, SQLAlchemy,
psycopg, asyncio) and Textual's own log file (``TEXTUAL_LOG``). These tests turn every
one of those on at DEBUG, drive real sessions that hold secrets (the real LiteLLM peer
with its master key, a PostgreSQL role with its own password, a proxy that answers 401
echoing the key, a key created through the peer) and grep everything captured."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from spendtui.config import Config, Profile
from spendtui.demo.generator import generate_rows
from spendtui.demo.world import build_world
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from spendtui.tui.screens.my_key import MyKeyScreen
from tests.helpers import FIXED_NOW, ROOT, create_pg_database, insert_pg_rows, load_real_schema, need, pg_admin_url
from tests.peer import MASTER, PEER_URL, call, peer_problem
from tests.proxy_server import FixtureServer, Reply
from tests.test_proxy_faults import REVOKED

PASSWORD = f"pw-{secrets.token_hex(8)}"
WRONG = f"wrong-{secrets.token_hex(8)}"
#: Python logging at DEBUG for every logger, warnings included, then the real CLI.
HARNESS = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, filename=sys.argv[1], format="%(name)s %(levelname)s %(message)s")
logging.captureWarnings(True)
for name in ("sqlalchemy", "sqlalchemy.pool", "psycopg", "httpx", "httpcore", "asyncio"):
    logging.getLogger(name).setLevel(logging.DEBUG)  # SQLAlchemy sets its own to WARN
from spendtui.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def pg_role():  # type: ignore[no-untyped-def]
    """A database with LiteLLM's schema and rows, read by a role with a unique password."""
    need(bool(pg_admin_url()), "SPENDTUI_TEST_PG is not set")
    import psycopg

    url = create_pg_database("spendtui_test_secrets")
    load_real_schema(url)
    batch = generate_rows(build_world(3), np.random.default_rng(3), FIXED_NOW - timedelta(days=5), FIXED_NOW, 500)
    insert_pg_rows(url, batch)
    role = f"spendtui_ro_{secrets.token_hex(4)}"
    admin = pg_admin_url()
    assert admin is not None
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"GRANT CONNECT ON DATABASE spendtui_test_secrets TO {role}")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    host = url.split("@", 1)[1]
    yield f"postgresql://{role}:{PASSWORD}@{host}", f"postgresql://{role}:{WRONG}@{host}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        conn.execute(f"REVOKE ALL ON DATABASE spendtui_test_secrets FROM {role}")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP ROLE {role}")


def run_cli(log: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", HARNESS, str(log), *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "always", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def assert_clean(text: str, *hidden: str) -> None:
    for secret in hidden:
        assert secret not in text, f"a secret leaked: ...{text[max(0, text.find(secret) - 200) :][:400]}..."


def test_cli_sessions_with_every_library_logging_at_debug(tmp_path, pg_role) -> None:
    problem = peer_problem()
    need(problem is None, problem or "")
    url, wrong_url = pg_role
    log = tmp_path / "debug.log"
    key_env = {"LITELLM_PROXY_API_KEY": MASTER}
    outputs: list[str] = []
    with FixtureServer() as revoked:
        revoked.route("/user/list", Reply(401, REVOKED))
        revoked.route("/key/info", Reply(401, REVOKED))  # (a revoked key is refused everywhere)
        cases = [
            (0, ["report", "models", "--proxy", PEER_URL], key_env),
            (0, ["report", "keys", "--proxy", PEER_URL, "--format", "json"], key_env),
            (3, ["report", "models", "--proxy", revoked.url], key_env),
            (0, ["report", "models", "--db", url, "--format", "csv"], None),
            (3, ["report", "models", "--db", wrong_url], None),
        ]
        for code, argv, env in cases:
            got, output = run_cli(log, *argv, env=env)
            assert got == code, output[-600:]
            outputs.append(output)
    # a key created through the peer: printed once on stdout (by design), nowhere else
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-c", HARNESS, str(log), "keys", "create", "--alias", f"dbg-{PASSWORD[-6:]}"]
        + ["--proxy", PEER_URL, "--format", "json"],
        cwd=ROOT,
        env={**os.environ, **key_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-600:]
    created = json.loads(done.stdout)["key"]
    try:
        assert created.startswith("sk-") and done.stdout.count(created) == 1
        captured = log.read_text()
        assert "httpx" in captured and "HTTP Request" in captured  # the libraries did log at DEBUG
        assert "sqlalchemy.engine" in captured and "SELECT" in captured
        assert_clean("\n".join(outputs) + done.stderr + captured, MASTER, PASSWORD, WRONG, created)
    finally:
        call("POST", "/key/delete", {"keys": [created]})


async def test_dashboard_with_textual_log_and_debug_logging(tmp_path, pg_role, monkeypatch, caplog, capsys) -> None:
    problem = peer_problem()
    need(problem is None, problem or "")
    import textual.constants

    textual_log = tmp_path / "textual.log"
    monkeypatch.setattr(textual.constants, "LOG_FILE", str(textual_log))
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.pool", "psycopg", "httpx", "httpcore", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)  # SQLAlchemy sets its own to WARN
    url, wrong_url = pg_role
    seen: list[str] = []
    with FixtureServer() as revoked:
        revoked.route("/user/list", Reply(401, REVOKED))
        revoked.route("/key/info", Reply(401, REVOKED))  # (a revoked key is refused everywhere)
        profiles = [
            Profile(name="peer", proxy_url=PEER_URL, api_key=MASTER),
            Profile(name="revoked", proxy_url=revoked.url, api_key=MASTER),
            Profile(name="pg", database_url=url),
            Profile(name="pg-wrong", database_url=wrong_url),
        ]
        for profile in profiles:
            config = Config(path=None, profiles={p.name: p for p in profiles}, active=profile)
            app = SpendApp(Launch(config=config, refresh=1.0, autopoll=True))
            async with app.run_test(size=(160, 40)) as pilot:
                for _ in range(100):
                    await pilot.pause(0.2)
                    if app.applied is not None or app.query_one("StatusBar").stale_since is not None:
                        break
                    if isinstance(app.screen, MyKeyScreen) and (app.screen.view or app.screen.failed):
                        break
                for key in "1234567890":
                    await pilot.press(key)
                    await pilot.pause(0.1)
                    seen.append(app.export_screenshot())
                await pilot.press("question_mark")
                await pilot.pause(0.2)
                seen.append(app.export_screenshot())
                seen.extend(str(n.message) for n in app._notifications)
                status = app.query_one("StatusBar")
                seen.append(str(status.render()))
                if profile.name == "revoked":
                    # 401 to the admin check: the key's own view, which the proxy refuses too
                    my_key = next(s for s in app.screen_stack if isinstance(s, MyKeyScreen))
                    assert my_key.failed is not None and "rejected" in my_key.failed  # the failure was shown
                elif profile.name == "pg-wrong":
                    assert status.stale_since is not None  # the failure was shown
                else:
                    assert app.applied is not None and status.stale_since is None
    out = capsys.readouterr()
    captured = textual_log.read_text() if textual_log.exists() else ""
    assert "httpx" in caplog.text and "sqlalchemy.engine" in caplog.text  # library logging was on
    assert_clean("\n".join(seen) + caplog.text + captured + out.out + out.err, MASTER, PASSWORD, WRONG)
