"""Secrets (admin key, database password, new keys) never reach output, errors or crash reports."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest

from spendtui.cli import main
from spendtui.config import Config, Profile
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch

PASSWORD = "pw-Zq7-secret"
API_KEY = "sk-admin-Zq7-very-secret"


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
