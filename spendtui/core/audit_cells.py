"""The cost audit as cells over the cube's dimensions: the dashboard's Costs pane.

A read re-prices every request of the window once (``core.audit``'s rules) and keeps, per
UTC day and the cube's composite key, the sums ``MEASURES`` names; every poll's rows are
then priced and added the same way (``add_rows``), so a refresh stays incremental. The
dashboard's window and filters select the cells as they select spend, so the audit of
any slice (a tag, a team, a key) is a sum of cells. What-if re-pricing needs the billable
tokens per model, which the cells hold too; the example requests of a finding are read
again from the source when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain
from typing import Protocol, runtime_checkable

import numpy as np

from spendtui.core.audit import Audit, AuditRequest, Example, Pricer, Pricing, classify, pricer
from spendtui.core.cell_merge import merge
from spendtui.core.cube import Cube, RawRow
from spendtui.core.dims import Dimensions
from spendtui.core.lazy_cells import LazyCells, day_cells_cube, select_days
from spendtui.core.price_files import price_sources
from spendtui.core.prices import PriceMap
from spendtui.core.query import Query
from spendtui.core.read_bound import ReadBound
from spendtui.core.selection import NO_FILTERS, Filters, Window
from spendtui.errors import ConfigError, SourceError
from spendtui.timeutil import day_number, parse_timestamp

#: Per cell: requests; logged spend; expected spend and the logged spend of the requests
#: with a price; the logged spend of those without; findings; requests whose spend is not
#: money; billable requests (neither cache hits nor failures, spend readable) and their
#: tokens; cache hits, their tokens and what they would have cost without the cache; and
#: what cache reads saved (the request's cost with its cache-read tokens billed as
#: uncached input, less its cost); what the billable requests logged; requests whose model
#: has no price (cache hits and failures too). Money in pico-dollars.
MEASURES = (
    "requests",
    "logged",
    "expected",
    "priced_logged",
    "unpriced_spend",
    "zero_cost",
    "drifted",
    "unpriced",
    "unreadable",
    "billable",
    "prompt",
    "completion",
    "cache_read",
    "cache_creation",
    "reasoning",
    "hits",
    "hit_prompt",
    "hit_completion",
    "hit_cost",
    "cache_saving",
    "billable_logged",
    "no_price",
)
K = len(MEASURES)
_AT = {name: i for i, name in enumerate(MEASURES)}
_MONEY = tuple(
    _AT[n]
    for n in ("logged", "expected", "priced_logged", "unpriced_spend", "hit_cost", "cache_saving", "billable_logged")
)
#: Cells added by polls since the last merge, beyond which they are merged.
MERGE_AFTER = 20_000


@dataclass(frozen=True)
class AuditTotals:
    """The audit of a set of cells (every field of ``MEASURES``)."""

    requests: int = 0
    logged: int = 0
    expected: int = 0
    priced_logged: int = 0
    unpriced_spend: int = 0
    zero_cost: int = 0
    drifted: int = 0
    unpriced: int = 0
    unreadable: int = 0
    billable: int = 0
    prompt: int = 0
    completion: int = 0
    cache_read: int = 0
    cache_creation: int = 0
    reasoning: int = 0
    hits: int = 0
    hit_prompt: int = 0
    hit_completion: int = 0
    hit_cost: int = 0
    cache_saving: int = 0
    billable_logged: int = 0
    no_price: int = 0

    @property
    def findings(self) -> int:
        return self.zero_cost + self.drifted + self.unpriced

    @property
    def difference(self) -> int:
        """Logged minus expected, over the requests with a price."""
        return self.priced_logged - self.expected


@dataclass(frozen=True)
class AuditGroups:
    """What a read found: per (``YYYY-MM-DD`` day, composite key) the ``MEASURES`` sums,
    and which later rows it did not count."""

    days: list[str]
    keys: list[str]
    measures: np.ndarray
    bound: ReadBound = field(default_factory=ReadBound)


def request_measures(request: AuditRequest, price: Pricing, tolerance: Decimal) -> list[int]:
    """One request's contribution to the ``MEASURES`` sums."""
    out = [0] * K
    out[0] = 1
    logged = request.logged
    if logged is None:
        out[_AT["unreadable"]] = 1
        return out
    expected, kind = classify(request, logged, price, tolerance)
    out[1] = logged
    if not price.has_price(request):
        out[_AT["no_price"]] = 1
    if expected is None:
        out[_AT["unpriced_spend"]] = logged
    else:
        out[2], out[3] = expected, logged
    if kind is not None:
        out[_AT[kind.replace("-", "_")]] = 1
    tokens = (request.prompt_tokens, request.completion_tokens)
    if request.cache_hit and not request.failed:
        out[_AT["hits"]], out[_AT["hit_prompt"]], out[_AT["hit_completion"]] = 1, *tokens
        out[_AT["hit_cost"]] = price(request) or 0
    elif not request.failed:
        out[_AT["billable_logged"]] = logged
        if request.cache_read_tokens and expected is not None:
            out[_AT["cache_saving"]] = (price.without_cache_reads(request) or 0) - expected
        at = _AT["billable"]
        out[at : at + 6] = [
            1,
            *tokens,
            request.cache_read_tokens,
            request.cache_creation_tokens,
            request.reasoning_tokens,
        ]
    return out


def aggregate(requests: Iterable[AuditRequest], price: Pricing, tolerance: Decimal, bound: ReadBound) -> AuditGroups:
    """``AuditGroups`` of requests that carry their day and composite key (a read)."""
    sums: dict[tuple[str, str], list[int]] = {}
    for request in requests:
        found = request_measures(request, price, tolerance)
        acc = sums.get((request.day, request.key))
        if acc is None:
            sums[(request.day, request.key)] = found
        else:
            for i, v in enumerate(found):
                if v:
                    acc[i] += v
    days = [d for d, _ in sums]
    keys = [k for _, k in sums]
    matrix = np.array(list(sums.values()), dtype=np.int64).reshape(-1, K)
    return AuditGroups(days, keys, matrix, bound)


def poll_request(row: RawRow) -> AuditRequest:
    """A poll's row as the audit reads a request."""
    return AuditRequest(
        request_id=row.request_id,
        start=str(row.start),
        group="",
        model=row.logged_model or row.model or "",
        model_group=row.model_group or "",
        provider=row.provider or "",
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        cache_read_tokens=row.cache_read_tokens,
        cache_creation_tokens=row.cache_creation_tokens,
        reasoning_tokens=row.reasoning_tokens,
        logged=row.spend,
        cache_hit=row.cache_hit,
        failed=row.failed,
        duration_ms=None if row.duration_ms is None else int(row.duration_ms),
    )


class AuditCells:
    """Audit sums per (UTC day, composite key) over shared ``dims``."""

    def __init__(self, dims: Dimensions, price: Pricing, tolerance: Decimal) -> None:
        self.dims = dims
        self.price = price
        self.tolerance = tolerance
        self._day = np.zeros(0, np.int32)
        self._ids = np.zeros((0, 5), np.int32)
        self._m = np.zeros((0, K), np.int64)
        self._added = 0
        self.cube = self._build_cube()

    def set(self, found: AuditGroups) -> None:
        """Hold what a read found (instead of anything held)."""
        n = len(found.keys)
        if n:
            day_at: dict[str, int] = {}
            day_of = np.fromiter((day_at.setdefault(d, len(day_at)) for d in found.days), np.intp, n)
            numbers = np.array([day_number(date.fromisoformat(d)) for d in day_at], dtype=np.int32)
            key_at: dict[str, int] = {}
            key_of = np.fromiter((key_at.setdefault(k, len(key_at)) for k in found.keys), np.intp, n)
            flat = chain.from_iterable(map(self.dims.composite, key_at))
            ids = np.fromiter(flat, np.int32, 5 * len(key_at)).reshape(-1, 5)[key_of]
            self.dims.forget_load_caches()
            self._day, self._ids, self._m = numbers[day_of], ids, found.measures
        self._merge()

    def add_rows(self, rows: list[RawRow]) -> int:
        """Price and add a poll's rows; returns how many requests were added."""
        groups: dict[tuple[int, int, int, int, int, int], list[int]] = {}
        dims = self.dims
        for row in rows:
            moment = parse_timestamp(row.start)
            if moment is None:
                continue
            tagset, ok = dims.tagset(row.tags)
            key = (
                day_number(moment.date()),
                dims.model_context(row.model, row.provider),
                dims.key_context(row.api_key, row.user, row.team, row.organization, row.agent),
                dims.customers.intern(row.customer),
                tagset,
                int(ok),
            )
            found = request_measures(poll_request(row), self.price, self.tolerance)
            acc = groups.setdefault(key, [0] * K)
            for i, v in enumerate(found):
                acc[i] += v
        if not groups:
            return 0
        coords = np.array(list(groups), dtype=np.int32)
        fresh = np.array(list(groups.values()), dtype=np.int64)
        self._day = np.concatenate([self._day, coords[:, 0]])
        self._ids = np.concatenate([self._ids, coords[:, 1:]])
        self._m = np.concatenate([self._m, fresh])
        self._added += len(fresh)
        if self._added > max(MERGE_AFTER, len(self._day) // 10):
            self._merge()
        else:  # (the cube's cells stay in step with the columns: appended in the same order)
            when = np.stack([coords[:, 0], np.full(len(fresh), -1, np.int32)], axis=1)
            self.cube.add_interned(when, coords[:, 1:], np.zeros((len(fresh), 2), np.int64))
        return int(fresh[:, 0].sum())

    def _merge(self) -> None:
        """Cells with equal coordinates summed into one, in day order."""
        if len(self._day):
            columns = [self._day, *(self._ids[:, j] for j in range(5))]
            merged, m = merge(columns, [self._m[:, j] for j in range(K)])
            self._day = merged[0].astype(np.int32)
            self._ids = np.stack(merged[1:], axis=1).astype(np.int32).reshape(-1, 5)
            self._m = m
        self._added = 0
        self.cube = self._build_cube()

    def _build_cube(self) -> Cube:
        return day_cells_cube(self.dims, self._day, self._ids)

    def _select(self, window: Window | None, filters: Filters) -> tuple[Query, list[slice | np.ndarray]]:
        return select_days(self.cube, window, filters)

    def _rows(self, parts: list[slice | np.ndarray]) -> np.ndarray:
        pieces = [self._m[p] for p in parts]
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def by(self, dimension: str, window: Window | None = None, filters: Filters = NO_FILTERS) -> dict[str, AuditTotals]:
        """The audit per value of ``dimension`` (one a request has one value of) over the
        cells in ``window`` that pass ``filters``."""
        query, parts = self._select(window, filters)
        ids, values = query.value_ids(dimension, parts)
        sums = _sums(ids.astype(np.intp), self._rows(parts), len(values))
        return {values[i]: AuditTotals(*row) for i, row in enumerate(sums) if row[0]}

    def overall(self, window: Window | None = None, filters: Filters = NO_FILTERS) -> AuditTotals:
        _, parts = self._select(window, filters)
        m = self._rows(parts)
        return AuditTotals(*_sums(np.zeros(len(m), np.intp), m, 1)[0])


def findings_of(
    requests: list[AuditRequest],
    dims: Dimensions,
    window: Window,
    filters: Filters,
    price: Pricer,
    tolerance: Decimal,
    limit: int,
) -> list[Example]:
    """The findings among ``requests`` (keyed: day and composite key) in ``window`` that
    pass ``filters`` (selected as the cells are), largest differences first, up to
    ``limit`` of each kind."""
    n = len(requests)
    if not n:
        return []
    flat = chain.from_iterable(dims.composite(r.key) for r in requests)
    ids = np.fromiter(flat, np.int32, 5 * n).reshape(-1, 5)
    days = np.array([day_number(date.fromisoformat(r.day)) for r in requests], dtype=np.int32)
    cube = Cube(capacity=n, measures=2)
    cube.dims = dims
    cube.add_interned(np.stack([days, np.full(n, -1, np.int32)], axis=1), ids, np.zeros((n, 2), np.int64))
    positions = np.concatenate([np.arange(n)[p] for p in Query(cube).select(window, filters)])
    audit = Audit(tolerance=tolerance, examples=limit)
    audit.add_all((requests[int(i)] for i in np.sort(positions)), price)
    return audit.total.examples()


def _sums(groups: np.ndarray, m: np.ndarray, n: int) -> list[list[int]]:
    """Exact sums of ``m``'s columns per group id: float64 bincounts are exact below 2**53,
    so money (pico-dollars) is summed as its high and low 32 bits apart."""
    out = [[0] * K for _ in range(n)]
    if not len(groups):
        return out
    for j in range(K):
        column = m[:, j]
        if j in _MONEY:
            lo = np.bincount(groups, weights=column & 0xFFFFFFFF, minlength=n)
            hi = np.bincount(groups, weights=column >> 32, minlength=n)
            values = [(int(h) << 32) + int(lo_) for h, lo_ in zip(np.rint(hi), np.rint(lo), strict=True)]
        else:
            values = [int(v) for v in np.rint(np.bincount(groups, weights=column, minlength=n))]
        for i, v in enumerate(values):
            out[i][j] = v
    return out


#: Why a source without ``audit_groups`` (the proxy's REST API) has no Costs pane.
NO_AUDIT_SOURCE = (
    "the cost audit re-prices every request of LiteLLM's request logs, which are in its "
    "database: point spendtui at it with --db"
)


@runtime_checkable
class AuditSource(Protocol):
    """A source that can audit the requests of UTC days ``first_day``..``last_day`` per
    day and composite key, and give the prices it stores (``PriceMap``)."""

    def audit_groups(self, first_day: int, last_day: int, price: Pricing, tolerance: Decimal) -> AuditGroups: ...

    def prices(self) -> PriceMap: ...

    def audit_model_requests(self, model: str, first_day: int, last_day: int) -> list[AuditRequest]: ...

    def audit_requests(self, by: str, first_day: int, last_day: int) -> Iterator[AuditRequest]: ...

    def audit(self, by: str, first_day: int, last_day: int, price: Pricing, audit: Audit) -> Audit: ...


class AuditCache(LazyCells[AuditGroups, AuditCells]):
    """The audit cells of the window's days (``core.lazy_cells``): the prices are read
    with the first read (``price_sources``), and every poll's rows priced with them."""

    def __init__(
        self, source: AuditSource, price_file: str | None, clock: Callable[[], float], tolerance: Decimal
    ) -> None:
        self.prices: PriceMap | None = None
        self._price: Pricing | None = None
        self.tolerance = tolerance

        def read(first_day: int, last_day: int) -> AuditGroups:
            if self._price is None:
                try:
                    self.prices = price_sources(price_file, source.prices)
                except ConfigError as exc:  # (a bad price file: said where the pane is)
                    raise SourceError(str(exc)) from None
                self._price = pricer(self.prices)
            return source.audit_groups(first_day, last_day, self._price, tolerance)

        def build(found: AuditGroups, dims: Dimensions) -> AuditCells:
            assert self._price is not None
            cells = AuditCells(dims, self._price, tolerance)
            cells.set(found)
            return cells

        super().__init__(read, build, clock)

    @property
    def price(self) -> Pricing | None:
        """How requests are priced, once the prices are read."""
        return self._price
