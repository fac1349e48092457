"""The demo's costs tell the truth, except for its three deliberate problems (issue 20).

A real demo database (SQLite file, fixed seed and clock) audited by the real ``spendtui
audit``: the only findings are zero-cost requests of the model missing from LiteLLM's price
map, and drifted requests of the custom-priced deployment inside its lost-price window and
of the cache model inside its window; nothing is unpriced. Every other request is also
re-priced here, row by row, from the bundled snapshot; and the live simulator's rows check
out the same way.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from spendtui.cli import main
from spendtui.core.price_files import bundled_prices
from spendtui.core.repricing import expected_pico, usage_from_log
from spendtui.demo import catalog, costs
from spendtui.demo.generator import create_demo_db
from spendtui.demo.simulator import Simulator
from spendtui.demo.world import build_world
from spendtui.money import PICO
from tests.helpers import FIXED_NOW

SEED = 5
DAYS = 30
FIRST_DAY = (FIXED_NOW - timedelta(days=DAYS - 1)).date()
LAST_DAY = FIXED_NOW.date()
WINDOWS = {w.kind: w for w in costs.incidents(FIXED_NOW)}
LOST = WINDOWS[costs.LOST_CUSTOM_PRICE]
CACHE = WINDOWS[costs.CACHE_READS_AS_INPUT]
MISSING = costs.MISSING_FROM_MAP
CUSTOM = next(iter(costs.CUSTOM_PRICES))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-costs") / "demo.db"
    create_demo_db(path, rows=20_000, days=DAYS, seed=SEED, now=FIXED_NOW)
    return path


def run_audit(capsys: pytest.CaptureFixture[str], path: Path, first: date, last: date, *flags: str) -> tuple[int, dict]:
    capsys.readouterr()
    argv = ["audit", "--db", f"sqlite:///{path}", "--format", "json", "--start", str(first), "--end", str(last)]
    code = main([*argv, *flags])
    return code, json.loads(capsys.readouterr().out)


def ms(text: str) -> int:
    """A logged ``"startTime"`` ('2026-11-20 14:21:03.123') in epoch milliseconds, UTC."""
    return int(datetime.fromisoformat(text + "+00:00").timestamp() * 1000)


def billable(conn: sqlite3.Connection, group: str) -> list[tuple]:
    """The requests of ``group`` LiteLLM bills (not failed, not cache hits)."""
    return conn.execute(
        'SELECT "startTime", metadata FROM "LiteLLM_SpendLogs" WHERE model_group = ? AND status = ? AND cache_hit = ?',
        (group, "success", "False"),
    ).fetchall()


def inside(window: costs.Incident, start: str) -> bool:
    return window.start_ms <= ms(start) < window.end_ms


def test_the_only_findings_are_the_deliberate_ones(capsys, demo: Path) -> None:
    code, doc = run_audit(capsys, demo, FIRST_DAY, LAST_DAY, "--examples", "1000")
    assert code == 2
    assert doc["prices"]["source"] == "database LiteLLM_ProxyModelTable, then bundled LiteLLM 1.108.7 snapshot"
    assert doc["prices"]["notes"] == []
    rows = {r["model"]: r for r in doc["rows"]}
    assert set(rows) == {m.name for m in catalog.MODELS}
    assert doc["total"]["unpriced_requests"] == 0
    for name, row in rows.items():
        if name not in (MISSING, LOST.model, CACHE.model):
            assert (row["zero_cost_requests"], row["drifted_requests"], row["unpriced_requests"]) == (0, 0, 0), name
            assert abs(Decimal(str(row["difference"]))) <= Decimal("0.000001") * row["requests"], name

    with sqlite3.connect(demo) as conn:
        missing = billable(conn, MISSING)
        lost = [s for s, _ in billable(conn, LOST.model) if inside(LOST, s)]
        cache_reads = [
            s
            for s, meta in billable(conn, CACHE.model)
            if inside(CACHE, s) and json.loads(meta).get("usage_object", {}).get("prompt_tokens_details")
        ]
    conn.close()
    # the model missing from the map: every billable request logged at $0, none unpriced
    row = rows[MISSING]
    assert row["zero_cost_requests"] == len(missing) > 300 and row["logged_spend"] == 0
    assert (row["drifted_requests"], row["unpriced_requests"]) == (0, 0)
    assert row["unpriced_models"] == ["deepseek/deepseek-v4.1"]
    # the lost custom price: every billable request of the window, 25 % over, and no other
    row = rows[LOST.model]
    assert row["drifted_requests"] == len(lost) > 30 and row["zero_cost_requests"] == 0
    # the cache reads billed as input: the window's requests that read the cache
    row = rows[CACHE.model]
    assert row["drifted_requests"] == len(cache_reads) > 10 and row["zero_cost_requests"] == 0

    assert {e["model_group"] for e in doc["total"]["examples"] if e["kind"] == "zero-cost"} == {MISSING}
    for window in (LOST, CACHE):
        examples = rows[window.model]["examples"]
        assert len(examples) == rows[window.model]["drifted_requests"]  # (all of them: fewer than 1000)
        for e in examples:
            assert e["kind"] == "drifted" and e["model_group"] == window.model and inside(window, e["time"]), e
            logged, expected = Decimal(str(e["logged_spend"])), Decimal(str(e["expected_spend"]))
            assert logged > expected  # over-billed, both problems
            if window is LOST and expected >= Decimal("0.001"):  # (JSON amounts have 6 decimals)
                assert abs(logged / expected - Decimal("1.25")) < Decimal("0.01")
            else:
                assert e["cache_read_tokens"] > 0


def test_days_outside_the_windows_only_find_the_missing_model(capsys, demo: Path) -> None:
    lost_days = (LOST.start.date(), LOST.end.date())
    cache_days = (CACHE.start.date(), CACHE.end.date())
    for first, last in (
        (cache_days[1] + timedelta(days=1), lost_days[0] - timedelta(days=1)),
        (lost_days[1] + timedelta(days=1), LAST_DAY),
        (FIRST_DAY, cache_days[0] - timedelta(days=1)),
    ):
        code, doc = run_audit(capsys, demo, first, last)
        total = doc["total"]
        assert code == 2 and total["drifted_requests"] == 0 and total["unpriced_requests"] == 0, (first, last)
        assert {r["model"] for r in doc["rows"] if r["zero_cost_requests"]} == {MISSING}
    for first, last in (lost_days, cache_days):
        _, doc = run_audit(capsys, demo, first, last)
        drifted = {r["model"] for r in doc["rows"] if r["drifted_requests"]}
        assert drifted == {LOST.model if (first, last) == lost_days else CACHE.model}


def test_every_request_is_priced_like_litellm_from_the_bundled_snapshot(demo: Path) -> None:
    """Re-priced here row by row (not through the audit): the logged spend is LiteLLM's
    cost at the snapshot's list price, at the deployment's custom price for the custom
    model (list price inside its lost window), cache reads at full input inside the cache
    window, $0 for the model the map lacks."""
    snapshot = bundled_prices()
    custom = {k: Decimal(str(v)) for k, v in costs.CUSTOM_PRICES[CUSTOM].items()}
    with sqlite3.connect(demo) as conn:
        rows = conn.execute(
            'SELECT model, model_group, custom_llm_provider, prompt_tokens, completion_tokens, spend, "startTime", '
            'metadata, request_duration_ms FROM "LiteLLM_SpendLogs" WHERE status = ? AND cache_hit = ?',
            ("success", "False"),
        ).fetchall()
    conn.close()
    checked = set()
    for model, group, provider, prompt, completion, spend, start, metadata, duration in rows:
        logged = Decimal(repr(spend))
        hit = snapshot.lookup(model, provider, group)
        if group == MISSING:
            assert hit is None and spend == 0
            continue
        assert hit is not None
        price = hit.price
        usage = usage_from_log(prompt, completion, json.loads(metadata).get("usage_object"), duration)
        if group == CUSTOM and not inside(LOST, start):
            price = replace(price, **custom)
        if group == CACHE.model and inside(CACHE, start):
            price = replace(price, cache_read_input_token_cost=price.input_cost_per_token)
        expected = Decimal(expected_pico(price, usage, provider)) / PICO
        assert abs(logged - expected) <= expected * Decimal("1e-12") + Decimal("1e-12"), (group, start)
        checked.add(group)
    assert checked == {m.name for m in catalog.MODELS} - {MISSING}


def test_the_bundled_snapshot_prices_every_demo_model_but_the_missing_one() -> None:
    snapshot = bundled_prices()
    for m in catalog.MODELS:
        hit = snapshot.lookup(m.litellm_model, m.provider, m.name)
        if m.name == MISSING:
            assert hit is None
            continue
        assert hit is not None and hit.price.has_prices, m.name
        assert hit.price.mode == ("embedding" if m.call_type == "aembedding" else "chat"), m.name
    assert all(p is not None for m, p in zip(catalog.MODELS, costs.list_prices(), strict=True) if m.name != MISSING)


def test_the_simulators_rows_check_out_too(capsys, tmp_path: Path) -> None:
    """Live rows (a day after the history, so the audit sees only them): the custom price
    holds, no incident window applies, only the missing model logs $0."""
    path = tmp_path / "live.db"
    create_demo_db(path, rows=2_000, days=5, seed=SEED, now=FIXED_NOW)
    later = FIXED_NOW + timedelta(days=1)
    sim = Simulator(path, world=build_world(SEED), rate=40, clock=lambda: later)
    written = sim.step(later - timedelta(seconds=15)) + sim.step(later)
    assert written > 300
    code, doc = run_audit(capsys, path, later.date(), later.date(), "--examples", "1000")
    total = doc["total"]
    assert total["requests"] == written and total["drifted_requests"] == total["unpriced_requests"] == 0
    assert code == 2 and total["zero_cost_requests"] > 0
    assert {e["model_group"] for e in total["examples"]} == {MISSING}
    assert CUSTOM in {r["model"] for r in doc["rows"]}
