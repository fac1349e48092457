"""Poll discipline of the proxy source against a real HTTP server serving a request log:
one request per steady-state poll, late and out-of-order rows found exactly once, idle and
error back-off, and a proxy that stops and comes back mid-session."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from spendtui.core.query import Window
from spendtui.engine import SpendEngine
from spendtui.errors import SourceUnavailable
from spendtui.money import to_pico
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.sources.proxy.pacing import ERROR_CAP, IDLE_CAP, PollPacer
from spendtui.timeutil import day_of, fixed_clock
from tests.proxy_server import FixtureServer, LogStore, Reply, recorded_rows

TEMPLATE = recorded_rows()[0]


class FakeTime:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def row(n: int, ended_ago: timedelta, duration: timedelta = timedelta(seconds=2)) -> dict:
    """A request that ended ``ended_ago`` before the real now (servers stamp real time)."""
    end = datetime.now(UTC) - ended_ago
    out = copy.deepcopy(TEMPLATE)
    out.update(
        request_id=f"req-{n:05d}",
        startTime=stamp(end - duration),
        endTime=stamp(end),
        spend=0.000125 * (n % 7 + 1),
    )
    return out


def make_source(server: FixtureServer, time: FakeTime, page: int = 5) -> ProxySource:
    now = datetime.now(UTC)
    source = ProxySource(
        HttpSettings(server.url, "sk-test-master"), clock=fixed_clock(now), pacer=PollPacer(monotonic=time)
    )
    source.logs_page = page
    return source


@pytest.fixture
def store() -> LogStore:
    return LogStore([row(n, timedelta(minutes=30 - n)) for n in range(20)])


def poll(source: ProxySource, server: FixtureServer, time: FakeTime, deep: bool = False):
    time.advance(120)
    before = len(server.requests)
    rows = source.poll(deep=deep)
    return {r.request_id for r in rows}, len(server.requests) - before


def test_polls_find_new_late_and_out_of_order_rows_once(store) -> None:
    time = FakeTime()
    with FixtureServer() as server:
        server.route("/spend/logs/v2", store)
        source = make_source(server, time)
        try:
            today = day_of(datetime.now(UTC))
            loaded = source.load(today - 1, today - 1)
            assert len(loaded.rows) == 20
            assert poll(source, server, time) == (set(), 1)  # steady state: one request

            store.rows += [row(100 + n, timedelta(seconds=5 + n)) for n in range(3)]
            assert poll(source, server, time) == ({"req-00100", "req-00101", "req-00102"}, 1)

            # written late and out of order: started 20 minutes ago, ended 40 s ago
            store.rows.append(row(200, timedelta(seconds=40), duration=timedelta(minutes=20)))
            assert poll(source, server, time) == ({"req-00200"}, 1)

            # a burst of 12 rows: pages of 5 are read until one reaches rows that ended
            # before the re-read margin (60 s): 12 new + 4 recent seen rows = 4 pages
            store.rows += [row(300 + n, timedelta(seconds=1)) for n in range(12)]
            found, requests = poll(source, server, time)
            assert found == {f"req-{300 + n:05d}" for n in range(12)} and requests == 4

            # a batch flushed very late (ended 10 minutes ago), beside new rows: found by the
            # next poll or at the latest by the deep poll (15 minutes back), exactly once
            store.rows.append(row(400, timedelta(minutes=10)))
            store.rows += [row(500 + n, timedelta(seconds=1)) for n in range(5)]
            normal, _ = poll(source, server, time)
            deep, _ = poll(source, server, time, deep=True)
            assert not normal & deep
            assert normal | deep == {"req-00400", *(f"req-{500 + n:05d}" for n in range(5))}
            assert poll(source, server, time, deep=True)[0] == set()
        finally:
            source.close()


def test_idle_polls_back_off_to_thirty_seconds(store) -> None:
    time = FakeTime()
    with FixtureServer() as server:
        server.route("/spend/logs/v2", store)
        source = make_source(server, time)
        try:
            today = day_of(datetime.now(UTC))
            source.load(today - 1, today - 1)
            waits = []
            for _ in range(8):
                time.advance(source.pacer.seconds_left())
                before = len(server.requests)
                assert source.poll() == []
                assert len(server.requests) == before + 1
                waits.append(source.pacer.interval)
                time.advance(source.pacer.interval / 2)
                before = len(server.requests)
                assert source.poll() == []  # not due: no request at all
                assert len(server.requests) == before
            assert waits == [3.0, 3.0, 6.0, 12.0, 24.0, IDLE_CAP, IDLE_CAP, IDLE_CAP]
            store.rows.append(row(900, timedelta(seconds=1)))
            time.advance(source.pacer.seconds_left())
            assert len(source.poll()) == 1
            assert source.pacer.interval == 3.0  # new rows: back to the base rate
        finally:
            source.close()


def test_errors_back_off_exponentially_and_keep_the_error(store) -> None:
    time = FakeTime()
    with FixtureServer() as server:
        server.route("/spend/logs/v2", store)
        source = make_source(server, time)
        try:
            today = day_of(datetime.now(UTC))
            source.load(today - 1, today - 1)
            server.route("/spend/logs/v2", Reply(503, {"detail": "upstream down"}))
            waits = []
            for _ in range(8):
                time.advance(source.pacer.seconds_left())
                before = len(server.requests)
                with pytest.raises(SourceUnavailable, match="HTTP 503"):
                    source.poll()
                assert len(server.requests) == before + 1
                waits.append(source.pacer.interval)
                with pytest.raises(SourceUnavailable, match="HTTP 503"):
                    source.poll(deep=True)  # still backing off: the stale error, no request
                assert len(server.requests) == before + 1
            assert waits == [3.0, 6.0, 12.0, 24.0, 48.0, 96.0, ERROR_CAP, ERROR_CAP]
            status = source.status()
            assert status.stale is not None and "HTTP 503" in status.stale
            assert 0 < status.next_poll_in <= ERROR_CAP
            server.route("/spend/logs/v2", store)
            time.advance(source.pacer.seconds_left())
            assert source.poll() == [] and source.status().stale is None
        finally:
            source.close()


def test_proxy_stopped_and_restarted_mid_session(store) -> None:
    time = FakeTime()
    first = FixtureServer()
    port = first.port
    first.route("/spend/logs/v2", store)
    with first:
        source = make_source(first, time, page=1000)
        engine = SpendEngine(source, clock=fixed_clock(datetime.now(UTC)))
        engine.load(engine.today() - 1)
    try:
        time.advance(10)
        with pytest.raises(SourceUnavailable, match="connection refused"):
            engine.refresh()
        stale = engine.query.totals(Window(engine.today() - 1, engine.today()))
        assert stale.requests == 20  # the last good data stays
        store.rows += [row(700 + n, timedelta(seconds=1)) for n in range(4)]
        with FixtureServer(port=port) as second:
            second.route("/spend/logs/v2", store)
            with pytest.raises(SourceUnavailable):
                engine.refresh()  # still backing off: nothing sent yet
            assert second.requests == []
            time.advance(source.pacer.seconds_left())
            assert engine.refresh().rows == 4
            time.advance(60)
            assert engine.refresh(deep=True).rows == 0
        total = engine.query.totals(Window(engine.today() - 1, engine.today()))
        assert total.requests == 24
        assert total.spend == sum(to_pico(r["spend"]) for r in store.rows)
    finally:
        engine.close()
