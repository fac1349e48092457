"""``spendtui watch`` in a real process: alerts once per window across restarts, new spend
found by the incremental poll, a clean exit on SIGTERM and SIGINT, and a source that goes
away and comes back (PostgreSQL refusing connections, then accepting them again)."""

from __future__ import annotations

import json
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spendtui.demo.generator import create_demo_db
from tests.helpers import need, pg_admin_url, pg_copy_of
from tests.test_check import write_config

NOW = datetime.now(UTC)
START = (NOW - timedelta(days=20)).date()


#: Every watch started by a test, killed at its end whatever happened (``_no_leftovers``).
STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


class Watch:
    """``spendtui watch --log-format json`` in its own process; its events as they come."""

    def __init__(self, *argv: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spendtui", "watch", "--log-format", "json", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        STARTED.append(self.proc)
        self.events: list[dict] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def until(self, predicate, timeout: float = 60.0) -> dict:
        """The first event (from now on) that ``predicate`` accepts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            event = json.loads(line)
            self.events.append(event)
            if predicate(event):
                return event
        err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
        raise AssertionError(f"no such event in {timeout} s; got {self.events}; stderr: {err}")

    def passes(self, n: int) -> None:
        """Let ``n`` more passes run (each pass ends in a wait of the interval), and take
        in the events they printed."""
        time.sleep(n * 0.4 + 0.5)
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.events.append(json.loads(line))

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=30)
        self.until(lambda e: e["event"] == "stopped", timeout=10)
        return code


def period_spend(db: Path) -> float:
    with sqlite3.connect(db) as conn:
        (total,) = conn.execute(
            'SELECT sum(spend) FROM "LiteLLM_SpendLogs" WHERE substr("startTime", 1, 10) >= ?', (START.isoformat(),)
        ).fetchone()
    return total


def add_spend(db: Path, usd: float, n: int = 1, model: str | None = None, status: str = "success") -> None:
    """``n`` more requests, now, costing ``usd`` each (copies of the newest row with new
    ids; of ``model`` when given, with ``status``)."""
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TEMP TABLE one AS SELECT * FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT 1')
        if model is not None:
            conn.execute("UPDATE one SET model = ?, model_group = ?", (model, model))
        for _ in range(n):
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000")
            conn.execute(
                'UPDATE one SET request_id = ?, spend = ?, "startTime" = ?, "endTime" = ?, status = ?',
                (f"watch-{uuid.uuid4()}", usd, stamp, stamp, status),
            )
            conn.execute('INSERT INTO "LiteLLM_SpendLogs" SELECT * FROM one')


@pytest.fixture
def live_db(tmp_path: Path) -> Path:
    """Demo data up to this moment (watch reads the real clock)."""
    path = tmp_path / "live.db"
    create_demo_db(path, rows=4000, days=12, layout="litellm", seed=21, now=NOW)
    return path


def test_watch_alerts_once_polls_new_spend_and_survives_a_restart(tmp_path, live_db, env, hooks) -> None:
    spend = period_spend(live_db)
    amount = round(spend / 0.9, 2)  # 90 %: over the 80 % threshold, under 100 %
    end = NOW.date() + timedelta(days=30)
    config = write_config(
        tmp_path,
        {
            "budget_alerts": [
                {"threshold": 0.8, "webhook": hooks.url("/warn")},
                {"threshold": 1.0, "webhook": hooks.url("/over")},
            ],
            "budgets": [{"name": "launch", "amount": amount, "start": START.isoformat(), "end": end.isoformat()}],
        },
    )
    args = ("--db", f"sqlite:///{live_db}", "--interval", "0.3")
    watch = Watch("--config", str(config), *args, env=env)
    started = watch.until(lambda e: e["event"] == "started")
    assert started["interval"] == 0.3
    fired = watch.until(lambda e: e["event"] == "firing" and e["budget"]["kind"] == "plan")
    assert fired["budget"]["name"] == "launch" and fired["threshold"] == "80%" and fired["level"] == "warning"
    assert abs(float(fired["spend"]) - spend) <= 1e-6 and float(fired["limit"]) == amount
    assert fired["sent_to"] == ["webhook 127.0.0.1:" + str(hooks.server_address[1])]
    launch = lambda path: [p for p in hooks.posts(path) if "plan launch" in p["text"]]  # noqa: E731
    [warn] = launch("/warn")  # (the demo's own LiteLLM budgets alert too)
    assert "plan launch (all spend) crossed 80%" in warn["text"]
    assert launch("/over") == []

    # spend written while it runs: the next poll finds it, and 100 % fires once
    add_spend(live_db, amount * 0.2)
    over = watch.until(lambda e: e["event"] == "firing" and e["threshold"] == "100%")
    assert abs(float(over["spend"]) - period_spend(live_db)) <= 1e-6 and over["level"] == "exceeded"
    watch.passes(3)
    assert len(launch("/over")) == 1 and len(launch("/warn")) == 1
    assert watch.stop(signal.SIGTERM) == 0
    posted = len(hooks.received)
    assert [e["event"] for e in watch.events].count("firing") == len(
        {json.dumps(e) for e in watch.events if e["event"] == "firing"}
    )

    # a restart sends and logs nothing again in the same window
    again = Watch("--config", str(config), *args, env=env)
    again.until(lambda e: e["event"] == "started")
    again.passes(4)
    assert again.stop(signal.SIGINT) == 0
    assert [e["event"] for e in again.events] == ["started", "stopped"] and again.events[-1]["passes"] >= 2
    assert len(hooks.received) == posted
    assert again.proc.stderr is not None and again.proc.stderr.read() == ""


def test_watch_refuses_a_bad_interval_and_a_bad_config(tmp_path, live_db, env) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "spendtui", "watch", "--db", f"sqlite:///{live_db}", "--interval", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "--interval 0: give at least 0.2 seconds" in bad.stderr
    config = write_config(tmp_path, {"budget_alerts": [{"threshold": 0.8, "webhok": "https://example.com"}]})
    bad = subprocess.run(
        [sys.executable, "-m", "spendtui", "--config", str(config), "watch", "--db", f"sqlite:///{live_db}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "budget_alerts[0]" in bad.stderr and "webhok" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.fixture
def pg_live(live_db: Path) -> Iterator[tuple[str, str]]:
    need(pg_admin_url() is not None, "needs the PostgreSQL server started by .ci/run")
    name = f"watch_{uuid.uuid4().hex[:8]}"
    url = pg_copy_of(live_db, name)
    yield url, name


@pytest.mark.postgres
def test_watch_survives_the_source_going_away_and_coming_back(tmp_path, pg_live, env) -> None:
    import psycopg

    url, name = pg_live
    admin = pg_admin_url()
    assert admin is not None
    config = write_config(
        tmp_path, {"budgets": [{"name": "tiny", "amount": 0.01, "start": START.isoformat(), "end": "2099-12-31"}]}
    )
    watch = Watch("--config", str(config), "--db", url, "--interval", "0.3", env=env)
    watch.until(lambda e: e["event"] == "firing" and e["budget"]["name"] == "tiny" and e["threshold"] == "100%")
    watch.passes(2)
    firing = [e for e in watch.events if e["event"] == "firing"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    down = watch.until(lambda e: e["event"] == "source-down")
    assert "not currently accepting connections" in down["problem"] and "***@" in down["problem"]
    watch.passes(4)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    watch.until(lambda e: e["event"] == "source-up")
    watch.passes(3)
    assert watch.stop() == 0
    kinds = [e["event"] for e in watch.events]
    assert kinds.count("source-down") == 1 and kinds.count("source-up") == 1  # one line per event, not per pass
    # every crossing once (tiny: 80 % and 100 %), none again after the source came back
    assert [e for e in watch.events if e["event"] == "firing"] == firing
    assert sorted(e["threshold"] for e in firing if e["budget"]["name"] == "tiny") == ["100%", "80%"]
    password = url.split("@")[0].split(":")[-1]
    assert f":{password}@" not in json.dumps(watch.events)  # (no password in the log)


def test_a_rule_fires_once_and_resolves_once_across_a_restart(tmp_path, live_db, env, hooks) -> None:
    """A failure-rate rule on a model of its own: 3 failures of 3 requests fire it (the
    webhook gets it once), 9 successes bring it to 25 % and resolve it (once); a restart
    sends and logs neither again."""
    config = write_config(
        tmp_path,
        {
            "rules": [
                {
                    "name": "canary failures",
                    "measure": "failure_rate",
                    "scope": {"model": "canary-model"},
                    "period": "day",
                    "above": "50%",
                    "channels": [{"webhook": hooks.url("/rules")}],
                }
            ]
        },
    )
    args = ("--config", str(config), "--db", f"sqlite:///{live_db}", "--interval", "0.3")
    watch = Watch(*args, env=env)
    watch.until(lambda e: e["event"] == "started")
    watch.passes(2)
    assert not [e for e in watch.events if e["event"] in ("firing", "resolved") and "rule" in e]
    add_spend(live_db, 0.0, n=3, model="canary-model", status="failure")
    fired = watch.until(lambda e: e["event"] == "firing" and "rule" in e)
    rule = fired["rule"]
    assert rule["name"] == "canary failures" and rule["state"] == "firing" and rule["value"] == 1.0
    assert rule["scope"] == "model canary-model" and rule["period"] == "day"
    assert fired["sent_to"] == [f"webhook 127.0.0.1:{hooks.server_address[1]}"]
    [sent] = hooks.posts("/rules")
    assert "rule canary failures FIRING: failure_rate of model canary-model" in sent["text"]
    add_spend(live_db, 0.001, n=9, model="canary-model")
    resolved = watch.until(lambda e: e["event"] == "resolved")
    assert resolved["rule"]["value"] == 0.25 and resolved["rule"]["state"] == "ok"
    watch.passes(3)
    assert [p["text"].split(":")[1].strip() for p in hooks.posts("/rules")] == [
        "▲ rule canary failures FIRING",
        "✓ rule canary failures RESOLVED",
    ]
    assert watch.stop() == 0
    again = Watch(*args, env=env)
    again.until(lambda e: e["event"] == "started")
    again.passes(3)
    assert again.stop() == 0
    assert [e["event"] for e in again.events] == ["started", "stopped"] and len(hooks.posts("/rules")) == 2
