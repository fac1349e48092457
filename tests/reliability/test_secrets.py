"""Secrets (admin key, database password, new keys) never reach output, errors or crash reports."""

from __future__ import annotations

import contextlib
import socket

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
