"""The what-if's vocabulary (``core.whatif``): candidates, what each would have cost, the
cache savings, and the summed usage a pane gives."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from spendtui.core.prices import ModelPrice, PriceMap
from spendtui.core.repricing import Usage

#: The mode of a request whose model has no price or no mode.
DEFAULT_MODE = "chat"


class UnknownModel(ValueError):
    """A candidate name the price map does not know, or knows without a price."""


def mode_of(price: ModelPrice | None) -> str:
    """The mode a price answers (``chat`` when it says none)."""
    return price.mode if price is not None and price.mode else DEFAULT_MODE


@dataclass(frozen=True)
class Candidate:
    """A model the requests are re-priced on: ``model`` is the name shown (the name asked
    for, or the price's key); ``logged``: one of the logged models, at its own price."""

    model: str
    price: ModelPrice
    provider: str | None
    logged: bool = False

    @property
    def mode(self) -> str:
        return mode_of(self.price)


def resolve_models(prices: PriceMap, names: Iterable[str]) -> list[Candidate]:
    """The candidates named (blank and repeated names skipped), each looked up as LiteLLM
    looks up a request's model (its model group too: a proxy's public name finds its
    deployment price). ``UnknownModel`` for a name without a price, naming close matches."""
    found: list[Candidate] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip()
        if not name or name in seen:
            continue
        seen.add(name)
        match = prices.lookup(name, None, name)
        if match is None or not match.price.has_prices:
            known = [*prices.entries, *prices.deployments]
            folded = {k.lower(): k for k in known}
            close = difflib.get_close_matches(name.lower(), list(folded), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(repr(folded[c]) for c in close)}?" if close else ""
            what = "has no price" if match is not None else "is not in the price map"
            raise UnknownModel(f"{name!r} {what} ({prices.source}){hint}")
        found.append(Candidate(name, match.price, match.price.litellm_provider))
    return found


@dataclass(frozen=True)
class CandidateCost:
    """What the requests of ``mode`` would have cost on one candidate (pico-dollars).

    ``logged_spend``: what the requests it priced logged. ``expected_spend``: what those of
    them that have a price of their own (``expected_requests``) were expected to cost at it,
    and ``expected_compared``: what this candidate charges for the same requests."""

    model: str
    provider: str | None
    mode: str
    logged_model: bool
    spend: int
    logged_spend: int
    expected_spend: int
    expected_compared: int
    expected_requests: int
    priced_requests: int
    unpriced_requests: int

    @property
    def saving(self) -> int:
        """Logged minus this candidate's cost (positive: it would have been cheaper)."""
        return self.logged_spend - self.spend

    @property
    def saving_vs_expected(self) -> int | None:
        """The expected cost at their own prices of the requests that have one, minus this
        candidate's cost of them; None when none of them has a price of its own."""
        return self.expected_spend - self.expected_compared if self.expected_requests else None

    @property
    def saving_percent(self) -> Decimal | None:
        """``saving`` in percent of the logged spend (2 decimals); None when nothing was logged."""
        if self.logged_spend == 0:
            return None
        value = Decimal(self.saving * 100) / Decimal(self.logged_spend)
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


@dataclass
class CacheSavings:
    """What the cache saved, at each request's own model's price (pico-dollars)."""

    cache_hits: int = 0
    #: Cache hits whose model has no price (not in ``hits_cost``).
    unpriced_cache_hits: int = 0
    #: What the priced cache hits would have cost without the cache.
    hits_cost: int = 0
    cache_read_tokens: int = 0
    cache_read_saving: int = 0
    cache_creation_tokens: int = 0
    #: Negative: the premium paid for writing to the cache.
    cache_creation_saving: int = 0

    @property
    def total(self) -> int:
        return self.hits_cost + self.cache_read_saving + self.cache_creation_saving


@dataclass(frozen=True)
class WhatIfResult:
    """The what-if of a slice: totals of the requests re-priced, the candidates (per mode,
    modes by requests, cheapest first within each), the cache savings and notes."""

    requests: int
    logged_spend: int
    #: At the logged models' own prices, over the requests that have one.
    expected_spend: int
    #: Requests whose logged model has no price (no expected cost).
    unpriced_requests: int
    modes: dict[str, int]
    candidates: list[CandidateCost]
    cache: CacheSavings
    failed_requests: int
    unreadable_requests: int
    notes: list[str]


@dataclass(frozen=True)
class ModelUsage:
    """Summed usage of one logged model, for ``add_usage``: ``usage`` and ``logged`` cover
    its requests that were neither cache hits nor failed (``usage.requests`` of them);
    ``cache_hits`` the tokens of its cache hits (``requests``: how many), when known."""

    model: str
    usage: Usage
    logged: int
    provider: str = ""
    model_group: str = ""
    cache_hits: Usage | None = None
