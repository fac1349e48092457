"""The daily activity endpoints (``/{user,team,customer,tag}/daily/activity``), merged.

What LiteLLM 1.108.7 does (``common_daily_activity.py``, ``db_spend_update_writer.py``):

* Each ``LiteLLM_Daily<Entity>Spend`` table has one row per (entity, UTC day of the
  request's ``startTime``, key hash, ``model``, ``custom_llm_provider``, MCP tool,
  endpoint), holding sums of spend, tokens and request counts.
* The paginated endpoint pages over those **table rows** (``ORDER BY date DESC, id``), and
  aggregates each page separately into per-day ``breakdown``s. Every breakdown is one
  dimension crossed with the key: ``model_groups[group].api_key_breakdown[key]`` (group is
  ``model_group or model``), ``providers[provider or "unknown"]...``,
  ``entities[entity or "Unassigned"]...``, and ``api_keys[key]``. A day split over two
  pages therefore appears twice: pages are merged by adding their cells, which is exact
  because pages hold disjoint table rows.
* ``total_tokens`` is ``prompt_tokens + completion_tokens``; ``api_requests`` excludes
  LiteLLM's internal sub-calls (auto-router classifier, shadow evaluations); cache hits are
  not kept (only cache-read and cache-creation token counts), so they are 0 here.

Names: ``Unassigned`` (entity) and ``unknown`` (provider) are LiteLLM's labels for an
empty value and become ``""`` (shown as ``(none)``) as in the database source.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from spendtui.core.measures import MAX_TOKENS, N_MEASURES
from spendtui.errors import SourceDataError
from spendtui.money import to_pico

#: The breakdowns spendtui reads, by the name of the dimension they carry.
BREAKDOWNS = {"model": "model_groups", "provider": "providers", "entity": "entities"}
_EMPTY_LABELS = {"model": (), "provider": ("unknown",), "entity": ("Unassigned",)}
#: 9 measures. build_history only reads them: the REST pages are summed into lists, the
#: database reader keeps the driver's tuples.
Cell = Sequence[int]
_Key = TypeVar("_Key", bound=tuple[str, ...])
#: A daily count (requests or tokens) beyond this is not data (it would overflow sums).
MAX_COUNT = MAX_TOKENS


@dataclass
class DailyTable:
    """One daily table's marginals, summed over every page read so far.

    ``keys[(date, key)]`` are per-key totals; ``cells[dim][(date, value, key)]`` the
    breakdown of those totals by ``dim`` (``model``, ``provider`` or ``entity``)."""

    entity: str
    keys: dict[tuple[str, str], Cell] = field(default_factory=dict)
    cells: dict[str, dict[tuple[str, str, str], Cell]] = field(default_factory=lambda: {dim: {} for dim in BREAKDOWNS})
    pages: int = 0

    def days(self) -> set[str]:
        return {d for d, _ in self.keys} | {d for cells in self.cells.values() for d, _, _ in cells}

    def key_cells(self) -> Iterator[tuple[str, str, Cell]]:
        for (day, key), cell in self.keys.items():
            yield day, key, cell


@dataclass(frozen=True)
class PageInfo:
    page: int
    total_pages: int
    has_more: bool


def _measures(metrics: object, where: str) -> Cell:
    """A ``SpendMetrics`` object as the cube's 9 measures."""
    if not isinstance(metrics, dict):
        raise SourceDataError(f"{where}: a breakdown entry has no metrics object")
    spend = to_pico(metrics.get("spend", 0))
    if spend is None:
        raise SourceDataError(f"{where}: unreadable spend {metrics.get('spend')!r} in daily activity")
    prompt = _count(metrics, "prompt_tokens", where)
    completion = _count(metrics, "completion_tokens", where)
    total = metrics.get("total_tokens")
    return [
        spend,
        _count(metrics, "api_requests", where),
        prompt,
        completion,
        total if isinstance(total, int) and not isinstance(total, bool) else prompt + completion,
        _count(metrics, "failed_requests", where),
        0,
        _count(metrics, "cache_read_input_tokens", where),
        _count(metrics, "cache_creation_input_tokens", where),
    ]


def _count(metrics: dict[str, Any], name: str, where: str) -> int:
    value = metrics.get(name, 0)
    if value is None:
        return 0
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_COUNT
    ):
        raise SourceDataError(f"{where}: unreadable {name} {value!r} in daily activity")
    return int(value)


def _object(value: object, where: str, what: str) -> dict[str, Any]:
    """An object from the answer ({} for null); anything else is a data error."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SourceDataError(f"{where}: {what} is not an object")
    return value


def _add(target: dict[_Key, Cell], key: _Key, cell: Cell) -> None:
    found = target.get(key)
    if found is None:
        target[key] = list(cell)
    else:
        summed = cast("list[int]", found)  # (the pages' sums: lists, made just above)
        for i in range(N_MEASURES):
            summed[i] += cell[i]


def _value(dim: str, name: str) -> str:
    return "" if name in _EMPTY_LABELS[dim] else name


def merge_page(table: DailyTable, body: object, where: str) -> PageInfo:
    """Add one page of a paginated daily-activity answer to ``table``."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise SourceDataError(f"{where}: expected an object with a 'results' list")
    for day in body["results"]:
        if not isinstance(day, dict) or not isinstance(day.get("date"), str):
            raise SourceDataError(f"{where}: a result has no date")
        date = day["date"][:10]
        breakdown = _object(day.get("breakdown"), where, "a day's breakdown")
        for key, entry in _object(breakdown.get("api_keys"), where, "api_keys").items():
            _add(table.keys, (date, key), _measures(_object(entry, where, "an api_keys entry").get("metrics"), where))
        for dim, name in BREAKDOWNS.items():
            for raw_value, entry in _object(breakdown.get(name), where, name).items():
                if not isinstance(entry, dict):
                    raise SourceDataError(f"{where}: a {name} entry is not an object")
                value = _value(dim, raw_value)
                for key, per_key in _object(entry.get("api_key_breakdown"), where, "api_key_breakdown").items():
                    cell = _measures(_object(per_key, where, "an api_key_breakdown entry").get("metrics"), where)
                    _add(table.cells[dim], (date, value, key), cell)
    table.pages += 1
    raw_meta = body.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    raw_page, raw_total = meta.get("page"), meta.get("total_pages")
    page: int = raw_page if isinstance(raw_page, int) else table.pages
    total_pages: int = raw_total if isinstance(raw_total, int) else page
    return PageInfo(page, total_pages, bool(meta.get("has_more")))
