"""The measures every cube cell carries, and exact grouped sums over them."""

from __future__ import annotations

import numpy as np

from spendtui.core.totals import ZERO, Totals

__all__ = ["MAX_TOKENS", "ZERO", "Totals", "group_matrix", "group_totals", "to_totals"]

SPEND, REQUESTS, PROMPT, COMPLETION, TOTAL, FAILURES, CACHE_HITS, CACHE_READ, CACHE_WRITE = range(9)
N_MEASURES = 9
_INT64_SAFE = 2**62
#: One request's token count beyond this (either way) is corrupt data, read as 0: sums of
#: such values would overflow the cube's int64 cells.
MAX_TOKENS = 10**12


def group_matrix(
    groups: np.ndarray, measures: np.ndarray, n_groups: int, spend_bound: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Sums per group id (0..n_groups-1) of (9, k) measure rows, as a (9, n_groups) array.

    Integer addition is exact; the only risk is int64 overflow of spend, which in
    pico-dollars sits near $9.2M. When ``spend_bound`` (an upper bound on the spend being
    summed) says that could happen, the SPEND row holds sums of the low 32 bits and the
    second array sums of the high bits; ``to_totals`` recombines them in Python integers.
    """
    out = np.zeros((N_MEASURES, n_groups), dtype=np.int64)
    groups = groups.astype(np.intp, copy=False)
    big = spend_bound >= _INT64_SAFE
    spend = measures[SPEND]
    if n_groups == 1:
        out[:, 0] = measures.sum(axis=1)
        if not big:
            return out, None
    else:
        for j in range(1, N_MEASURES):
            np.add.at(out[j], groups, measures[j])
        if not big:
            np.add.at(out[SPEND], groups, spend)
            return out, None
    out[SPEND] = 0
    hi = np.zeros(n_groups, dtype=np.int64)
    np.add.at(out[SPEND], groups, spend & 0xFFFFFFFF)
    np.add.at(hi, groups, spend >> 32)
    return out, hi


def to_totals(matrix: np.ndarray, hi: np.ndarray | None) -> list[Totals]:
    """Totals per column of a ``group_matrix`` result."""
    rows = matrix.T.tolist()
    if hi is not None:
        for row, h in zip(rows, hi.tolist(), strict=True):
            row[SPEND] += h << 32
    return [Totals(*row) for row in rows]


def group_totals(groups: np.ndarray, measures: np.ndarray, n_groups: int, spend_bound: int) -> list[Totals]:
    """Exact Totals per group id (see ``group_matrix``)."""
    return to_totals(*group_matrix(groups, measures, n_groups, spend_bound))
