"""The cost audit: every logged request re-priced from its tokens and compared with the
cost LiteLLM logged (``spendtui audit``).

Per request (``core.repricing`` prices it, ``core.prices`` finds its price):

* **expected** cost: its tokens at its model's price; a cache hit or a failed request is
  expected to cost $0 (LiteLLM bills neither).
* **zero-cost**: logged at $0 with tokens (prompt + completion > 0), not a cache hit, not
  failed: the "missing cost data" finding.
* **drifted**: ``|logged - expected| > max(tolerance x expected, $0.000001)`` (tolerance 1 %
  unless asked otherwise). A zero-cost request is counted as zero-cost, not again here.
* **unpriced**: no price found for its model; its logged spend is counted apart
  (``unpriced_spend``) and its expected cost is unknown, not $0.

Rows group requests by one value (the model, unless asked otherwise); each keeps the
requests with the largest differences as examples, per kind of finding. Money is integer pico-dollars.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from spendtui.core.prices import ModelPrice, PriceMap, PriceMatch
from spendtui.core.repricing import Usage, expected_pico, rates_for
from spendtui.money import PICO

#: The least difference that counts as drift, whatever the tolerance: $0.000001.
DRIFT_FLOOR = PICO // 1_000_000
DEFAULT_TOLERANCE = Decimal("1")
EXAMPLES = 5
#: ``spendtui audit --by``: the column each groups by (``model``: the model group, else the model).
AUDIT_BY = {
    "model": None,
    "provider": "custom_llm_provider",
    "key": "api_key",
    "team": "team_id",
    "user": "user",
    "customer": "end_user",
}
#: The kinds of finding, in the order they are shown.
KINDS = ("zero-cost", "drifted", "unpriced")


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """One logged request as the audit needs it (``logged``: pico-dollars, None when the
    stored spend is not usable money)."""

    request_id: str
    start: str
    group: str
    #: What LiteLLM logged as ``model``, ``model_group`` and ``custom_llm_provider``
    #: (what the price is looked up by).
    model: str
    model_group: str
    provider: str
    prompt_tokens: int
    completion_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    reasoning_tokens: int
    logged: int | None
    cache_hit: bool
    failed: bool
    duration_ms: int | None = None
    #: Its UTC day (``YYYY-MM-DD``) and the cube's composite key, for ``core.audit_cells``.
    day: str = ""
    key: str = ""


@dataclass(frozen=True, slots=True)
class Example:
    """A finding's request: what was logged and what was expected (None: unpriced)."""

    kind: str
    request: AuditRequest
    expected: int | None

    @property
    def difference(self) -> int:
        return (self.request.logged or 0) - (self.expected or 0)


@dataclass
class AuditRow:
    """The audit of one group of requests."""

    name: str
    requests: int = 0
    logged_spend: int = 0
    #: Expected cost of the requests with a price, and what those requests logged.
    expected_spend: int = 0
    priced_logged_spend: int = 0
    unpriced_spend: int = 0
    zero_cost_requests: int = 0
    drifted_requests: int = 0
    unpriced_requests: int = 0
    #: Requests whose stored spend is not usable money (NULL, negative, NaN): not audited.
    unreadable_spend: int = 0
    #: The models of the unpriced requests (what a price file has to add).
    unpriced_models: set[str] = field(default_factory=set)
    _examples: dict[str, list[tuple[int, int, Example]]] = field(default_factory=dict, repr=False)

    @property
    def findings(self) -> int:
        return self.zero_cost_requests + self.drifted_requests + self.unpriced_requests

    @property
    def difference(self) -> int:
        """Logged minus expected, over the requests with a price."""
        return self.priced_logged_spend - self.expected_spend

    def examples(self, kind: str | None = None) -> list[Example]:
        """The findings (of ``kind``, else of every kind) with the largest differences
        (zero-cost requests without a price: the most tokens; unpriced ones: the most
        spend), largest first (ties: found first); up to the audit's ``examples`` per kind."""
        kinds = [kind] if kind else list(KINDS)
        items = [item for k in kinds for item in self._examples.get(k, [])]
        ordered = sorted(items, key=lambda item: (KINDS.index(item[2].kind), -item[0], -item[1]))
        return [e for _, _, e in ordered]

    def _keep(self, example: Example, limit: int, order: int | None = None) -> None:
        """Keep ``example`` if it is among the ``limit`` largest of its kind; ``order``:
        which finding of this row it is (1 for the first; default: the latest so far)."""
        heap = self._examples.setdefault(example.kind, [])
        item = (example_size(example), -(self.findings if order is None else order), example)  # (later loses ties)
        if len(heap) < limit:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)


def example_size(example: Example) -> int:
    """What ranks a finding among the examples: the difference, or (unpriced) the logged
    spend, or (a $0 request of a model without a price) the most tokens."""
    r = example.request
    if example.kind == "zero-cost" and example.expected is None:
        return r.prompt_tokens + r.completion_tokens
    return abs(example.difference) if example.expected is not None else r.logged or 0


#: What prices one request: its expected cost in pico-dollars, or None without a price.
Pricer = Callable[[AuditRequest], int | None]


def is_drift(logged: int, expected: int, tolerance: Decimal) -> bool:
    """Whether ``logged`` differs from ``expected`` by more than ``tolerance`` percent of it
    and at least ``DRIFT_FLOOR``."""
    allowed = max(int(Decimal(expected) * tolerance / 100), DRIFT_FLOOR)
    return abs(logged - expected) > allowed


def classify(request: AuditRequest, logged: int, price: Pricer, tolerance: Decimal) -> tuple[int | None, str | None]:
    """A request's expected cost (None: no price; 0 for a cache hit or a failure) and its
    finding (one of ``KINDS``, or None), by the module's rules."""
    free = request.cache_hit or request.failed
    expected = 0 if free else price(request)
    if logged == 0 and request.prompt_tokens + request.completion_tokens > 0 and not free:
        return expected, "zero-cost"
    if expected is None:
        return None, "unpriced"
    if is_drift(logged, expected, tolerance):
        return expected, "drifted"
    return expected, None


class Pricing:
    """Each request's expected cost at its model's price in ``prices`` (looked up once per
    model, model group and provider); None when there is no price, or an entry without
    any rate (LiteLLM would log such a request at $0 too: it is not a price).

    Whole pico-dollars per token and per request, not billed by time, are applied in
    integers, which is what ``expected_pico`` computes for them: to every request of a
    linear price, and to the requests below a threshold-tiered price's lowest threshold
    (``_integer_rates``); any other request goes through ``expected_pico``."""

    def __init__(self, prices: PriceMap) -> None:
        self.prices = prices
        self._found: dict[tuple[str, str, str], tuple[PriceMatch, tuple[int, ...] | None, int | None] | None] = {}
        #: The price found for each model as the dashboard names it (the model group, else
        #: the model): the candidates of the Costs pane's what-if.
        self.named: dict[str, PriceMatch] = {}

    def _match(self, r: AuditRequest) -> tuple[PriceMatch, tuple[int, ...] | None, int | None] | None:
        key = (r.model, r.provider, r.model_group)
        if key in self._found:
            return self._found[key]
        match = self.prices.lookup(r.model or None, r.provider or None, r.model_group or None)
        found = None
        if match is not None and match.price.has_prices:
            found = (match, *_integer_rates(match.price, r.provider or None))
            self.named.setdefault(r.model_group or r.model, match)
        self._found[key] = found
        return found

    def __call__(self, r: AuditRequest) -> int | None:
        found = self._match(r)
        if found is None:
            return None
        match, rates, below = found
        if rates is None or (below is not None and r.prompt_tokens >= below):
            return expected_pico(match.price, _usage(r), r.provider or None)
        rin, rout, rcr, rcw, rr, per_request = rates
        completion = max(r.completion_tokens, 0)
        reasoning = min(max(r.reasoning_tokens, 0), completion)
        uncached = max(r.prompt_tokens - r.cache_read_tokens - r.cache_creation_tokens, 0)
        return (
            per_request
            + uncached * rin
            + r.cache_read_tokens * rcr
            + r.cache_creation_tokens * rcw
            + (completion - reasoning) * rout
            + reasoning * rr
        )

    def rates_for(
        self, model: str, provider: str, model_group: str
    ) -> tuple[tuple[int, ...] | None, int | None] | None:
        """None without a price; else the integer rates (None when requests of this model
        must be priced one by one) and the prompt tokens from which they no longer apply
        (a threshold tier's; None: no limit)."""
        key = (model, provider, model_group)
        if key not in self._found:
            probe = AuditRequest("", "", "", model, model_group, provider, 0, 0, 0, 0, 0, None, False, False)
            self._match(probe)
        found = self._found[key]
        return None if found is None else (found[1], found[2])

    def has_price(self, r: AuditRequest) -> bool:
        """Whether ``r``'s model has a price."""
        return self._match(r) is not None

    def without_cache_reads(self, r: AuditRequest) -> int | None:
        """What ``r`` would cost with its cache-read tokens billed as uncached input."""
        return self(replace(r, cache_read_tokens=0)) if r.cache_read_tokens else self(r)


def _integer_rates(price: ModelPrice, provider: str | None) -> tuple[tuple[int, ...] | None, int | None]:
    """Pico-dollars per input, output, cache-read, cache-creation and reasoning token and
    per request, and the prompt tokens from which they stop applying (None: never).

    A linear price applies to every request. A price with threshold tiers (``…_above_200k
    _tokens``) applies its base rates to requests below its lowest threshold when those are
    whole pico-dollars; the requests at or above it are priced one by one. Range tiers,
    time billing and fractional pico-dollar rates: (None, None), every request on its own."""
    if price.tiers:
        return None, None
    r = rates_for(price, 0, provider)
    if r.per_second is not None:
        return None, None
    values = (r.input, r.output, r.cache_read, r.cache_creation, r.reasoning, r.per_request)
    if any(v * PICO != (v * PICO).to_integral_value() for v in values):
        return None, None
    below = min((t.above for t in price.thresholds), default=None)
    return tuple(int(v * PICO) for v in values), below


def _usage(r: AuditRequest) -> Usage:
    seconds = Decimal(r.duration_ms) / 1000 if r.duration_ms and r.duration_ms > 0 else Decimal(0)
    return Usage(
        r.prompt_tokens,
        r.completion_tokens,
        r.cache_read_tokens,
        r.cache_creation_tokens,
        r.reasoning_tokens,
        1,
        seconds,
    )


def pricer(prices: PriceMap) -> Pricing:
    """The ``Pricing`` of ``prices``."""
    return Pricing(prices)


@dataclass
class Audit:
    """Requests audited so far, per group and in total."""

    tolerance: Decimal = DEFAULT_TOLERANCE
    examples: int = EXAMPLES
    rows: dict[str, AuditRow] = field(default_factory=dict)
    total: AuditRow = field(default_factory=lambda: AuditRow("total"))

    def add_all(self, requests: Iterable[AuditRequest], price: Pricer) -> None:
        for request in requests:
            self.add(request, price)

    def add(self, request: AuditRequest, price: Pricer) -> None:
        row = self.rows.get(request.group)
        if row is None:
            row = self.rows[request.group] = AuditRow(request.group)
        logged = request.logged
        if logged is None:
            for r in (row, self.total):
                r.requests += 1
                r.unreadable_spend += 1
            return
        expected, kind = classify(request, logged, price, self.tolerance)
        for r in (row, self.total):
            r.requests += 1
            r.logged_spend += logged
            if expected is None:
                r.unpriced_spend += logged
                r.unpriced_requests += kind == "unpriced"
                r.unpriced_models.add(request.model)
            else:
                r.expected_spend += expected
                r.priced_logged_spend += logged
            r.zero_cost_requests += kind == "zero-cost"
            r.drifted_requests += kind == "drifted"
            if kind is not None:
                r._keep(Example(kind, request, expected), self.examples)

    def row(self, group: str) -> AuditRow:
        """The row of ``group`` (made empty when new)."""
        row = self.rows.get(group)
        if row is None:
            row = self.rows[group] = AuditRow(group)
        return row

    def add_sums(self, group: str, sums: dict[str, int], unpriced_models: Iterable[str] = ()) -> None:
        """Requests of ``group`` summed (``sums``: ``AuditRow`` counters by name) into its
        row and the total; their examples are kept apart (``AuditRow._keep``)."""
        models = set(unpriced_models)
        for r in (self.row(group), self.total):
            for name, value in sums.items():
                setattr(r, name, getattr(r, name) + value)
            r.unpriced_models |= models

    @property
    def findings(self) -> int:
        return self.total.findings

    def ordered(self) -> list[AuditRow]:
        """Rows with findings first (most first), then by logged spend."""
        return sorted(self.rows.values(), key=lambda r: (-r.findings, -r.logged_spend, r.name))
