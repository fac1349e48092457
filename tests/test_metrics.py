"""``spendtui metrics`` in a real process, scraped over loopback with httpx and parsed with
prometheus_client's parser; every figure compared with SQL ground truth over the window
the endpoint says it covers (``spendtui_window_info``): spend per model and per team to
the micro-dollar, keys' remaining budgets from "LiteLLM_VerificationToken", new rows found
by the next incremental refresh, 10,000 keys folded into top-N + "(other)" exactly, a
scrape answered from the last snapshot while the SQLite database is locked, SQLite and
PostgreSQL, bad --listen refused, and SIGTERM/SIGINT exiting 0."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from spendtui.demo.generator import create_demo_db
from tests.helpers import need, pg_admin_url, pg_copy_of
from tests.test_check import write_config
from tests.truth import Truth

NOW = datetime.now(UTC)
MICRO = 1e-6
OTHER = "(other)"

Samples = dict[str, list[tuple[dict[str, str], float]]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Metrics:
    """``spendtui metrics`` in its own process on a free loopback port."""

    def __init__(self, *argv: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spendtui", "metrics", "--listen", f"127.0.0.1:{self.port}", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def scrape(self, timeout: float = 10.0) -> Samples:
        response = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=timeout)
        assert response.status_code == 200
        out: Samples = defaultdict(list)
        for family in text_string_to_metric_families(response.text):
            assert family.type == "gauge", family.name
            for sample in family.samples:
                out[sample.name].append((dict(sample.labels), sample.value))
        return out

    def until(self, predicate, timeout: float = 90.0) -> Samples:
        """The first scrape (from now on) that ``predicate`` accepts."""
        deadline = time.monotonic() + timeout
        last: Samples = {}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"exited {self.proc.returncode}: {''.join(self.stderr)}")
            try:
                last = self.scrape()
            except httpx.TransportError:
                last = {}
            if last and predicate(last):
                return last
            time.sleep(0.2)
        raise AssertionError(f"no such scrape in {timeout} s; stderr: {''.join(self.stderr)}; last: {sorted(last)}")

    def ready(self) -> Samples:
        """The first scrape after a successful refresh."""
        return self.until(lambda s: value(s, "spendtui_source_up") == 1.0)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=30)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


def value(samples: Samples, name: str, **labels: str) -> float | None:
    found = [v for lab, v in samples.get(name, []) if all(lab.get(k) == w for k, w in labels.items())]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    """``sum by (label) (name)``, with "" as "(none)" (as Truth names it)."""
    out: dict[str, float] = defaultdict(float)
    for labels, v in samples.get(name, []):
        out[labels.get(label) or "(none)"] += v
    return dict(out)


def window(samples: Samples) -> tuple[date, date]:
    [(labels, one)] = samples["spendtui_window_info"]
    assert one == 1.0
    return date.fromisoformat(labels["first_day"]), date.fromisoformat(labels["last_day"])


def close(got: dict[str, float], want: dict[str, float]) -> None:
    """Same keys, every value within a micro-dollar (or exactly, for counts)."""
    assert set(got) == set(want)
    bad = {k: (got[k], want[k]) for k in want if abs(got[k] - want[k]) >= MICRO}
    assert not bad


@pytest.fixture
def live_db(tmp_path: Path) -> Path:
    """Demo data up to this moment (the command reads the real clock)."""
    path = tmp_path / "live.db"
    create_demo_db(path, rows=5000, days=40, layout="litellm", seed=31, now=NOW)
    return path


@pytest.fixture
def running() -> Iterator[list[Metrics]]:
    started: list[Metrics] = []
    yield started
    for m in started:
        m.kill()


def start(running: list[Metrics], *argv: str, env: dict[str, str]) -> Metrics:
    m = Metrics(*argv, env=env)
    running.append(m)
    return m


# ---------------------------------------------------------------------- ground truth
def key_budgets(url: str) -> dict[str, float]:
    """max_budget - spend of every key with a max_budget, straight from the token table."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT token, max_budget, spend FROM "LiteLLM_VerificationToken" WHERE max_budget IS NOT NULL')
        ).fetchall()
    engine.dispose()
    return {r[0]: float(r[1]) - float(r[2] or 0) for r in rows}


def check_against_sql(samples: Samples, url: str) -> None:
    first, last = window(samples)
    truth = Truth(url)
    spend = "litellm_spend_metric_total"
    close(by_label(samples, spend, "model"), {k: v[0] for k, v in truth.model(first, last).items()})
    close(by_label(samples, spend, "team"), {k: v[0] for k, v in truth.by("team_id", first, last).items()})
    total = truth.total(first, last)
    assert abs(sum(v for _, v in samples[spend]) - total[0]) < MICRO
    requests = sum(v for _, v in samples["litellm_requests_metric_total"])
    failures = sum(v for _, v in samples["spendtui_failed_requests"])
    assert requests + failures == total[1] and failures > 0
    assert sum(v for _, v in samples["litellm_total_tokens_metric_total"]) == total[4]
    remaining = {lab["hashed_api_key"]: v for lab, v in samples["litellm_remaining_api_key_budget_metric"]}
    close(remaining, key_budgets(url))


# ---------------------------------------------------------------------- SQLite
def add_rows(db: Path, usd: float, n: int = 1, model: str | None = None) -> None:
    """``n`` more requests now costing ``usd`` each (copies of the newest row, new ids)."""
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TEMP TABLE one AS SELECT * FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT 1')
        if model is not None:
            conn.execute("UPDATE one SET model = ?, model_group = ?", (model, model))
        for _ in range(n):
            stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000")
            conn.execute(
                'UPDATE one SET request_id = ?, spend = ?, "startTime" = ?, "endTime" = ?, status = ?',
                (f"metrics-{uuid.uuid4()}", usd, stamp, stamp, "success"),
            )
            conn.execute('INSERT INTO "LiteLLM_SpendLogs" SELECT * FROM one')


def test_sqlite_figures_match_sql_and_new_rows_arrive(tmp_path, live_db, env, running) -> None:
    config = write_config(
        tmp_path, {"rules": [{"name": "any spend", "measure": "spend", "period": "month", "above": "$0.000001"}]}
    )
    url = f"sqlite:///{live_db}"
    m = start(running, "--config", str(config), "--db", url, "--window", "30d", "--interval", "0.3", env=env)
    samples = m.ready()
    check_against_sql(samples, url)
    assert value(samples, "spendtui_last_refresh_timestamp_seconds") >= NOW.timestamp() - 60
    # alert states: a key at or over its max_budget is exceeded (2); the rule fires with the month's spend
    levels = {lab["id"]: v for lab, v in samples["spendtui_budget_level"] if lab["kind"] == "key"}
    over = {k for k, left in key_budgets(url).items() if left <= 0}
    assert over and {k for k, v in levels.items() if v == 2.0} == over
    counts = {lab["level"]: v for lab, v in samples["spendtui_budgets"]}
    assert sum(counts.values()) == len(samples["spendtui_budget_level"]) and counts["exceeded"] >= len(over)
    rule = {"rule": "any spend", "measure": "spend", "scope": "all spend", "period": "month"}
    assert value(samples, "spendtui_rule_firing", **rule) == 1.0
    month = Truth(url).total(NOW.date().replace(day=1), NOW.date())[0]
    assert abs(value(samples, "spendtui_rule_value", **rule) - month) < MICRO

    # rows written while it runs: the next (incremental) refresh has them, to the micro-dollar
    add_rows(live_db, 0.123457, n=3, model="metrics-canary")
    after = m.until(lambda s: by_label(s, "litellm_spend_metric_total", "model").get("metrics-canary"))
    assert abs(by_label(after, "litellm_spend_metric_total", "model")["metrics-canary"] - 3 * 0.123457) < MICRO
    check_against_sql(after, url)
    assert m.stop(signal.SIGTERM) == 0
    assert "Traceback" not in "".join(m.stderr)


def test_the_default_window_is_the_month_so_far_and_sigint_exits_0(live_db, env, running) -> None:
    m = start(running, "--db", f"sqlite:///{live_db}", "--interval", "0.3", env=env)
    samples = m.ready()
    first, last = window(samples)
    [(labels, _)] = samples["spendtui_window_info"]
    assert labels["window"] == "mtd" and first == last.replace(day=1)
    check_against_sql(samples, f"sqlite:///{live_db}")
    assert m.stop(signal.SIGINT) == 0


def test_ten_thousand_keys_fold_into_top_n_and_an_exact_other(tmp_path, live_db, env, running) -> None:
    top = 20
    with sqlite3.connect(live_db) as conn:
        template = conn.execute('SELECT * FROM "LiteLLM_SpendLogs" ORDER BY rowid DESC LIMIT 1')
        columns = [d[0] for d in template.description]
        row = list(template.fetchone())
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000")
        at = {c: i for i, c in enumerate(columns)}
        rows = []
        for i in range(10_000):
            row[at["request_id"]] = f"many-{i}"
            row[at["api_key"]] = uuid.uuid4().hex * 2
            row[at["spend"]] = 0.000013 * (i % 97 + 1)
            row[at["startTime"]] = row[at["endTime"]] = stamp
            rows.append(tuple(row))
        marks = ", ".join("?" * len(columns))
        conn.executemany(f'INSERT INTO "LiteLLM_SpendLogs" VALUES ({marks})', rows)
    url = f"sqlite:///{live_db}"
    m = start(running, "--db", url, "--window", "7d", "--top", str(top), "--interval", "0.5", env=env)
    samples = m.ready()
    first, last = window(samples)
    keys = by_label(samples, "litellm_spend_metric_total", "hashed_api_key")
    assert len(keys) <= top + 1 and OTHER in keys
    assert value(samples, "spendtui_usage_distinct_values", dimension="key") > 10_000
    truth = {k: v[0] for k, v in Truth(url).by("api_key", first, last).items()}
    ranked = sorted(truth, key=lambda k: -truth[k])
    shown = set(keys) - {OTHER}
    assert shown == set(ranked[:top])
    close({k: keys[k] for k in shown}, {k: truth[k] for k in shown})
    assert abs(keys[OTHER] - sum(v for k, v in truth.items() if k not in shown)) < MICRO
    for label in ("end_user", "model", "team", "user", "org_id"):
        assert len(by_label(samples, "litellm_spend_metric_total", label)) <= top + 1
    assert m.stop() == 0


def test_a_scrape_while_the_database_is_locked_serves_the_last_snapshot(live_db, env, running) -> None:
    m = start(running, "--db", f"sqlite:///{live_db}", "--interval", "0.2", env=env)
    before = m.ready()
    writer = sqlite3.connect(live_db, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # (no reader gets in: each refresh waits on it 5 s, then fails)
    try:
        for _ in range(10):  # (a scrape waiting for the refresh would time out: it never should)
            during = m.scrape(timeout=3.0)
            assert during["litellm_spend_metric_total"] == before["litellm_spend_metric_total"]
            assert during["spendtui_last_refresh_timestamp_seconds"]
            time.sleep(0.2)
        m.until(lambda s: value(s, "spendtui_source_up") == 0.0)
        assert m.scrape()["litellm_spend_metric_total"] == before["litellm_spend_metric_total"]
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    m.until(lambda s: value(s, "spendtui_source_up") == 1.0)
    log = "".join(m.stderr)
    assert log.count("source down") == 1 and log.count("source up") == 1 and "locked" in log
    assert m.stop() == 0


def test_bad_listen_and_a_misplaced_window_are_refused(live_db, env) -> None:
    def run(listen: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "spendtui", "metrics", "--db", f"sqlite:///{live_db}", "--listen", listen],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    for listen, says in [
        ("9464", "give HOST:PORT"),
        ("127.0.0.1:http", "the port must be a number from 1 to 65535"),
        ("127.0.0.1:70000", "the port must be a number from 1 to 65535"),
        ("::1:9464", "write an IPv6 address in brackets"),
    ]:
        bad = run(listen)
        assert bad.returncode == 2 and f"--listen {listen!r}: {says}" in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bad = run(f"127.0.0.1:{port}")
    assert bad.returncode == 3 and f"--listen 127.0.0.1:{port}: cannot listen there" in bad.stderr
    assert "in use" in bad.stderr and "Traceback" not in bad.stderr
    # the dashboard's --window before the command is not taken for the command's own
    bad = subprocess.run(
        [sys.executable, "-m", "spendtui", "--window", "7d", "metrics", "--db", f"sqlite:///{live_db}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and "`spendtui metrics --window …`" in bad.stderr


# ---------------------------------------------------------------------- PostgreSQL
@pytest.fixture
def pg_live(live_db: Path) -> str:
    need(pg_admin_url() is not None, "needs the PostgreSQL server started by .ci/run")
    return pg_copy_of(live_db, f"metrics_{uuid.uuid4().hex[:8]}")


@pytest.mark.postgres
def test_postgres_figures_match_sql_and_new_rows_arrive(pg_live, env, running) -> None:
    import psycopg

    m = start(running, "--db", pg_live, "--window", "30d", "--interval", "0.3", env=env)
    check_against_sql(m.ready(), pg_live)
    with psycopg.connect(pg_live) as conn:
        conn.execute('CREATE TEMP TABLE one AS SELECT * FROM "LiteLLM_SpendLogs" ORDER BY "startTime" DESC LIMIT 1')
        conn.execute(
            "UPDATE one SET request_id = %s, spend = 0.654321, model = 'pg-canary', model_group = 'pg-canary', "
            "\"startTime\" = now() AT TIME ZONE 'UTC', \"endTime\" = now() AT TIME ZONE 'UTC'",
            (f"metrics-{uuid.uuid4()}",),
        )
        conn.execute('INSERT INTO "LiteLLM_SpendLogs" SELECT * FROM one')
        conn.commit()
    after = m.until(lambda s: by_label(s, "litellm_spend_metric_total", "model").get("pg-canary"))
    assert abs(by_label(after, "litellm_spend_metric_total", "model")["pg-canary"] - 0.654321) < MICRO
    check_against_sql(after, pg_live)
    assert m.stop() == 0


# ---------------------------------------------------------------------- the pure part, in process
def test_usage_marginals_are_exact_for_every_dimension_with_a_small_top(litellm_db) -> None:
    """``reports.metrics``: with --top 3, each label summed on its own gives SQL's figure
    for each kept value and the exact rest under "(other)" (organization: LiteLLM's
    attribution, ``Truth.owners``); the status gauges follow the refresher's state."""
    from spendtui.core.query import Query, Window
    from spendtui.engine import SpendEngine
    from spendtui.reports.metrics import Status, status_families, usage_families
    from spendtui.reports.metrics_usage import usage
    from spendtui.sources.db.source import DatabaseSource
    from spendtui.sources.db.urls import parse_database_url
    from spendtui.timeutil import fixed_clock
    from tests.helpers import FIXED_NOW

    url = f"sqlite:///{litellm_db}"
    engine = SpendEngine(DatabaseSource(parse_database_url(url)), clock=fixed_clock(FIXED_NOW))
    window = Window.month_to_date(FIXED_NOW.date())
    engine.ensure_loaded(window.first_day)
    found = usage(Query(engine.cube), window, 3)
    [spend, *_] = usage_families(found, engine.names, "mtd")
    samples: Samples = {spend.name: [(dict(zip(spend.labels, lab, strict=True)), v) for lab, v in spend.samples]}
    truth = Truth(url)
    first, last = window.first, window.last
    wanted = {
        "model": truth.model(first, last),
        "team": truth.by("team_id", first, last),
        "hashed_api_key": truth.by("api_key", first, last),
        "end_user": truth.by("end_user", first, last),
        "org_id": truth.owners("organization", first, last),
    }
    for label, rows in wanted.items():
        got = by_label(samples, spend.name, label)
        assert len(got) == 4 and OTHER in got, label  # (every dimension has more than 3 values here)
        kept = set(got) - {OTHER}
        close({k: got[k] for k in kept}, {k: rows[k][0] for k in kept})
        assert abs(got[OTHER] - sum(v[0] for k, v in rows.items() if k not in kept)) < MICRO, label
        ranked = sorted(rows, key=lambda k: -rows[k][0])
        assert kept == set(ranked[:3]), label
    assert found.distinct["model"] == len(wanted["model"])
    engine.close()

    names = [f.name for f in status_families(Status(None, None, None, "mtd"))]
    assert names == []  # (nothing said about the source before the first pass)
    down = status_families(Status(False, FIXED_NOW, 0.5, "mtd", "2026-11-01", "2026-11-27"))
    assert [(f.name, f.samples[0][1]) for f in down][:2] == [
        ("spendtui_source_up", 0.0),
        ("spendtui_last_refresh_timestamp_seconds", FIXED_NOW.timestamp()),
    ]


def test_a_value_called_other_is_folded_in_rather_than_duplicated() -> None:
    """Two series with one label set would make Prometheus reject the whole scrape."""
    import numpy as np

    from spendtui.reports.metrics_usage import _ranked

    m = np.zeros((9, 3), dtype=np.int64)
    m[0] = [5, 9, 1]  # spend per cell
    m[1] = 1
    codes = _ranked(np.array([0, 1, 2]), ["a", OTHER, "b"], m, 100, 2)
    assert codes.tolist() == [0, 2, 1]  # "(other)" folded in (code 2 = the rest), a then b kept
