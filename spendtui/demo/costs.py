"""What each demo request costs: what LiteLLM would have logged, with three deliberate problems.

**Normal requests check out.** A request's ``spend`` is LiteLLM 1.108.7's cost rule (the one
``core.repricing`` re-prices with) at the prices of LiteLLM's own price map, the snapshot
spendtui bundles (``core.price_files.bundled_prices``), found by LiteLLM's lookup of the
logged ``model``, ``custom_llm_provider`` and ``model_group`` (``core.prices``). It is
computed in float, as LiteLLM computes it: uncached prompt tokens (prompt minus cache reads
and writes) at the input rate, cache reads and writes at their own rates (the input rate
when the map has none), completion tokens at the output rate except reasoning tokens at the
reasoning rate where the map has one, and threshold tiers (``..._above_200k_tokens``) by
the request's prompt size. Cache hits and failed requests cost $0.

**A negotiated price.** ``claude-sonnet-4-5`` is a deployment added through the proxy's
API (``STORE_MODEL_IN_DB``) with a custom price, 20 % below list: it is stored in the demo
database's ``"LiteLLM_ProxyModelTable"`` (in ``model_info``, as numbers: LiteLLM keeps the
text values of ``litellm_params`` encrypted), and LiteLLM bills the deployment at it.

**Deliberate problems** (what ``spendtui audit`` and the Costs pane should find):

1. *A model missing from the price map*: ``deepseek-v4.1`` (``MISSING_FROM_MAP``), a new
   model LiteLLM's map does not know yet. LiteLLM cannot price it and logs its requests at
   $0 (the "Missing Cost Data" problem): zero-cost findings, every day, live ones included.
2. *A custom price lost for a few days*: from 14:20 UTC eleven days ago to 09:05 UTC eight
   days ago, ``claude-sonnet-4-5`` was logged at the public list price instead of its
   negotiated one, as after a cost-map reload dropped the custom pricing (LiteLLM issues
   #30081, #40649, #11975): every request of the window is drifted, 25 % over.
3. *Cache reads billed as normal input*: from 08:00 UTC twenty days ago to 17:30 UTC sixteen
   days ago, ``gpt-4.1``'s ``cached_tokens`` were billed at the full input rate instead of
   the cache-read rate (LiteLLM issues #34801, #11364): its requests that read the cache are
   drifted, over-billed.

The windows are ``incidents(now)``; the live simulator writes rows after them, so only the
missing model keeps finding new zero-cost requests.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import numpy as np

from spendtui.core.price_files import bundled_prices, parse_entry
from spendtui.core.prices import INCLUSIVE_THRESHOLD_PROVIDERS, TIERED_RATES, ModelPrice
from spendtui.demo import catalog

#: The demo model LiteLLM's map does not know (its requests are logged at $0).
MISSING_FROM_MAP = "deepseek-v4.1"
#: Deployments with a custom price stored in ``"LiteLLM_ProxyModelTable"`` (model_info
#: numbers, USD per token): Anthropic at 20 % below list.
CUSTOM_PRICES: dict[str, dict[str, float]] = {
    "claude-sonnet-4-5": {
        "input_cost_per_token": 2.4e-06,
        "output_cost_per_token": 1.2e-05,
        "cache_read_input_token_cost": 2.4e-07,
        "cache_creation_input_token_cost": 3e-06,
    },
}
LOST_CUSTOM_PRICE = "custom price lost"
CACHE_READS_AS_INPUT = "cache reads billed as input"
_MS = 1000


@dataclass(frozen=True)
class Incident:
    """A window in which LiteLLM logged one model's requests at the wrong cost."""

    kind: str
    model: str
    start: datetime
    end: datetime

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * _MS)

    @property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * _MS)


def incidents(now: datetime) -> tuple[Incident, ...]:
    """The lost-custom-price and cache-read windows of a demo database written at ``now``."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        Incident(
            CACHE_READS_AS_INPUT,
            "gpt-4.1",
            today - timedelta(days=20) + timedelta(hours=8),
            today - timedelta(days=16) + timedelta(hours=17, minutes=30),
        ),
        Incident(
            LOST_CUSTOM_PRICE,
            "claude-sonnet-4-5",
            today - timedelta(days=11) + timedelta(hours=14, minutes=20),
            today - timedelta(days=8) + timedelta(hours=9, minutes=5),
        ),
    )


@cache
def list_prices() -> tuple[ModelPrice | None, ...]:
    """Each demo model's public price (same order as ``catalog.MODELS``), found in the
    bundled snapshot by LiteLLM's lookup; None for ``MISSING_FROM_MAP``.

    ValueError when the snapshot prices a demo model in a way the demo does not compute
    (range tiers, per-request or per-second prices), or misses one it should know."""
    snapshot = bundled_prices()
    out: list[ModelPrice | None] = []
    for m in catalog.MODELS:
        hit = snapshot.lookup(m.litellm_model, m.provider, m.name)
        if m.name == MISSING_FROM_MAP:
            if hit is not None:
                raise ValueError(f"{m.name} is in LiteLLM's price map now: choose another missing model")
            out.append(None)
            continue
        if hit is None or not hit.price.has_prices:
            raise ValueError(f"LiteLLM's price map has no price for {m.litellm_model}")
        price = hit.price
        if price.tiers or price.input_cost_per_request or price.cost_per_second or price.input_cost_per_second:
            raise ValueError(f"{price.key}: prices the demo does not compute")
        out.append(price)
    return tuple(out)


@cache
def billed_prices() -> tuple[ModelPrice | None, ...]:
    """What LiteLLM bills each demo model at: its deployment's custom price laid over the
    public one where ``CUSTOM_PRICES`` has one, else the public price."""
    out: list[ModelPrice | None] = []
    for m, public in zip(catalog.MODELS, list_prices(), strict=True):
        custom = CUSTOM_PRICES.get(m.name)
        if custom is not None and public is not None:
            out.append(parse_entry(m.name, custom, "demo deployment").over(public))
        else:
            out.append(public)
    return tuple(out)


def _cost(
    price: ModelPrice,
    provider: str,
    prompt: np.ndarray,
    completion: np.ndarray,
    read: np.ndarray,
    write: np.ndarray,
    reasoning: np.ndarray,
    reads_as_input: bool = False,
) -> np.ndarray:
    """LiteLLM's cost of each request at ``price``, in float (see the module docstring)."""
    n = len(prompt)
    rates: dict[str, np.ndarray] = {}
    for name in TIERED_RATES:
        value = price.rate(name)
        rates[name] = np.full(n, np.nan if value is None else float(value))
    inclusive = (provider or price.litellm_provider) in INCLUSIVE_THRESHOLD_PROVIDERS
    for t in price.thresholds:  # ascending: the highest threshold crossed wins
        crossed = (prompt > t.above) | ((prompt == t.above) if inclusive else False)
        rates[t.rate][crossed] = float(t.value)
    input_rate = np.nan_to_num(rates["input_cost_per_token"], nan=0.0)
    output_rate = np.nan_to_num(rates["output_cost_per_token"], nan=0.0)
    cache_read = rates["cache_read_input_token_cost"]
    cache_read = np.where(np.isnan(cache_read), input_rate, cache_read)
    cache_creation = rates["cache_creation_input_token_cost"]
    cache_creation = np.where(np.isnan(cache_creation), input_rate, cache_creation)
    if reads_as_input:
        cache_read = input_rate
    reasoning_price = price.output_cost_per_reasoning_token
    reasoning_rate = output_rate if reasoning_price is None else np.full(n, float(reasoning_price))
    uncached = np.maximum(prompt - read - write, 0)
    thought = np.minimum(np.maximum(reasoning, 0), np.maximum(completion, 0))
    return (
        uncached * input_rate
        + read * cache_read
        + write * cache_creation
        + (np.maximum(completion, 0) - thought) * output_rate
        + thought * reasoning_rate
    )


def request_spend(
    model: np.ndarray,
    prompt: np.ndarray,
    completion: np.ndarray,
    read: np.ndarray,
    write: np.ndarray,
    reasoning: np.ndarray,
    start_ms: np.ndarray,
    free: np.ndarray,
    windows: tuple[Incident, ...] = (),
) -> np.ndarray:
    """The ``spend`` LiteLLM logs for each request (``model``: indexes into
    ``catalog.MODELS``; ``free``: cache hits and failures, logged at $0), with the
    ``windows``' incidents applied to the requests that started inside them."""
    spend = np.zeros(len(model))
    billed, public = billed_prices(), list_prices()
    for i, m in enumerate(catalog.MODELS):
        rows = np.flatnonzero((model == i) & ~free)
        price = billed[i]
        if rows.size == 0 or price is None:
            continue  # (the model missing from the map: LiteLLM logs $0)
        args = (m.provider, prompt[rows], completion[rows], read[rows], write[rows], reasoning[rows])
        cost = _cost(price, *args)
        for w in windows:
            if w.model != m.name:
                continue
            inside = (start_ms[rows] >= w.start_ms) & (start_ms[rows] < w.end_ms)
            if not inside.any():
                continue
            if w.kind == LOST_CUSTOM_PRICE:
                list_price = public[i]
                assert list_price is not None
                cost = np.where(inside, _cost(list_price, *args), cost)
            elif w.kind == CACHE_READS_AS_INPUT:
                cost = np.where(inside, _cost(price, *args, reads_as_input=True), cost)
            else:
                raise ValueError(f"unknown incident kind {w.kind!r}")
        spend[rows] = cost
    return spend


def _sealed(seed: int, what: str) -> str:
    """A stand-in for a value LiteLLM stores encrypted with the proxy's salt key."""
    return hashlib.sha256(f"{seed}:{what}".encode()).hexdigest()[:48]


def write_deployments(conn: sqlite3.Connection, seed: int, now: datetime) -> None:
    """The ``"LiteLLM_ProxyModelTable"`` rows of the deployments with a custom price
    (added through the proxy's API two months before ``now``)."""
    added = (now - timedelta(days=60)).strftime("%Y-%m-%d %H:%M:%S.000")
    by_name = {m.name: m for m in catalog.MODELS}
    rows = []
    for name, prices in CUSTOM_PRICES.items():
        model = by_name[name]
        model_id = str(uuid.UUID(hashlib.sha256(f"{seed}:deployment:{name}".encode()).hexdigest()[:32]))
        params = {"model": _sealed(seed, model.litellm_model), "api_key": _sealed(seed, f"{model.provider}-key")}
        info = {"id": model_id, "db_model": True, **prices}
        rows.append((model_id, name, json.dumps(params), json.dumps(info), added, "admin", added, "admin"))
    conn.executemany(
        'INSERT INTO "LiteLLM_ProxyModelTable" (model_id, model_name, litellm_params, model_info, created_at, '
        "created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
