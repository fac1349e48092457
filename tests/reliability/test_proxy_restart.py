"""The proxy stopped mid-session and restarted, against the real LiteLLM peer and its
PostgreSQL, with the real dashboard under Textual's Pilot polling every second.

The shared peer is never stopped: spendtui talks to it through a TCP forwarder on
127.0.0.1 (``forwarder.py``), and the forwarder is what stops (listener closed, open
connections cut, like a killed process) and starts again on the same port. While it is
down, new requests go to the peer directly and LiteLLM writes them to its database.

The dashboard keeps the last figures on screen marked STALE with their age, retries
with growing gaps (no storm), recovers by itself, and afterwards the spend and request
count of every key of this run equal a plain SQL sum over the peer's database (nothing
lost, nothing counted twice). Only this run's keys are compared: the peer is shared.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from spendtui.config import Config, Profile
from spendtui.core.selection import Filters, Window
from spendtui.engine import SpendEngine
from spendtui.sources.proxy import HttpSettings, ProxySource
from spendtui.tui.app import SpendApp
from spendtui.tui.launch import Launch
from spendtui.tui.widgets.status import StatusBar
from tests.helpers import need
from tests.peer import MASTER, PEER_DB, PEER_URL, Workload, peer_problem, wait_until_written, written
from tests.reliability.forwarder import Forwarder

pytestmark = pytest.mark.peer


def make_app(url: str) -> SpendApp:
    profile = Profile(name="peer", proxy_url=url, api_key=MASTER)

    def engine(profile: Profile, clock) -> SpendEngine:  # type: ignore[no-untyped-def]
        return SpendEngine(ProxySource(HttpSettings(url, MASTER), clock=clock), clock=clock)

    config = Config(path=None, profiles={}, active=profile)
    return SpendApp(Launch(config=config, refresh=1.0, autopoll=True, engine_factory=engine))


async def wait_for(pilot, what: Callable[[], object], seconds: float, why: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, f"not within {seconds:g}s: {why}"
        await pilot.pause(0.2)


def sql_per_key(tokens: list[str], window: Window) -> dict[str, tuple[float, int]]:
    """Ground truth, independent of spendtui: spend and requests per key from LiteLLM's log."""
    import psycopg

    with psycopg.connect(PEER_DB) as conn:
        rows = conn.execute(
            'SELECT api_key, sum(spend), count(*) FROM "LiteLLM_SpendLogs" '
            'WHERE api_key = ANY(%s) AND "startTime" >= %s AND "startTime" < %s GROUP BY api_key',
            (tokens, window.first, window.last + timedelta(days=1)),
        ).fetchall()
    return {token: (float(spend), int(n)) for token, spend, n in rows}


def shown_per_key(app: SpendApp, tokens: list[str], window: Window) -> dict[str, tuple[float, int]]:
    assert app.engine is not None
    with app.session.lock:
        groups = app.engine.query.breakdown("key", window, Filters(key=frozenset(tokens)))
    return {g.name: (g.totals.spend / 1e12, g.totals.requests) for g in groups if g.totals.requests}


def same(a: dict[str, tuple[float, int]], b: dict[str, tuple[float, int]]) -> bool:
    return a.keys() == b.keys() and all(a[k][1] == b[k][1] and abs(a[k][0] - b[k][0]) < 1e-9 for k in a)


async def test_proxy_stopped_and_restarted_mid_session() -> None:
    problem = peer_problem()
    need(problem is None, problem or "")
    work = Workload()
    await asyncio.to_thread(work.create)
    baseline = written(PEER_DB)["logs"][0]
    await asyncio.to_thread(work.send)
    await asyncio.to_thread(wait_until_written, PEER_DB, baseline + work.sent)
    tokens = sorted(hashlib.sha256(k.encode()).hexdigest() for k in work.keys.values())
    peer = urlsplit(PEER_URL)
    with Forwarder((peer.hostname or "127.0.0.1", peer.port or 4000)) as forwarder:
        app = make_app(forwarder.url)
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: app.applied is not None and app.applied.kpis, 90, "first data")
            assert app.engine is not None
            today = app.engine.today()
            window = Window(today - 1, today)
            await wait_for(
                pilot,
                lambda: same(shown_per_key(app, tokens, window), sql_per_key(tokens, window)),
                60,
                "figures equal SQL before the outage",
            )
            before = shown_per_key(app, tokens, window)
            status = app.query_one(StatusBar)
            source = app.engine.source
            assert isinstance(source, ProxySource)

            # ---- the proxy goes away
            forwarder.stop()
            down_at = time.monotonic()
            sent_at_stop = source.http.requests_sent
            attempts: list[float] = []

            async def count_attempts() -> None:
                seen = sent_at_stop
                while True:
                    if source.http.requests_sent != seen:
                        seen = source.http.requests_sent
                        attempts.append(time.monotonic() - down_at)
                    await asyncio.sleep(0.05)

            counter = asyncio.create_task(count_attempts())
            extra = Workload(run=work.run, keys=work.keys)
            baseline = written(PEER_DB)["logs"][0]
            await asyncio.to_thread(extra.send)  # straight to the peer: written while spendtui is cut off
            await asyncio.to_thread(wait_until_written, PEER_DB, baseline + extra.sent)
            await wait_for(pilot, lambda: status.stale_since is not None, 30, "stale shown")
            await wait_for(pilot, lambda: time.monotonic() - down_at >= 35, 60, "a long enough outage")
            rendered = str(status.render())
            outage = time.monotonic() - down_at
            assert "STALE since" in rendered and "connection refused" in status.error
            age = re.search(r"updated \d\d:\d\d:\d\d UTC \((\d+)s ago\)", rendered)
            assert age and int(age.group(1)) >= 30, rendered  # the last good data and how old it is
            assert shown_per_key(app, tokens, window) == before  # kept on screen, unchanged
            assert MASTER not in rendered
            # back-off: at a 1 s refresh, a naive loop would have tried ~35 times by now
            gaps = [b - a for a, b in zip(attempts, attempts[1:], strict=False)]
            print(f"\noutage {outage:.0f} s: connection attempts at {[round(a, 1) for a in attempts]} s")
            print(f"status bar: {rendered}")
            assert 2 <= len(attempts) <= 6 and gaps[-1] >= 2 * gaps[0]

            # ---- the proxy comes back
            forwarder.start()
            up_at = time.monotonic()
            await wait_for(pilot, lambda: status.stale_since is None, 150, "recovered by itself")
            recovered = time.monotonic() - up_at
            counter.cancel()
            assert any("source is back" in str(n.message) for n in app._notifications)
            await wait_for(
                pilot,
                lambda: same(shown_per_key(app, tokens, window), sql_per_key(tokens, window)),
                90,
                "figures equal SQL after recovery",
            )
            after = shown_per_key(app, tokens, window)
            print(f"recovered {recovered:.0f} s after the forwarder came back; per key: {after}")
            assert sum(n for _, n in after.values()) >= sum(n for _, n in before.values()) + extra.sent
