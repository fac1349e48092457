"""Sums over a set of requests (no numpy, so the UI shell can import it cheaply)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over a set of requests. ``spend`` is integer pico-dollars (1e-12 USD)."""

    spend: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    failures: int = 0
    cache_hits: int = 0
    #: Prompt tokens read from the provider's prompt cache (LiteLLM's
    #: ``cache_read_input_tokens``), and written to it (``cache_creation_input_tokens``).
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0

    @classmethod
    def from_row(cls, row: Sequence[int]) -> Totals:
        return cls(*(int(v) for v in row))

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.spend + other.spend,
            self.requests + other.requests,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
            self.failures + other.failures,
            self.cache_hits + other.cache_hits,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_creation_tokens + other.cache_creation_tokens,
        )

    @property
    def successes(self) -> int:
        return self.requests - self.failures

    def avg_cost(self) -> int | None:
        """Average pico-dollars per request (integer division), None without requests."""
        return self.spend // self.requests if self.requests else None

    def cost_per_1k_tokens(self) -> int | None:
        """Pico-dollars per 1,000 tokens, None without tokens."""
        return self.spend * 1000 // self.total_tokens if self.total_tokens else None


ZERO = Totals()
