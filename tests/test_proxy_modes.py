"""Older proxies, detected by what they answer: without daily activity endpoints every day
comes from the request log; without ``/spend/logs/v2`` from the legacy ``/spend/logs``."""

from __future__ import annotations

import pytest

from spendtui.core.query import DIMENSIONS, Filters
from spendtui.errors import SourceDataError
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.sources.proxy.source import MODE_LEGACY, MODE_LOGS
from spendtui.timeutil import fixed_clock
from tests.helpers import FIXED_NOW
from tests.proxy_server import FixtureServer, LegacyLogStore, LogStore
from tests.test_facts import WINDOW, proxy_engine, requests, same, same_rows, truth


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return requests(seed=12, n=1500)


def check_everything(engine, rows) -> None:  # type: ignore[no-untyped-def]
    want = truth(rows)
    same(engine.query.totals(WINDOW), want.totals(WINDOW))
    for dim in DIMENSIONS:
        same_rows(engine.query.breakdown(dim, WINDOW), want.breakdown(dim, WINDOW))
    crossed = Filters(model=frozenset(want.values("model")[:1]))
    got = engine.query.breakdown("customer", WINDOW, crossed)
    same_rows(got, want.breakdown("customer", WINDOW, crossed))


def test_without_daily_activity_every_day_comes_from_the_request_log(rows) -> None:
    with FixtureServer() as server:
        server.route("/spend/logs/v2", LogStore(rows))
        engine = proxy_engine(server)
        try:
            assert engine.source.mode == MODE_LOGS
            assert engine.fact_cubes == []
            assert any("/user/daily/activity" in n for n in engine.cube.quality.notes)
            check_everything(engine, rows)
        finally:
            engine.close()


def test_without_spend_logs_v2_the_legacy_endpoint_is_used(rows) -> None:
    with FixtureServer() as server:
        server.route("/spend/logs", LegacyLogStore(rows))
        engine = proxy_engine(server)
        try:
            assert engine.source.mode == MODE_LEGACY
            check_everything(engine, rows)
        finally:
            engine.close()


def test_the_legacy_cap_is_an_error_not_a_short_answer(rows) -> None:
    with FixtureServer() as server:
        server.route("/spend/logs", LegacyLogStore(rows, cap=100))
        source = ProxySource(HttpSettings(server.url, "sk-test-master"), clock=fixed_clock(FIXED_NOW))
        try:
            with pytest.raises(SourceDataError, match="more than 10,000 requests"):
                source.load(WINDOW.first_day, WINDOW.last_day - 1)
        finally:
            source.close()
