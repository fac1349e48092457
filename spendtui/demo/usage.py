"""The demo's token detail: prompt-cache reads and writes, reasoning tokens, and the
usage objects LiteLLM logs them in (``metadata.usage_object``), per model habits."""

from __future__ import annotations

import numpy as np

from spendtui.demo import catalog

#: Prompt caching by model: (usage shape, share of requests that read the cache, share of
#: the prompt read, share of requests that write it). Anthropic logs its own fields;
#: OpenAI-style providers ``prompt_tokens_details.cached_tokens`` (OpenAI caches prompts
#: of 1,024 tokens and more, in steps of 128). Other models: no caching.
CACHING: dict[str, tuple[str, float, tuple[float, float], float]] = {
    "claude-sonnet-4-5": ("anthropic", 0.6, (0.5, 0.9), 0.15),
    "claude-haiku-4-5": ("anthropic", 0.5, (0.4, 0.85), 0.12),
    "claude-opus-4-1": ("anthropic", 0.55, (0.5, 0.9), 0.2),
    "gpt-4o": ("openai", 0.4, (0.3, 0.8), 0.0),
    "gpt-4o-mini": ("openai", 0.35, (0.3, 0.8), 0.0),
    "gpt-4.1": ("openai", 0.45, (0.3, 0.85), 0.0),
    "gpt-4.1-mini": ("openai", 0.4, (0.3, 0.8), 0.0),
    "o4-mini": ("openai", 0.3, (0.3, 0.7), 0.0),
    "grok-code-fast-1": ("openai", 0.6, (0.5, 0.9), 0.0),
}


#: Reasoning by model: (share of requests that reason, share of the completion that is
#: reasoning), logged as OpenAI's ``completion_tokens_details.reasoning_tokens`` (part of
#: the completion tokens, as LiteLLM counts them).
REASONING: dict[str, tuple[float, tuple[float, float]]] = {
    "o4-mini": (1.0, (0.4, 0.85)),
    "grok-4-1-fast-reasoning": (1.0, (0.3, 0.8)),
    "perplexity-sonar-deep-research": (1.0, (0.5, 0.9)),
    "gemini-2.5-flash": (0.5, (0.2, 0.7)),
}


def cache_tokens(
    rng: np.random.Generator, model: np.ndarray, prompt: np.ndarray, failed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per request, its prompt-cache reads and writes (part of its prompt tokens, as LiteLLM
    logs them) for the models in ``CACHING``, from a random stream of their own (the other
    columns do not change)."""
    n = len(model)
    draw, share, write_draw, write_share = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    reads = np.zeros(n, dtype=np.int64)
    writes = np.zeros(n, dtype=np.int64)
    by_name = {m.name: i for i, m in enumerate(catalog.MODELS)}
    for name, (style, p_read, (lo, hi), p_write) in CACHING.items():
        mine = (model == by_name[name]) & ~failed
        read = np.where(mine & (draw < p_read), (prompt * (lo + (hi - lo) * share)).astype(np.int64), 0)
        if style == "openai":
            read = np.where(prompt >= 1024, read // 128 * 128, 0)
        write = np.where(mine & (write_draw < p_write), (prompt * (0.2 + 0.5 * write_share)).astype(np.int64), 0)
        write = np.minimum(write, prompt - read)
        reads = np.where(mine, read, reads)
        writes = np.where(mine, write, writes)
    return reads, writes


def reasoning_tokens(
    rng: np.random.Generator, model: np.ndarray, completion: np.ndarray, failed: np.ndarray
) -> np.ndarray:
    """Per request, its reasoning tokens (part of its completion tokens) for the models in
    ``REASONING``, from a random stream of their own."""
    n = len(model)
    draw, share = rng.random(n), rng.random(n)
    out = np.zeros(n, dtype=np.int64)
    by_name = {m.name: i for i, m in enumerate(catalog.MODELS)}
    for name, (p_reason, (lo, hi)) in REASONING.items():
        mine = (model == by_name[name]) & ~failed & (draw < p_reason)
        out = np.where(mine, (completion * (lo + (hi - lo) * share)).astype(np.int64), out)
    return out


def usage_objects(
    model: np.ndarray, prompt: np.ndarray, reads: np.ndarray, writes: np.ndarray, reasoning: np.ndarray
) -> list[str]:
    """Per request, the ``"usage_object": {...}`` member its metadata gets ('' for none):
    Anthropic's own cache fields for Claude, OpenAI's ``prompt_tokens_details.cached_tokens``
    for the other caching models, and ``completion_tokens_details.reasoning_tokens``."""
    out = [""] * len(model)
    anthropic = np.array([CACHING.get(m.name, ("",))[0] == "anthropic" for m in catalog.MODELS])[model]
    for i in np.flatnonzero((reads > 0) | (writes > 0) | (reasoning > 0)).tolist():
        p, r, w, z = int(prompt[i]), int(reads[i]), int(writes[i]), int(reasoning[i])
        fields = [f'"prompt_tokens": {p}']
        if r or w:
            if anthropic[i]:
                fields.append(f'"cache_read_input_tokens": {r}, "cache_creation_input_tokens": {w}')
            else:
                fields.append(f'"prompt_tokens_details": {{"cached_tokens": {r}}}')
        if z:
            fields.append(f'"completion_tokens_details": {{"reasoning_tokens": {z}}}')
        out[i] = f'"usage_object": {{{", ".join(fields)}}}'
    return out
