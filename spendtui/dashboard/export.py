"""The table on screen as CSV (the dashboard's ``E``): same columns and exact money as
``spendtui report --format csv``, plus what the pane shows beside them.

Files are created new, never overwritten: ``spendtui-models-20261207-0812.csv``, then
``…-2.csv`` if that name is taken."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from spendtui.core.totals import Totals
from spendtui.money import to_micro_decimal

if TYPE_CHECKING:
    from spendtui.core.budget_eval import EvaluatedBudget
    from spendtui.dashboard.costs import CostsData
    from spendtui.dashboard.model import TableRow, TailRow

_TOTALS = ("spend", "requests", "prompt_tokens", "completion_tokens", "total_tokens", "failures", "cache_hits")
#: Added later, so last in every file (scripts that read columns by position keep working).
_CACHE = ("cache_read_tokens", "cache_creation_tokens")


def _usd(pico: int | None) -> str:
    return "" if pico is None else str(to_micro_decimal(pico))


def _totals(t: Totals) -> list[object]:
    return [_usd(t.spend), t.requests, t.prompt_tokens, t.completion_tokens, t.total_tokens, t.failures, t.cache_hits]


def _cache(t: Totals) -> list[object]:
    return [t.cache_read_tokens, t.cache_creation_tokens]


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def table_csv(rows: Sequence[TableRow]) -> str:
    """A breakdown: ``name`` as LiteLLM logs it, ``label`` as shown; the change columns
    are the compared spends (dashboard/compare.py), the budget as the Budget column."""
    header = (
        *("name", "label", *_TOTALS, "share", "compared_spend", "previous_spend", "budget_limit", "budget_state"),
        *_CACHE,
    )
    return _csv(
        header,
        (
            [
                r.value,
                r.label,
                *_totals(r.totals),
                f"{r.share:.6f}",
                _usd(r.compared_spend),
                _usd(r.previous_spend),
                _usd(r.budget.limit) if r.budget is not None else "",
                r.budget.level if r.budget is not None else "",
                *_cache(r.totals),
            ]
            for r in rows
        ),
    )


def tail_csv(rows: Sequence[TailRow]) -> str:
    header = ("request_id", "start_time", "key", "model", "tokens", "spend", "status", "user", "customer", "tags")
    return _csv(
        header,
        (
            [r.request_id, r.started, r.key, r.model, r.tokens, _usd(r.spend), r.status, r.user, r.customer, r.tags]
            for r in rows
        ),
    )


def budgets_csv(budgets: Sequence[EvaluatedBudget]) -> str:
    """The Budgets pane: the same figures as ``spendtui check --format json`` (the request
    logs' spend for the window and whether LiteLLM's counter disagrees with it last)."""
    header = (
        "state",
        "kind",
        "id",
        "name",
        "spend",
        "limit",
        "limit_is_soft",
        "remaining",
        "window_end",
        "runs_out_at",
        "logs_spend",
        "counter_disagrees",
    )
    return _csv(
        header,
        (
            [
                b.level,
                b.state.kind,
                b.state.id,
                b.state.name,
                _usd(b.spend),
                _usd(b.limit),
                b.limit_is_soft,
                _usd(b.remaining),
                b.window.end.isoformat() if b.window.end else "",
                b.forecast.runs_out_at.isoformat() if b.forecast.runs_out_at else "",
                _usd(b.state.logs_spend),
                b.state.disagrees,
            ]
            for b in budgets
        ),
    )


def daily_csv(days: Sequence[tuple[date, Totals]]) -> str:
    return _csv(("day", *_TOTALS, *_CACHE), ([d.isoformat(), *_totals(t), *_cache(t)] for d, t in days))


def write_new(directory: Path, stem: str, text: str, now: datetime) -> Path:
    """Write ``text`` to a new file in ``directory`` (never over an existing one)."""
    base = f"spendtui-{stem}-{now:%Y%m%d-%H%M%S}"
    for n in range(1, 100):
        path = directory / (f"{base}.csv" if n == 1 else f"{base}-{n}.csv")
        try:
            with path.open("x", encoding="utf-8", newline="") as f:
                f.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory / base}*.csv: 99 files of that name already exist")


def costs_csv(data: CostsData) -> str:
    """The Costs pane: the audit of the slice per model (``spendtui audit``'s figures),
    and what the cache saved."""
    header = (
        "model",
        "requests",
        "logged_spend",
        "expected_spend",
        "difference",
        "zero_cost_requests",
        "drifted_requests",
        "unpriced_requests",
        "unpriced_spend",
        "cache_hits",
        "cache_hit_savings",
        "cache_read_savings",
    )
    return _csv(
        header,
        (
            [
                r.model,
                r.totals.requests,
                _usd(r.totals.logged),
                _usd(r.totals.expected),
                _usd(r.totals.difference),
                r.totals.zero_cost,
                r.totals.drifted,
                r.totals.unpriced,
                _usd(r.totals.unpriced_spend),
                r.totals.hits,
                _usd(r.totals.hit_cost),
                _usd(r.totals.cache_saving),
            ]
            for r in data.rows
        ),
    )
