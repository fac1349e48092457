"""The demo database writers never replace a file spendtui's demo did not write.

``spendtui demo-db PATH`` and ``spendtui --demo --demo-db PATH`` (the dashboard keeping its
demo database) replace PATH only when it is a demo database spendtui wrote (marked with
``PRAGMA application_id``) or an empty file. Anything else is left byte for byte, exit 2.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from spendtui.demo.generator import create_demo_db
from tests.helpers import FIXED_NOW, spendtui


def sqlite_file(path: Path) -> Path:
    """Somebody's own SQLite database (not a demo one)."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
        conn.execute("INSERT INTO notes VALUES ('mine')")
    return path


def text_file(path: Path) -> Path:
    path.write_text("precious notes\n" * 100)
    return path


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (text_file, "exists and is not a spendtui demo database"),
        (sqlite_file, "is a SQLite database without the mark of spendtui's demo generator"),
    ],
)
@pytest.mark.parametrize("how", ["demo-db", "dashboard"])
def test_a_file_that_is_not_a_demo_database_is_left_untouched(tmp_path, make, text, how) -> None:
    path = make(tmp_path / "precious.txt")
    before = path.read_bytes()
    if how == "demo-db":
        run = spendtui("demo-db", str(path), "--rows", "10")
    else:
        run = spendtui("--demo-db", str(path))
    assert run.returncode == 2, run.stderr
    assert text in run.stderr and str(path) in run.stderr and run.stderr.count("\n") == 1
    assert run.stdout == ""
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious.txt"]  # no -journal, no -wal left


def test_the_generator_itself_refuses(tmp_path) -> None:
    from spendtui.demo.generator import NotADemoDatabase

    path = text_file(tmp_path / "notes.db")
    before = path.read_bytes()
    with pytest.raises(NotADemoDatabase, match="not a spendtui demo database"):
        create_demo_db(path, rows=10, days=2, now=FIXED_NOW)
    assert path.read_bytes() == before


def test_a_directory_is_refused(tmp_path) -> None:
    run = spendtui("demo-db", str(tmp_path), "--rows", "10")
    assert run.returncode == 2 and "is a directory" in run.stderr, run.stderr


def test_a_demo_database_and_an_empty_file_are_replaced(tmp_path) -> None:
    path = tmp_path / "demo.db"
    run = spendtui("demo-db", str(path), "--rows", "50", "--days", "3", "--now", FIXED_NOW.isoformat())
    assert run.returncode == 0, run.stderr
    run = spendtui("demo-db", str(path), "--rows", "70", "--days", "3", "--now", FIXED_NOW.isoformat())
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute('SELECT count(*) FROM "LiteLLM_SpendLogs"').fetchone() == (70,)
    empty = tmp_path / "made-by-mktemp"
    empty.touch()
    run = spendtui("demo-db", str(empty), "--rows", "20", "--days", "3", "--layout", "compact")
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(empty) as conn:
        assert conn.execute('SELECT count(*) FROM "LiteLLM_SpendLogs"').fetchone() == (20,)


def test_the_dashboard_keeps_its_demo_database_at_demo_db(tmp_path) -> None:
    """The real demo launch (generator, simulator, app) on a kept path; the default
    launch removes its temporary database on exit."""
    from spendtui.cli.tui import demo_launch
    from spendtui.config import Config, Profile
    from spendtui.dashboard.state import ViewState
    from spendtui.demo.generator import is_demo_database
    from spendtui.tui.app import SpendApp

    config = Config(path=None, profiles={}, active=Profile(name="default"))

    async def run(keep: Path | None) -> Path:
        launch = demo_launch(config, 50.0, ViewState(), 2.0, False, keep=keep)
        app = SpendApp(launch)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(600):  # until the demo database is generated and loaded
                await pilot.pause(0.05)
                if app.engine is not None and app.engine.cube.n:
                    break
            assert app.engine is not None and app.engine.cube.n
            url = app.profile.database_url
            assert app.profile.allow_db_writes  # the demo is a throwaway: key writes work there
            await pilot.press("q")
        assert url is not None
        return Path(url.removeprefix("sqlite:///"))

    kept = tmp_path / "kept.db"
    used = asyncio.run(run(kept))
    assert used == kept and is_demo_database(kept)
    assert not Path(f"{kept}-wal").exists()  # one self-contained file
    with sqlite3.connect(kept) as conn:
        assert conn.execute('SELECT count(*) FROM "LiteLLM_SpendLogs"').fetchone()[0] > 0
    temporary = asyncio.run(run(None))
    assert temporary != kept and not temporary.exists() and not temporary.parent.exists()
    assert kept.exists()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_demo_db_in_a_real_terminal_says_where_the_database_is(tmp_path) -> None:
    """``spendtui --demo-db PATH`` in a pseudo-terminal: the dashboard starts, q quits,
    and the path is printed after the screen is restored."""
    import fcntl
    import select
    import struct
    import termios
    import time

    path = tmp_path / "kept.db"
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "spendtui", "--demo-db", str(path), "--demo-rate", "0", "--no-mouse"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        start_new_session=True,
    )
    os.close(follower)
    seen = b""

    def read_for(seconds: float, until: bytes | None = None) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (until is None or until not in seen):
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                seen += chunk

    try:
        # the dashboard is up once the demo database exists and the status bar names it
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not (path.exists() and b"demo database" in seen):
            read_for(0.5)
        assert path.exists(), seen[-2000:]
        read_for(3)
        os.write(leader, b"q")
        read_for(30, until=b"demo database kept at")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    assert f"demo database kept at {path}".encode() in seen


def test_the_demo_gives_no_key_a_zero_budget(tmp_path) -> None:
    """A key that had spent next to nothing got round(spend x 1.1, 2) = $0.00 as its limit:
    the demo's most urgent budget read '∞%'."""
    import sqlite3

    from spendtui.demo.generator import create_demo_db
    from tests.helpers import FIXED_NOW

    db = tmp_path / "zero.db"
    create_demo_db(db, rows=12_000, days=40, seed=8, now=FIXED_NOW)  # (the snapshots' data had one)
    with sqlite3.connect(db) as conn:
        limits = [v for (v,) in conn.execute('SELECT max_budget FROM "LiteLLM_VerificationToken"') if v is not None]
    assert limits and min(limits) > 0
