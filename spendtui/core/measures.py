"""The measures every cube cell carries, and exact grouped sums over them."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

SPEND, REQUESTS, PROMPT, COMPLETION, TOTAL, FAILURES, CACHE_HITS = range(7)
N_MEASURES = 7
_INT64_SAFE = 2**62


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

    @classmethod
    def from_row(cls, row: np.ndarray | list[int]) -> Totals:
        return cls(*(int(v) for v in row))

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

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


def group_totals(groups: np.ndarray, measures: np.ndarray, n_groups: int, spend_bound: int) -> list[Totals]:
    """Exact sums of measure rows per group id (0..n_groups-1).

    Integer addition is exact; the only risk is int64 overflow of spend, which in
    pico-dollars sits near $9.2M. When ``spend_bound`` (an upper bound on the spend being
    summed) says that could happen, spend is summed in two 32-bit halves and recombined
    in Python integers, so any amount stays exact.
    """
    out = np.zeros((n_groups, N_MEASURES), dtype=np.int64)
    if len(groups) and spend_bound < _INT64_SAFE:
        np.add.at(out, groups, measures)
        return [Totals(*row) for row in out.tolist()]
    if len(groups):
        np.add.at(out[:, 1:], groups, measures[:, 1:])
    lo = np.zeros(n_groups, dtype=np.int64)
    hi = np.zeros(n_groups, dtype=np.int64)
    spend = measures[:, SPEND]
    np.add.at(lo, groups, spend & 0xFFFFFFFF)
    np.add.at(hi, groups, spend >> 32)
    rows = out.tolist()
    for i, (h, low) in enumerate(zip(hi.tolist(), lo.tolist(), strict=True)):
        rows[i][SPEND] = (h << 32) + low
    return [Totals(*row) for row in rows]
