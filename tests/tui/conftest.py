"""Dashboard fixtures: a real demo database, a fixed clock, an app that polls on demand."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events

from spendtui.config import Config, Profile
from spendtui.dashboard.state import ViewState
from spendtui.demo.generator import create_demo_db
from spendtui.timeutil import fixed_clock
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from tests.helpers import FIXED_NOW


@pytest.fixture(scope="session")
def tui_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tui") / "demo.db"
    create_demo_db(path, rows=20_000, days=40, seed=5, now=FIXED_NOW)
    return path


def make_app(
    db: Path,
    *,
    profiles: dict[str, Profile] | None = None,
    state: ViewState | None = None,
    writable: bool = False,
    rules: list[dict] | None = None,
    **launch: object,
) -> SpendApp:
    """The dashboard on ``db`` (a relative path gives a relative URL: the same text on
    every machine, for snapshots); ``writable``: key writes allowed, as in the demo;
    ``rules``: spend rules as written under ``rules:``."""
    profile = Profile(name="test", database_url=f"sqlite:///{db}", allow_db_writes=writable)
    config = Config(path=None, profiles=profiles or {}, active=profile, rules=list(rules or []))
    options: dict[str, object] = {
        "autopoll": False,
        "source_label": f"sqlite: {db.name}",
        "clock": fixed_clock(FIXED_NOW),
        **launch,
    }
    launch_config = Launch(config=config, state=state or ViewState(), **options)  # type: ignore[arg-type]
    return SpendApp(launch_config)  # type: ignore[arg-type]


async def type_keys(app: SpendApp, pilot, keys: tuple[str, ...], burst: bool) -> None:  # type: ignore[no-untyped-def]
    """``keys`` pressed one by one, or posted at once: one burst, as typed fast or
    delivered together over a slow SSH link, before the app has handled the first."""
    if burst:
        for key in keys:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
    else:
        await pilot.press(*keys)


async def settle(app: SpendApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until every worker has finished, its messages are applied and widgets have
    processed their idle work (DataTable sizes columns when idle)."""
    quiet = 0
    while quiet < 2:
        await app.workers.wait_for_complete()
        await pilot.pause()
        quiet = quiet + 1 if not any(w.is_running for w in app.workers) else 0
    await pilot.pause(0.05)


async def press(app: SpendApp, pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Press ``keys`` one by one, each handled in full (its workers done) before the next."""
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)
