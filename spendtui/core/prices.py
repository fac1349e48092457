"""Model prices in LiteLLM's ``model_prices_and_context_window.json`` shape, and how a
logged request finds its price.

A :class:`PriceMap` holds one source's prices (a ``--prices`` file, the proxy's
``/model/info``, the database's ``"LiteLLM_ProxyModelTable"``, or the LiteLLM snapshot
bundled with spendtui) under the keys LiteLLM uses (``gpt-4o``, ``gemini/gemini-2.5-pro``,
``xai/grok-code-fast-1``...). Every amount is an exact :class:`~decimal.Decimal` USD.

**Lookup** (``PriceMap.lookup``), after LiteLLM 1.108.7's ``cost_per_token`` and
``get_model_info`` (``cost_calculator.py``, ``utils.py``), for one spend-log row's
``model``, ``custom_llm_provider`` and ``model_group``:

1. **The deployment's own price**: the proxy and the database price each deployment by
   its public name (``model_group``), including custom ``model_info`` prices. When the
   row's ``model_group`` has one, it wins; the fields it leaves unset come from the
   public price of the deployment's underlying model (found by steps 2-3 below), as
   LiteLLM lays a deployment's ``model_info`` over the map's entry.
2. **The logged model**, trying these keys in order and taking the first one present
   whose ``litellm_provider`` agrees with the row's provider (see ``provider_matches``):
   ``provider/model`` (``model`` itself when it already starts with ``provider/``);
   ``model``; ``model`` without its first ``/`` segment (``bedrock/x`` -> ``x``); then
   the same with a dated snapshot suffix removed (``gpt-4o-2024-08-06`` -> ``gpt-4o``):
   ``provider/stripped`` and ``stripped``. A key matches exactly, else ignoring case.
3. **The model group's underlying model**: when the row's ``model`` is empty or not
   priced, the model the proxy routes ``model_group`` to (``litellm_params.model``, known
   from the proxy or database source) goes through step 2, and then ``model_group``
   itself does (a public name that is itself a LiteLLM model name).

Not found: ``None`` (the request is *unpriced*; never a silent $0). LiteLLM's further
fallbacks are not followed: provider-specific renames (Azure deployment aliases, Vertex
``@latest``/llama names, Bedrock ARNs and region paths, Bedrock Mantle), ``ft:`` fine-tune
names, region-specific keys, and its "capability generalization" rules for unmapped models.

Layering (``layered``): sources are laid over each other **per field**, the first source
that sets a field wins, as LiteLLM's ``register_model`` merges a new entry into an existing
one. A match names the highest source that had the key (``PriceMatch.source``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal

#: The per-token rates a threshold tier can change, and the per-model fields spendtui reads.
TIERED_RATES = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
)
RATE_FIELDS = (
    *TIERED_RATES,
    "output_cost_per_reasoning_token",
    "input_cost_per_request",
    "cost_per_second",
    "input_cost_per_second",
    "output_cost_per_second",
)
#: ``input_cost_per_token_above_200k_tokens``: the standard tiers only (not the
#: ``_batches``/``_priority``/``_flex`` service-tier variants, which spendtui cannot tell).
THRESHOLD_KEY = re.compile(rf"^({'|'.join(TIERED_RATES)})_above_(\d+(?:\.\d+)?)(k?)_tokens$")
_DATED_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$")
#: Providers whose threshold tiers start *at* the threshold (LiteLLM: ``>=``, others ``>``).
INCLUSIVE_THRESHOLD_PROVIDERS = frozenset({"xai"})


@dataclass(frozen=True)
class ThresholdRate:
    """``<rate>_above_<N>_tokens``: ``rate`` costs ``value`` when a request's prompt
    tokens exceed ``above`` (reach it, for ``INCLUSIVE_THRESHOLD_PROVIDERS``)."""

    rate: str
    above: int
    value: Decimal


@dataclass(frozen=True)
class RangeTier:
    """One entry of a ``tiered_pricing`` list (Alibaba/Dashscope): every token of a
    request whose prompt tokens fall in ``(start, end]`` is billed at this tier's rates."""

    start: Decimal
    end: Decimal
    input_cost_per_token: Decimal | None = None
    output_cost_per_token: Decimal | None = None
    cache_read_input_token_cost: Decimal | None = None
    cache_creation_input_token_cost: Decimal | None = None
    output_cost_per_reasoning_token: Decimal | None = None


@dataclass(frozen=True)
class ModelPrice:
    """One model's prices (USD; ``None``: the field is not set) and what it is."""

    key: str
    litellm_provider: str | None = None
    mode: str | None = None
    input_cost_per_token: Decimal | None = None
    output_cost_per_token: Decimal | None = None
    cache_read_input_token_cost: Decimal | None = None
    cache_creation_input_token_cost: Decimal | None = None
    output_cost_per_reasoning_token: Decimal | None = None
    input_cost_per_request: Decimal | None = None
    cost_per_second: Decimal | None = None
    input_cost_per_second: Decimal | None = None
    output_cost_per_second: Decimal | None = None
    thresholds: tuple[ThresholdRate, ...] = ()
    tiers: tuple[RangeTier, ...] = ()

    def rate(self, name: str) -> Decimal | None:
        """A field of ``RATE_FIELDS`` by name."""
        value = getattr(self, name)
        assert value is None or isinstance(value, Decimal)
        return value

    @property
    def has_prices(self) -> bool:
        """Whether any price is set (a mapped model without one prices every request at $0)."""
        return any(self.rate(n) is not None for n in RATE_FIELDS) or bool(self.thresholds or self.tiers)

    @property
    def tiered(self) -> bool:
        """Whether the rates depend on each request's prompt size (threshold or range tiers)."""
        return bool(self.thresholds or self.tiers)

    def over(self, base: ModelPrice) -> ModelPrice:
        """These prices laid over ``base``: each field set here wins, the rest come from ``base``."""
        changes: dict[str, object] = {}
        for f in fields(self):
            if f.name in ("key", "thresholds", "tiers"):
                continue
            if getattr(self, f.name) is None:
                changes[f.name] = getattr(base, f.name)
        mine = {(t.rate, t.above) for t in self.thresholds}
        extra = tuple(t for t in base.thresholds if (t.rate, t.above) not in mine)
        changes["thresholds"] = tuple(sorted((*self.thresholds, *extra), key=lambda t: (t.above, t.rate)))
        changes["tiers"] = self.tiers or base.tiers
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PriceMatch:
    """The price found for a request: under which key, how, and from which source."""

    key: str
    price: ModelPrice
    how: str
    source: str


def provider_matches(entry_provider: str | None, provider: str | None) -> bool:
    """Whether a map entry of ``entry_provider`` may price a request to ``provider``
    (LiteLLM's ``_check_provider_match``): no provider on either side, the same one, the
    same family (``vertex_ai*``, ``fireworks_ai*``, ``bedrock*``), any entry for
    ``litellm_proxy``, and ``azure``/``openai`` entries for ``azure_ai``."""
    if not provider or not entry_provider or entry_provider == provider:
        return True
    for family in ("vertex_ai", "fireworks_ai"):
        if provider == family and entry_provider.startswith(family):
            return True
    if provider.startswith("bedrock") and entry_provider.startswith("bedrock"):
        return True
    return provider == "litellm_proxy" or (provider == "azure_ai" and entry_provider in ("azure", "openai"))


def candidate_keys(model: str, provider: str | None) -> Iterator[tuple[str, str]]:
    """The keys step 2 of the lookup tries for ``model``, each with how it was formed."""
    prefix = f"{provider}/" if provider else ""
    yield (model if prefix and model.startswith(prefix) else prefix + model), "provider/model"
    yield model, "model"
    if "/" in model:
        yield model.split("/", 1)[1], "model without its provider prefix"
    stripped = _DATED_SUFFIX.sub("", model.split("/", 1)[1] if prefix and model.startswith(prefix) else model)
    if stripped != model:
        yield prefix + stripped, "provider/model without its date suffix"
        yield stripped, "model without its date suffix"


@dataclass(frozen=True)
class PriceMap:
    """One source's prices.

    ``entries``: model prices by LiteLLM key. ``deployments``: a proxy's per-deployment
    prices by public model name (``model_group``); ``groups``: the underlying model each
    public name routes to. ``origins``: the source of each entry (layered maps only).
    """

    entries: Mapping[str, ModelPrice]
    source: str
    date: str | None = None
    deployments: Mapping[str, ModelPrice] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    origins: Mapping[str, str] = field(default_factory=dict)
    _folded: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded: dict[str, str] = {}
        for key in self.entries:
            folded.setdefault(key.lower(), key)
        object.__setattr__(self, "_folded", folded)

    def __len__(self) -> int:
        return len(self.entries)

    def origin(self, key: str) -> str:
        return self.origins.get(key, self.source)

    def entry(self, key: str) -> ModelPrice | None:
        """The entry under ``key``, matched exactly, else ignoring case."""
        found = self.entries.get(key)
        if found is None and (real := self._folded.get(key.lower())) is not None:
            found = self.entries[real]
        return found

    def _model(self, model: str, provider: str | None) -> PriceMatch | None:
        for key, how in candidate_keys(model, provider):
            price = self.entry(key)
            if price is not None and provider_matches(price.litellm_provider, provider):
                return PriceMatch(price.key, price, how, self.origin(price.key))
        return None

    def lookup(
        self, model: str | None, provider: str | None = None, model_group: str | None = None
    ) -> PriceMatch | None:
        """The price of a request logged with these ``model``, ``custom_llm_provider`` and
        ``model_group`` (the module docstring has the rule); None when it has none."""
        provider = provider or None
        public = self._model(model, provider) if model else None
        underlying = self.groups.get(model_group) if model_group else None
        if public is None and underlying:
            public = self._model(underlying, provider)
            if public is not None:
                public = replace(public, how=f"{public.how} (the model group's underlying model)")
        deployment = self.deployments.get(model_group) if model_group else None
        if deployment is not None:
            price = deployment if public is None else deployment.over(public.price)
            return PriceMatch(deployment.key, price, "model group's deployment price", self.origin(deployment.key))
        if public is None and model_group:
            public = self._model(model_group, provider)
            if public is not None:
                public = replace(public, how=f"{public.how} (the model group)")
        return public


def layered(maps: Iterable[PriceMap]) -> PriceMap:
    """``maps`` laid over each other, the first one highest, per field (see the module
    docstring). The result's ``source`` lists them; its ``date`` is the first date given."""
    ordered = list(maps)
    if not ordered:
        raise ValueError("layered() needs at least one price map")
    entries: dict[str, ModelPrice] = {}
    origins: dict[str, str] = {}
    deployments: dict[str, ModelPrice] = {}
    groups: dict[str, str] = {}
    for m in ordered:
        for key, price in m.entries.items():
            entries[key] = entries[key].over(price) if key in entries else price
            origins.setdefault(key, m.origin(key))
        for group, price in m.deployments.items():
            deployments[group] = deployments[group].over(price) if group in deployments else price
            origins.setdefault(price.key, m.origin(price.key))
        for group, model in m.groups.items():
            groups.setdefault(group, model)
    return PriceMap(
        entries=entries,
        source=", then ".join(m.source for m in ordered),
        date=next((m.date for m in ordered if m.date), None),
        deployments=deployments,
        groups=groups,
        notes=tuple(n for m in ordered for n in m.notes),
        origins=origins,
    )
