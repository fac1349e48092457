"""Usage over a window grouped the way LiteLLM's Prometheus series are, with bounded labels.

LiteLLM's ``litellm_spend_metric`` has one series per combination of end user, key, model,
team and user. Served as they are, those combinations grow without bound (a proxy with
10,000 keys and as many customers). Here every dimension keeps its ``top`` values by
spend in the window and folds the rest into one value, ``OTHER``; the cells are then
summed per combination of the kept values. So, for every dimension on its own, the
series summed by that label (``sum by (team) (...)``) give each kept value's totals
exactly and ``OTHER`` the exact rest, and the sum of all series is the window's total: a
label never has more than ``top + 1`` values, whatever the data.

Only a cube that knows every dimension of every day of the window can be grouped like
that (the database source; a proxy source's live request-log days); otherwise
``NotExact`` says so. Nothing here reads a source: it answers from the engine's cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spendtui.core.facts import NotExact
from spendtui.core.measures import Totals, group_totals
from spendtui.core.query import Query, Window
from spendtui.core.questions import Questions

#: The dimensions crossed, in label order (spendtui's names; see ``metrics.USAGE_LABELS``).
USAGE_DIMENSIONS = ("customer", "key", "model", "team", "user", "organization")
#: The value a dimension's values beyond its top N are folded into. A value that really is
#: called this is folded in too (two series with one label set would break the scrape).
OTHER = "(other)"


@dataclass(frozen=True)
class UsageRow:
    """One combination of kept values (``""``: none, ``OTHER``: the rest) and its totals."""

    values: tuple[str, ...]
    totals: Totals


@dataclass(frozen=True)
class Usage:
    """The window's usage by combination, and how many values each dimension had."""

    rows: tuple[UsageRow, ...]
    #: Distinct values with requests or spend per dimension in the window (before folding).
    distinct: dict[str, int]


def usage_query(query: Questions, window: Window, live_first_day: int | None) -> Query:
    """The one cube that can cross every dimension over ``window``: the query itself, or a
    fact set's request-log cube when its days cover the window; NotExact otherwise."""
    if isinstance(query, Query):
        return query
    if live_first_day is not None and live_first_day <= window.first_day:
        return Query(query.cube)
    raise NotExact(
        f"the source's daily tables do not cross key, model, team, user and customer before "
        f"{'its request logs start' if live_first_day is None else 'the days it reads by request'}: "
        "usage series need LiteLLM's database (--db, --history logs); budgets and rules are served"
    )


def _ranked(ids: np.ndarray, values: list[str], m: np.ndarray, bound: int, top: int) -> np.ndarray:
    """Per value id: its code (0..top-1 by spend, then requests, then name) or ``top`` (the rest)."""
    totals = group_totals(ids, m, len(values), bound) if len(values) else []
    used = [i for i, t in enumerate(totals) if t.requests or t.spend]
    used.sort(key=lambda i: (-totals[i].spend, -totals[i].requests, values[i]))
    kept = [i for i in used if values[i] != OTHER][:top]
    code = np.full(len(values), top, dtype=np.int64)
    code[kept] = np.arange(len(kept), dtype=np.int64)
    return code


def usage(query: Query, window: Window, top: int) -> Usage:
    """Totals per combination of the dimensions' top ``top`` values (and ``OTHER``)."""
    cube = query.cube
    parts = query.select(window)
    column = cube.view("m")
    pieces = [column[:, p] for p in parts]
    m = pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=1)
    if m.shape[1] == 0:
        return Usage((), dict.fromkeys(USAGE_DIMENSIONS, 0))
    composite = np.zeros(m.shape[1], dtype=np.int64)
    decode: list[tuple[np.ndarray, list[str]]] = []
    distinct: dict[str, int] = {}
    for dimension in USAGE_DIMENSIONS:
        raw, values = query.value_ids(dimension, parts)
        ids = raw.astype(np.intp, copy=False)
        code = _ranked(ids, values, m, cube.spend_bound, top)
        distinct[dimension] = int(np.count_nonzero(np.bincount(ids, minlength=len(values))))
        # what each code stands for: the kept values in rank order, then OTHER
        labels = [OTHER] * (top + 1)
        for i in np.flatnonzero(code < top).tolist():
            labels[int(code[i])] = values[i]
        decode.append((code, labels))
        composite = composite * (top + 1) + code[ids]  # (top + 1) ** 6 < 2 ** 63 for top < 1,500
    combos, inverse = np.unique(composite, return_inverse=True)
    totals = group_totals(inverse.reshape(-1), m, len(combos), cube.spend_bound)
    rows = []
    for combo, t in zip(combos.tolist(), totals, strict=True):
        if not (t.requests or t.spend):
            continue
        codes = []
        for _ in USAGE_DIMENSIONS:
            combo, code = divmod(combo, top + 1)
            codes.append(code)
        found = tuple(labels[c] for (_, labels), c in zip(decode, reversed(codes), strict=True))
        rows.append(UsageRow(found, t))
    rows.sort(key=lambda r: (-r.totals.spend, r.values))
    return Usage(tuple(rows), distinct)
