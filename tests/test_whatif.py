"""``spendtui report whatif`` and ``core.whatif`` against costs worked out in this file from
the price file it writes (Decimal arithmetic, written out per request), and logged sums
read back with SQL: on a real SQLite file in LiteLLM's layout and on LiteLLM's real
PostgreSQL schema."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from spendtui.cli import main
from spendtui.core.audit import AuditRequest
from spendtui.core.price_files import read_price_file
from spendtui.core.repricing import Usage
from spendtui.core.whatif import WhatIf, whatif_from_sums
from spendtui.core.whatif_types import ModelUsage, UnknownModel, resolve_models
from spendtui.demo.schema import LITELLM_DDL
from tests.helpers import pg_copy_of

D = Decimal
#: The price file: two logged chat models (m-a with cache rates, the write rate above the
#: input rate; m-r with a reasoning rate), a logged embedding model, and candidates: c-tier
#: has a threshold tier above 1k prompt tokens, c-sub a rate below a pico-dollar per token,
#: c-free no cost, c-noout no output rate.
PRICES: dict[str, dict[str, object]] = {
    "m-a": {
        "mode": "chat",
        "input_cost_per_token": D("0.000001"),
        "output_cost_per_token": D("0.000002"),
        "cache_read_input_token_cost": D("0.0000005"),
        "cache_creation_input_token_cost": D("0.00000125"),
    },
    "m-r": {
        "mode": "chat",
        "input_cost_per_token": D("0.000003"),
        "output_cost_per_token": D("0.000012"),
        "output_cost_per_reasoning_token": D("0.000004"),
    },
    "e-1": {"mode": "embedding", "input_cost_per_token": D("0.00000002")},
    "e-2": {"mode": "embedding", "input_cost_per_token": D("0.00000001")},
    "c-cheap": {
        "mode": "chat",
        "input_cost_per_token": D("0.0000001"),
        "output_cost_per_token": D("0.0000004"),
        "cache_read_input_token_cost": D("0.000000025"),
    },
    "c-tier": {
        "mode": "chat",
        "input_cost_per_token": D("0.0000002"),
        "output_cost_per_token": D("0.0000008"),
        "input_cost_per_token_above_1k_tokens": D("0.0000004"),
        "output_cost_per_token_above_1k_tokens": D("0.0000016"),
    },
    "c-mid": {"mode": "chat", "input_cost_per_token": D("0.000001"), "output_cost_per_token": D("0.000003")},
    "c-sub": {"mode": "chat", "input_cost_per_token": D("0.00000010000005"), "output_cost_per_token": D("0.0000004")},
    "c-free": {"mode": "chat", "input_cost_per_token": D(0), "output_cost_per_token": D(0)},
    "c-noout": {"mode": "chat", "input_cost_per_token": D("0.00000001")},
}
for _entry in PRICES.values():
    _entry["litellm_provider"] = "openai"
MODE = {"m-a": "chat", "m-r": "chat", "mystery": "chat", "e-1": "embedding"}
DAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
COLUMNS = (
    'request_id, call_type, api_key, spend, "startTime", "endTime", model, model_group, '
    "custom_llm_provider, prompt_tokens, completion_tokens, total_tokens, cache_hit, status, metadata, team_id"
)


def pico(usd: Decimal) -> int:
    return int((usd * 10**12).to_integral_value(ROUND_HALF_EVEN))


def micro(p: int) -> Decimal:
    return (D(p) / 10**12).quantize(D("0.000001"), rounding=ROUND_HALF_EVEN)


def cost(model: str, prompt: int, completion: int, cached: int = 0, written: int = 0, reasoning: int = 0) -> int:
    """One request's cost on ``model``, by hand, in pico-dollars rounded once: the uncached
    prompt tokens at the input rate, cached ones at the cache-read rate, written ones at the
    cache-write rate (both: the input rate when the model has none); reasoning tokens (part
    of the completion) at the reasoning rate, else the output rate. Above 1k prompt tokens
    a model with a tier uses the tier's input and output rates (and its cache rates fall
    back to the tier's input rate)."""
    p = PRICES[model]
    tier = "input_cost_per_token_above_1k_tokens" in p and prompt > 1000
    inp = D(p["input_cost_per_token_above_1k_tokens" if tier else "input_cost_per_token"])
    out = D(p.get("output_cost_per_token_above_1k_tokens" if tier else "output_cost_per_token", 0))
    read = D(p.get("cache_read_input_token_cost", inp))
    write = D(p.get("cache_creation_input_token_cost", inp))
    reason = D(p.get("output_cost_per_reasoning_token", out))
    usd = (prompt - cached - written) * inp + cached * read + written * write
    usd += (completion - reasoning) * out + reasoning * reason
    return pico(usd)


class Row:
    """One logged request as the test writes it."""

    def __init__(
        self,
        rid: str,
        model: str,
        prompt: int,
        completion: int,
        *,
        cached: int = 0,
        written: int = 0,
        reasoning: int = 0,
        hit: bool = False,
        failed: bool = False,
        factor: str = "1",
    ) -> None:
        self.rid, self.model, self.prompt, self.completion = rid, model, prompt, completion
        self.cached, self.written, self.reasoning, self.hit, self.failed = cached, written, reasoning, hit, failed
        own = 0 if model not in PRICES or hit or failed else cost(model, prompt, completion, cached, written, reasoning)
        self.spend = D("0.01") if model not in PRICES and not hit else D(own) * D(factor) / 10**12

    @property
    def included(self) -> bool:
        return not self.hit and not self.failed

    @property
    def mode(self) -> str:
        return MODE[self.model]

    def on(self, model: str) -> int:
        return cost(model, self.prompt, self.completion, self.cached, self.written, self.reasoning)

    def own(self) -> int | None:
        return self.on(self.model) if self.model in PRICES else None

    def sql_row(self) -> tuple:
        usage: dict[str, object] = {"prompt_tokens": self.prompt, "completion_tokens": self.completion}
        if self.cached:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached}
        if self.written:
            usage["cache_creation_input_tokens"] = self.written
        if self.reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": self.reasoning}
        stamp = f"{DAY + timedelta(hours=10):%Y-%m-%d %H:%M:%S}.000"
        return (
            self.rid,
            "aembedding" if self.mode == "embedding" else "acompletion",
            "hash-k",
            float(self.spend),
            stamp,
            stamp,
            self.model,
            self.model,
            "openai",
            self.prompt,
            self.completion,
            self.prompt + self.completion,
            "True" if self.hit else "False",
            "failure" if self.failed else "success",
            json.dumps({"usage_object": usage}),
            "t1",
        )

    def request(self) -> AuditRequest:
        return AuditRequest(
            request_id=self.rid,
            start="",
            group=self.model,
            model=self.model,
            model_group=self.model,
            provider="openai",
            prompt_tokens=self.prompt,
            completion_tokens=self.completion,
            cache_read_tokens=self.cached,
            cache_creation_tokens=self.written,
            reasoning_tokens=self.reasoning,
            logged=pico(D(repr(float(self.spend)))),
            cache_hit=self.hit,
            failed=self.failed,
        )


FIXED = [
    Row("a-1000", "m-a", 1000, 500),  # (exactly 1k: below c-tier's tier)
    Row("a-1001", "m-a", 1001, 500),  # (above it)
    Row("a-cache", "m-a", 5000, 300, cached=3000, written=1000),
    Row("a-read", "m-a", 800, 100, cached=400, factor="1.5"),
    Row("r-1", "m-r", 300, 900, reasoning=600),
    Row("r-2", "m-r", 2000, 900, reasoning=900),
    Row("hit", "m-a", 800, 100, cached=200, hit=True),
    Row("hit-r", "m-r", 1200, 50, hit=True),
    Row("hit-x", "mystery", 10, 10, hit=True),
    Row("failed", "m-a", 800, 0, failed=True),
    Row("x-1", "mystery", 50, 50),
    Row("e-1", "e-1", 500, 0),
]


def random_rows(seed: int, n: int) -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        model = rng.choice(["m-a", "m-a", "m-r", "e-1", "mystery"])
        prompt = rng.choice([rng.randint(1, 1000), rng.randint(1001, 6000), 1000, 1001])
        completion = 0 if model == "e-1" else rng.randint(0, 3000)
        cached = written = reasoning = 0
        if model == "m-a" and rng.random() < 0.5:
            cached = rng.randint(0, prompt)
            written = rng.randint(0, prompt - cached)
        if model == "m-r" and rng.random() < 0.5:
            reasoning = rng.randint(0, completion)
        rows.append(
            Row(
                f"q{i}",
                model,
                prompt,
                completion,
                cached=cached,
                written=written,
                reasoning=reasoning,
                hit=rng.random() < 0.05,
                failed=rng.random() < 0.03,
                factor=rng.choice(["1", "1", "0.8"]),
            )
        )
    return rows


ROWS = FIXED + random_rows(20, 250)


@pytest.fixture(scope="module")
def whatif_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("whatif") / "whatif.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(LITELLM_DDL)
        holes = ", ".join("?" * 16)
        conn.executemany(f'INSERT INTO "LiteLLM_SpendLogs" ({COLUMNS}) VALUES ({holes})', [r.sql_row() for r in ROWS])
    conn.close()
    return path


@pytest.fixture(scope="module")
def price_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prices") / "prices.json"
    path.write_text(
        json.dumps({k: {f: str(v) if isinstance(v, Decimal) else v for f, v in e.items()} for k, e in PRICES.items()})
    )
    return path


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, whatif_db: Path) -> str:
    if request.param == "pg":
        return pg_copy_of(whatif_db, "spendtui_test_whatif")
    return f"sqlite:///{whatif_db}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", "whatif", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def logged_by_request(url: str) -> dict[str, int]:
    """Each request's logged pico-dollars, read back by SQL."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        rows = conn.execute(text('SELECT request_id, spend FROM "LiteLLM_SpendLogs"')).all()
    engine.dispose()
    return {rid: round(D(repr(spend)) * 10**12) for rid, spend in rows}


def expected_row(model: str, mode: str, logged: dict[str, int], rows: Iterable[Row] = ROWS) -> dict[str, object]:
    """What a candidate's JSON row must say, worked out here request by request."""
    included = [r for r in rows if r.included]
    mine = [r for r in included if r.mode == mode]
    spend = sum(r.on(model) for r in mine)
    logged_spend = sum(logged[r.rid] for r in mine)
    with_own = [r for r in mine if r.own() is not None]
    vs_expected = sum(r.own() or 0 for r in with_own) - sum(r.on(model) for r in with_own)
    return {
        "spend": micro(spend),
        "saving": micro(logged_spend - spend),
        "saving_percent": (D((logged_spend - spend) * 100) / logged_spend).quantize(D("0.01"), ROUND_HALF_EVEN),
        "saving_vs_expected": micro(vs_expected),
        "expected_requests": len(with_own),
        "priced_requests": len(mine),
        "unpriced_requests": len(included) - len(mine),
    }


def test_named_candidates_equal_the_hand_worked_costs(capsys, url: str, price_file: Path) -> None:
    code, out, err = run(
        capsys,
        "--db",
        url,
        "--prices",
        str(price_file),
        "--models",
        "c-cheap,c-tier,c-sub,e-2",
        "--format",
        "json",
        "--start",
        "2020-01-01",
    )
    assert code == 0, err
    doc = json.loads(out, parse_float=Decimal)
    logged = logged_by_request(url)
    included = [r for r in ROWS if r.included]
    assert doc["requests"] == len(included)
    assert doc["logged_spend"] == micro(sum(logged[r.rid] for r in included))
    assert doc["expected_spend"] == micro(sum(r.own() or 0 for r in included))
    assert doc["unpriced_requests"] == sum(r.model == "mystery" for r in included)
    assert doc["failed_requests"] == sum(r.failed and not r.hit for r in ROWS)
    assert doc["modes"] == {
        "chat": sum(r.mode == "chat" for r in included),
        "embedding": sum(r.mode == "embedding" for r in included),
    }
    rows = {c["model"]: c for c in doc["candidates"]}
    # the named candidates, and the logged models (at their own price) beside them
    assert set(rows) == {"c-cheap", "c-tier", "c-sub", "e-2", "m-a", "m-r", "e-1"}
    for model in rows:
        mode = "embedding" if model.startswith("e-") else "chat"
        got = {k: rows[model][k] for k in expected_row(model, mode, logged)}
        assert got == expected_row(model, mode, logged), model
        assert rows[model]["logged_model"] == (model in MODE)
        assert rows[model]["mode"] == mode and rows[model]["provider"] == "openai"
    # ranked cheapest first within each mode (chat first: more requests)
    assert [c["mode"] for c in doc["candidates"]] == ["chat"] * 5 + ["embedding"] * 2
    chat = [c["spend"] for c in doc["candidates"][:5]]
    assert chat == sorted(chat)
    # cache savings at each request's own price: hits at full price, reads and writes
    hits = [r for r in ROWS if r.hit]
    cache = doc["cache_savings"]
    assert cache["cache_hits"] == len(hits)
    assert cache["unpriced_cache_hits"] == sum(r.model == "mystery" for r in hits)
    assert cache["hits_cost_without_cache"] == micro(sum(r.own() or 0 for r in hits))
    a_rows = [r for r in included if r.model == "m-a"]
    read = sum(pico(r.cached * (D("0.000001") - D("0.0000005"))) for r in a_rows)
    write = sum(pico(r.written * (D("0.000001") - D("0.00000125"))) for r in a_rows)
    assert write < 0  # (the write premium: a negative saving)
    assert cache["cache_read_tokens"] == sum(r.cached for r in a_rows)
    assert cache["cache_creation_tokens"] == sum(r.written for r in a_rows)
    assert (cache["cache_read_saving"], cache["cache_creation_saving"]) == (micro(read), micro(write))
    assert cache["total_saving"] == micro(sum(r.own() or 0 for r in hits) + read + write)
    notes = " ".join(doc["notes"])
    assert f"{len(hits)} cache hits and" in notes and "failed requests cost $0 on any model" in notes
    assert "mystery" in notes
    assert "spendtui: note: prices: file" in err


def test_json_shape_and_bare_six_decimal_numbers(capsys, whatif_db: Path, price_file: Path) -> None:
    args = ["--db", f"sqlite:///{whatif_db}", "--prices", str(price_file), "--start", "2020-01-01"]
    code, out, _ = run(capsys, *args, "--models", "c-cheap", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == [
        "prices",
        "start",
        "end",
        "requests",
        "logged_spend",
        "expected_spend",
        "unpriced_requests",
        "failed_requests",
        "unreadable_requests",
        "modes",
        "candidates",
        "cache_savings",
        "notes",
    ]
    assert set(doc["prices"]) == {"source", "date", "notes"}
    assert doc["prices"]["date"]  # (the bundled snapshot's, under the file)
    assert set(doc["candidates"][0]) == {
        "model",
        "provider",
        "mode",
        "logged_model",
        "spend",
        "saving",
        "saving_percent",
        "saving_vs_expected",
        "expected_requests",
        "priced_requests",
        "unpriced_requests",
    }
    assert set(doc["cache_savings"]) == {
        "cache_hits",
        "unpriced_cache_hits",
        "hits_cost_without_cache",
        "cache_read_tokens",
        "cache_read_saving",
        "cache_creation_tokens",
        "cache_creation_saving",
        "total_saving",
    }
    assert re.search(r'"logged_spend": \d+\.\d{6},', out) and re.search(r'"spend": \d+\.\d{6},', out)
    assert all(isinstance(c["saving_percent"], float) for c in doc["candidates"])
    code, out, _ = run(capsys, *args, "--models", "c-cheap", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("mode,model,provider,logged_model,spend,saving")
    code, out, _ = run(capsys, *args, "--top", "2")
    assert code == 0 and "What-if" in out and "Cache savings" in out and "* m-a" in out


def test_automatic_candidates_the_cheapest_of_each_mode(capsys, whatif_db: Path, price_file: Path) -> None:
    """From the price file alone: the two cheapest chat entries (the tiered one priced from
    the prompt-size buckets, exactly as request by request), not the free one, nor the one
    without an output rate, nor the sub-pico one (a note says why); plus the logged models."""
    prices = read_price_file(str(price_file))
    whatif = WhatIf(prices, None, top=2)
    whatif.add_all(r.request() for r in ROWS)
    result = whatif.result()
    logged = {r.rid: r.request().logged or 0 for r in ROWS}
    by_model = {c.model: c for c in result.candidates}
    assert [c.model for c in result.candidates if c.mode == "chat" and not c.logged_model] == ["c-cheap", "c-tier"]
    assert [c.model for c in result.candidates if c.mode == "embedding"] == ["e-2", "e-1"]
    assert {c.model for c in result.candidates if c.logged_model} == {"m-a", "m-r", "e-1"}
    for model in ("c-cheap", "c-tier", "m-a", "m-r"):
        assert micro(by_model[model].spend) == expected_row(model, "chat", logged)["spend"], model
        assert by_model[model].spend == sum(r.on(model) for r in ROWS if r.included and r.mode == "chat")
    notes = " ".join(result.notes)
    assert "2 price-map entries price these requests at $0 or bill none of their output tokens" in notes
    assert "1 price-map entries cannot be priced exactly from summed tokens" in notes  # c-sub
    # the same, named: c-tier and c-sub priced request by request with expected_pico
    named = WhatIf(prices, resolve_models(prices, ["c-tier", "c-sub"]))
    named.add_all(r.request() for r in ROWS)
    rows = {c.model: c for c in named.result().candidates}
    assert rows["c-tier"] == by_model["c-tier"]
    assert rows["c-sub"].spend == sum(r.on("c-sub") for r in ROWS if r.included and r.mode == "chat")


def sums(rows: Iterable[Row]) -> list[ModelUsage]:
    """Each logged model's summed usage (what a dashboard cube holds)."""
    out = []
    rows = list(rows)
    for model in sorted({r.model for r in rows}):
        mine = [r for r in rows if r.model == model and r.included]
        hits = [r for r in rows if r.model == model and r.hit]

        def usage(group: list[Row]) -> Usage:
            return Usage(
                sum(r.prompt for r in group),
                sum(r.completion for r in group),
                sum(r.cached for r in group),
                sum(r.written for r in group),
                sum(r.reasoning for r in group),
                len(group),
            )

        logged = sum(r.request().logged or 0 for r in mine)
        out.append(ModelUsage(model, usage(mine), logged, "openai", model, usage(hits)))
    return out


def test_linear_sums_equal_per_request(price_file: Path) -> None:
    prices = read_price_file(str(price_file))
    models = resolve_models(prices, ["c-cheap", "e-2", "c-tier"])
    per_request = WhatIf(prices, models)
    per_request.add_all(r.request() for r in ROWS)
    a = per_request.result()
    b = whatif_from_sums(prices, sums(ROWS), models)
    assert (a.requests, a.logged_spend, a.expected_spend, a.unpriced_requests, a.modes) == (
        b.requests,
        b.logged_spend,
        b.expected_spend,
        b.unpriced_requests,
        b.modes,
    )
    assert a.cache == b.cache
    rows_a = {c.model: c for c in a.candidates}
    rows_b = {c.model: c for c in b.candidates}
    for model in ("c-cheap", "e-2", "m-a", "m-r", "e-1"):
        assert rows_a[model] == rows_b[model], model
    # the tiered one cannot be priced from sums: none of its requests, and a note says so
    assert rows_b["c-tier"].priced_requests == 0 and rows_a["c-tier"].priced_requests == a.modes["chat"]
    assert any(n.startswith("c-tier:") and "tiered" in n for n in b.notes)
    # automatic candidates: the linear ones are the same; the tiered one only per request
    auto_a = WhatIf(prices, None, top=10)
    auto_a.add_all(r.request() for r in ROWS)
    auto_b = whatif_from_sums(prices, sums(ROWS), None, top=10)
    linear_a = [c for c in auto_a.result().candidates if c.model != "c-tier"]
    assert linear_a == auto_b.candidates
    assert "c-tier" in {c.model for c in auto_a.result().candidates}
    assert any("tiered prices without each request's size" in n for n in auto_b.notes)


def test_unknown_model_bad_flags_and_proxy(capsys, whatif_db: Path, price_file: Path) -> None:
    db = ["--db", f"sqlite:///{whatif_db}", "--prices", str(price_file)]
    code, out, err = run(capsys, *db, "--models", "c-cheap,c-chaep")
    assert code == 2 and out == ""
    assert "--models: 'c-chaep' is not in the price map" in err and "did you mean 'c-cheap'" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, *db, "--models", " , ")
    assert code == 2 and "--models takes model names" in err
    code, _, err = run(capsys, *db, "--models", "c-cheap", "--top", "3")
    assert code == 2 and "--top" in err
    code, _, err = run(capsys, "--proxy", "http://127.0.0.1:9", "--key", "sk-x")
    assert code == 3 and "--db" in err
    assert main(["report", "models", *db]) == 2
    assert "--prices only applies to `report whatif`" in capsys.readouterr().err
    # flags before the command
    code = main(["--format", "json", "report", "whatif", *db, "--models", "c-cheap", "--start", "2020-01-01"])
    assert code == 0 and json.loads(capsys.readouterr().out)["candidates"]
    with pytest.raises(UnknownModel, match="has no price|not in the price map"):
        resolve_models(read_price_file(str(price_file)), ["nope"])
