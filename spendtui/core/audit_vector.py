"""``core.audit``'s rules applied to columns of many requests at once (numpy), for the
dashboard's audit cells: the same figures ``audit_cells.request_measures`` gives request
by request (a test holds them equal), at a fraction of the time.

Linear prices (``audit.Pricing``'s integer rates) are applied to whole columns; a request
whose price is tiered or billed by time, or whose token counts are large enough that
int64 products could overflow, is priced on its own by ``Pricing``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from spendtui.core.audit import DRIFT_FLOOR, AuditRequest, Pricing
from spendtui.core.audit_cells import MEASURES, AuditGroups, K
from spendtui.core.read_bound import ReadMark

_AT = {name: i for i, name in enumerate(MEASURES)}
#: Token counts above this are priced one request at a time (int64 headroom).
_BIG_TOKENS = 10**9


@dataclass
class AuditColumns:
    """Requests as columns (``logged``: pico-dollars, -1 when not usable money;
    ``duration_ms``: -1 when not recorded)."""

    request_id: list[str]
    start: list[str]
    model: list[str]
    model_group: list[str]
    provider: list[str]
    prompt: np.ndarray
    completion: np.ndarray
    cache_read: np.ndarray
    cache_creation: np.ndarray
    reasoning: np.ndarray
    logged: np.ndarray
    hit: np.ndarray
    failed: np.ndarray
    duration_ms: np.ndarray

    def __len__(self) -> int:
        return len(self.request_id)

    def request(self, i: int) -> AuditRequest:
        duration = int(self.duration_ms[i])
        logged = int(self.logged[i])
        return AuditRequest(
            request_id=self.request_id[i],
            start=self.start[i],
            group="",
            model=self.model[i],
            model_group=self.model_group[i],
            provider=self.provider[i],
            prompt_tokens=int(self.prompt[i]),
            completion_tokens=int(self.completion[i]),
            cache_read_tokens=int(self.cache_read[i]),
            cache_creation_tokens=int(self.cache_creation[i]),
            reasoning_tokens=int(self.reasoning[i]),
            logged=None if logged < 0 else logged,
            cache_hit=bool(self.hit[i]),
            failed=bool(self.failed[i]),
            duration_ms=None if duration < 0 else duration,
        )


def _rates(cols: AuditColumns, pricing: Pricing) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per request: whether its model has a price, its integer rates (input, output, cache
    read, cache creation, reasoning, per request; zeros where none), and whether it must be
    priced on its own."""
    n = len(cols)
    index: dict[tuple[str, str, str], int] = {}
    which = np.fromiter(
        (index.setdefault(t, len(index)) for t in zip(cols.model, cols.provider, cols.model_group, strict=True)),
        np.intp,
        n,
    )
    table = np.zeros((len(index) + 1, 6), np.int64)
    has = np.zeros(len(index) + 1, bool)
    slow = np.zeros(len(index) + 1, bool)
    for (model, provider, group), j in index.items():
        found = pricing.rates_for(model, provider, group)
        if found is None:
            continue
        has[j] = True
        if found[1] is None:
            slow[j] = True
        else:
            table[j] = found[1]
    return has[which], table[which], slow[which]


def row_measures(cols: AuditColumns, pricing: Pricing, tolerance: Decimal) -> np.ndarray:
    """The ``MEASURES`` contribution of each request, an (n, K) int64 matrix."""
    n = len(cols)
    has, rates, slow = _rates(cols, pricing)
    p, c, cr, cw, rs = (
        np.asarray(a, np.int64)
        for a in (cols.prompt, cols.completion, cols.cache_read, cols.cache_creation, cols.reasoning)
    )
    big = (np.maximum.reduce([np.abs(p), np.abs(c), np.abs(cr), np.abs(cw), np.abs(rs)]) > _BIG_TOKENS) & has
    slow = slow | big
    rin, rout, rcr, rcw, rr, per_request = (rates[:, j] for j in range(6))
    comp = np.maximum(c, 0)
    reasoning = np.minimum(np.maximum(rs, 0), comp)
    uncached = np.maximum(p - cr - cw, 0)
    fast = has & ~slow
    safe = {
        name: np.where(fast, a, 0)
        for name, a in (("u", uncached), ("cr", cr), ("cw", cw), ("c", comp), ("r", reasoning))
    }
    raw = per_request + safe["u"] * rin + safe["cr"] * rcr + safe["cw"] * rcw + (safe["c"] - safe["r"]) * rout
    raw = raw + safe["r"] * rr
    without = raw + (np.maximum(p - cw, 0) - uncached) * rin * fast - safe["cr"] * rcr
    for i in np.flatnonzero(slow).tolist():  # (tiered, billed by time, or huge)
        request = cols.request(i)
        raw[i] = pricing(request) or 0
        without[i] = (pricing.without_cache_reads(request) or 0) if request.cache_read_tokens else raw[i]
    logged = np.asarray(cols.logged, np.int64)
    hit, failed = np.asarray(cols.hit, bool), np.asarray(cols.failed, bool)
    usable = logged >= 0
    free = hit | failed
    known = free | has
    expected = np.where(free, 0, raw)
    money = np.where(usable, logged, 0)
    zero = usable & (money == 0) & (p + c > 0) & ~free
    num, den = tolerance.as_integer_ratio()
    if num * int(expected.max(initial=0)) < 2**62:
        allowed = np.maximum(expected * num // (100 * den), DRIFT_FLOOR)
    else:  # (a tolerance with many digits: Python integers)
        allowed = np.array([max(int(e) * num // (100 * den), DRIFT_FLOOR) for e in expected.tolist()], np.int64)
    drifted = usable & ~zero & known & (np.abs(money - expected) > allowed)
    unpriced = usable & ~zero & ~known
    hits = usable & hit & ~failed
    billable = usable & ~hit & ~failed
    out = np.zeros((n, K), np.int64)
    columns = {
        "requests": np.ones(n, np.int64),
        "logged": money,
        "expected": np.where(usable & known, expected, 0),
        "priced_logged": np.where(usable & known, money, 0),
        "unpriced_spend": np.where(usable & ~known, money, 0),
        "zero_cost": zero,
        "drifted": drifted,
        "unpriced": unpriced,
        "unreadable": ~usable,
        "billable": billable,
        "prompt": np.where(billable, p, 0),
        "completion": np.where(billable, c, 0),
        "cache_read": np.where(billable, cr, 0),
        "cache_creation": np.where(billable, cw, 0),
        "reasoning": np.where(billable, rs, 0),
        "hits": hits,
        "hit_prompt": np.where(hits, p, 0),
        "hit_completion": np.where(hits, c, 0),
        "hit_cost": np.where(hits & has, raw, 0),
        "cache_saving": np.where(billable & (cr != 0) & known, without - expected, 0),
        "billable_logged": np.where(billable, money, 0),
        "no_price": usable & ~has,
    }
    for name, values in columns.items():
        out[:, _AT[name]] = values
    return out


def grouped(
    batches: Iterable[tuple[AuditColumns, list[str], list[str]]], pricing: Pricing, tolerance: Decimal, mark: ReadMark
) -> AuditGroups:
    """``AuditGroups`` of request batches with their days and composite keys: each batch's
    measures summed per (day, key) (``AuditCells`` merges what repeats across batches);
    the bound is read from ``mark`` once every batch is read."""
    days: list[str] = []
    keys: list[str] = []
    parts: list[np.ndarray] = []
    for cols, batch_days, batch_keys in batches:
        at: dict[tuple[str, str], int] = {}
        ids = np.fromiter(
            (at.setdefault(pair, len(at)) for pair in zip(batch_days, batch_keys, strict=True)), np.intp, len(cols)
        )
        m = row_measures(cols, pricing, tolerance)
        sums = np.zeros((len(at), K), np.int64)
        np.add.at(sums, ids, m)
        days += [d for d, _ in at]
        keys += [k for _, k in at]
        parts.append(sums)
    matrix = np.concatenate(parts) if parts else np.zeros((0, K), np.int64)
    return AuditGroups(days, keys, matrix, mark.bound())
