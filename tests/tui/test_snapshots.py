"""What the screen looks like: SVG snapshots of the main panes (deterministic data and clock).

Review a changed SVG by eye (pytest --snapshot-update only after looking at the report).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spendtui.demo.generator import create_demo_db
from tests.helpers import FIXED_NOW
from tests.tui.conftest import make_app, press, settle


@pytest.fixture(scope="module")
def snap_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap") / "demo.db"
    create_demo_db(path, rows=12_000, days=40, seed=8, now=FIXED_NOW)
    return path


def run_keys(*keys: str):  # type: ignore[no-untyped-def]
    async def before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await settle(app, pilot)
        for key in keys:
            await press(app, pilot, key)

    return before


@pytest.mark.parametrize(
    ("name", "keys", "size"),
    [
        ("overview", (), (120, 40)),
        ("models", ("2",), (120, 40)),
        ("tags_by_category", ("3", "c"), (120, 40)),
        ("charts", ("8",), (120, 40)),
        ("tail", ("9",), (120, 40)),
        ("drill", ("4", "enter"), (120, 40)),
        ("keys", ("4",), (120, 40)),
        ("budgets", ("0",), (120, 40)),
        ("overview_80x24", (), (80, 24)),
        ("keys_80x24", ("4",), (80, 24)),
        ("budgets_80x24", ("0",), (80, 24)),
        ("tail_80x24", ("9",), (80, 24)),
        ("filtered", ("4", "f", "1"), (120, 40)),
        ("help_80x24", ("question_mark",), (80, 24)),
        # the key form, submitted with a bad max budget and no alias: each error in place
        ("new_key_errors_80x24", ("n", "tab", "B", "2", "ctrl+s"), (80, 24)),
        # c narrowed to organizations: LiteLLM's counter and the logs disagree on one (a
        # difference held across two reads: r reads the counters again)
        ("budgets_organizations", ("0", "c", "c", "c", "c", "c", "r"), (120, 40)),
        # wide enough for the prompt-cache columns (they give way first, as at 120)
        ("models_wide", ("2",), (160, 40)),
        # the cost audit of the demo's deliberate problems, a model's findings, and 80x24
        ("costs", ("dollar_sign",), (120, 40)),
        ("costs_findings", ("dollar_sign", "enter"), (120, 40)),
        ("costs_80x24", ("dollar_sign",), (80, 24)),
    ],
)
def test_screens(snap_compare, snap_db, name, keys, size, monkeypatch) -> None:
    monkeypatch.chdir(snap_db.parent)  # (the form's title names the database: the same everywhere)
    app = make_app(Path(snap_db.name), writable=True, key_target="the database (demo.db)")
    assert snap_compare(app, terminal_size=size, run_before=run_keys(*keys))
