"""Prices against the real LiteLLM 1.108.7 peer: its ``/model/info`` through spendtui's own
HTTP layer, the spend it logged re-priced from the bundled snapshot, and custom prices.

Only reads, but for the custom-price probe, which removes what it adds. The peer is shared:
this file never restarts it nor sends completions."""

from __future__ import annotations

import json
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from spendtui.core.price_files import bundled_prices
from spendtui.core.prices import RATE_FIELDS, layered
from spendtui.core.repricing import Usage, expected_pico, usage_from_log
from spendtui.errors import SourceAuthError
from spendtui.money import to_pico
from spendtui.sources.proxy.http import HttpSettings, ProxyHttp
from spendtui.sources.proxy.prices import read_proxy_prices
from tests.helpers import need
from tests.peer import MASTER, PEER_DB, PEER_URL, call, peer_problem

pytestmark = pytest.mark.peer

PEER_MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-flash")


@pytest.fixture(scope="module")
def peer() -> None:
    problem = peer_problem()
    need(problem is None, problem or "")


def _http(key: str = MASTER) -> ProxyHttp:
    return ProxyHttp(HttpSettings(PEER_URL, api_key=key))


def test_model_info_prices_equal_the_bundled_snapshot(peer: None) -> None:
    http = _http()
    try:
        proxy = read_proxy_prices(http)
    finally:
        http.close()
    snapshot = bundled_prices()
    assert set(PEER_MODELS) <= set(proxy.deployments)
    for name in PEER_MODELS:
        underlying = proxy.groups[name]
        provider = underlying.split("/", 1)[0]
        public = snapshot.lookup(underlying, provider)
        assert public is not None, name
        served = proxy.deployments[name]
        for field in RATE_FIELDS:
            assert served.rate(field) == public.price.rate(field), (name, field)
        assert (served.litellm_provider, served.mode) == (public.price.litellm_provider, public.price.mode)
        assert served.thresholds == public.price.thresholds, name
        assert served.input_cost_per_token is not None and served.input_cost_per_token > 0


def test_a_wrong_key_is_an_auth_error(peer: None) -> None:
    http = _http("sk-wrong-key")
    try:
        with pytest.raises(SourceAuthError):
            read_proxy_prices(http)
    finally:
        http.close()


def test_logged_spend_reprices_exactly(peer: None) -> None:
    """Every successful, uncached request the peer logged for its models costs, at the
    bundled prices, what LiteLLM logged (to the pico-dollar: the log is a double)."""
    import psycopg

    sql = (
        "SELECT model, model_group, custom_llm_provider, prompt_tokens, completion_tokens, spend, cache_hit, status, "
        "metadata->'usage_object' FROM \"LiteLLM_SpendLogs\" WHERE model_group = ANY(%s)"
    )
    with psycopg.connect(PEER_DB, connect_timeout=5) as conn:
        rows = conn.execute(sql, (list(PEER_MODELS),)).fetchall()
    priced = [r for r in rows if (r[7] or "success") == "success" and str(r[6]).lower() != "true"]
    need(len(priced) > 0, "the peer has logged no requests yet (run tests/peer.py's workload)")
    prices = bundled_prices()
    for model, group, provider, prompt, completion, spend, _hit, _status, usage in priced:
        match = prices.lookup(model, provider, group)
        assert match is not None, model
        logged = to_pico(spend)
        assert logged is not None
        expected = expected_pico(match.price, usage_from_log(prompt, completion, usage), provider)
        assert abs(expected - logged) <= 1, (model, prompt, completion, spend, expected)


def test_custom_model_info_price_wins(peer: None) -> None:
    """A deployment added with custom prices is priced at them, over the public entry."""
    name = f"spendtui-price-probe-{uuid.uuid4().hex[:8]}"
    body = {
        "model_name": name,
        "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "fake", "api_base": "http://127.0.0.1:9/v1"},
        "model_info": {"input_cost_per_token": 0.000001234, "output_cost_per_token": 0.000005678},
    }
    status, answer = call("POST", "/model/new", body)
    if status != 200:
        assert "STORE_MODEL_IN_DB" in str(answer), (status, answer)
        pytest.skip("the peer refuses /model/new: its proxy runs without STORE_MODEL_IN_DB=True")
    model_id = answer.get("model_id") or answer.get("model_info", {}).get("id")
    try:
        http = _http()
        try:
            both = layered([read_proxy_prices(http), bundled_prices()])
        finally:
            http.close()
        hit = both.lookup("openai/gpt-4o-mini", "openai", name)
        assert hit is not None and hit.source == "proxy /model/info"
        assert hit.price.input_cost_per_token == Decimal("0.000001234")
        assert hit.price.output_cost_per_token == Decimal("0.000005678")
    finally:
        call("POST", "/model/delete", {"id": model_id})


LITELLM_PYTHON = Path("/tmp/litellm-peer/venv/bin/python")
LITELLM_SITE = "lib/python3.11/site-packages/litellm/model_prices_and_context_window_backup.json"
LITELLM_COST = """
import json, sys
from litellm.cost_calculator import cost_per_token
from litellm.types.utils import CompletionTokensDetailsWrapper, PromptTokensDetailsWrapper, Usage
out = []
for model, provider, p, c, read, write, reasoning in json.load(open(sys.argv[1])):
    usage = Usage(prompt_tokens=p, completion_tokens=c, total_tokens=p + c,
                  prompt_tokens_details=PromptTokensDetailsWrapper(cached_tokens=read, cache_creation_tokens=write),
                  completion_tokens_details=CompletionTokensDetailsWrapper(reasoning_tokens=reasoning))
    try:
        out.append(repr(sum(cost_per_token(model=model, custom_llm_provider=provider, usage_object=usage))))
    except Exception:
        out.append(None)
json.dump(out, sys.stdout)
"""
CROSS_PROVIDERS = ("openai", "anthropic", "gemini", "deepseek", "xai", "dashscope", "mistral", "groq", "together_ai")


@pytest.mark.skipif(not LITELLM_PYTHON.is_file(), reason="the peer's LiteLLM venv is not installed here")
def test_cost_rule_equals_litellms_own_calculator(tmp_path: Path) -> None:
    """LiteLLM 1.108.7's ``cost_per_token`` (run in the peer's venv, from its bundled map)
    and spendtui agree on every chat model of these providers, for a request with cache
    reads, cache writes and reasoning, one above the 200k/272k tiers and one at 129k.
    Entries with ``off_peak_pricing`` (not implemented: time-dependent) are left out."""
    source = json.loads((LITELLM_PYTHON.parent.parent / LITELLM_SITE).read_text())
    snapshot = bundled_prices()
    cases = []
    for key, entry in snapshot.entries.items():
        raw = source.get(key, {})
        if entry.mode != "chat" or entry.litellm_provider not in CROSS_PROVIDERS or "off_peak_pricing" in raw:
            continue
        provider = entry.litellm_provider
        model = key.split("/", 1)[1] if key.startswith(f"{provider}/") else key
        for usage in ((1000, 200, 300, 100, 50), (300_000, 500, 100_000, 0, 200), (129_000, 10, 0, 0, 0)):
            cases.append((model, provider, *usage))
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    (tmp_path / "cost.py").write_text(LITELLM_COST)
    env = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [str(LITELLM_PYTHON), str(tmp_path / "cost.py"), str(tmp_path / "cases.json")],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    theirs = json.loads(done.stdout)
    compared = 0
    for (model, provider, *tokens), cost in zip(cases, theirs, strict=True):
        hit = snapshot.lookup(model, provider)
        assert (hit is None) == (cost is None), (model, provider)
        if hit is None or cost is None:
            continue
        mine = expected_pico(hit.price, Usage(*tokens), provider)
        theirs_pico = to_pico(float(cost))
        assert theirs_pico is not None and abs(mine - theirs_pico) <= 2, (model, provider, tokens, mine, theirs_pico)
        compared += 1
    assert compared > 1000
