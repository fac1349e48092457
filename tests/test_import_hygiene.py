"""The headless core never imports Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys

HEADLESS = [
    "spendtui",
    "spendtui.money",
    "spendtui.timeutil",
    "spendtui.errors",
    "spendtui.config",
    "spendtui.engine",
    "spendtui.core.cube",
    "spendtui.core.query",
    "spendtui.core.durations",
    "spendtui.sources.db.source",
    "spendtui.sources.factory",
    "spendtui.reports.build",
    "spendtui.reports.render",
    "spendtui.demo.generator",
    "spendtui.cli.report",
    "spendtui.cli.args",
]


def test_headless_modules_do_not_import_textual() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {HEADLESS!r}: importlib.import_module(name)\n"
        "for pkg in ('spendtui.core', 'spendtui.sources', 'spendtui.reports', 'spendtui.demo'):\n"
        "    m = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(m.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "tui = ('textual.', 'spendtui.tui')\n"
        "bad = sorted(n for n in sys.modules if n == 'textual' or n.startswith(tui))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_report_command_runs_without_textual(tmp_path) -> None:
    code = (
        "import sys\n"
        "from spendtui.cli import main\n"
        f"main(['report', 'spend', '--db', {str(tmp_path / 'x.db')!r}])\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
