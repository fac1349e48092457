"""``spendtui check`` output: an aligned table for people, JSON for scripts.

JSON::

    {"checked_at": "2026-11-27T12:00:00Z", "status": "warning", "exit_code": 1,
     "counts": {"ok": 40, "warning": 1, "exceeded": 0}, "thresholds": [0.8, 1.0],
     "budgets": [{"kind": "team", "id": "team-alpha", "name": "Alpha", "level": "warning",
                  "spend": 41.0, "limit": 50.0, "max_budget": 50.0, "soft_budget": null,
                  "percent": 82.0, "remaining": 9.0, "thresholds_crossed": [0.8],
                  "soft_budget_crossed": false, "budget_duration": "30d",
                  "window_start": "2026-11-01T00:00:00Z", "window_end": "2026-12-01T00:00:00Z",
                  "resets_in_seconds": 302400, "burn_rate_per_hour": {"last_hour": 0.12,
                  "last_24h": 0.09, "window_average": 0.06}, "projected_at_window_end": 52.1,
                  "runs_out_at": "2026-11-30T02:00:00Z", "days_left": 2.58, ...}],
     "notes": []}

Money is USD with six decimals (rates: USD per hour); times are UTC.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from spendtui.budgets.board import BudgetBoard
from spendtui.core.budget_eval import EvaluatedBudget
from spendtui.core.rule_eval import RuleBoard
from spendtui.core.rules import RuleResult
from spendtui.core.thresholds import Threshold
from spendtui.money import format_usd_auto, to_micro_decimal, used_percent
from spendtui.timeutil import format_age

FORMATS = ("table", "json")
_NUMBER = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)\\u0000"')


def _usd(pico: int | None) -> str | None:
    """A marker json.dumps keeps as a string; replaced by the bare number afterwards."""
    return None if pico is None else f"\x00{to_micro_decimal(pico)}\x00"


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _fraction(t: Threshold) -> str:
    return f"\x00{t.key}\x00"


def budget_json(b: EvaluatedBudget) -> dict[str, Any]:
    s, f = b.state, b.forecast
    return {
        "kind": s.kind,
        "id": s.id,
        "name": s.name,
        "level": b.level,
        "spend": _usd(s.spend),
        "limit": _usd(b.limit),
        "limit_is_soft": b.limit_is_soft,
        "max_budget": _usd(s.max_budget),
        "soft_budget": _usd(s.soft_budget),
        "percent": round(b.percent, 2) if b.percent is not None else None,
        "remaining": _usd(b.remaining),
        "thresholds": [_fraction(t) for t in b.thresholds],
        "thresholds_crossed": [_fraction(t) for t in b.crossed if not t.is_soft],
        "soft_budget_crossed": any(t.is_soft for t in b.crossed),
        "budget_duration": s.budget_duration,
        "window_start": _time(b.window.start),
        "window_end": _time(b.window.end),
        "window_assumed": b.window.assumed,
        "resets_in_seconds": int(b.resets_in.total_seconds()) if b.resets_in is not None else None,
        "burn_rate_per_hour": {
            "last_hour": _usd(f.rate_last_hour),
            "last_24h": _usd(f.rate_last_24h),
            "window_average": _usd(f.rate_window),
        },
        "projected_at_window_end": _usd(f.projected_at_end),
        "runs_out_at": _time(f.runs_out_at),
        "days_left": round(f.days_left, 2) if f.days_left is not None else None,
        "blocked": s.blocked,
        "scope": s.scope,
        "spend_from": s.spend_from,
        "logs_spend": _usd(s.logs_spend),
        "counter_disagrees": s.disagrees,
        "key_name": s.key_name,
        "team_id": s.team_id,
        "user_id": s.user_id,
        "notes": list(b.notes),
    }


def render_json(
    board: BudgetBoard,
    shown: list[EvaluatedBudget],
    exit_code: int,
    thresholds: tuple[Threshold, ...],
    rules: RuleBoard | None = None,
    all_rules: bool = False,
) -> str:
    doc = {
        "checked_at": _time(board.evaluated_at),
        "status": board.level,
        "exit_code": exit_code,
        "counts": board.counts(),
        "thresholds": [_fraction(t) for t in thresholds],
        "budgets": [budget_json(b) for b in shown],
        "rules": [rule_json(r) for r in (rules.results if rules else ()) if all_rules or r.firing],
        "rules_firing": len(rules.firing()) if rules else 0,
        "notes": [*board.notes, *(rules.notes if rules else ())],
    }
    return dumps(doc, indent=1) + "\n"


def dumps(doc: object, indent: int | None = None) -> str:
    """JSON with money and rates as bare numbers of exactly six decimals."""
    return _NUMBER.sub(r"\1", json.dumps(doc, indent=indent, ensure_ascii=False))


def _measure_json(measure: str, value: Fraction) -> object:
    """Spend in USD (six decimals), a failure rate as a fraction (six decimals), a count."""
    if measure == "spend":
        return _usd(round(value))
    if measure == "failure_rate":
        return f"\x00{round(value * 1_000_000) / 1_000_000:.6f}\x00"
    return int(value) if value.denominator == 1 else float(value)


def rule_json(r: RuleResult) -> dict[str, Any]:
    """One rule's result: what ``check --format json`` lists under ``rules``."""
    measure = r.rule.measure
    return {
        "name": r.rule.name,
        "kind": r.rule.kind,
        "measure": measure,
        "scope": r.scope_text or "the whole proxy",
        "period": r.rule.period,
        "period_key": r.period_key,
        "value": _measure_json(measure, r.value),
        "threshold": _measure_json(measure, r.threshold),
        "state": r.state,
        "over": _measure_json(measure, r.over) if r.firing else None,
        "over_percent": float(round(r.over_percent, 2)) if r.firing and r.over_percent is not None else None,
        "median": _measure_json(measure, r.median) if r.median is not None else None,
        "text": r.describe(),
        "note": r.note,
    }


def rules_table(rules: RuleBoard, all_rules: bool) -> list[str]:
    """The rules' lines of ``check``'s table: a head line, then firing rules (``all_rules``: every one)."""
    firing = rules.firing()
    lines = ["", f"rules: {len(firing)} firing, {len(rules.results) - len(firing)} ok"]
    shown = [r for r in rules.results if all_rules or r.firing]
    lines += [f"{'▲ FIRING' if r.firing else '  ok    '}  {r.rule.name}: {r.describe()}" for r in shown]
    lines += [f"note: {n}" for n in rules.notes]
    return lines


def _money(pico: int | None) -> str:
    return "-" if pico is None else format_usd_auto(pico)


def logs_cell(b: EvaluatedBudget) -> str:
    """The request logs' spend for the window: ``≠ $12.34`` when LiteLLM's counter differs
    from it by more than a cent, ``=`` when they agree, ``≈`` while a difference has not
    held across two reads yet (most likely requests in flight), ``-`` when not compared (or the spend is counted from
    the logs)."""
    s = b.state
    if s.logs_spend is None or s.spend_from == "logs":
        return "-"
    if s.differs and not s.logs_settled:
        return "≈"
    return f"≠ {_money(s.logs_spend)}" if s.disagrees else "="


def budget_row(b: EvaluatedBudget) -> list[str]:
    """The cells of one budget: state, kind, name, spent, limit, used, remaining, resets in,
    burn (24h), projected at window end, runs out (UTC)."""
    f = b.forecast
    if b.reset_overdue:
        resets = "overdue"
    elif b.resets_in is not None:
        resets = format_age(b.resets_in.total_seconds())
    else:
        resets = "never"
    if f.runs_out_at is not None:
        runs_out = f"{f.runs_out_at:%Y-%m-%d %H:%M}"
    elif b.level == "exceeded" or (b.remaining is not None and b.remaining <= 0):
        runs_out = "now"
    else:
        runs_out = "-"
    limit = _money(b.limit) + (" soft" if b.limit_is_soft else "")
    used = "-" if b.percent is None or not b.limit else used_percent(b.spend, b.limit, 1)
    if b.limit == 0:
        used = "$0 limit"
    return [
        f"{b.symbol} {b.label}",
        b.state.kind,
        b.state.name,
        _money(b.spend),
        limit,
        used,
        _money(b.remaining),
        resets,
        "-" if f.rate_last_24h is None else _money(f.rate_last_24h) + "/h",
        _money(f.projected_at_end),
        runs_out,
    ]


def render_table(
    board: BudgetBoard, shown: list[EvaluatedBudget], rules: RuleBoard | None = None, all_rules: bool = False
) -> str:
    counts = board.counts()
    head = (
        f"budgets at {board.evaluated_at:%Y-%m-%d %H:%M} UTC: {counts['exceeded']} over, "
        f"{counts['warning']} warning, {counts['ok']} ok"
    )
    lines = [head]
    if shown:
        header = ["state", "kind", "name", "spent", "limit", "used", "remaining", "resets in"]
        header += ["burn (24h)", "projected", "runs out (UTC)", "logs"]
        body = [[*budget_row(b), logs_cell(b)] for b in shown]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        left = {0, 1, 2}

        def line(cells: list[str]) -> str:
            out = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
            return "  ".join(out).rstrip()

        lines += ["", line(header), "  ".join("-" * w for w in widths), *(line(r) for r in body)]
    elif board.budgets:
        lines.append("every budget is below its thresholds")
    else:
        lines.append("no budgets: LiteLLM has none with a limit, and no plans are configured")
    for b in shown:
        if b.state.disagrees and b.state.logs_spend is not None:
            lines.append(
                f"≠ {b.state.kind} {b.state.name}: LiteLLM's counter {_money(b.spend)}, request logs "
                f"{_money(b.state.logs_spend)} this window (the limit is enforced on the counter)"
            )
    lines += [f"note: {n}" for n in board.notes]
    if rules is not None and (rules.results or rules.notes):
        lines += rules_table(rules, all_rules)
    return "\n".join(lines) + "\n"
