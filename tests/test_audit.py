"""``spendtui audit`` against costs worked out in this file from the price file it writes
(Decimal arithmetic, written out), and logged sums read back with SQL: on a real SQLite
file in LiteLLM's layout and on LiteLLM's real PostgreSQL schema."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from spendtui.cli import main
from spendtui.demo.schema import LITELLM_DDL
from tests.helpers import pg_copy_of

IN_A, OUT_A, CACHE_A = Decimal("0.000001"), Decimal("0.000002"), Decimal("0.0000005")
IN_R, OUT_R, REASON_R = Decimal("0.000003"), Decimal("0.000012"), Decimal("0.000004")
PRICES = {
    "m-a": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": float(IN_A),
        "output_cost_per_token": float(OUT_A),
        "cache_read_input_token_cost": float(CACHE_A),
    },
    "m-r": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": float(IN_R),
        "output_cost_per_token": float(OUT_R),
        "output_cost_per_reasoning_token": float(REASON_R),
    },
}
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
COLUMNS = (
    'request_id, call_type, api_key, spend, "startTime", "endTime", model, model_group, '
    "custom_llm_provider, prompt_tokens, completion_tokens, total_tokens, cache_hit, status, metadata, team_id"
)


def cost(model: str, prompt: int, completion: int, cached: int = 0, reasoning: int = 0) -> Decimal:
    """The expected USD of one request, by hand: uncached prompt tokens at the input rate,
    cached ones at the cache-read rate; reasoning tokens (part of the completion) at the
    reasoning rate."""
    if model == "m-a":
        return (prompt - cached) * IN_A + cached * CACHE_A + completion * OUT_A
    return prompt * IN_R + (completion - reasoning) * OUT_R + reasoning * REASON_R


def log(
    rid: str,
    model: str,
    prompt: int,
    completion: int,
    spend: Decimal | None,
    *,
    cached: int = 0,
    reasoning: int = 0,
    hit: str = "False",
    status: str = "success",
    team: str = "t1",
    minute: int = 0,
) -> tuple:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    if cached:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    if reasoning:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    start = DAY + timedelta(hours=10, minutes=minute)
    stamp = f"{start:%Y-%m-%d %H:%M:%S}.000"
    return (
        rid,
        "acompletion",
        "hash-k",
        None if spend is None else float(spend),
        stamp,
        stamp,
        model,
        model,
        "openai",
        prompt,
        completion,
        prompt + completion,
        hit,
        status,
        json.dumps({"usage_object": usage}),
        team,
    )


# the hand-worked requests, and what each is
FIXED = [
    (log("ok", "m-a", 1000, 500, cost("m-a", 1000, 500)), None),
    (log("drift", "m-a", 1000, 500, cost("m-a", 1000, 500) * Decimal("1.5")), "drifted"),
    (log("zero", "m-a", 800, 100, Decimal(0)), "zero-cost"),
    (log("hit", "m-a", 800, 100, Decimal(0), hit="True"), None),
    (log("failed", "m-a", 800, 0, Decimal(0), status="failure"), None),
    (log("unpriced", "mystery-model", 50, 50, Decimal("0.01")), "unpriced"),
    (log("cached", "m-a", 1000, 200, cost("m-a", 1000, 200, cached=400), cached=400), None),
    (log("reasoning", "m-r", 300, 900, cost("m-r", 300, 900, reasoning=600), reasoning=600), None),
    (log("close", "m-a", 1000, 500, cost("m-a", 1000, 500) * Decimal("1.005")), None),  # within 1 %
    (log("negative-spend", "m-a", 10, 10, Decimal(-1)), None),  # (not money: not audited)
]


def random_logs(seed: int, n: int) -> list[tuple[tuple, str | None]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        model = rng.choice(["m-a", "m-r"])
        prompt, completion = rng.randint(1, 20_000), rng.randint(0, 4_000)
        cached = rng.randint(0, prompt) if model == "m-a" and rng.random() < 0.3 else 0
        reasoning = rng.randint(0, completion) if model == "m-r" and rng.random() < 0.5 else 0
        exact = cost(model, prompt, completion, cached, reasoning)
        factor = rng.choice([Decimal(1), Decimal(1), Decimal(1), Decimal("0.5"), Decimal("1.2")])
        kind = None if factor == 1 else "drifted"
        rid = f"r{i}"
        team = rng.choice(["t1", "t2"])
        out.append(
            (
                log(rid, model, prompt, completion, exact * factor, cached=cached, reasoning=reasoning, team=team),
                kind,
            )
        )
    return out


@pytest.fixture(scope="module")
def audit_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[tuple, str | None]]]:
    path = tmp_path_factory.mktemp("audit") / "audit.db"
    rows = FIXED + random_logs(11, 300)
    with sqlite3.connect(path) as conn:
        conn.executescript(LITELLM_DDL)
        holes = ", ".join("?" * 16)
        conn.executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({holes})', [r for r, _ in rows])
    conn.close()
    return path, rows


@pytest.fixture(scope="module")
def price_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prices") / "prices.json"
    path.write_text(json.dumps(PRICES))
    return path


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, audit_db: tuple[Path, list]) -> str:
    if request.param == "pg":
        return pg_copy_of(audit_db[0], "spendtui_test_audit")
    return f"sqlite:///{audit_db[0]}"


def micro(usd: Decimal) -> Decimal:
    return usd.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)


def pico(usd: Decimal) -> int:
    return int((usd * 10**12).to_integral_value(ROUND_HALF_EVEN))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def logged_by_model(url: str) -> dict[str, tuple[int, int]]:
    """Requests and logged pico-dollars per model, by SQL (negative spend: not summed)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT model, count(*), spend FROM "LiteLLM_SpendLogs" GROUP BY model, spend, request_id')
        ).all()
    engine.dispose()
    out: dict[str, tuple[int, int]] = {}
    for model, n, spend in rows:
        requests, total = out.get(model, (0, 0))
        out[model] = (requests + n, total + (0 if spend < 0 else round(Decimal(repr(spend)) * 10**12)))
    return out


def test_audit_json_equals_the_hand_worked_costs(capsys, url: str, audit_db, price_file: Path) -> None:
    _, rows = audit_db
    code, out, err = run(capsys, "--db", url, "--prices", str(price_file), "--format", "json", "--start", "2020-01-01")
    assert code == 2, err  # findings
    doc = json.loads(out)
    assert doc["prices"]["source"].startswith(f"file {price_file}")
    got = {r["model"]: r for r in doc["rows"]}
    logged = logged_by_model(url)
    for model in ("m-a", "m-r", "mystery-model"):
        mine = [(r, kind) for r, kind in rows if r[6] == model]
        expected = sum(
            (
                pico(cost(model, r[9], r[10], *_details(r)))
                for r, _ in mine
                if r[3] >= 0 and r[12] != "True" and r[13] != "failure"
            ),
            0,
        )
        row = got[model]
        assert row["requests"] == logged[model][0] == len(mine)
        assert Decimal(str(row["logged_spend"])) == micro(Decimal(logged[model][1]) / 10**12)
        assert row["zero_cost_requests"] == sum(kind == "zero-cost" for _, kind in mine)
        assert row["drifted_requests"] == sum(kind == "drifted" for _, kind in mine)
        assert row["unpriced_requests"] == sum(kind == "unpriced" for _, kind in mine)
        if model != "mystery-model":
            assert Decimal(str(row["expected_spend"])) == micro(Decimal(expected) / 10**12)
            assert row["unpriced_models"] == []
        else:
            assert row["unpriced_models"] == ["mystery-model"] and row["expected_spend"] == 0
    total = doc["total"]
    assert total["requests"] == len(rows) and total["unreadable_spend"] == 1
    assert total["drifted_requests"] == sum(kind == "drifted" for _, kind in rows)
    kinds = {e["request_id"]: e["kind"] for e in got["m-a"]["examples"]}
    assert kinds.get("zero") == "zero-cost"


def _details(r: tuple) -> tuple[int, int]:
    usage = json.loads(r[14])["usage_object"]
    return (
        usage.get("prompt_tokens_details", {}).get("cached_tokens", 0),
        usage.get("completion_tokens_details", {}).get("reasoning_tokens", 0),
    )


def test_tolerance_and_by_team(capsys, audit_db, price_file: Path) -> None:
    path, rows = audit_db
    url = f"sqlite:///{path}"
    base = ["--db", url, "--prices", str(price_file), "--format", "json", "--start", "2020-01-01"]
    _, out, _ = run(capsys, *base)
    loose = json.loads(out)["total"]["drifted_requests"]
    _, out, _ = run(capsys, *base, "--tolerance", "0.1")
    strict = json.loads(out)["total"]["drifted_requests"]
    assert strict == loose + 1  # the request 0.5 % over
    _, out, _ = run(capsys, *base, "--tolerance", "60")
    assert json.loads(out)["total"]["drifted_requests"] == 0  # (50 % over and 20 % over: within 60 %)
    _, out, _ = run(capsys, *base, "--by", "team")
    teams = {r["team"]: r["requests"] for r in json.loads(out)["rows"]}
    assert teams == {t: sum(r[15] == t for r, _ in rows) for t in ("t1", "t2")}


def test_no_findings_exit_zero_and_says_so(capsys, tmp_path: Path, price_file: Path) -> None:
    db = tmp_path / "clean.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(LITELLM_DDL)
        holes = ", ".join("?" * 16)
        conn.execute(
            f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({holes})',
            log("ok", "m-a", 1000, 500, cost("m-a", 1000, 500)),
        )
    conn.close()
    code, out, _ = run(capsys, "--db", f"sqlite:///{db}", "--prices", str(price_file), "--start", "2020-01-01")
    assert code == 0 and "All costs check out" in out


def test_bad_price_file_and_proxy_source(capsys, tmp_path: Path, audit_db) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"m-a": {"input_cost_per_token": "lots"}}))
    code, _, err = run(capsys, "--db", f"sqlite:///{audit_db[0]}", "--prices", str(bad))
    assert code == 2 and str(bad) in err and "m-a" in err and "Traceback" not in err
    code, _, err = run(capsys, "--db", f"sqlite:///{audit_db[0]}", "--prices", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json" in err
    code, _, err = run(capsys, "--proxy", "http://127.0.0.1:9", "--key", "sk-x")
    assert code == 3 and "--db" in err
    with pytest.raises(SystemExit) as raised:
        run(capsys, "--db", f"sqlite:///{audit_db[0]}", "--tolerance", "-3")
    assert raised.value.code == 2 and "--tolerance: -3 is not between 0 and 1000" in capsys.readouterr().err


# ---------------------------------------------------------------- the dashboard's audit cells
def engine_for(url: str, price_file: Path):  # noqa: ANN201
    from spendtui.engine import SpendEngine
    from spendtui.sources.db.source import DatabaseSource
    from spendtui.sources.db.urls import parse_database_url

    engine = SpendEngine(DatabaseSource(parse_database_url(url)))
    engine.price_file = str(price_file)
    return engine


def read_cells(engine, first: int):  # noqa: ANN001, ANN201
    assert engine.audit(first) is None  # nothing held: the read is due, not done in a snapshot
    assert engine.reads_due
    engine.read_due()
    cells = engine.audit(first)
    assert cells is not None and not isinstance(cells, str), cells
    return cells


def same(cells_row, cli_row: dict) -> None:  # noqa: ANN001
    assert cells_row.requests == cli_row["requests"]
    assert Decimal(cells_row.logged) / 10**12 == Decimal(str(cli_row["logged_spend"])) or abs(
        Decimal(cells_row.logged) / 10**12 - Decimal(str(cli_row["logged_spend"]))
    ) <= Decimal("0.0000005")
    assert micro(Decimal(cells_row.expected) / 10**12) == Decimal(str(cli_row["expected_spend"]))
    assert (cells_row.zero_cost, cells_row.drifted, cells_row.unpriced) == (
        cli_row["zero_cost_requests"],
        cli_row["drifted_requests"],
        cli_row["unpriced_requests"],
    )


@pytest.mark.parametrize("by", ["model", "team"])
def test_dashboard_cells_equal_the_audit(capsys, url: str, price_file: Path, by: str) -> None:
    """The Costs pane's cells answer per model and per team what `spendtui audit` does."""
    from spendtui.core.selection import Window

    engine = engine_for(url, price_file)
    try:
        first = engine.today() - 29
        engine.load(first)
        cells = read_cells(engine, first)
        window = Window(first, engine.today())
        _, out, _ = run(capsys, "--db", url, "--prices", str(price_file), "--format", "json", "--by", by)
        doc = json.loads(out)
        got = cells.by(by, window)
        assert set(got) == {r[by] for r in doc["rows"]}
        for row in doc["rows"]:
            same(got[row[by]], row)
        same(cells.overall(window), doc["total"])
    finally:
        engine.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def test_polls_fold_into_the_audit_once(capsys, backend: str, audit_db, price_file: Path, tmp_path: Path) -> None:
    """Rows written after the load but before the audit is read are counted by the read,
    and not again by the poll that returns them; rows written after the read are priced
    and added by the polls. The cells then equal `spendtui audit` over the whole table."""
    import shutil

    from spendtui.core.selection import Window

    path = tmp_path / "fold.db"
    shutil.copy(audit_db[0], path)
    url = f"sqlite:///{path}" if backend == "sqlite" else pg_copy_of(path, "spendtui_test_audit_fold")
    engine = engine_for(url, price_file)
    try:
        first = engine.today() - 29
        engine.load(first)
        insert_rows(url, random_logs(21, 40), "before")
        held = read_cells(engine, first).overall(Window(first, engine.today()))
        insert_rows(url, random_logs(22, 40) + [(log("late-zero", "m-a", 500, 20, Decimal(0)), "zero-cost")], "after")
        engine.refresh()
        engine.refresh(deep=True)  # (PostgreSQL: yesterday's rows come with a deep poll)
        engine.refresh()
        window = Window(first, engine.today())
        cells = engine.audit(first)
        assert cells.overall(window).requests == held.requests + 41
        _, out, _ = run(capsys, "--db", url, "--prices", str(price_file), "--format", "json")
        doc = json.loads(out)
        same(cells.overall(window), doc["total"])
        got = cells.by("model", window)
        for row in doc["rows"]:
            same(got[row["model"]], row)
    finally:
        engine.close()


def insert_rows(url: str, rows: list[tuple[tuple, str | None]], prefix: str) -> None:
    fresh = [(f"{prefix}-{r[0]}", *r[1:]) for r, _ in rows]
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({", ".join("?" * 16)})', fresh)
        conn.close()
        return
    import psycopg

    holes = ", ".join(["%s"] * 14 + ["CAST(%s AS jsonb)", "%s"])
    with psycopg.connect(url) as conn:
        conn.cursor().executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({holes})', fresh)


def test_integer_pricing_equals_the_decimal_rule() -> None:
    """The audit's integer path gives what ``expected_pico`` gives, for the chat models of
    the bundled snapshot (linear ones, and threshold-tiered ones whose base rates it uses
    below their lowest threshold) and random usage, prompts on both sides of and exactly
    at a tier's threshold."""
    from spendtui.core.audit import AuditRequest, pricer
    from spendtui.core.price_files import bundled_prices
    from spendtui.core.repricing import Usage, expected_pico, is_linear

    prices = bundled_prices()
    pricing = pricer(prices)
    rng = random.Random(5)
    checked = tiered = 0
    for key, price in list(prices.entries.items())[::3]:
        if price.mode != "chat" or not price.has_prices or price.tiers:
            continue
        edges = [t.above + d for t in price.thresholds for d in (-1, 0, 1)]
        tiered += bool(price.thresholds)
        for i in range(20):
            p, c = (edges[i % len(edges)] if edges and i % 2 else rng.randint(0, 300_000)), rng.randint(0, 50_000)
            read, write = rng.randint(0, p), rng.randint(0, p // 3)
            reasoning = rng.randint(0, c * 2)
            request = AuditRequest(
                "r", "", "", key, "", price.litellm_provider or "", p, c, read, write, reasoning, 0, False, False
            )
            want = expected_pico(prices.lookup(key, price.litellm_provider).price, Usage(p, c, read, write, reasoning))
            assert pricing(request) == want, (key, p, c, read, write, reasoning)
            checked += 1
    assert checked > 1500 and tiered > 20
    assert sum(is_linear(p) for p in prices.entries.values()) > 100


def _random_requests(seed: int, n: int) -> list:
    """Requests of linear, tiered, per-second and unknown models, cache hits, failures,
    unusable spend and huge token counts, in four groups."""
    from spendtui.core.audit import AuditRequest

    models = [
        ("gpt-4o", "openai"),
        ("gemini-2.5-pro", "gemini"),  # (tiered above 200k prompt tokens)
        ("xai/grok-code-fast-1", "xai"),
        ("anthropic/claude-sonnet-4-5", "anthropic"),
        ("o4-mini", "openai"),
        ("no-such-model", "openai"),
        ("text-embedding-3-small", "openai"),
    ]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        model, provider = rng.choice(models)
        p = rng.choice([0, rng.randint(1, 5000), rng.randint(150_000, 400_000), 3 * 10**9])
        c = rng.randint(0, 9000)
        read = rng.randint(0, p) if rng.random() < 0.4 else 0
        write = rng.randint(0, max(p - read, 0)) if rng.random() < 0.2 else 0
        logged = rng.choice([None, 0, rng.randint(0, 10**11), rng.randint(0, 10**9)])
        rows.append(
            AuditRequest(
                f"r{i}",
                "",
                rng.choice(["team-a", "team-b", "", "team-c"]),
                model,
                "",
                provider,
                p,
                c,
                read,
                write,
                rng.randint(0, c),
                logged,
                rng.random() < 0.1,
                rng.random() < 0.05,
                rng.choice([None, rng.randint(1, 90_000)]),
            )
        )
    return rows


def _columns_of(rows: list):
    import numpy as np

    from spendtui.core.audit_vector import AuditColumns

    return AuditColumns(
        request_id=[r.request_id for r in rows],
        start=[r.start for r in rows],
        model=[r.model for r in rows],
        model_group=[r.model_group for r in rows],
        provider=[r.provider for r in rows],
        prompt=np.array([r.prompt_tokens for r in rows], np.int64),
        completion=np.array([r.completion_tokens for r in rows], np.int64),
        cache_read=np.array([r.cache_read_tokens for r in rows], np.int64),
        cache_creation=np.array([r.cache_creation_tokens for r in rows], np.int64),
        reasoning=np.array([r.reasoning_tokens for r in rows], np.int64),
        logged=np.array([-1 if r.logged is None else r.logged for r in rows], np.int64),
        hit=np.array([r.cache_hit for r in rows], bool),
        failed=np.array([r.failed for r in rows], bool),
        duration_ms=np.array([-1 if r.duration_ms is None else r.duration_ms for r in rows], np.int64),
    )


def test_column_measures_equal_request_measures() -> None:
    """The dashboard's vectorised audit (``core.audit_vector``) gives, request by request,
    what ``audit_cells.request_measures`` gives: linear, tiered, per-second and unknown
    models, cache hits, failures, unusable spend, huge token counts, two tolerances."""
    from spendtui.core.audit import pricer
    from spendtui.core.audit_cells import request_measures
    from spendtui.core.audit_vector import row_measures
    from spendtui.core.price_files import bundled_prices

    pricing = pricer(bundled_prices())
    rows = _random_requests(9, 3000)
    cols = _columns_of(rows)
    for tolerance in (Decimal(1), Decimal("0.37")):
        got = row_measures(cols, pricing, tolerance)
        for i, r in enumerate(rows):
            assert got[i].tolist() == request_measures(r, pricing, tolerance), (i, r)


def test_column_audit_equals_the_request_audit() -> None:
    """``spendtui audit``'s columns path (``audit_vector.audit_of``, batch by batch) builds
    the ``Audit`` that ``Audit.add`` builds request by request: every figure of every
    group and of the total, the unpriced models, and the examples in their order."""
    from dataclasses import asdict, replace

    from spendtui.core.audit import Audit, AuditRequest, pricer
    from spendtui.core.audit_vector import audit_of
    from spendtui.core.price_files import bundled_prices

    pricing = pricer(bundled_prices())
    rows = _random_requests(11, 4000)
    # findings that tie (same size): the first found are kept, as request by request
    tie = AuditRequest("", "", "team-b", "no-such-model", "", "openai", 10, 5, 0, 0, 0, 10**12, False, False)
    rows[100:3000:97] = [replace(tie, request_id=f"tie{i}") for i in range(len(rows[100:3000:97]))]
    for tolerance, examples in ((Decimal(1), 5), (Decimal("0.37"), 2)):
        want = Audit(tolerance=tolerance, examples=examples)
        want.add_all(rows, pricing)
        batches = [(_columns_of(rows[i : i + 700]), [r.group for r in rows[i : i + 700]]) for i in range(0, 4000, 700)]
        got = audit_of(batches, pricing, Audit(tolerance=tolerance, examples=examples))
        assert got.findings > 100 and len(got.rows) == 4
        for name in ["total", *want.rows]:
            a, b = (x.total if name == "total" else x.rows[name] for x in (want, got))
            fields = {k: v for k, v in asdict(a).items() if k != "_examples"}
            assert fields == {k: v for k, v in asdict(b).items() if k != "_examples"}, name
            assert a.examples() == b.examples(), name


def test_spend_columns_round_as_to_pico() -> None:
    from spendtui.money import to_pico
    from spendtui.sources.db.audit import _picos

    rng = random.Random(3)
    values = [rng.uniform(-1e-12, 2e-12) for _ in range(200)] + [
        rng.random() * 10 ** rng.randint(-9, 6) for _ in range(2000)
    ]
    values += [0.0, -0.0, float("nan"), float("inf"), 1e6, 1e6 + 1, -5.0, 0.5e-12, 1.5e-12, 2.5e-12]
    assert _picos(values) == [to_pico(v) for v in values]
    assert _picos([1, "0.5", None, 0.25]) == [to_pico(v) for v in (1, "0.5", None, 0.25)]


@pytest.mark.parametrize(
    ("by", "table", "id_col", "alias"),
    [
        ("team", "LiteLLM_TeamTable", "team_id", "team_alias"),
        ("key", "LiteLLM_VerificationToken", "token", "key_alias"),
        ("user", "LiteLLM_UserTable", "user_id", "user_alias"),
        ("customer", "LiteLLM_EndUserTable", "user_id", "alias"),
    ],
)
def test_rows_by_an_id_carry_its_name(capsys, litellm_db: Path, by: str, table: str, id_col: str, alias: str) -> None:
    """``--by key|team|user|customer``: JSON rows add ``id`` and ``name`` (the alias, else
    the id), CSV a last ``name`` column; the columns before stay as they were."""
    with sqlite3.connect(litellm_db) as conn:
        aliases = {str(k): v for k, v in conn.execute(f'SELECT {id_col}, {alias} FROM "{table}"').fetchall()}
    conn.close()
    db = ("--db", f"sqlite:///{litellm_db}", "--by", by, "--start", "2026-11-20", "--end", "2026-11-26")
    code, out, err = run(capsys, *db, "--format", "json")
    assert code in (0, 2), err
    rows = json.loads(out)["rows"]
    assert list(rows[0])[:2] == [by, "requests"] and list(rows[0])[-2:] == ["id", "name"]
    for r in rows:
        assert r["id"] == (r[by] or None)
        if r[by] in aliases and by != "key":
            assert r["name"] == (aliases[r[by]] or r[by]), r
    named = [r for r in rows if aliases.get(r[by])]
    assert (named or by == "customer") and all(r["name"] == aliases[r[by]] for r in named)  # (no customer aliases)
    code, out, _ = run(capsys, *db, "--format", "csv")
    lines = list(csv.reader(io.StringIO(out)))
    assert lines[0] == [
        by,
        "requests",
        "logged_spend",
        "expected_spend",
        "difference",
        "difference_percent",
        "zero_cost_requests",
        "drifted_requests",
        "unpriced_requests",
        "unpriced_spend",
        "unreadable_spend",
        "unpriced_models",
        "name",
    ]
    by_csv = {line[0]: line[-1] for line in lines[1:-1]}
    assert all(by_csv[r[by]] == r["name"] for r in rows)
    assert lines[-1][0] == lines[-1][-1] == "(total)"
