"""The price map (``core.prices``, ``core.price_files``) and re-pricing (``core.repricing``).

Every expected cost is worked out here by hand, in Decimal, from the price file the test
writes: the arithmetic is spelled out next to each request rather than taken from the code.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from spendtui.core.price_files import PriceError, bundled_prices, loads_exact, read_price_file
from spendtui.core.prices import ModelPrice, PriceMap, layered
from spendtui.core.repricing import Usage, expected_pico, is_linear, usage_from_log
from spendtui.demo.catalog import MODELS
from spendtui.errors import ConfigError

D = Decimal
PRICES = {
    "gpt-plain": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 1.5e-07,
        "output_cost_per_token": 6e-07,
    },
    "claude-cache": {
        "litellm_provider": "anthropic",
        "mode": "chat",
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
        "cache_read_input_token_cost": 3e-07,
        "cache_creation_input_token_cost": 3.75e-06,
    },
    "no-cache-price": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
    "thinker": {
        "litellm_provider": "openai",
        "input_cost_per_token": 1.1e-06,
        "output_cost_per_token": 4.4e-06,
        "output_cost_per_reasoning_token": 8.8e-06,
    },
    "gemini/long-context": {
        "litellm_provider": "gemini",
        "mode": "chat",
        "input_cost_per_token": 1.25e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-07,
        "input_cost_per_token_above_200k_tokens": 2.5e-06,
        "output_cost_per_token_above_200k_tokens": 1.5e-05,
        "cache_read_input_token_cost_above_200k_tokens": 2.5e-07,
        "input_cost_per_token_above_200k_tokens_priority": 9e-06,
    },
    "xai/grok-tier": {
        "litellm_provider": "xai",
        "input_cost_per_token": 2e-07,
        "output_cost_per_token": 5e-07,
        "input_cost_per_token_above_128k_tokens": 4e-07,
    },
    "perplexity/online": {
        "litellm_provider": "perplexity",
        "input_cost_per_request": 0.005,
        "input_cost_per_token": 0,
        "output_cost_per_token": 2.8e-06,
    },
    "bedrock/timed": {"litellm_provider": "bedrock", "mode": "chat", "cost_per_second": 0.001902},
    "dashscope/qwen-range": {
        "litellm_provider": "dashscope",
        "tiered_pricing": [
            {"input_cost_per_token": 5e-08, "output_cost_per_token": 4e-07, "range": [0, 256000]},
            {"input_cost_per_token": 2.5e-07, "output_cost_per_token": 2e-06, "range": [256000, 1000000]},
        ],
    },
    "vertex_only": {
        "litellm_provider": "vertex_ai-language-models",
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 2e-06,
    },
    "bedrock-model": {"litellm_provider": "bedrock", "input_cost_per_token": 7e-07, "output_cost_per_token": 7e-07},
}


def pico(usd: Decimal) -> int:
    """Dollars to pico-dollars, rounded once, half-even (the rule under test)."""
    return int((usd * 10**12).to_integral_value(ROUND_HALF_EVEN))


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES))
    return path


@pytest.fixture
def prices(price_file: Path) -> PriceMap:
    return read_price_file(price_file)


def cost(prices: PriceMap, model: str, usage: Usage, provider: str | None = None) -> int:
    match = prices.lookup(model, provider)
    assert match is not None, model
    return expected_pico(match.price, usage, provider)


def test_reads_exactly(prices: PriceMap, price_file: Path) -> None:
    assert prices.source == f"file {price_file}"
    p = prices.entry("claude-cache")
    assert p is not None and p.litellm_provider == "anthropic" and p.mode == "chat"
    assert p.cache_creation_input_token_cost == D("0.00000375")  # not 3.7499999e-06
    assert p.input_cost_per_token == D("3e-06")


def test_plain_request(prices: PriceMap) -> None:
    # 1,234 prompt tokens at $0.15/M + 567 completion tokens at $0.60/M
    assert cost(prices, "gpt-plain", Usage(1234, 567)) == pico(1234 * D("1.5e-07") + 567 * D("6e-07"))
    assert cost(prices, "gpt-plain", Usage(1234, 567)) == 525_300_000


def test_cache_reads_and_writes_are_inside_prompt_tokens(prices: PriceMap) -> None:
    # 10,000 prompt tokens of which 6,000 read from the cache and 1,000 written to it:
    # 3,000 uncached at $3/M, 6,000 at $0.30/M, 1,000 at $3.75/M; 400 completion at $15/M
    expected = 3000 * D("3e-06") + 6000 * D("3e-07") + 1000 * D("3.75e-06") + 400 * D("1.5e-05")
    assert cost(prices, "claude-cache", Usage(10_000, 400, 6000, 1000)) == pico(expected)
    assert pico(expected) == 20_550_000_000


def test_missing_cache_prices_fall_back_to_the_input_price(prices: PriceMap) -> None:
    # no cache rates: cached and written tokens cost the input rate, as uncached ones
    expected = (500 + 300 + 200) * D("2.5e-06") + 100 * D("1e-05")
    assert cost(prices, "no-cache-price", Usage(1000, 100, 300, 200)) == pico(expected)


def test_more_cache_than_prompt_never_goes_negative(prices: PriceMap) -> None:
    # a broken log: 900 cache-read tokens of 500 prompt tokens; the uncached part is 0
    expected = 0 * D("3e-06") + 900 * D("3e-07") + 10 * D("1.5e-05")
    assert cost(prices, "claude-cache", Usage(500, 10, 900)) == pico(expected)


def test_reasoning_with_and_without_a_reasoning_price(prices: PriceMap) -> None:
    # 2,000 completion tokens of which 1,500 reasoning; reasoning at $8.80/M, the rest at $4.40/M
    with_price = 300 * D("1.1e-06") + 500 * D("4.4e-06") + 1500 * D("8.8e-06")
    assert cost(prices, "thinker", Usage(300, 2000, reasoning_tokens=1500)) == pico(with_price)
    # without a reasoning price, reasoning tokens are output tokens
    without = 300 * D("1.5e-07") + 2000 * D("6e-07")
    assert cost(prices, "gpt-plain", Usage(300, 2000, reasoning_tokens=1500)) == pico(without)
    # more reasoning than completion tokens is capped at the completion tokens
    capped = 300 * D("1.1e-06") + 0 * D("4.4e-06") + 2000 * D("8.8e-06")
    assert cost(prices, "thinker", Usage(300, 2000, reasoning_tokens=9000)) == pico(capped)


def test_threshold_tiers(prices: PriceMap) -> None:
    below = Usage(200_000, 1000, 50_000)  # exactly 200k: not above
    expected_below = 150_000 * D("1.25e-06") + 50_000 * D("1.25e-07") + 1000 * D("1e-05")
    assert cost(prices, "gemini/long-context", below, "gemini") == pico(expected_below)
    above = Usage(250_000, 1000, 50_000)  # every rate of the request moves to the >200k tier
    expected_above = 200_000 * D("2.5e-06") + 50_000 * D("2.5e-07") + 1000 * D("1.5e-05")
    assert cost(prices, "gemini/long-context", above, "gemini") == pico(expected_above)
    # xAI's tiers start at the threshold; its output rate has no tier and stays flat
    assert cost(prices, "xai/grok-tier", Usage(128_000, 10), "xai") == pico(128_000 * D("4e-07") + 10 * D("5e-07"))
    assert cost(prices, "xai/grok-tier", Usage(127_999, 10), "xai") == pico(127_999 * D("2e-07") + 10 * D("5e-07"))


def test_range_tiers(prices: PriceMap) -> None:
    assert cost(prices, "dashscope/qwen-range", Usage(256_000, 100)) == pico(256_000 * D("5e-08") + 100 * D("4e-07"))
    assert cost(prices, "dashscope/qwen-range", Usage(256_001, 100)) == pico(256_001 * D("2.5e-07") + 100 * D("2e-06"))
    # above the last range: the last tier
    assert cost(prices, "dashscope/qwen-range", Usage(2_000_000, 0)) == pico(2_000_000 * D("2.5e-07"))


def test_per_request_and_per_second_prices(prices: PriceMap) -> None:
    # $0.005 a request, no input price, 80 completion tokens at $2.80/M
    assert cost(prices, "perplexity/online", Usage(700, 80)) == pico(D("0.005") + 80 * D("2.8e-06"))
    # three requests summed: the price is linear
    three = Usage(2100, 240, requests=3)
    assert cost(prices, "perplexity/online", three) == pico(3 * D("0.005") + 240 * D("2.8e-06"))
    # billed by time, not tokens: 2.345 s at $0.001902/s
    timed = Usage(5000, 5000, seconds=D("2.345"))
    assert cost(prices, "bedrock/timed", timed, "bedrock") == pico(D("2.345") * D("0.001902"))


def test_linear_prices_sum_like_single_requests(prices: PriceMap) -> None:
    price = prices.entry("claude-cache")
    assert price is not None and is_linear(price)
    requests = [Usage(1000, 20, 300, 100), Usage(7, 3), Usage(55_555, 444, 20_000, 0)]
    summed = Usage(
        sum(u.prompt_tokens for u in requests),
        sum(u.completion_tokens for u in requests),
        sum(u.cache_read_tokens for u in requests),
        sum(u.cache_creation_tokens for u in requests),
        requests=len(requests),
    )
    assert expected_pico(price, summed) == sum(expected_pico(price, u) for u in requests)
    tiered = prices.entry("gemini/long-context")
    assert tiered is not None and not is_linear(tiered)
    with pytest.raises(ValueError, match="each request"):
        expected_pico(tiered, Usage(400_000, 10, requests=2))
    # a price finer than a pico-dollar per token is not linear either (rounding per request)
    fine = ModelPrice("fine", input_cost_per_token=D("1.5e-13"))
    assert not is_linear(fine)
    assert expected_pico(fine, Usage(3, 0)) == 0  # 0.45 pico rounds to 0 ...
    assert expected_pico(fine, Usage(5, 0)) == 1  # ... 0.75 to 1


def test_lookup_order(prices: PriceMap) -> None:
    # provider-prefixed key, from a bare logged model
    hit = prices.lookup("long-context", "gemini")
    assert hit is not None and (hit.key, hit.how) == ("gemini/long-context", "provider/model")
    # bare key, from a provider-prefixed logged model (LiteLLM logs "openai/gpt-4o" as model)
    hit = prices.lookup("openai/gpt-plain", "openai")
    assert hit is not None and hit.key == "gpt-plain"
    # case does not matter; a dated snapshot finds its undated entry
    assert prices.lookup("GPT-Plain", "openai") is not None
    hit = prices.lookup("gpt-plain-2025-04-14", "openai")
    assert hit is not None and hit.key == "gpt-plain"
    # an entry of another provider does not price the request; a provider family does
    assert prices.lookup("bedrock-model", "openai") is None
    assert prices.lookup("bedrock-model", "bedrock_converse") is not None
    assert prices.lookup("vertex_only", "vertex_ai") is not None
    # unknown model: no price at all, never $0
    assert prices.lookup("gpt-nonexistent", "openai") is None
    assert prices.lookup("", None, None) is None


def test_model_group_lookup(prices: PriceMap) -> None:
    proxy = PriceMap(
        {},
        source="proxy /model/info",
        groups={"fast": "openai/gpt-plain", "smart": "anthropic/claude-cache"},
        deployments={"smart": ModelPrice("smart", input_cost_per_token=D("1e-06"))},
    )
    both = layered([proxy, prices])
    # a request with no model logged is priced by its group's underlying model
    hit = both.lookup("", "openai", "fast")
    assert hit is not None and hit.key == "gpt-plain" and "underlying" in hit.how
    assert hit.source == prices.source
    # a deployment's own (custom) price wins for the fields it sets; the rest are public
    hit = both.lookup("anthropic/claude-cache", "anthropic", "smart")
    assert hit is not None and hit.source == "proxy /model/info"
    assert hit.price.input_cost_per_token == D("1e-06")
    assert hit.price.output_cost_per_token == D("1.5e-05")
    expected = 100 * D("1e-06") + 100 * D("3e-07") + 10 * D("1.5e-05")
    assert expected_pico(hit.price, Usage(200, 10, 100)) == pico(expected)
    # a public name that is itself a model name
    hit = prices.lookup("my-deployment-7", "openai", "gpt-plain")
    assert hit is not None and hit.key == "gpt-plain"


def test_layering_is_per_field(prices: PriceMap, tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    mine.write_text('{"claude-cache": {"input_cost_per_token": 0.000002}, "new-model": {"output_cost_per_token": 1}}')
    both = layered([read_price_file(mine), prices])
    assert both.source == f"file {mine}, then file {prices.source[5:]}"
    claude = both.entry("claude-cache")
    assert claude is not None
    assert claude.input_cost_per_token == D("0.000002") and claude.cache_read_input_token_cost == D("3e-07")
    assert claude.litellm_provider == "anthropic"
    assert both.entry("new-model") is not None and both.entry("gpt-plain") is not None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-0.000001", "negative"),
        ('"cheap"', "not a number"),
        ("NaN", "not a finite number"),
        ("Infinity", "not a finite number"),
        ("true", "not a number"),
        ("[1]", "not a number"),
    ],
)
def test_bad_price_names_the_file_and_the_model(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"ok": {"input_cost_per_token": 1e-6}, "broken-model": {"output_cost_per_token": ' + value + "}}")
    with pytest.raises(PriceError) as caught:
        read_price_file(path)
    text = str(caught.value)
    assert str(path) in text and "'broken-model'" in text and "output_cost_per_token" in text and message in text
    assert isinstance(caught.value, ConfigError)


def test_unusable_price_files(tmp_path: Path) -> None:
    for content, message in [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ("{}", "no model entries"),
        ('{"m": 3}', "model 'm': the entry is not an object"),
        ('{"m": {"tiered_pricing": [{"range": [0]}]}}', r"range is not \[start, end\]"),
    ]:
        path = tmp_path / "x.json"
        path.write_text(content)
        with pytest.raises(PriceError, match=message):
            read_price_file(path)
    with pytest.raises(PriceError, match="cannot read"):
        read_price_file(tmp_path / "missing.json")


def test_numeric_strings_are_prices_and_null_is_unset(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"m": {"input_cost_per_token": "3e-7", "output_cost_per_token": null}}')
    entry = read_price_file(path).entry("m")
    assert entry is not None and entry.input_cost_per_token == D("3e-7") and entry.output_cost_per_token is None


def test_usage_from_a_logged_row() -> None:
    anthropic = {"cache_read_input_tokens": 600, "cache_creation_input_tokens": 100}
    assert usage_from_log(1000, 50, anthropic) == Usage(1000, 50, 600, 100)
    openai = {"prompt_tokens_details": {"cached_tokens": 256}, "completion_tokens_details": {"reasoning_tokens": 40}}
    assert usage_from_log(900, 60, openai, duration_ms=1234) == Usage(900, 60, 256, 0, 40, 1, D("1.234"))
    assert usage_from_log(5, 5, {"completion_tokens_details": {"reasoning_tokens": "7"}}) == Usage(5, 5)
    assert usage_from_log(5, 5, None) == Usage(5, 5)


# ---------------------------------------------------------------- the bundled snapshot

#: The demo model that LiteLLM 1.108.7's map does not know under LiteLLM's own lookup, on
#: purpose: the demo logs its requests at $0, as LiteLLM does (spendtui.demo.costs).
DEMO_MODELS_NOT_IN_LITELLM = {"deepseek-v4.1"}


def test_snapshot_header_and_size() -> None:
    snapshot = bundled_prices()
    assert snapshot.source == "bundled LiteLLM 1.108.7 snapshot" and snapshot.date == "2026-12-07"
    assert len(snapshot) > 4000
    assert snapshot.entry("sample_spec") is None


def test_snapshot_prices_the_demo_models() -> None:
    snapshot = bundled_prices()
    unpriced = set()
    for model in MODELS:
        hit = snapshot.lookup(model.litellm_model, model.provider, model.name)
        if hit is None or not hit.price.has_prices:
            unpriced.add(model.name)
            continue
        assert hit.price.mode == ("embedding" if model.call_type == "aembedding" else "chat"), model.name
    assert unpriced == DEMO_MODELS_NOT_IN_LITELLM
    gpt4o = snapshot.lookup("openai/gpt-4o", "openai", "gpt-4o")
    assert gpt4o is not None and gpt4o.price.input_cost_per_token == D("2.5e-06")
    assert expected_pico(gpt4o.price, Usage(1500, 450)) == pico(1500 * D("2.5e-06") + 450 * D("1e-05"))


LITELLM_MAP = Path(
    "/tmp/litellm-peer/venv/lib/python3.11/site-packages/litellm/model_prices_and_context_window_backup.json"
)


@pytest.mark.skipif(not LITELLM_MAP.is_file(), reason="the LiteLLM peer's package is not installed here")
def test_snapshot_equals_litellm_exactly() -> None:
    """Every kept price of every entry is the decimal LiteLLM 1.108.7's file writes."""
    source = loads_exact(LITELLM_MAP.read_text(), "litellm")
    assert isinstance(source, dict)
    snapshot = bundled_prices()
    assert set(snapshot.entries) == set(source) - {"sample_spec", "fallback_generalizations"}
    for key, entry in snapshot.entries.items():
        raw = source[key]
        for name in ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
                     "cache_creation_input_token_cost", "output_cost_per_reasoning_token", "input_cost_per_request",
                     "cost_per_second", "input_cost_per_second", "output_cost_per_second"):  # fmt: skip
            assert entry.rate(name) == raw.get(name), (key, name)
        assert entry.litellm_provider == raw.get("litellm_provider") and entry.mode == raw.get("mode")
        for t in entry.thresholds:
            shown = (
                f"{t.above // 1000}k"
                if t.above % 1000 == 0 and f"{t.rate}_above_{t.above // 1000}k_tokens" in raw
                else t.above
            )
            assert raw[f"{t.rate}_above_{shown}_tokens"] == t.value, (key, t)
