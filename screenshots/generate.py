"""Regenerate the README screenshots: every pane at 120x40, from demo data with a fixed clock.

    python screenshots/generate.py            # writes screenshots/*.svg and *.png

Needs ``rsvg-convert`` (Debian: ``apt-get install librsvg2-bin``) for the PNGs. The data
is the deterministic demo database (seed 7) pretending it is 2026-11-27 12:00 UTC, so the
pictures only change when the UI does.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from spendtui.config import Config, Profile
from spendtui.demo.generator import create_demo_db
from spendtui.demo.rules import DEMO_RULES
from spendtui.timeutil import fixed_clock
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
HERE = Path(__file__).resolve().parent
SIZE = (120, 40)

Step = Callable[[object], Awaitable[None]]


def make_app(db: Path, size_name: str = "") -> SpendApp:
    profile = Profile(name="demo", database_url=f"sqlite:///{db}", allow_db_writes=True)
    config = Config(path=None, profiles={}, active=profile, rules=list(DEMO_RULES))  # (as spendtui --demo)
    return SpendApp(
        Launch(
            config=config,
            clock=fixed_clock(NOW),
            autopoll=False,
            source_label="demo.db",
            key_target="the database (demo.db)",
        )
    )


async def settle(app: SpendApp, pilot: object) -> None:
    """Workers done, messages applied, idle work (table sizing) finished."""
    quiet = 0
    while quiet < 2:
        await app.workers.wait_for_complete()
        await pilot.pause()  # type: ignore[attr-defined]
        quiet = quiet + 1 if not any(w.is_running for w in app.workers) else 0
    await pilot.pause(0.05)  # type: ignore[attr-defined]


SHOTS: list[tuple[str, list[str], tuple[int, int]]] = [
    ("overview", [], SIZE),
    ("models", ["2"], SIZE),
    ("tags", ["3"], SIZE),
    ("keys", ["4"], SIZE),
    ("users", ["5"], SIZE),
    ("teams", ["6"], SIZE),
    ("customers", ["7"], SIZE),
    ("orgs", ["7", "c"], SIZE),
    ("charts", ["8"], SIZE),
    ("tail", ["9"], SIZE),
    ("budgets", ["0"], SIZE),
    ("new-key", ["n"], SIZE),
    ("drill", ["2", "enter"], SIZE),
    ("filtered", ["4", "f", "1"], SIZE),
    ("help", ["question_mark"], SIZE),
    ("overview-80x24", [], (80, 24)),
    ("budgets-80x24", ["0"], (80, 24)),
    ("orgs-80x24", ["7", "c"], (80, 24)),
    ("new-key-errors-80x24", ["n", "tab", "B", "2", "ctrl+s"], (80, 24)),
    ("sessions", ["7", "c", "c", "c", "c"], SIZE),
    ("tools", ["7", "c", "c", "c", "c", "c"], SIZE),
    ("models-wide", ["2"], (160, 40)),
    ("budgets-orgs", ["0", "c", "c", "c", "c", "c", "r"], (160, 40)),
    ("costs", ["dollar_sign"], SIZE),
    ("cost-findings", ["dollar_sign", "enter"], SIZE),
    ("costs-80x24", ["dollar_sign"], (80, 24)),
    ("rules", ["0", *["c"] * 11], SIZE),
    ("rules-80x24", ["0", *["c"] * 11], (80, 24)),
]


async def shoot(db: Path, name: str, keys: list[str], size: tuple[int, int], out: Path) -> Path:
    app = make_app(db)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        svg = out / f"{name}.svg"
        app.save_screenshot(str(svg))
    return svg


def to_png(svg: Path) -> None:
    """rsvg cannot fetch the SVG's web font: render with a local monospace one instead."""
    # (and keep leading non-breaking spaces, which rsvg otherwise drops)
    text = (
        svg.read_text().replace('"Fira Code"', '"DejaVu Sans Mono"').replace("<svg ", '<svg xml:space="preserve" ', 1)
    )
    with tempfile.NamedTemporaryFile("w", suffix=".svg", delete=False) as tmp:
        tmp.write(text)
    subprocess.run(["rsvg-convert", tmp.name, "-o", str(svg.with_suffix(".png"))], check=True)
    Path(tmp.name).unlink()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="spendtui-shots-"))
    try:
        create_demo_db(work / "demo.db", rows=60_000, days=45, seed=7, now=NOW)
        os.chdir(work)  # a relative URL: the key form names "demo.db", not a temporary path
        db = Path("demo.db")
        for name, keys, size in SHOTS:
            svg = asyncio.run(shoot(db, name, keys, size, HERE))
            if shutil.which("rsvg-convert"):
                to_png(svg)
            print(f"wrote {svg.relative_to(HERE.parent)}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not shutil.which("rsvg-convert"):
        print("rsvg-convert not found: SVGs only (apt-get install librsvg2-bin)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
