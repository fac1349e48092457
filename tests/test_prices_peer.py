"""Prices against the real LiteLLM 1.108.7 peer: its ``/model/info`` through spendtui's own
HTTP layer, the spend it logged re-priced from the bundled snapshot, and custom prices.

Only reads, but for the custom-price probe, which removes what it adds. The peer is shared:
this file never restarts it nor sends completions."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from spendtui.core.price_files import bundled_prices
from spendtui.core.prices import RATE_FIELDS, layered
from spendtui.core.repricing import expected_pico, usage_from_log
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
