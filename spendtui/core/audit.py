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
from dataclasses import dataclass, field
from decimal import Decimal

from spendtui.money import PICO

#: The least difference that counts as drift, whatever the tolerance: $0.000001.
DRIFT_FLOOR = PICO // 1_000_000
DEFAULT_TOLERANCE = Decimal("1")
EXAMPLES = 5
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
        """The findings (of ``kind``, else of every kind) with the largest differences,
        largest first (ties: found first); up to the audit's ``examples`` per kind."""
        kinds = [kind] if kind else list(KINDS)
        items = [item for k in kinds for item in self._examples.get(k, [])]
        ordered = sorted(items, key=lambda item: (KINDS.index(item[2].kind), -item[0], -item[1]))
        return [e for _, _, e in ordered]

    def _keep(self, example: Example, limit: int) -> None:
        heap = self._examples.setdefault(example.kind, [])
        item = (abs(example.difference), -self.findings, example)  # (a later finding loses a tie)
        if len(heap) < limit:
            heapq.heappush(heap, item)
        elif item[:2] > heap[0][:2]:
            heapq.heapreplace(heap, item)


#: What prices one request: its expected cost in pico-dollars, or None without a price.
Pricer = Callable[[AuditRequest], int | None]


def is_drift(logged: int, expected: int, tolerance: Decimal) -> bool:
    """Whether ``logged`` differs from ``expected`` by more than ``tolerance`` percent of it
    and at least ``DRIFT_FLOOR``."""
    allowed = max(int(Decimal(expected) * tolerance / 100), DRIFT_FLOOR)
    return abs(logged - expected) > allowed


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
        free = request.cache_hit or request.failed
        expected = 0 if free else price(request)
        tokens = request.prompt_tokens + request.completion_tokens
        kind = None
        if logged == 0 and tokens > 0 and not free:
            kind = "zero-cost"
        elif expected is None:
            kind = "unpriced"
        elif is_drift(logged, expected, self.tolerance):
            kind = "drifted"
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

    @property
    def findings(self) -> int:
        return self.total.findings

    def ordered(self) -> list[AuditRow]:
        """Rows with findings first (most first), then by logged spend."""
        return sorted(self.rows.values(), key=lambda r: (-r.findings, -r.logged_spend, r.name))
