"""A user, for minutes: the real dashboard on a live demo database, driven by seeded
random key sequences over every binding (tests/tui/explore_actions.py).

The demo database is generated up to the real now and the demo simulator writes 50
requests a second into it with the real time, as ``spendtui --demo`` does; the app polls
on its own every second. The test fails on any exception in the app, a failed worker or
engine step, an error popup, a dialog that does not open or close, a bad value refused
without a message, a pane left blank, or figures that disagree with the engine (checked
while paused with ``p`` and settled, so live polling cannot race the comparison) or with
SQL on the file (checked with the traffic stopped).

Replay one seed, longer: ``SPENDTUI_EXPLORE_SEEDS=22 SPENDTUI_EXPLORE_SECONDS=120``; list
every failure of a run rather than the first: ``SPENDTUI_EXPLORE_KEEP_GOING=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spendtui.demo.simulator import prepare_demo
from tests.tui.explore_actions import SIZES
from tests.tui.explore_app import Traffic, explore_app
from tests.tui.explore_run import Explorer

SEEDS = [int(s) for s in os.environ.get("SPENDTUI_EXPLORE_SEEDS", "11,22,33").split(",")]
#: Wall time of random actions per seed: three seeds, at least 60 s in all.
SECONDS = float(os.environ.get("SPENDTUI_EXPLORE_SECONDS", "20"))
RATE = 50.0
#: Diagnosis only: list every failed check of a run instead of stopping at the first.
KEEP_GOING = os.environ.get("SPENDTUI_EXPLORE_KEEP_GOING") == "1"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
async def test_explore_the_live_dashboard(seed: int, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    world = prepare_demo(db, seed=seed, rows=30_000, days=40)
    traffic = Traffic(db, world, RATE, seed)
    app = explore_app(db, refresh=1.0)
    explorer: Explorer | None = None
    failure: str | None = None
    traffic.start()
    try:
        async with app.run_test(size=SIZES[seed % len(SIZES)]) as pilot:
            explorer = Explorer(app, pilot, seed=seed, db=db, traffic=traffic, keep_going=KEEP_GOING)
            try:
                await explorer.run(SECONDS)
            except BaseException as exc:
                failure = explorer.report(exc)  # (here, while the screen can still be read)
                raise
    except BaseException as exc:
        if explorer is None:
            raise
        raise AssertionError(failure or explorer.report(exc)) from exc
    finally:
        traffic.stop()
    assert app.return_code == 0, f"q left with status {app.return_code}"
    assert explorer is not None
    assert explorer.checks >= 3 and explorer.sql_checks >= 1, "too few checks ran"
    assert traffic.written > 0, "the simulator wrote nothing: the app was never live"
