"""The installed ``spendtui --demo`` in a real terminal (tmux): every pane, a window change,
the new-key form, a resize to 80x24, ``q``; the screen read back at each step, the exit
status 0 and no traceback at the end. A second test crashes the same program on purpose
and checks that this smoke run would fail on it (a crash must not pass as a clean exit).

Needs tmux (``.ci/run`` installs it; outside CI the tests skip without it).
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import need
from tests.tmux_terminal import TmuxTerminal

MONEY = re.compile(r"\$\d")
#: The tab titles, all on screen at 200x50.
TITLES = ("1 Overview", "2 Models", "3 Tags", "4 Keys", "5 Users", "6 Teams", "7 Customers", "8 Charts", "9 Live tail")
TITLES += ("0 Budgets",)
#: (key, what the pane shows, what it must not show: the pane before it did)
PANES = [
    ("2", ("Requests", "claude"), ()),
    ("9", ("Time (UTC)", "Key", "Model", "Tokens", "Cost", "Status"), ()),
    ("4", ("Requests", "Budget"), ("Time (UTC)",)),
    ("8", ("Daily spend by", "Spend by hour today"), ()),
    ("5", ("Requests",), ("Spend by hour today",)),
    ("0", ("over", "warning", "Resets"), ()),
    ("6", ("Requests",), ("Resets",)),
    ("3", ("Group tags by",), ()),
    ("7", ("Requests",), ("Group tags by",)),
    ("1", ("Spend", "Top models", "Urgent budgets"), ()),
]


def spendtui_command() -> str:
    """The ``spendtui`` the package installed next to this Python (the CI venv, the dev venv)."""
    installed = Path(sys.executable).with_name("spendtui")
    if installed.exists():
        return str(installed)
    found = shutil.which("spendtui")
    assert found, "spendtui is not installed (pip install -e .)"
    return found


def clean_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment without a config file: HOME, XDG dirs and TMPDIR in tmp_path."""
    home = tmp_path / "home"
    (home / "tmp").mkdir(parents=True)
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TERM": "screen-256color",
        "LANG": "C.UTF-8",
        "SPENDTUI_CONFIG": str(home / "no-config.yaml"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".state"),
        "TMPDIR": str(home / "tmp"),
    }


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[TmuxTerminal]:
    need(shutil.which("tmux") is not None, "tmux is not installed (apt-get install tmux)")
    term = TmuxTerminal(tmp_path, "smoke")
    try:
        yield term
    finally:
        term.close()


def assert_clean_exit(term: TmuxTerminal) -> None:
    """The program has ended with status 0 and printed no traceback."""
    status = term.wait_for_exit()
    history = term.history()
    assert "Traceback" not in history, f"a traceback on the terminal:\n{history}"
    assert status == 0, f"exit status {status}:\n{history}"


def check_screen(term: TmuxTerminal, what: str, present: tuple[str, ...], absent: tuple[str, ...] = ()) -> str:
    screen = term.wait_for(
        f"{what}: {present}" + (f" without {absent}" if absent else ""),
        lambda s: all(t in s for t in present) and not any(t in s for t in absent),
    )
    assert "Traceback" not in screen, screen
    return screen


def test_demo_in_a_real_terminal(terminal: TmuxTerminal, tmp_path: Path) -> None:
    terminal.start([spendtui_command(), "--demo"], clean_env(tmp_path))
    first = terminal.wait_for("the Overview with figures", lambda s: "1 Overview" in s and bool(MONEY.search(s)))
    assert "Last 30 days" in first and "Spend" in first, first
    missing = [title for title in TITLES if title not in first]
    assert not missing, f"pane titles {missing} not on screen:\n{first}"
    for key, present, absent in PANES:
        terminal.keys(key)
        check_screen(terminal, f"pane {key}", present, absent)
    assert MONEY.search(terminal.screen()), "no dollar figure on the Overview"

    terminal.keys("w")  # 30 days -> month to date
    check_screen(terminal, "the next window", ("Month to date",), ("Last 30 days",))

    terminal.keys("n")
    check_screen(terminal, "the new-key form", ("New virtual key", "Alias"))
    terminal.keys("Escape")
    check_screen(terminal, "the dashboard again", ("Top models",), ("New virtual key",))

    terminal.resize(80, 24)
    screen = check_screen(terminal, "the Overview at 80x24", ("Spend", "Help", "Quit"))
    assert MONEY.search(screen), screen
    terminal.keys("9")
    check_screen(terminal, "the live tail at 80x24", ("Time (UTC)",))
    terminal.keys("n")
    check_screen(terminal, "the new-key form at 80x24, its buttons on screen", ("New virtual key", "Cancel"))
    terminal.keys("Escape")
    check_screen(terminal, "the live tail again", ("Time (UTC)",), ("New virtual key",))
    terminal.resize(200, 50)
    terminal.keys("1")
    check_screen(terminal, "the Overview at 200x50", ("Top models",))

    terminal.keys("q")
    assert_clean_exit(terminal)


#: ``spendtui --demo`` with one binding broken on purpose: ``w`` raises.
CRASHING = """
import sys
from spendtui.tui.app import SpendApp
def broken(self):
    raise RuntimeError("deliberate crash for the smoke test")
SpendApp.action_next_window = broken
from spendtui.cli import main
sys.exit(main(["--demo"]))
"""


def test_a_crash_fails_the_smoke_run(terminal: TmuxTerminal, tmp_path: Path) -> None:
    terminal.start([sys.executable, "-c", CRASHING], clean_env(tmp_path))
    terminal.wait_for("the Overview with figures", lambda s: "1 Overview" in s and bool(MONEY.search(s)))
    terminal.keys("w")
    status = terminal.wait_for_exit()
    history = terminal.history()
    assert "deliberate crash" in history, history
    with pytest.raises(AssertionError):
        assert_clean_exit(terminal)
    assert status != 0, f"the dashboard crashed and exited with status {status}:\n{history}"
