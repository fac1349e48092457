"""What a request should have cost, from its tokens and a model's price (``core.prices``).

The rule follows LiteLLM 1.108.7's ``generic_cost_per_token`` and ``cost_per_token``
(``litellm_core_utils/llm_cost_calc/utils.py``, ``cost_calculator.py``), for text:

* **Prompt.** LiteLLM's logged ``prompt_tokens`` *include* the cache-read and the
  cache-creation tokens, for every provider (its Anthropic adapter adds Anthropic's
  separate cache counts in). So ``uncached = max(prompt - cache_read - cache_creation, 0)``
  and ``input = uncached x input rate + cache_read x cache-read rate + cache_creation x
  cache-creation rate``. A model without a cache-read (cache-creation) rate bills those
  tokens at its input rate; an explicit 0 is a real price.
* **Completion.** Reasoning tokens are *part of* ``completion_tokens``. ``output =
  (completion - reasoning) x output rate + reasoning x reasoning rate``, the reasoning rate
  being ``output_cost_per_reasoning_token`` when set, else the output rate (so, without
  a reasoning price, ``completion x output rate``). ``reasoning`` is capped at ``completion``.
* **Threshold tiers** (``<rate>_above_<N>[k]_tokens``): when a request's ``prompt_tokens``
  exceed N (reach N for xAI), each of the input, output, cache-read and cache-creation
  rates is the one of the highest such N that sets it, else the flat rate. A missing
  cache rate then falls back to the (tiered) input rate. The reasoning rate is not tiered:
  ``output_cost_per_reasoning_token`` when set, else the tiered output rate.
* **Range tiers** (``tiered_pricing``, Dashscope), checked first: the tier with ``start <
  prompt <= end`` (above the last: the last) prices every token: input; output (else the
  model's output rate); cache read and creation (else the tier's input rate); reasoning
  (the tier's reasoning rate, else its output rate, else as above). A tier without an
  input rate, or a request without prompt tokens, falls back to the flat rates.
* **Per second**: a model with no positive input or output token rate and no range tiers,
  of mode chat, completion, embedding, responses, audio_transcription or none, costs
  ``seconds x (cost_per_second, else input_cost_per_second, else output_cost_per_second)``
  and nothing per token.
* **Per request** (``input_cost_per_request``, four legacy Perplexity entries in the
  snapshot): ``requests x`` that price is **added**. LiteLLM 1.108.7 ignores this field,
  so LiteLLM logs those requests without it: the audit will call them drifted, on purpose
  (the provider bills it).

Exact: the sum is a Decimal of the exact prices, rounded **once** to a pico-dollar
(ROUND_HALF_EVEN) per request. ``is_linear`` says when summed tokens of many requests
may be priced at once (``Usage.requests > 1``) with the same result as pricing each
request and adding the rounded costs: no tiers, and every rate a whole number of
pico-dollars per token, per request and per millisecond.

Not implemented (spendtui has no column for what selects them, or they are provider
add-ons): service tiers (``_flex``/``_priority``/...), batch prices (``_batches``),
off-peak windows, regional uplifts (OpenAI data residency, Vertex regional endpoints,
Anthropic ``inference_geo``/``speed`` multipliers), Anthropic's 1-hour cache writes
(``cache_creation_input_token_cost_above_1hr``: all writes are priced at the 5-minute
rate), Fireworks' default cache-read discount, xAI's provider-reported cost, audio, image,
video and character prices, web-search and tool-call fees, ``input_cost_per_token_cache_hit``
and LiteLLM's non-chat calculators (speech, rerank, OCR, image and video generation,
transcription by file length). For those, spendtui prices the text tokens only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from spendtui.core.cache_tokens import cache_tokens, usage_values
from spendtui.core.measures import MAX_TOKENS
from spendtui.core.prices import INCLUSIVE_THRESHOLD_PROVIDERS, TIERED_RATES, ModelPrice, RangeTier
from spendtui.money import PICO

_WALL_CLOCK_MODES = frozenset({"chat", "completion", "embedding", "responses", "audio_transcription"})
_PICO = Decimal(PICO)


@dataclass(frozen=True)
class Usage:
    """What one request used (or several requests together, when the price is linear)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0
    requests: int = 1
    #: Duration (per-second prices): ``request_duration_ms / 1000``, exact.
    seconds: Decimal = Decimal(0)


@dataclass(frozen=True)
class Rates:
    """The per-unit rates one request is billed at (USD)."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_creation: Decimal
    reasoning: Decimal
    per_request: Decimal
    per_second: Decimal | None


def _range_tier(price: ModelPrice, prompt_tokens: int) -> RangeTier | None:
    if not price.tiers or prompt_tokens <= 0:
        return None
    tier = next((t for t in price.tiers if t.start < prompt_tokens <= t.end), price.tiers[-1])
    return tier if tier.input_cost_per_token is not None else None


def _threshold_rates(price: ModelPrice, prompt_tokens: int, inclusive: bool) -> dict[str, Decimal | None]:
    """Each tiered rate at the highest threshold crossed that sets it, else the flat rate."""
    rates: dict[str, Decimal | None] = {name: price.rate(name) for name in TIERED_RATES}
    for t in price.thresholds:  # sorted by threshold, ascending
        if prompt_tokens > t.above or (inclusive and prompt_tokens == t.above):
            rates[t.rate] = t.value
    return rates


def _per_second(price: ModelPrice) -> Decimal | None:
    """The per-second rate when the model is billed by time instead of tokens."""
    token_priced = any((price.rate(n) or 0) > 0 for n in ("input_cost_per_token", "output_cost_per_token"))
    if token_priced or price.tiers or (price.mode is not None and price.mode not in _WALL_CLOCK_MODES):
        return None
    for name in ("cost_per_second", "input_cost_per_second", "output_cost_per_second"):
        if (rate := price.rate(name)) is not None:
            return rate
    return None


def rates_for(price: ModelPrice, prompt_tokens: int, provider: str | None = None) -> Rates:
    """The rates a request with ``prompt_tokens`` is billed at (tiers resolved)."""
    zero = Decimal(0)
    per_request = price.input_cost_per_request or zero
    per_second = _per_second(price)
    reasoning_price = price.output_cost_per_reasoning_token
    tier = _range_tier(price, prompt_tokens)
    if tier is not None:
        assert tier.input_cost_per_token is not None
        tier_input = tier.input_cost_per_token
        output = tier.output_cost_per_token
        if output is None:
            output = price.output_cost_per_token or zero
        if tier.output_cost_per_reasoning_token is not None:
            reasoning = tier.output_cost_per_reasoning_token
        elif tier.output_cost_per_token is not None:
            reasoning = tier.output_cost_per_token
        else:
            reasoning = reasoning_price if reasoning_price is not None else output
        return Rates(
            input=tier_input,
            output=output,
            cache_read=tier.cache_read_input_token_cost if tier.cache_read_input_token_cost is not None else tier_input,
            cache_creation=(
                tier.cache_creation_input_token_cost if tier.cache_creation_input_token_cost is not None else tier_input
            ),
            reasoning=reasoning,
            per_request=per_request,
            per_second=per_second,
        )
    inclusive = (provider or price.litellm_provider) in INCLUSIVE_THRESHOLD_PROVIDERS
    r = _threshold_rates(price, prompt_tokens, inclusive)
    input_rate = r["input_cost_per_token"] or zero
    output = r["output_cost_per_token"] or zero
    cache_read = r["cache_read_input_token_cost"]
    cache_creation = r["cache_creation_input_token_cost"]
    return Rates(
        input=input_rate,
        output=output,
        cache_read=input_rate if cache_read is None else cache_read,
        cache_creation=input_rate if cache_creation is None else cache_creation,
        reasoning=output if reasoning_price is None else reasoning_price,
        per_request=per_request,
        per_second=per_second,
    )


def is_linear(price: ModelPrice) -> bool:
    """Whether summed usage of many requests costs exactly the sum of their rounded costs:
    no tiers, and every rate a whole number of pico-dollars per token, request and ms."""
    if price.tiered:
        return False
    r = rates_for(price, 0)
    per_unit = [r.input, r.output, r.cache_read, r.cache_creation, r.reasoning, r.per_request]
    per_ms = [] if r.per_second is None else [r.per_second / 1000]
    return all((rate * _PICO) == (rate * _PICO).to_integral_value() for rate in [*per_unit, *per_ms])


def expected_pico(price: ModelPrice, usage: Usage, provider: str | None = None) -> int:
    """The cost of ``usage`` at ``price`` in pico-dollars, rounded once (half-even).

    ``usage.requests > 1`` (summed usage) needs ``is_linear(price)``: ValueError otherwise,
    since tiers are chosen per request."""
    if usage.requests != 1 and not is_linear(price):
        raise ValueError(f"{price.key}: tiered or sub-pico prices; price each request on its own")
    r = rates_for(price, usage.prompt_tokens, provider)
    with localcontext() as ctx:
        ctx.prec = 60
        total = r.per_request * usage.requests
        if r.per_second is not None:
            total += r.per_second * usage.seconds
        else:
            uncached = max(usage.prompt_tokens - usage.cache_read_tokens - usage.cache_creation_tokens, 0)
            reasoning = min(max(usage.reasoning_tokens, 0), max(usage.completion_tokens, 0))
            total += uncached * r.input + usage.cache_read_tokens * r.cache_read
            total += usage.cache_creation_tokens * r.cache_creation
            total += (max(usage.completion_tokens, 0) - reasoning) * r.output + reasoning * r.reasoning
        return int((total * _PICO).to_integral_value(ROUND_HALF_EVEN))


#: Where the usage object keeps reasoning tokens (OpenAI's shape, which LiteLLM logs).
REASONING_PATH = ("completion_tokens_details", "reasoning_tokens")


def reasoning_tokens(usage_object: object) -> int:
    """Reasoning tokens from a logged usage object, read like ``cache_tokens`` reads cache
    tokens: a JSON number (true/false as 1/0), its whole part, 0 when absent or beyond
    ``MAX_TOKENS``."""
    node: object = usage_object
    for part in REASONING_PATH:
        node = node.get(part) if isinstance(node, Mapping) else None
    if isinstance(node, bool):
        return int(node)
    if isinstance(node, (int, float)) and node == node and -MAX_TOKENS <= node <= MAX_TOKENS:
        return int(node)
    return 0


def usage_from_log(
    prompt_tokens: int, completion_tokens: int, usage_object: object, duration_ms: int | None = None
) -> Usage:
    """One spend-log row's usage: its token columns, plus cache and reasoning tokens from
    ``metadata.usage_object`` and ``request_duration_ms``."""
    read, write = cache_tokens(usage_values(usage_object))
    seconds = Decimal(duration_ms) / 1000 if duration_ms is not None and duration_ms > 0 else Decimal(0)
    return Usage(prompt_tokens, completion_tokens, read, write, reasoning_tokens(usage_object), 1, seconds)
