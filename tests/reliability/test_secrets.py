"""Secrets (admin key, database password, new keys) never reach output, errors or crash reports."""

from __future__ import annotations

import contextlib
import json
import socket
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from spendtui.cli import main
from spendtui.config import Config, Profile
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from tests.helpers import create_pg_database, load_real_schema

PASSWORD = "pw-Zq7-secret"
API_KEY = "sk-admin-Zq7-very-secret"
#: A password given only as a query parameter (``?password=``), for a role made for it.
QUERY_PASSWORD = "qp-Zq7-only-in-the-query"
READER = "core_secret_reader"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_profile_repr_hides_secrets() -> None:
    profile = Profile(name="p", database_url=f"postgresql://u:{PASSWORD}@h/db", api_key=API_KEY)
    text = repr(profile) + repr(Config(path=None, profiles={"p": profile}, active=profile))
    assert PASSWORD not in text and API_KEY not in text


def test_cli_errors_never_show_the_password(capsys) -> None:
    url = f"postgresql://spendtui:{PASSWORD}@127.0.0.1:{closed_port()}/litellm"
    for argv in (["report", "models", "--db", url], ["keys", "create", "--alias", "a", "--db", url]):
        with contextlib.suppress(SystemExit):
            main(argv)
        out = capsys.readouterr()
        assert PASSWORD not in out.out + out.err


async def test_dashboard_screen_and_notifications_hide_the_password(tmp_path) -> None:
    url = f"postgresql://spendtui:{PASSWORD}@127.0.0.1:{closed_port()}/litellm"
    profile = Profile(name="prod", database_url=url, api_key=API_KEY)
    app = SpendApp(Launch(config=Config(path=None, profiles={"prod": profile}, active=profile), autopoll=False))
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(40):
            await pilot.pause(0.1)
            if app.query_one("StatusBar").stale_since is not None:
                break
        screen = app.export_screenshot()
        notes = " ".join(str(n.message) for n in app._notifications)
        assert app.query_one("StatusBar").stale_since is not None  # the failure is shown...
        assert PASSWORD not in screen and PASSWORD not in notes  # ...without the secret
        assert API_KEY not in screen and API_KEY not in notes


async def test_crash_report_has_no_locals(tmp_path, capsys) -> None:
    profile = Profile(name="prod", database_url=f"sqlite:///{tmp_path}/none.db", api_key=API_KEY)
    app = SpendApp(Launch(config=Config(path=None, profiles={}, active=profile), autopoll=False))
    secret_in_a_local = API_KEY  # noqa: F841  (what Textual's default report would print)

    def crash() -> None:
        key = profile.api_key  # noqa: F841
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(crash)
            await pilot.pause(0.5)
    report = capsys.readouterr().err
    assert "RuntimeError: boom" in report and "crash" in report  # the report is printed...
    assert API_KEY not in report  # ...without the locals that hold the key


def everything_under(root: Path) -> str:
    """Every file's bytes as text, and every member of those that are zip archives (the
    cube cache), so compression cannot hide a secret."""
    texts = []
    for path in (p for p in root.rglob("*") if p.is_file()):
        texts.append(path.read_bytes().decode("latin-1"))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(name).decode("latin-1") for name in archive.namelist()]
    return "".join(texts)


def test_query_password_is_not_in_help_or_connection_errors(capsys, monkeypatch) -> None:
    url = f"postgresql://spendtui@127.0.0.1:{closed_port()}/litellm?sslmode=disable&password={QUERY_PASSWORD}"
    monkeypatch.setenv("DATABASE_URL", url)
    for argv in (["--help"], ["check", "--help"], ["keys", "create", "--help"], ["report", "spend", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr()
        assert "usage:" in out.out and QUERY_PASSWORD not in out.out + out.err
    for argv in (["report", "models"], ["check"], ["keys", "create", "--alias", "a", "--allow-db-writes"]):
        code = main(argv)
        out = capsys.readouterr()
        assert code == 3, out.err
        assert "127.0.0.1" in out.err and "password=***" in out.err  # names the source...
        assert QUERY_PASSWORD not in out.out + out.err  # ...without the secret


@pytest.fixture(scope="module")
def reader_url() -> str:
    """A LiteLLM database with one key near its budget, readable by a role whose password
    appears only in the URL's query string."""
    import psycopg

    url = create_pg_database("core_secret_query")
    load_real_schema(url)
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (READER,)).fetchone()
        conn.execute(f"{'ALTER' if exists else 'CREATE'} ROLE {READER} LOGIN PASSWORD '{QUERY_PASSWORD}'")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
        conn.execute(
            'INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, spend, max_budget) '
            "VALUES (%s, 'sk-...abcd', 'near-limit', 9.5, 10)",
            ("ab" * 32,),
        )
    parts = urlsplit(url)
    return f"postgresql://{READER}@{parts.hostname}:{parts.port}{parts.path}?sslmode=disable&password={QUERY_PASSWORD}"


@pytest.mark.postgres
def test_query_password_is_not_in_check_output_nor_its_cache(capsys, reader_url, tmp_path) -> None:
    assert main(["check", "--all", "--db", reader_url]) == 1  # it connects with that password
    out = capsys.readouterr()
    assert "near-limit" in out.out and QUERY_PASSWORD not in out.out + out.err
    assert main(["check", "--all", "--format", "json", "--db", reader_url]) == 1
    out = capsys.readouterr()
    assert [b["name"] for b in json.loads(out.out)["budgets"]] == ["near-limit"]
    assert QUERY_PASSWORD not in out.out + out.err
    cache = tmp_path / "cache"  # XDG_CACHE_HOME (tests/conftest.py): the cube cache is written there
    assert any(cache.rglob("*")) and QUERY_PASSWORD not in everything_under(cache)


@pytest.mark.postgres
def test_wrong_query_password_error_names_the_server_not_the_password(capsys, reader_url) -> None:
    wrong = reader_url.replace(QUERY_PASSWORD, "qp-wrong-" + QUERY_PASSWORD[::-1])
    assert main(["check", "--db", wrong]) == 3
    err = capsys.readouterr().err
    assert "authentication failed" in err and f'"{READER}"' in err and err.count("\n") == 1
    assert QUERY_PASSWORD not in err and QUERY_PASSWORD[::-1] not in err


WEBHOOK = "https://hooks.slack.com/services/T0/B0/zq7-webhook-secret"


def world_readable_config(tmp_path: Path, db: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        "profiles:\n"
        "  prod:\n"
        f"    database_url: sqlite:///{db}\n"
        f"    api_key: {API_KEY}\n"
        "  pg:\n"
        f"    database_url: postgresql://spendtui:{PASSWORD}@127.0.0.1:1/litellm\n"
        "default_profile: prod\n"
        f"budget_alerts:\n  - threshold: 0.8\n    webhook: {WEBHOOK}\n"
    )
    path.chmod(0o644)
    return path


def test_world_readable_config_with_secrets_warns_with_the_fix(tmp_path, litellm_db, capsys) -> None:
    path = world_readable_config(tmp_path, litellm_db)
    assert main(["report", "spend", "--config", str(path)]) == 0
    err = capsys.readouterr().err
    warning = next(line for line in err.splitlines() if line.startswith("spendtui: warning:"))
    assert f"run chmod 600 {path}" in warning
    for field in ("profiles.prod.api_key", "profiles.pg.database_url", "budget_alerts[0].webhook"):
        assert field in warning  # says which values are secret...
    for secret in (API_KEY, PASSWORD, WEBHOOK):
        assert secret not in err  # ...without printing them
    path.chmod(0o600)
    assert main(["report", "spend", "--config", str(path)]) == 0
    assert "warning" not in capsys.readouterr().err


async def test_world_readable_config_is_a_dashboard_notification(tmp_path, litellm_db) -> None:
    from spendtui.config import Overrides, load_config

    path = world_readable_config(tmp_path, litellm_db)
    config = load_config(Overrides(config_path=str(path)), env={})
    app = SpendApp(Launch(config=config, autopoll=False))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.5)
        notes = [n for n in app._notifications if n.title == "Config"]
        assert len(notes) == 1 and f"chmod 600 {path}" in notes[0].message
        assert notes[0].severity == "warning"
        screen = app.export_screenshot()
        for secret in (API_KEY, PASSWORD, WEBHOOK):
            assert secret not in screen and secret not in notes[0].message
    path.chmod(0o600)
    config = load_config(Overrides(config_path=str(path)), env={})
    app = SpendApp(Launch(config=config, autopoll=False))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.2)
        assert not [n for n in app._notifications if n.title == "Config"]
