"""The dashboard's session without Textual: the load -> extend -> poll -> view cycle on a
real demo database, typed answers, figures checked against SQL on the file."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import numpy as np

from spendtui.config import Config, Profile
from spendtui.dashboard.session import (
    DashboardSession,
    Failure,
    Mode,
    Progress,
    SessionSetup,
    Step,
    Update,
    uncached_engine_factory,
)
from spendtui.dashboard.state import ViewState
from spendtui.demo.generator import create_demo_db
from spendtui.demo.simulator import Simulator
from spendtui.timeutil import fixed_clock
from tests.helpers import FIXED_NOW
from tests.truth import Truth


def session_on(url: str, reports: list[Progress] | None = None) -> DashboardSession:
    profile = Profile(name="test", database_url=url)
    setup = SessionSetup(
        Config(path=None, profiles={}, active=profile),
        fixed_clock(FIXED_NOW),
        uncached_engine_factory,
        report=(reports.append if reports is not None else lambda _p: None),
    )
    return DashboardSession(setup)


def test_the_cycle_gives_typed_steps_and_exact_figures(tmp_path) -> None:
    db = tmp_path / "cycle.db"
    world = create_demo_db(db, rows=4_000, days=40, seed=6, now=FIXED_NOW)
    reports: list[Progress] = []
    session = session_on(f"sqlite:///{db}", reports)
    state = ViewState()
    loaded = session.step(Mode.LOAD, state, 1)
    assert isinstance(loaded, Update) and loaded.step is Step.LOADED and loaded.read_source
    assert [p.stage for p in reports] == ["loading"]
    window = state.window_for(FIXED_NOW.date())
    _, requests, *_ = Truth(f"sqlite:///{db}").total(window.first, window.last)
    assert loaded.snapshot.kpis is not None and loaded.snapshot.kpis.window.requests == requests
    assert loaded.snapshot.kpis.previous is None  # the previous period comes with EXTEND
    extended = session.step(Mode.EXTEND, state, 1)
    assert isinstance(extended, Update) and extended.step is Step.EXTENDED
    assert extended.snapshot.kpis is not None and extended.snapshot.kpis.previous is not None
    # the Overview asks for the cost audit: the dashboard runs a step at once, which reads it
    assert extended.snapshot.reads_pending and extended.snapshot.cost_warning is None
    audited = session.step(Mode.VIEW, state, 1)
    assert isinstance(audited, Update) and audited.step is Step.RELOADED and not audited.snapshot.reads_pending
    assert audited.snapshot.cost_warning  # (the demo's costs have findings)
    quiet = session.step(Mode.POLL, state, 1)
    assert isinstance(quiet, Update) and quiet.step is Step.POLLED and quiet.rows == 0
    assert quiet.snapshot is audited.snapshot  # nothing new: the same snapshot, not rebuilt
    sim = Simulator(db, world=world, rate=40, clock=lambda: FIXED_NOW)
    sim.rng = np.random.default_rng(2)
    written = sim.step(FIXED_NOW - timedelta(seconds=5)) + sim.step(FIXED_NOW)
    assert written > 0
    polled = session.step(Mode.POLL, state, 1)
    assert isinstance(polled, Update) and polled.step is Step.POLLED and polled.rows == written
    assert polled.snapshot.kpis is not None and polled.snapshot.kpis.window.requests == requests + written
    view = session.step(Mode.VIEW, ViewState(pane="models"), 2)
    assert isinstance(view, Update) and view.step is Step.REBUILT and not view.read_source
    assert view.snapshot.version == 2 and view.snapshot.table is not None
    session.close()
    assert session.step(Mode.POLL, state, 2) is None  # stopped: dropped, not failed


def test_a_source_that_cannot_be_read_is_a_failure_not_an_exception(tmp_path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    failed = session_on(f"sqlite:///{text}").step(Mode.LOAD, ViewState(), 1)
    assert isinstance(failed, Failure) and not failed.transient and "not a SQLite database" in failed.error
    missing = session_on(f"sqlite:///{tmp_path / 'nope.db'}").step(Mode.POLL, ViewState(), 1)
    assert isinstance(missing, Failure) and missing.transient and missing.polled


def test_the_session_runs_without_textual() -> None:
    code = (
        "import sys, spendtui.dashboard.session\n"
        "print(sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
