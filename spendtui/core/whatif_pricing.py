"""How the what-if prices requests in bulk (``core.whatif``): requests billed alike on
every candidate summed into buckets (one mode, one prompt-size range between two tier
cuts), and a bucket's exact cost at a price when it can be had from sums (whole
pico-dollar rates; a tiered price needs the bucket's prompt size)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from spendtui.core.prices import ModelPrice, PriceMap
from spendtui.core.repricing import rates_for
from spendtui.money import PICO

_PICO = Decimal(PICO)


@dataclass
class Sums:
    """Requests billed alike on every candidate: one mode and one prompt-size bucket
    (``prompt``: a prompt size of the bucket; None for sums of unknown sizes)."""

    prompt: int | None
    requests: int = 0
    uncached: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    output: int = 0
    reasoning: int = 0
    #: Milliseconds (per-second prices); None when not a whole number of them.
    ms: int | None = 0
    logged: int = 0
    expected: int = 0
    own_unpriced: int = 0


@dataclass
class Tally:
    """A candidate's cost, accumulated."""

    spend: int = 0
    logged: int = 0
    expected: int = 0
    own_unpriced: int = 0
    priced: int = 0
    #: The candidate's cost of the requests that have an expected cost.
    compared: int = 0


def whole(rate: Decimal, per: int = 1) -> int | None:
    """``rate / per`` in pico-dollars when that is a whole number, else None."""
    with localcontext() as ctx:
        ctx.prec = 60
        value = rate * _PICO / per
        return int(value) if value == value.to_integral_value() else None


def sums_pico(price: ModelPrice, provider: str | None, s: Sums) -> int | None:
    """The exact cost of the requests of ``s`` at ``price`` (the sum of what ``expected_pico``
    gives each), or None when it cannot be had from sums: a tiered price without the
    bucket's prompt size, or a rate used here that is not a whole number of pico-dollars."""
    if s.prompt is None and price.tiered:
        return None
    r = rates_for(price, s.prompt or 0, provider)
    per_request = whole(r.per_request)
    if per_request is None:
        return None
    total = per_request * s.requests
    if r.per_second is not None:
        if s.ms is None:
            return None
        per_ms = whole(r.per_second, 1000) if s.ms else 0
        return None if per_ms is None else total + per_ms * s.ms
    for rate, count in (
        (r.input, s.uncached),
        (r.cache_read, s.cache_read),
        (r.cache_creation, s.cache_creation),
        (r.output, s.output),
        (r.reasoning, s.reasoning),
    ):
        if count:
            unit = whole(rate)
            if unit is None:
                return None
            total += unit * count
    return total


def bills_output(price: ModelPrice) -> bool:
    """Whether ``price`` bills output tokens (or time): an entry of a generating mode that
    does not is not a model to move generation to (routers, embedding models listed as chat)."""
    r = rates_for(price, 0)
    return r.output > 0 or r.reasoning > 0 or r.per_second is not None or price.tiered


def cuts(prices: PriceMap) -> list[int]:
    """The prompt sizes where some price of ``prices`` may change tier: a request's tier is
    the same on every price for all prompt sizes between two cuts."""
    cuts = {1}  # (range tiers do not apply to requests without prompt tokens)
    for price in [*prices.entries.values(), *prices.deployments.values()]:
        for t in price.thresholds:
            cuts.update((t.above, t.above + 1))  # (``>=`` for some providers, ``>`` for the rest)
        for tier in price.tiers:
            cuts.update((math.floor(tier.start) + 1, math.floor(tier.end) + 1))
    return sorted(cuts)


def round_pico(value: Decimal) -> int:
    with localcontext() as ctx:
        ctx.prec = 60
        return int((value * _PICO).to_integral_value(ROUND_HALF_EVEN))
