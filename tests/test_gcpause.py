"""The collector is paused while a cold load builds its objects, and always back after."""

from __future__ import annotations

import gc
import threading

import pytest

from spendtui.engine import SpendEngine
from spendtui.errors import SourceUnavailable
from spendtui.gcpause import collection_paused
from spendtui.sources.db.source import DatabaseSource
from spendtui.sources.db.urls import parse_database_url
from spendtui.timeutil import fixed_clock
from tests.helpers import FIXED_NOW, locked_copy


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


class _Watched(DatabaseSource):
    """The real SQLite source, noting whether the collector ran while it loaded."""

    seen: list[bool]

    def load(self, first_day, hourly_from_day):
        self.seen.append(gc.isenabled())
        return super().load(first_day, hourly_from_day)


def test_a_cold_load_pauses_the_collector_and_turns_it_back_on(litellm_db) -> None:
    source = _Watched(parse_database_url(str(litellm_db)))
    source.seen = []
    engine = SpendEngine(source, clock=fixed_clock(FIXED_NOW))
    engine.load(engine.today() - 3)
    assert source.seen == [False]
    assert gc.isenabled()
    assert engine.query.totals(None).requests > 0


def test_a_failed_load_turns_the_collector_back_on(tmp_path, litellm_db) -> None:
    with locked_copy(litellm_db, tmp_path) as db:
        engine = SpendEngine(
            DatabaseSource(parse_database_url(str(db)), busy_timeout=0.1), clock=fixed_clock(FIXED_NOW)
        )
        with pytest.raises(SourceUnavailable):
            engine.load(engine.today() - 3)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_pauses_end_with_the_last() -> None:
    inner_entered, outer_may_end = threading.Event(), threading.Event()
    states: list[bool] = []

    def other_thread() -> None:
        with collection_paused():
            inner_entered.set()
            outer_may_end.wait(5)
        states.append(gc.isenabled())  # this pause ended last: the collector is back

    with collection_paused():
        worker = threading.Thread(target=other_thread)
        worker.start()
        assert inner_entered.wait(5)
    states.append(gc.isenabled())  # the first pause ended while the other still runs
    outer_may_end.set()
    worker.join(5)
    assert states == [False, True]
    with collection_paused(), collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
