"""What the same requests would have cost on other models, and what the cache saved
(``spendtui report whatif``; the dashboard's Costs pane).

**The what-if.** Each logged request keeps its tokens (prompt, completion, cache read,
cache creation, reasoning; its duration for per-second prices) and is re-priced on each
candidate with LiteLLM's cost rule (``core.repricing``), integer pico-dollars. A candidate's
row: its ``spend`` on the requests it priced, the ``saving`` against what those requests
logged, and against what they were expected to cost at their own model's price (the
audit's expected cost). Cache hits and failed requests cost $0 on any model: they are left
out of the what-if (the cache hits are in the cache savings), and so are requests whose
logged spend is not usable money.

**Modes.** A request's mode is its logged model's ``mode`` in the price map (``chat`` when
the model has no price or no mode: said in a note). Candidates price only the requests of
their own mode (an embedding model does not answer chat requests): a slice with several
modes gets candidates per mode, ranked within it. ``priced_requests + unpriced_requests``
is always every request of the what-if.

**Candidates.** Given (``--models``: each name looked up as LiteLLM looks up a request's
model, a proxy's public model name included; an unknown name is an ``UnknownModel`` error
naming close matches), else, per mode, the ``top`` cheapest price-map entries of that mode
on these requests. Either way the logged models themselves are added, at their own price
(custom deployment prices included), marked ``logged``. Not automatic candidates: entries
that price these requests at $0 (self-hosted models, provisioned-throughput entries:
their cost is not per token), entries that bill no output tokens when the requests have
some (routers, embedding models listed as chat), and entries that cannot be priced exactly
from summed tokens (below). Rows are ranked cheapest first within each mode.

**Two entry points.**

* ``WhatIf.add(request)``, exact, per request. Requests are folded into sums per mode and
  per *prompt-size bucket*: the buckets are cut at every prompt size where any price of
  the map changes tier (threshold tiers, exclusive and inclusive, and range tiers), so all
  the requests of a bucket are billed at the same rates on every candidate. A candidate
  whose rates are whole pico-dollars per token, request and millisecond (nearly all: see
  ``is_linear``) then costs exactly the sum of its per-request costs, tiered candidates
  included; that is how the ~3,000 chat entries are ranked in one pass. The named
  candidates (``models``) are also priced request by request with ``expected_pico``, which
  also prices the few entries with rates below a pico-dollar (they are left out of the
  automatic ranking, with a note). The tests check that both ways agree.
* ``WhatIf.add_usage(ModelUsage)`` / ``whatif_from_sums``: summed usage per logged model
  (``Usage.requests > 1``), for a pane that only has token sums. Candidates with linear
  prices (``is_linear``) are priced exactly, with the same numbers as per request; tiered
  ones cannot be (the tier depends on each request's size): left out, with a note. Sums
  assume what every sane log row has: cache tokens within the prompt tokens, reasoning
  tokens within the completion tokens (per request, ``add`` clamps them as LiteLLM does).

**Cache savings** (at each request's own model's price, tiers resolved per request):
what the cache hits would have cost without the cache (their tokens at their model's
price); what the cache-read tokens saved, ``cache_read x (input rate - cache-read rate)``;
and the cache-creation premium as a negative saving, ``cache_creation x (input rate -
cache-creation rate)`` (negative where writing costs more than reading plain input).
Each term is rounded once per request to a pico-dollar (half-even). Per-second priced
models bill no tokens: no cache saving.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from spendtui.core.audit import AuditRequest
from spendtui.core.prices import ModelPrice, PriceMap, PriceMatch
from spendtui.core.repricing import Usage, expected_pico, is_linear, rates_for
from spendtui.core.whatif_pricing import Sums, Tally, bills_output, cuts, round_pico, sums_pico
from spendtui.core.whatif_types import (
    DEFAULT_MODE,
    CacheSavings,
    Candidate,
    CandidateCost,
    ModelUsage,
    WhatIfResult,
    mode_of,
)
from spendtui.money import PICO, format_usd_auto

#: ``--top``: automatic candidates per mode.
DEFAULT_TOP = 15
_PICO = Decimal(PICO)


class WhatIf:
    """The what-if of the requests added so far (see the module docstring).

    ``models``: the candidates asked for (``resolve_models``), else None for the ``top``
    cheapest of each mode. Feed it ``add`` (per request, exact) or ``add_usage`` (sums per
    logged model), then read ``result()``."""

    def __init__(self, prices: PriceMap, models: Sequence[Candidate] | None = None, top: int = DEFAULT_TOP) -> None:
        self.prices = prices
        self.models = None if models is None else list(models)
        self.top = top
        self.cache = CacheSavings()
        self.failed = 0
        self.unreadable = 0
        self.excluded_logged = 0
        self._cuts = cuts(prices)
        self._own: dict[tuple[str, str, str], PriceMatch | None] = {}
        #: (mode, prompt-size bucket, has an expected cost) -> sums
        self._buckets: dict[tuple[str, int, bool], Sums] = {}
        self._named = [Tally() for _ in self.models or ()]
        #: Named candidates priced from sums that could not be (``add_usage``).
        self._named_gaps: list[int] = [0 for _ in self.models or ()]
        self._logged: dict[str, Candidate] = {}
        self._unpriced_models: Counter[str] = Counter()
        self._modeless: set[str] = set()
        self._sum_notes: set[str] = set()

    # -- folding requests in ------------------------------------------------------------

    def add_all(self, requests: Iterable[AuditRequest]) -> None:
        for request in requests:
            self.add(request)

    def _match(self, model: str, provider: str, model_group: str) -> PriceMatch | None:
        key = (model, provider, model_group)
        if key not in self._own:
            match = self.prices.lookup(model or None, provider or None, model_group or None)
            self._own[key] = match if match is not None and match.price.has_prices else None
            if self._own[key] is not None and match is not None and not match.price.mode:
                self._modeless.add(match.key)
        return self._own[key]

    def _note_logged(self, match: PriceMatch, provider: str) -> None:
        if match.key not in self._logged:
            self._logged[match.key] = Candidate(
                match.key, match.price, provider or match.price.litellm_provider, logged=True
            )

    def add(self, request: AuditRequest) -> None:
        """One logged request (a cache hit or a failure only counts; see the module docstring)."""
        logged = request.logged
        if logged is None:
            self.unreadable += 1
            return
        match = self._match(request.model, request.provider, request.model_group)
        provider = request.provider or None
        seconds = Decimal(request.duration_ms) / 1000 if request.duration_ms and request.duration_ms > 0 else Decimal(0)
        usage = Usage(
            request.prompt_tokens,
            request.completion_tokens,
            request.cache_read_tokens,
            request.cache_creation_tokens,
            request.reasoning_tokens,
            1,
            seconds,
        )
        if request.cache_hit:
            self.excluded_logged += logged
            self.cache.cache_hits += 1
            if match is None:
                self.cache.unpriced_cache_hits += 1
            else:
                self.cache.hits_cost += expected_pico(match.price, usage, provider)
            return
        if request.failed:
            self.excluded_logged += logged
            self.failed += 1
            return
        own = match.price if match is not None else None
        mode = mode_of(own)
        expected = None if own is None else expected_pico(own, usage, provider)
        if match is None:
            self._unpriced_models[request.model or request.model_group] += 1
        else:
            self._note_logged(match, request.provider)
            if request.cache_read_tokens or request.cache_creation_tokens:
                self._cache_tokens(match.price, request.prompt_tokens, provider, usage)
        prompt = request.prompt_tokens
        key = (mode, bisect_right(self._cuts, prompt), expected is not None)
        s = self._buckets.get(key)
        if s is None:
            s = self._buckets[key] = Sums(prompt)
        completion = max(request.completion_tokens, 0)
        reasoning = min(max(request.reasoning_tokens, 0), completion)
        s.requests += 1
        s.uncached += max(prompt - request.cache_read_tokens - request.cache_creation_tokens, 0)
        s.cache_read += request.cache_read_tokens
        s.cache_creation += request.cache_creation_tokens
        s.output += completion - reasoning
        s.reasoning += reasoning
        if request.duration_ms and request.duration_ms > 0:
            s.ms = (s.ms or 0) + request.duration_ms
        s.logged += logged
        if expected is None:
            s.own_unpriced += 1
        else:
            s.expected += expected
        for candidate, tally in zip(self.models or (), self._named, strict=True):
            if candidate.mode == mode:
                cost = expected_pico(candidate.price, usage, candidate.provider)
                self._count(tally, 1, cost, logged, expected)

    @staticmethod
    def _count(tally: Tally, requests: int, cost: int, logged: int, expected: int | None) -> None:
        tally.priced += requests
        tally.spend += cost
        tally.logged += logged
        if expected is None:
            tally.own_unpriced += requests
        else:
            tally.expected += expected
            tally.compared += cost

    def _cache_tokens(self, price: ModelPrice, prompt: int, provider: str | None, usage: Usage) -> None:
        r = rates_for(price, prompt, provider)
        if r.per_second is not None:
            return
        self.cache.cache_read_tokens += usage.cache_read_tokens
        self.cache.cache_creation_tokens += usage.cache_creation_tokens
        self.cache.cache_read_saving += round_pico(usage.cache_read_tokens * (r.input - r.cache_read))
        self.cache.cache_creation_saving += round_pico(usage.cache_creation_tokens * (r.input - r.cache_creation))

    def add_usage(self, summed: ModelUsage) -> None:
        """One logged model's summed usage (see ``ModelUsage``): prices that depend on each
        request's size (tiers) cannot price it, and are left out with a note."""
        match = self._match(summed.model, summed.provider, summed.model_group)
        own = match.price if match is not None else None
        linear = own is not None and is_linear(own)
        provider = summed.provider or None
        u = summed.usage
        if summed.cache_hits is not None and summed.cache_hits.requests:
            hits = summed.cache_hits
            self.cache.cache_hits += hits.requests
            if own is None or not linear:
                self.cache.unpriced_cache_hits += hits.requests
                if own is not None:
                    self._sum_notes.add(match.key if match else summed.model)
            else:
                self.cache.hits_cost += expected_pico(own, hits, provider)
        if u.requests <= 0:
            return
        mode = mode_of(own)
        expected = expected_pico(own, u, provider) if own is not None and linear else None
        if match is None:
            self._unpriced_models[summed.model or summed.model_group] += u.requests
        else:
            self._note_logged(match, summed.provider)
            if not linear:
                self._sum_notes.add(match.key)
            elif u.cache_read_tokens or u.cache_creation_tokens:
                self._cache_tokens(match.price, 0, provider, u)
        reasoning = min(max(u.reasoning_tokens, 0), max(u.completion_tokens, 0))
        ms = u.seconds * 1000
        s = Sums(
            None,
            requests=u.requests,
            uncached=max(u.prompt_tokens - u.cache_read_tokens - u.cache_creation_tokens, 0),
            cache_read=u.cache_read_tokens,
            cache_creation=u.cache_creation_tokens,
            output=max(u.completion_tokens, 0) - reasoning,
            reasoning=reasoning,
            ms=int(ms) if ms == ms.to_integral_value() else None,
            logged=summed.logged,
            expected=expected or 0,
            own_unpriced=u.requests if expected is None else 0,
        )
        key = (mode, -1 - len(self._buckets), expected is not None)  # (each model apart: never merged)
        self._buckets[key] = s
        for i, candidate in enumerate(self.models or ()):
            if candidate.mode != mode:
                continue
            cost = sums_pico(candidate.price, candidate.provider, s)
            if cost is None:
                self._named_gaps[i] += u.requests
                continue
            self._count(self._named[i], u.requests, cost, summed.logged, expected)

    # -- the answer -----------------------------------------------------------------------

    def _price_buckets(self, candidate: Candidate, buckets: list[Sums]) -> Tally | None:
        """A candidate's cost over the buckets of its mode from sums; None when not exact."""
        tally = Tally()
        for s in buckets:
            cost = sums_pico(candidate.price, candidate.provider, s)
            if cost is None:
                return None
            self._count(tally, s.requests, cost, s.logged, None if s.own_unpriced else s.expected)
        return tally

    def _row(self, candidate: Candidate, tally: Tally, requests: int) -> CandidateCost:
        return CandidateCost(
            model=candidate.model,
            provider=candidate.provider,
            mode=candidate.mode,
            logged_model=candidate.logged,
            spend=tally.spend,
            logged_spend=tally.logged,
            expected_spend=tally.expected,
            expected_compared=tally.compared,
            expected_requests=tally.priced - tally.own_unpriced,
            priced_requests=tally.priced,
            unpriced_requests=requests - tally.priced,
        )

    def result(self) -> WhatIfResult:
        buckets_of: dict[str, list[Sums]] = {}
        for (mode, _, _), s in self._buckets.items():
            buckets_of.setdefault(mode, []).append(s)
        counts = {m: sum(s.requests for s in b) for m, b in buckets_of.items()}
        modes = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        requests = sum(modes.values())
        every = [s for b in buckets_of.values() for s in b]
        notes: list[str] = []
        rows: list[CandidateCost] = []
        free = inexact = 0
        left_out: list[str] = []
        named = self.models or []
        named_keys = {c.price.key for c in named}
        for mode, buckets in ((m, buckets_of[m]) for m in modes):
            mine: list[CandidateCost] = []
            billed_output = any(s.output or s.reasoning for s in buckets)
            if self.models is None:
                pool: list[CandidateCost] = []
                for price in self.prices.entries.values():
                    if price.mode != mode or not price.has_prices or price.key in self._logged:
                        continue
                    candidate = Candidate(price.key, price, price.litellm_provider)
                    tally = self._price_buckets(candidate, buckets)
                    if tally is None:
                        inexact += 1
                    elif tally.spend == 0 or (billed_output and not bills_output(price)):
                        free += 1
                    else:
                        pool.append(self._row(candidate, tally, requests))
                pool.sort(key=lambda row: (row.spend, row.model))
                mine += pool[: self.top]
            for candidate in self._logged.values():
                if candidate.mode != mode or candidate.price.key in named_keys:
                    continue
                tally = self._price_buckets(candidate, buckets)
                if tally is None:
                    left_out.append(candidate.model)
                else:
                    mine.append(self._row(candidate, tally, requests))
            for candidate, tally in zip(named, self._named, strict=True):
                if candidate.mode == mode:
                    logged = candidate.price.key in self._logged
                    shown = Candidate(candidate.model, candidate.price, candidate.provider, logged)
                    mine.append(self._row(shown, tally, requests))
            mine.sort(key=lambda row: (row.priced_requests < modes[mode], row.spend, not row.logged_model, row.model))
            rows += mine
        for candidate, tally, gaps in zip(named, self._named, self._named_gaps, strict=True):
            if candidate.mode not in modes:
                rows.append(self._row(candidate, tally, requests))
                notes.append(f"{candidate.model} is a {candidate.mode} model: none of these requests is one")
            elif gaps:
                notes.append(
                    f"{candidate.model}: {gaps:,} requests not priced (tiered or sub-pico-dollar prices need "
                    "each request's tokens, not sums)"
                )
        self._notes(notes, free, inexact, left_out)
        return WhatIfResult(
            requests=requests,
            logged_spend=sum(s.logged for s in every),
            expected_spend=sum(s.expected for s in every),
            unpriced_requests=sum(s.own_unpriced for s in every),
            modes=modes,
            candidates=rows,
            cache=self.cache,
            failed_requests=self.failed,
            unreadable_requests=self.unreadable,
            notes=notes,
        )

    def _notes(self, notes: list[str], free: int, inexact: int, left_out: list[str]) -> None:
        excluded = []
        if self.cache.cache_hits:
            excluded.append(f"{self.cache.cache_hits:,} cache hits")
        if self.failed:
            excluded.append(f"{self.failed:,} failed requests")
        if excluded:
            spent = f" (they logged {format_usd_auto(self.excluded_logged)})" if self.excluded_logged else ""
            notes.append(
                f"{' and '.join(excluded)} cost $0 on any model: left out of the what-if{spent}; "
                "the cache hits are in the cache savings"
            )
        if self.unreadable:
            notes.append(f"{self.unreadable:,} requests with a logged spend that is not usable money: left out")
        if self._unpriced_models:
            names = ", ".join(sorted(self._unpriced_models))
            n = sum(self._unpriced_models.values())
            notes.append(
                f"{n:,} requests of models without a price ({names}): compared as {DEFAULT_MODE}, "
                "no expected cost at their own price (add them with --prices FILE)"
            )
        if self._modeless:
            modeless = ", ".join(sorted(self._modeless))
            notes.append(f"models without a mode in the price map, compared as {DEFAULT_MODE}: {modeless}")
        if free:
            notes.append(
                f"{free:,} price-map entries price these requests at $0 or bill none of their output tokens "
                "(self-hosted, provisioned throughput, routers, embedding models listed as chat): not candidates"
            )
        if inexact:
            notes.append(
                f"{inexact:,} price-map entries cannot be priced exactly from summed tokens (tiered prices without "
                "each request's size, or rates below a pico-dollar): not candidates; name one with --models"
            )
        if left_out:
            notes.append(
                "logged models left out, not priceable exactly from summed tokens (tiered or sub-pico-dollar "
                "prices): " + ", ".join(sorted(set(left_out)))
            )
        if self._sum_notes:
            notes.append(
                "from summed tokens, no expected cost or cache saving for (tiered or sub-pico-dollar prices): "
                + ", ".join(sorted(self._sum_notes))
            )


def whatif_from_sums(
    prices: PriceMap,
    usages: Iterable[ModelUsage],
    models: Sequence[Candidate] | None = None,
    top: int = DEFAULT_TOP,
) -> WhatIfResult:
    """The what-if of summed usage per logged model (entry point (b), the module docstring)."""
    whatif = WhatIf(prices, models, top)
    for usage in usages:
        whatif.add_usage(usage)
    return whatif.result()
