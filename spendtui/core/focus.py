"""The sums behind a FOCUS export (``spendtui report focus``): requests grouped by charge
period (a UTC day or hour), service (the model), provider, resource (the key), sub account
(the team) and tag set, each with what LiteLLM billed and what its tokens cost at list
price.

Billed cost is LiteLLM's logged spend, rounded once per request to integer pico-dollars
(as the cube rounds it). List cost is each request's tokens at its model's price in the
price map, by LiteLLM's cost rule (``core.audit``'s ``Pricing``: cache reads and writes,
reasoning, tiers); cache hits and failed requests cost $0 at any price, as LiteLLM bills
them; a request whose model has no price is counted at its billed cost (and said so).
Requests whose spend is not usable money (NULL, negative, NaN, over $1M) are left out and
counted, as every report leaves them out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

import numpy as np

from spendtui.core.audit import Pricing
from spendtui.core.audit_cells import MEASURES as AUDIT_MEASURES
from spendtui.core.audit_vector import AuditColumns, row_measures
from spendtui.core.dims import request_tags
from spendtui.core.prices import PriceMap

#: Per group: requests, billed and list pico-dollars, requests without a price and what
#: they billed, prompt, completion, cache-read and cache-creation tokens.
MEASURES = (
    "requests",
    "billed",
    "listed",
    "unpriced",
    "unpriced_billed",
    "prompt",
    "completion",
    "cache_read",
    "cache_creation",
)
M = len(MEASURES)
_AT = {name: i for i, name in enumerate(AUDIT_MEASURES)}


@dataclass(frozen=True, slots=True)
class FocusKey:
    """One row of the export: ``period`` is ``YYYY-MM-DD`` or ``YYYY-MM-DD HH`` (UTC);
    ``model`` as the cube names it (the model group, else the model); '' where the log
    row has no value; ``tags`` sorted, as the cube reads them (``dims.request_tags``)."""

    period: str
    model: str
    provider: str
    key: str
    team: str
    tags: tuple[str, ...]


@dataclass
class FocusGroups:
    """The sums per ``FocusKey`` (rows of ``sums``, in ``MEASURES`` order)."""

    keys: list[FocusKey] = field(default_factory=list)
    sums: np.ndarray = field(default_factory=lambda: np.zeros((0, M), np.int64))
    #: Requests left out: their spend is not usable money.
    unreadable: int = 0
    #: The models of the requests without a price (their list cost is their billed cost).
    unpriced_models: set[str] = field(default_factory=set)
    _index: dict[FocusKey, int] = field(default_factory=dict, repr=False)
    _tags: dict[object, tuple[str, ...]] = field(default_factory=dict, repr=False)
    #: The group of each combination of raw values read (tags as stored: two texts may
    #: hold one tag set).
    _raw: dict[tuple[object, ...], int] = field(default_factory=dict, repr=False)

    def add(
        self,
        cols: AuditColumns,
        models: Sequence[str],
        periods: Sequence[object],
        keys: Sequence[object],
        teams: Sequence[object],
        tags: Sequence[object],
        pricing: Pricing,
    ) -> None:
        """A batch of requests: their columns, and per request the model as the cube names
        it, the period, key, team and raw ``request_tags``."""
        n = len(cols)
        if not n:
            return
        m = row_measures(cols, pricing, Decimal(0))
        usable = m[:, _AT["unreadable"]] == 0
        self.unreadable += int(n - usable.sum())
        unpriced = (m[:, _AT["billable"]] > 0) & (m[:, _AT["no_price"]] > 0)
        logged = m[:, _AT["logged"]]
        out = np.zeros((n, M), np.int64)
        out[:, 0] = usable
        out[:, 1] = logged
        out[:, 2] = m[:, _AT["expected"]] + np.where(unpriced, logged, 0)
        out[:, 3] = unpriced
        out[:, 4] = np.where(unpriced, logged, 0)
        for j, column in enumerate((cols.prompt, cols.completion, cols.cache_read, cols.cache_creation), start=5):
            out[:, j] = np.where(usable, np.asarray(column, np.int64), 0)
        for i in np.flatnonzero(unpriced).tolist():
            self.unpriced_models.add(models[i])
        raw, index, parse = self._raw, self._index, self._tags
        ids = np.empty(n, np.intp)
        for i, seen in enumerate(zip(periods, models, cols.provider, keys, teams, tags, strict=True)):
            at = raw.get(seen)
            if at is None:  # (a new combination of raw values: its group, by canonical key)
                period, model, provider, key, team, text = seen
                tagset = parse.get(text)
                if tagset is None:
                    tagset = parse[text] = request_tags(text)
                found = FocusKey(str(period), model, provider, str(key or ""), str(team or ""), tagset)
                at = index.get(found)
                if at is None:
                    at = index[found] = len(self.keys)
                    self.keys.append(found)
                raw[seen] = at
            ids[i] = at
        keep = np.flatnonzero(usable)
        if len(self.keys) > len(self.sums):
            grown = np.zeros((max(len(self.keys), 2 * len(self.sums)), M), np.int64)
            grown[: len(self.sums)] = self.sums
            self.sums = grown
        np.add.at(self.sums, ids[keep], out[keep])

    def total(self) -> dict[str, int]:
        """Every group's sums added up."""
        return dict(zip(MEASURES, (int(v) for v in self.sums.sum(axis=0)), strict=True))

    def rows(self) -> Iterable[tuple[FocusKey, dict[str, int]]]:
        """Every group with requests, sorted by period, model, provider, key, team, tags."""
        order = sorted(range(len(self.keys)), key=lambda i: _order(self.keys[i]))
        for i in order:
            values = self.sums[i]
            if values[0]:
                yield self.keys[i], dict(zip(MEASURES, (int(v) for v in values), strict=True))


def _order(k: FocusKey) -> tuple[str, str, str, str, str, tuple[str, ...]]:
    return (k.period, k.model, k.provider, k.key, k.team, k.tags)


@runtime_checkable
class FocusSource(Protocol):
    """A source that can give every request of a range of UTC days grouped for a FOCUS
    export (per day, or per hour with ``hourly``), and the prices it stores."""

    def focus_groups(self, first_day: int, last_day: int, hourly: bool, pricing: Pricing) -> FocusGroups: ...

    def prices(self) -> PriceMap: ...


#: Why a source without request logs cannot give a FOCUS export.
NO_FOCUS = (
    "a FOCUS export prices every request's tokens per key, team, model, tag set and hour: "
    "only LiteLLM's request logs, in its database, have them (its REST API gives daily totals "
    "that do not cross keys, teams and tags): point spendtui at the database with --db postgresql://…"
)
