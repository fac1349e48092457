"""``spendtui report focus`` against the FOCUS 1.2 column rules (checked here, written from
the spec's text, independently of spendtui's writer) and against SQL ground truth: billed
cost per model and team in integer pico-dollars, list cost from the rates of a price file
this test writes applied to token sums read with SQL, hour rows adding up to day rows; on
a SQLite demo database and on its copy in LiteLLM's real PostgreSQL schema."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from spendtui.cli import main
from spendtui.reports.focus import focus_tags
from tests.helpers import FIXED_NOW, pg_copy_of

START = (FIXED_NOW - timedelta(days=20)).date()
END = (FIXED_NOW - timedelta(days=1)).date()
RANGE = ("--start", START.isoformat(), "--end", END.isoformat())
PICO = 10**12

# ---------------------------------------------------------------- FOCUS 1.2, from the spec
#: Columns whose feature level is Mandatory in FOCUS 1.2 (specification/columns/*.md).
MANDATORY = {
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
}
#: Columns whose "Allows nulls" is False (of those present).
NOT_NULL = {
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ContractedCost",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
}
#: Every column FOCUS 1.2 defines (anything else must start with x_).
FOCUS_COLUMNS = MANDATORY | {
    "AvailabilityZone",
    "BillingAccountType",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeFrequency",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedUnitPrice",
    "InvoiceId",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
}
DECIMALS = {
    "BilledCost",
    "ContractedCost",
    "EffectiveCost",
    "ListCost",
    "ConsumedQuantity",
    "PricingQuantity",
}
DATES = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}
#: NumericFormat: an integer, a decimal or E notation; no sign for positive values, no
#: commas, no units; a negative exponent only carries a sign.
NUMERIC = re.compile(r"^-?[0-9]+(\.[0-9]+)?(E-?[0-9]+)?$")
#: DateTimeFormat: extended ISO 8601 in UTC, 'YYYY-MM-DDTHH:mm:ssZ'.
MOMENT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
CHARGE_CATEGORIES = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
CHARGE_FREQUENCIES = {"One-Time", "Recurring", "Usage-Based"}


def _moment(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def focus_violations(header: list[str], rows: list[dict[str, str]]) -> list[str]:
    """Every way ``rows`` break the FOCUS 1.2 rules this test knows; empty when none."""
    found = [f"missing mandatory column {c}" for c in sorted(MANDATORY - set(header))]
    found += [
        f"column {c} is neither FOCUS's nor x_-prefixed"
        for c in header
        if c not in FOCUS_COLUMNS and not c.startswith("x_")
    ]
    focus_seen = False
    for c in reversed(header):  # custom columns after every FOCUS column
        focus_seen |= c in FOCUS_COLUMNS
        if focus_seen and c.startswith("x_"):
            found.append(f"custom column {c} before a FOCUS column")
    for n, row in enumerate(rows, start=2):

        def bad(what: str, n: int = n) -> None:
            found.append(f"line {n}: {what}")

        for c in NOT_NULL & set(header):
            if row[c] == "":
                bad(f"{c} is null")
        for c in DECIMALS & set(header):
            if row[c] != "" and not NUMERIC.match(row[c]):
                bad(f"{c} {row[c]!r} is not in NumericFormat")
        for c in DATES:
            if not MOMENT.match(row[c]):
                bad(f"{c} {row[c]!r} is not 'YYYY-MM-DDTHH:mm:ssZ'")
        if any(not MOMENT.match(row[c]) for c in DATES):
            continue
        start, end = _moment(row["ChargePeriodStart"]), _moment(row["ChargePeriodEnd"])
        if not start < end:
            bad("ChargePeriodStart is not before ChargePeriodEnd")
        if not _moment(row["BillingPeriodStart"]) <= start < end <= _moment(row["BillingPeriodEnd"]):
            bad("the charge period is not inside the billing period")
        if row["BillingCurrency"] != "USD":
            bad(f"BillingCurrency {row['BillingCurrency']!r}")
        if row["ChargeCategory"] not in CHARGE_CATEGORIES:
            bad(f"ChargeCategory {row['ChargeCategory']!r}")
        if row["ChargeClass"] not in ("", "Correction"):
            bad(f"ChargeClass {row['ChargeClass']!r}")
        if "ChargeFrequency" in row and row["ChargeFrequency"] not in CHARGE_FREQUENCIES:
            bad(f"ChargeFrequency {row['ChargeFrequency']!r}")
        if row["ServiceCategory"] != "AI and Machine Learning":
            bad(f"ServiceCategory {row['ServiceCategory']!r}")
        if row.get("ServiceSubcategory", "Generative AI") != "Generative AI":
            bad(f"ServiceSubcategory {row['ServiceSubcategory']!r}")
        if row["ChargeCategory"] == "Usage" and row["ChargeClass"] != "Correction":
            for c in ("PricingQuantity", "ConsumedQuantity"):
                if row.get(c, "x") == "":
                    bad(f"{c} is null on a usage row")
        for quantity, unit in (("PricingQuantity", "PricingUnit"), ("ConsumedQuantity", "ConsumedUnit")):
            if (row.get(quantity, "") == "") != (row.get(unit, "") == ""):
                bad(f"{unit} is null exactly when {quantity} is not")
        if "SubAccountName" in row and (row["SubAccountId"] == "") != (row["SubAccountName"] == ""):
            bad("SubAccountName is null exactly when SubAccountId is not")
        if "ResourceType" in row and (row["ResourceId"] == "") != (row["ResourceType"] == ""):
            bad("ResourceType is null exactly when ResourceId is not")
        if row.get("ResourceName") and not row["ResourceId"]:
            bad("ResourceName without ResourceId")
        if row.get("ResourceName") and row["ResourceName"] == row["ResourceId"]:
            bad("ResourceName duplicates ResourceId")
        if row.get("Tags"):
            try:
                tags = json.loads(row["Tags"])
            except ValueError:
                bad(f"Tags {row['Tags']!r} is not JSON")
                continue
            if not isinstance(tags, dict):
                bad("Tags is not a JSON object")
            elif any(isinstance(v, (dict, list)) for v in tags.values()):
                bad("a Tags value is an object or an array")
    return found


# ---------------------------------------------------------------- the databases
#: The price file's rates, USD per token: distinct for every kind of token, so a token
#: billed at the wrong rate shows.
RATES = {
    "gpt-4.1": ("0.000002", "0.000007", "0.0000003", "0.0000041", "0.000011"),
    "claude-haiku-4-5": ("0.0000013", "0.0000052", "0.00000017", "0.0000019", "0.0000061"),
    "o4-mini": ("0.0000011", "0.0000043", "0.00000029", "0.0000023", "0.0000057"),
}
RATE_FIELDS = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
)


@pytest.fixture(scope="module")
def price_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("focus-prices") / "prices.json"
    doc = {
        model: {"mode": "chat", **{f: float(v) for f, v in zip(RATE_FIELDS, rates, strict=True)}}
        for model, rates in RATES.items()
    }
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module", params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, litellm_db: Path) -> str:
    if request.param == "pg":
        return pg_copy_of(litellm_db, "spendtui_test_focus")
    return f"sqlite:///{litellm_db}"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", "focus", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def parse(out: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(out))
    return list(reader.fieldnames or []), list(reader)


def pico(value: str) -> int:
    amount = Decimal(value) * PICO
    assert amount == amount.to_integral_value(), f"{value} is not whole pico-dollars"
    return int(amount)


def sql_rows(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(text(sql), {"lo": START.isoformat(), "hi": (END + timedelta(days=1)).isoformat()})
            ]
    finally:
        engine.dispose()


def where(url: str) -> str:
    cast = "CAST(:lo AS timestamp)" if url.startswith("postgresql") else ":lo"
    cast_hi = "CAST(:hi AS timestamp)" if url.startswith("postgresql") else ":hi"
    return f'"startTime" >= {cast} AND "startTime" < {cast_hi} AND spend >= 0 AND spend <= 1000000'


MODEL = "CASE WHEN coalesce(model_group, '') = '' THEN model ELSE model_group END"


def billed_truth(url: str, column: str) -> dict[str, int]:
    """Logged pico-dollars per value of ``column``, each request rounded once, summed as integers."""
    pg = url.startswith("postgresql")
    each = "round(spend * 1e12)::bigint" if pg else "CAST(round(spend * 1e12) AS INTEGER)"
    rows = sql_rows(
        url, f"SELECT coalesce({column}, ''), sum({each}) FROM \"LiteLLM_SpendLogs\" WHERE {where(url)} GROUP BY 1"
    )
    return {str(k): int(v) for k, v in rows}


def usage(url: str, *path: str) -> str:
    if url.startswith("postgresql"):
        return f"coalesce((metadata #>> '{{usage_object,{','.join(path)}}}')::bigint, 0)"
    return f"coalesce(json_extract(metadata, '$.usage_object.{'.'.join(path)}'), 0)"


def token_truth(url: str) -> dict[str, tuple[int, int, int, int, int]]:
    """Per model of the price file, over requests that are billed (neither cache hits nor
    failures): prompt, completion, cache-read, cache-creation and reasoning tokens, summed
    in SQL. Cache reads: Anthropic's cache_read_input_tokens when non-zero, else OpenAI's
    prompt_tokens_details.cached_tokens; writes: cache_creation_input_tokens."""
    anthropic_read = usage(url, "cache_read_input_tokens")
    openai_read = usage(url, "prompt_tokens_details", "cached_tokens")
    read = f"CASE WHEN {anthropic_read} <> 0 THEN {anthropic_read} ELSE {openai_read} END"
    write = usage(url, "cache_creation_input_tokens")
    reasoning = usage(url, "completion_tokens_details", "reasoning_tokens")
    billed = "coalesce(cache_hit, '') NOT IN ('True', 'true') AND coalesce(status, '') <> 'failure'"
    models = ", ".join(f"'{m}'" for m in RATES)
    rows = sql_rows(
        url,
        f"SELECT {MODEL}, sum(prompt_tokens), sum(completion_tokens), sum({read}), sum({write}), sum({reasoning}), "
        f"sum(CASE WHEN {read} + {write} > prompt_tokens OR {reasoning} > completion_tokens THEN 1 ELSE 0 END) "
        f'FROM "LiteLLM_SpendLogs" WHERE {where(url)} AND {billed} AND {MODEL} IN ({models}) GROUP BY 1',
    )
    out = {}
    for model, p, c, r, w, rs, odd in rows:
        assert odd == 0, f"{model}: requests whose cache or reasoning tokens exceed their prompt or completion"
        out[str(model)] = (int(p), int(c), int(r), int(w), int(rs))
    return out


# ---------------------------------------------------------------- the tests
def test_every_row_meets_focus_and_billed_cost_equals_sql(capsys, url: str, price_file: Path) -> None:
    code, out, err = run(capsys, "--db", url, *RANGE, "--prices", str(price_file))
    assert code == 0, err
    header, rows = parse(out)
    assert len(rows) > 1000
    assert focus_violations(header, rows) == []
    # (the checker itself finds what it checks for)
    broken = [dict(rows[0], BillingCurrency="EUR", ChargePeriodEnd=rows[0]["ChargePeriodStart"], Tags="[1]")]
    broken.append(dict(rows[1], ListCost="", BilledCost="1,5", ChargePeriodStart="2026-11-01 00:00:00"))
    assert len(focus_violations([h for h in header if h != "ListCost"], broken)) >= 6

    by_model: dict[str, int] = defaultdict(int)
    by_team: dict[str, int] = defaultdict(int)
    for row in rows:
        by_model[row["ServiceName"]] += pico(row["BilledCost"])
        by_team[row["SubAccountId"]] += pico(row["BilledCost"])
        assert row["EffectiveCost"] == row["ContractedCost"] == row["BilledCost"]
        assert START <= _moment(row["ChargePeriodStart"]).date() <= END
    assert dict(by_model) == billed_truth(url, MODEL)
    assert dict(by_team) == billed_truth(url, "team_id")
    assert "prices.json" in err


def test_list_cost_is_the_price_files_rates_on_sql_token_sums(capsys, url: str, price_file: Path) -> None:
    code, out, err = run(capsys, "--db", url, *RANGE, "--prices", str(price_file))
    assert code == 0, err
    _, rows = parse(out)
    listed: dict[str, int] = defaultdict(int)
    billed: dict[str, int] = defaultdict(int)
    consumed: dict[str, int] = defaultdict(int)
    for row in rows:
        listed[row["ServiceName"]] += pico(row["ListCost"])
        billed[row["ServiceName"]] += pico(row["BilledCost"])
        consumed[row["ServiceName"]] += int(row["ConsumedQuantity"])
    tokens = token_truth(url)
    assert set(tokens) == set(RATES)
    for model, (p, c, r, w, rs) in tokens.items():
        rin, rout, rcr, rcw, rr = (Decimal(v) for v in RATES[model])
        expected = (p - r - w) * rin + r * rcr + w * rcw + (c - rs) * rout + rs * rr
        assert listed[model] == int(expected * PICO), model
        assert listed[model] != billed[model]  # (the file's rates are not the logged ones)
    # a model the map has no price for: its list cost is what it billed, and a note says so
    assert listed["deepseek-v4.1"] == billed["deepseek-v4.1"]
    assert "deepseek-v4.1" in err and "ListCost is their BilledCost" in err
    # consumed tokens: every request's prompt and completion tokens
    sums = dict(
        sql_rows(
            url,
            f'SELECT {MODEL}, sum(prompt_tokens + completion_tokens) FROM "LiteLLM_SpendLogs" '
            f"WHERE {where(url)} GROUP BY 1",
        )
    )
    assert dict(consumed) == {str(k): int(v) for k, v in sums.items()}


def test_hour_rows_add_up_to_the_day_rows(capsys, url: str) -> None:
    code, day_out, err = run(capsys, "--db", url, *RANGE)
    assert code == 0, err
    code, hour_out, err = run(capsys, "--db", url, *RANGE, "--granularity", "hour")
    assert code == 0, err
    header, days = parse(day_out)
    _, hours = parse(hour_out)
    assert focus_violations(header, hours) == []
    assert len(hours) > len(days)
    same = ("ServiceName", "ProviderName", "ResourceId", "SubAccountId", "Tags", "BillingPeriodStart")
    measures = ("BilledCost", "ListCost", "ConsumedQuantity", "x_Requests", "x_CacheReadTokens")

    def summed(rows: list[dict[str, str]], hourly: bool) -> dict[tuple, list[int]]:
        out: dict[tuple, list[int]] = {}
        for row in rows:
            start, end = _moment(row["ChargePeriodStart"]), _moment(row["ChargePeriodEnd"])
            assert end - start == (timedelta(hours=1) if hourly else timedelta(days=1))
            key = (start.date(), *(row[c] for c in same))
            acc = out.setdefault(key, [0] * len(measures))
            for i, c in enumerate(measures):
                acc[i] += pico(row[c]) if c.endswith("Cost") else int(row[c])
        return out

    assert summed(hours, True) == summed(days, False)
    # and each hour holds its own requests
    per_hour: dict[str, int] = defaultdict(int)
    for row in hours:
        per_hour[row["ChargePeriodStart"][:13].replace("T", " ")] += pico(row["BilledCost"])
    pg = url.startswith("postgresql")
    hour = "to_char(\"startTime\", 'YYYY-MM-DD HH24')" if pg else 'substr("startTime", 1, 13)'
    each = "round(spend * 1e12)::bigint" if pg else "CAST(round(spend * 1e12) AS INTEGER)"
    truth = sql_rows(url, f'SELECT {hour}, sum({each}) FROM "LiteLLM_SpendLogs" WHERE {where(url)} GROUP BY 1')
    assert dict(per_hour) == {str(h): int(v) for h, v in truth}


def test_tags_rule() -> None:
    assert focus_tags(()) == ""
    assert json.loads(focus_tags(("project:web", "env:prod", "vip"))) == {"project": "web", "env": "prod", "vip": True}
    # two values of one category (or one with and one without a value): every tag a valueless key
    assert json.loads(focus_tags(("project:a", "project:b", "env:prod"))) == {
        "project:a": True,
        "project:b": True,
        "env": "prod",
    }
    assert json.loads(focus_tags(("project", "project:a"))) == {"project": True, "project:a": True}
    assert json.loads(focus_tags(("url:https://x.example/a",))) == {"url": "https://x.example/a"}


def test_a_request_with_two_values_of_a_category(capsys, tmp_path: Path, litellm_db: Path) -> None:
    db = tmp_path / "tags.db"
    shutil.copy(litellm_db, db)
    day = f"{END.isoformat()} 10:30:00.000"
    with sqlite3.connect(db) as conn:
        conn.execute(
            'INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, "startTime", "endTime", model, '
            "model_group, custom_llm_provider, prompt_tokens, completion_tokens, total_tokens, request_tags, team_id) "
            "VALUES ('two-projects', 'acompletion', 'k-odd', 0.5, ?, ?, 'mystery-model', 'mystery-model', 'openai', "
            "10, 5, 15, "
            '\'["project:a", "project:b", "vip"]\', \'t-odd\')',
            (day, day),
        )
    conn.close()
    code, out, err = run(capsys, "--db", f"sqlite:///{db}", *RANGE)
    assert code == 0, err
    found = [r for r in parse(out)[1] if r["ResourceId"] == "k-odd"]
    assert len(found) == 1
    row = found[0]
    assert json.loads(row["Tags"]) == {"project:a": True, "project:b": True, "vip": True}
    assert row["BilledCost"] == "0.5" and row["SubAccountId"] == "t-odd" and row["SubAccountName"] == "t-odd"
    assert row["ResourceName"] == ""  # (a key without an alias has no display name)
    # a model without a price: list cost = billed cost, said in a note
    assert row["ListCost"] == "0.5" and row["x_UnpricedRequests"] == "1"
    assert "mystery-model" in err and "ListCost is their BilledCost" in err


def test_output_file_guard(capsys, tmp_path: Path, litellm_db: Path) -> None:
    db = ("--db", f"sqlite:///{litellm_db}", *RANGE)
    target = tmp_path / "focus.csv"
    code, out, err = run(capsys, *db, "--output", str(target))
    assert code == 0 and out == "" and "FOCUS rows to" in err
    first = target.read_text()
    assert first.startswith("BilledCost,BillingAccountId,")
    # spendtui's own export is replaced; an empty file too
    code, _, err = run(capsys, *db, "--granularity", "hour", "--output", str(target))
    assert code == 0, err
    assert target.read_text() != first and target.read_text().startswith("BilledCost,")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert run(capsys, *db, "--output", str(empty))[0] == 0
    # anything else is left alone
    other = tmp_path / "ledger.csv"
    other.write_text("date,amount\n2026-11-01,12.00\n")
    code, out, err = run(capsys, *db, "--output", str(other))
    assert code == 2 and out == ""
    assert f"{other} exists and is not a FOCUS export spendtui wrote" in err and "Traceback" not in err
    assert other.read_text() == "date,amount\n2026-11-01,12.00\n"
    code, _, err = run(capsys, *db, "--output", str(tmp_path))
    assert code == 2 and "is a directory" in err
    code, _, err = run(capsys, *db, "--output", str(tmp_path / "no-such-dir" / "f.csv"))
    assert code == 2 and "does not exist" in err
    # '-' is standard output
    code, out, _ = run(capsys, *db, "--output", "-")
    assert code == 0 and out.startswith("BilledCost,")
    assert not list(tmp_path.glob(".*.tmp"))


def test_bad_input_is_refused_clearly(capsys, litellm_db: Path) -> None:
    db = ("--db", f"sqlite:///{litellm_db}")
    code, out, err = run(capsys, *db, "--start", "2026-13-01")
    assert code == 2 and out == "" and "2026-13-01" in err and "Traceback" not in err
    code, _, err = run(capsys, *db, "--start", "2026-11-20", "--end", "2026-11-10")
    assert code == 2 and "--end 2026-11-10 is before --start 2026-11-20" in err
    code, _, err = run(capsys, *db, "--format", "json")
    assert code == 2 and "--format json does not apply" in err
    code, _, err = run(capsys, *db, "--tag-prefix", "project")
    assert code == 2 and "--tag-prefix" in err
    code, _, err = run(capsys, *db, "--billing-account", " ")
    assert code == 2 and "--billing-account" in err
    with pytest.raises(SystemExit) as raised:
        run(capsys, *db, "--granularity", "week")
    assert raised.value.code == 2 and "--granularity" in capsys.readouterr().err
    assert main(["report", "models", *db, "--granularity", "hour"]) == 2
    assert "--granularity only applies to `report focus`" in capsys.readouterr().err
    # the proxy's REST API has no per-request tokens per key, team and tag: exit 3, naming --db
    code, out, err = run(capsys, "--proxy", "http://127.0.0.1:9", "--key", "sk-x")
    assert code == 3 and out == "" and "--db" in err


def test_billing_account(capsys, litellm_db: Path) -> None:
    code, out, _ = run(capsys, "--db", f"sqlite:///{litellm_db}", *RANGE, "--billing-account", "acme-llm-proxy")
    assert code == 0
    rows = parse(out)[1]
    assert {r["BillingAccountId"] for r in rows} == {"acme-llm-proxy"} == {r["BillingAccountName"] for r in rows}
