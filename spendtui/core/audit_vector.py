"""``core.audit``'s rules applied to columns of many requests at once (numpy), for the
dashboard's audit cells and ``spendtui audit``: the same figures
``audit_cells.request_measures`` and ``Audit.add`` give request by request (tests hold
them equal), at a fraction of the time.

Linear prices (``audit.Pricing``'s integer rates) are applied to whole columns; a request
whose price is tiered or billed by time, or whose token counts are large enough that
int64 products could overflow, is priced on its own by ``Pricing``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from spendtui.core.audit import DRIFT_FLOOR, KINDS, Audit, AuditRequest, Example, Pricing
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
    below = np.full(len(index) + 1, np.iinfo(np.int64).max, np.int64)
    for (model, provider, group), j in index.items():
        found = pricing.rates_for(model, provider, group)
        if found is None:
            continue
        has[j] = True
        rates, limit = found
        if rates is None:
            slow[j] = True
        else:
            table[j] = rates
            if limit is not None:
                below[j] = limit
    prompt = np.asarray(cols.prompt, np.int64)
    return has[which], table[which], slow[which] | (prompt >= below[which])


def row_measures(cols: AuditColumns, pricing: Pricing, tolerance: Decimal) -> np.ndarray:
    """The ``MEASURES`` contribution of each request, an (n, K) int64 matrix."""
    return _measures(cols, pricing, tolerance)[0]


def _measures(cols: AuditColumns, pricing: Pricing, tolerance: Decimal) -> tuple[np.ndarray, np.ndarray]:
    """``row_measures``, and whether each request's expected cost is known (a price, or
    a cache hit or failure, which cost $0)."""
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
    return out, known


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


#: ``AuditRow`` counters and the ``MEASURES`` they sum.
_ROW_SUMS = {
    "requests": "requests",
    "logged_spend": "logged",
    "expected_spend": "expected",
    "priced_logged_spend": "priced_logged",
    "unpriced_spend": "unpriced_spend",
    "zero_cost_requests": "zero_cost",
    "drifted_requests": "drifted",
    "unpriced_requests": "unpriced",
    "unreadable_spend": "unreadable",
}
_KIND_MEASURE = {"zero-cost": "zero_cost", "drifted": "drifted", "unpriced": "unpriced"}


def audit_of(batches: Iterable[tuple[AuditColumns, list[str]]], pricing: Pricing, audit: Audit) -> Audit:
    """``audit`` with every request of ``batches`` (columns, and the value each request is
    grouped by) added: what ``Audit.add`` adds one request at a time (a test holds them
    equal), summed per group in numpy; only the examples each group and the total keep
    become ``Example`` objects."""
    for cols, groups in batches:
        m, known = _measures(cols, pricing, audit.tolerance)
        index: dict[str, int] = {}
        ids = np.fromiter((index.setdefault(g, len(index)) for g in groups), np.intp, len(cols))
        names = list(index)
        sums = np.zeros((len(index), len(_ROW_SUMS)), np.int64)
        np.add.at(sums, ids, m[:, [_AT[v] for v in _ROW_SUMS.values()]])
        unpriced = np.flatnonzero(~known & (cols.logged >= 0)).tolist()
        models: dict[int, set[str]] = {}
        for i in unpriced:
            models.setdefault(int(ids[i]), set()).add(cols.model[i])
        before = {g: audit.row(g).findings for g in names}
        before_total = audit.total.findings
        for j, group in enumerate(names):
            audit.add_sums(group, dict(zip(_ROW_SUMS, (int(v) for v in sums[j]), strict=True)), models.get(j, ()))
        _keep_examples(audit, cols, groups, ids, names, m, known, before, before_total)
    return audit


def _keep_examples(
    audit: Audit,
    cols: AuditColumns,
    groups: list[str],
    ids: np.ndarray,
    names: list[str],
    m: np.ndarray,
    known: np.ndarray,
    before: dict[str, int],
    before_total: int,
) -> None:
    """Offer each group's and the total's largest findings of a batch to their examples, in
    the order ``Audit.add`` would have found them (ties go to the first found)."""
    kind = np.full(len(cols), -1, np.int8)
    for k, name in enumerate(KINDS):
        kind[m[:, _AT[_KIND_MEASURE[name]]] > 0] = k
    found = np.flatnonzero(kind >= 0)
    if not len(found):
        return
    expected = m[found, _AT["expected"]]
    logged = cols.logged[found]
    has = known[found]
    tokens = cols.prompt[found] + cols.completion[found]
    size = np.where(has, np.abs(logged - expected), logged)
    size = np.where((kind[found] == 0) & ~has, tokens, size)
    gid = ids[found]
    # which finding of its group (and of the batch) each is, in request order
    order_total = np.arange(1, len(found) + 1)
    order_group = np.zeros(len(found), np.int64)
    seen: dict[int, int] = {}
    for n, g in enumerate(gid.tolist()):
        seen[g] = seen.get(g, 0) + 1
        order_group[n] = seen[g]
    limit = audit.examples

    def offer(picks: np.ndarray, rows_of: np.ndarray, orders: np.ndarray, total: bool) -> None:
        # per (row, kind): the ``limit`` largest sizes, first found first
        kinds = kind[found]
        ranked = picks[np.lexsort((orders[picks], -size[picks], kinds[picks], rows_of[picks]))]
        slots = rows_of[ranked].astype(np.int64) * len(KINDS) + kinds[ranked]
        starts = np.r_[True, slots[1:] != slots[:-1]] if len(slots) else np.zeros(0, bool)
        at = np.arange(len(slots))
        rank = at - np.maximum.accumulate(np.where(starts, at, 0))
        for n in ranked[rank < limit].tolist():
            i = int(found[n])
            example = Example(
                KINDS[kind[i]], replace(cols.request(i), group=groups[i]), int(expected[n]) if has[n] else None
            )
            if total:
                audit.total._keep(example, limit, before_total + int(orders[n]))
            else:
                group = names[int(gid[n])]
                audit.rows[group]._keep(example, limit, before[group] + int(orders[n]))

    everything = np.arange(len(found))
    offer(everything, gid, order_group, total=False)
    offer(everything, np.zeros(len(found), np.intp), order_total, total=True)
