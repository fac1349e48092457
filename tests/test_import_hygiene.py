"""The headless core never imports Textual (checked in a fresh interpreter).

Every module under ``spendtui/`` except the ``spendtui/tui/`` package is imported, found
by walking the source tree (``pkgutil.walk_packages`` would import ``spendtui.tui`` to
look inside it), so a new headless module is covered without being listed here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import spendtui

PACKAGE = Path(spendtui.__file__).resolve().parent


def headless_modules() -> list[str]:
    """Dotted names of every module under spendtui/ outside spendtui/tui/."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] == "tui":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(("spendtui", *parts)))
    return names


def test_the_walk_finds_every_headless_package() -> None:
    names = set(headless_modules())
    for expected in (
        "spendtui",
        "spendtui.cache",
        "spendtui.engine",
        "spendtui.budgets.board",
        "spendtui.keys.db_writer",
        "spendtui.dashboard.model",
        "spendtui.cli.keys",
        "spendtui.cli.tui",
        "spendtui.sources.db.source",
        "spendtui.sources.proxy.source",
        "spendtui.core.cube",
    ):
        assert expected in names
    assert not any(n == "spendtui.tui" or n.startswith("spendtui.tui.") for n in names)
    assert (PACKAGE / "tui" / "app.py").is_file()  # the one package left out exists


def test_headless_modules_do_not_import_textual() -> None:
    names = headless_modules()
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "tui = ('textual.', 'spendtui.tui')\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith(tui))\n"
        "print(len(sys.modules), ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, _, bad = out.stdout.strip().partition(" ")
    assert int(count) > len(names) and bad == ""


def test_the_check_notices_textual() -> None:
    """The same check, pointed at the TUI, does see Textual (so it can fail)."""
    code = "import sys, spendtui.tui.app\nprint('textual' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_report_command_runs_without_textual(tmp_path) -> None:
    code = (
        "import sys\n"
        "from spendtui.cli import main\n"
        f"main(['report', 'spend', '--db', {str(tmp_path / 'x.db')!r}])\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
