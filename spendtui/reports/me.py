"""``spendtui me``: one key's own view, read and rendered (table, JSON, one line).

API for front-ends (the dashboard's "My key" pane renders from the same object):

* ``read_me(source, now, tz, thresholds) -> MyKeyView``: one read through the proxy (the
  source's own key) and every figure computed (``core/me.py``); a source that is not a
  proxy is refused (``ConfigError``: the database has no notion of "my key").
* ``render_table(view)``, ``render_json(view, exit_code)``, ``render_line(view)``.
* ``exit_code(view)``: 0 below every threshold, 1 warning, 2 over a budget (the
  worst of the key's, its team's and its user's visible budgets, as ``spendtui check``).

Anything the proxy does not show to the key reads "not visible to this key" and why,
never a zero.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from spendtui.budgets.render import budget_json, budget_row, dumps
from spendtui.core.budget_eval import EvaluatedBudget
from spendtui.core.me import RECENT, build_view
from spendtui.core.me_model import NOT_VISIBLE, Figure, MyKeySource, MyKeyView, Seen
from spendtui.core.thresholds import DEFAULT_THRESHOLDS, Threshold
from spendtui.errors import ConfigError
from spendtui.money import format_usd_auto, to_micro_decimal, used_percent
from spendtui.timeutil import day_date

NEEDS_PROXY = "spendtui me reads a key's own view through the proxy: give --proxy and --key"
EXIT_FOR_LEVEL = {"ok": 0, "warning": 1, "exceeded": 2}


def read_me(
    source: object,
    now: datetime,
    tz: tzinfo = UTC,
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS,
    recent: int = RECENT,
) -> MyKeyView:
    """The source's own key's view at ``now`` (I/O through the source, then pure figures)."""
    if not isinstance(source, MyKeySource):
        raise ConfigError(NEEDS_PROXY)
    return build_view(source.my_key(now), now, tz, thresholds, recent)


def exit_code(view: MyKeyView) -> int:
    return EXIT_FOR_LEVEL[view.level]


# ---------------------------------------------------------------------- one line
def _in(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 86_400:
        return f"{seconds // 86_400} d"
    if seconds >= 3_600:
        return f"{seconds // 3_600} h"
    return f"{max(seconds // 60, 0)} min"


def _percent(b: EvaluatedBudget) -> str:
    if b.limit is None:
        return ""
    if b.limit == 0:
        return " ($0 limit)"
    return f" ({used_percent(b.spend, b.limit).rstrip('%')} %)"


def _gauge(b: EvaluatedBudget) -> str:
    """``$3.21 / $10.00 (32 %), resets in 4 d``."""
    soft = " soft" if b.limit_is_soft else ""
    text = f"{format_usd_auto(b.spend)} / {format_usd_auto(b.limit or 0)}{soft}{_percent(b)}"
    if b.reset_overdue:
        text += ", reset overdue"
    elif b.resets_in is not None:
        text += f", resets in {_in(b.resets_in)}"
    return text


def render_line(view: MyKeyView) -> str:
    """One line for a status bar: ``$3.21 / $10.00 (32 %), resets in 4 d``; without a
    budget ``$3.21 spent, no budget``; a team or user budget at a threshold is added."""
    b = view.budget
    if b is None:
        month = view.month
        spent = f"{format_usd_auto(month.value)} this month" if month.value is not None else "spend " + NOT_VISIBLE
        text = f"{spent}, no key record"
    elif b.limit is None:
        text = f"{format_usd_auto(b.spend)} spent, no budget"
    else:
        text = _gauge(b)
    for kind, other in (("team", view.team_budget), ("user", view.user_budget)):
        if other is not None and other.limit is not None and other.level != "ok":
            text += f"; {kind} {other.state.name} {_gauge(other)}"
    return text + "\n"


# ---------------------------------------------------------------------- JSON
def _usd(pico: int | None) -> str | None:
    """A marker ``dumps`` writes as a bare number of six decimals."""
    return None if pico is None else f"\x00{to_micro_decimal(pico)}\x00"


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seen(seen: Seen | None) -> dict[str, Any] | None:
    if seen is None:
        return None
    return {"visible": seen.visible, "source": seen.source, "reason": seen.reason}


def _figure(f: Figure) -> dict[str, Any]:
    return {"spend": _usd(f.value), "requests": f.requests, **(_seen(f.seen) or {})}


def render_json(view: MyKeyView, code: int) -> str:
    key = view.key
    doc = {
        "read_at": _time(view.now),
        "proxy": view.proxy,
        "key_name": view.key_name,
        "alias": view.alias,
        "status": view.level,
        "exit_code": code,
        "key": {
            **(_seen(view.key_seen) or {}),
            "status": key.status if key else None,
            "blocked": key.budget.blocked if key else None,
            "expires": _time(key.budget.expires) if key else None,
            "team_id": key.budget.team_id if key else None,
            "user_id": key.budget.user_id if key else None,
            "total_spend": _usd(key.total_spend) if key else None,
            "last_active": _time(key.last_active) if key else None,
        },
        "budget": budget_json(view.budget) if view.budget else None,
        "team": {**(_seen(view.team_seen) or {}), "budget": budget_json(view.team_budget) if view.team_budget else None}
        if view.team_seen
        else None,
        "user": {**(_seen(view.user_seen) or {}), "budget": budget_json(view.user_budget) if view.user_budget else None}
        if view.user_seen
        else None,
        "spend": {"today": _figure(view.today), "month_to_date": _figure(view.month), "window": _figure(view.window)},
        "limits": None
        if view.limits is None
        else {
            "rpm": view.limits.rpm,
            "tpm": view.limits.tpm,
            "tpd": view.limits.tpd,
            "max_parallel_requests": view.limits.max_parallel_requests,
        },
        "models": {
            "allowed": list(view.models_allowed),
            "usable": list(view.models_usable) if view.models_usable is not None else None,
            **(_seen(view.models_seen) or {}),
        },
        "model_budgets": [
            {"model": m.model, "limit": _usd(m.limit), "spend": _usd(m.spend), "time_period": m.time_period}
            for m in view.model_budgets
        ],
        "activity": {
            **(_seen(view.activity_seen) or {}),
            "first_day": day_date(view.period[0]).isoformat() if view.period else None,
            "last_day": day_date(view.period[1]).isoformat() if view.period else None,
            "per_day": [
                {"day": day_date(d.day).isoformat(), "spend": _usd(d.spend), "requests": d.requests, "tokens": d.tokens}
                for d in view.per_day
            ],
            "per_model": [
                {"model": m.model, "spend": _usd(m.spend), "requests": m.requests, "tokens": m.tokens}
                for m in view.per_model
            ],
        },
        "recent": {
            **(_seen(view.recent_seen) or {}),
            "requests": [
                {
                    "request_id": r.request_id,
                    "start": _time(r.start),
                    "model": r.model,
                    "spend": _usd(r.spend),
                    "prompt_tokens": r.prompt_tokens,
                    "completion_tokens": r.completion_tokens,
                    "failed": r.failed,
                    "duration_ms": r.duration_ms,
                }
                for r in view.recent
            ],
        },
        "notes": list(view.notes),
    }
    return dumps(doc, indent=1) + "\n"


# ---------------------------------------------------------------------- table
def _money(pico: int | None) -> str:
    return "-" if pico is None else format_usd_auto(pico)


def _hidden(seen: Seen) -> str:
    """The reason a part is not shown (each reason says "not visible to this key" or why it does not apply)."""
    return seen.reason or NOT_VISIBLE


def _columns(header: list[str], rows: list[list[str]], left: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


def _fig(name: str, f: Figure) -> str:
    if f.value is None:
        return f"{name:<14} {_hidden(f.seen)}"
    return f"{name:<14} {_money(f.value)} ({f.requests or 0:,} requests, from {f.seen.source})"


def _budget_lines(view: MyKeyView) -> list[str]:
    rows: list[list[str]] = []
    hidden: list[str] = []
    for kind, b, seen in (
        ("key", view.budget, view.key_seen),
        ("team", view.team_budget, view.team_seen),
        ("user", view.user_budget, view.user_seen),
    ):
        if b is not None and b.limit is not None:
            rows.append(budget_row(b))
        elif b is not None:
            hidden.append(f"{kind} {b.state.name}: {_money(b.spend)} spent, no budget")
        elif seen is not None and not seen.visible:
            hidden.append(f"{kind}{' ' + view.team_name if kind == 'team' and view.team_name else ''}: {_hidden(seen)}")
    header = ["state", "kind", "name", "spent", "limit", "used", "remaining", "resets in"]
    header += ["burn (24h)", "projected", "runs out (UTC)"]
    lines = _columns(header, rows, {0, 1, 2}) if rows else []
    if view.budget is not None and view.budget.state.soft_budget is not None and not view.budget.limit_is_soft:
        lines.append(f"soft budget {_money(view.budget.state.soft_budget)} (a warning only)")
    for b in view.budgets():
        lines += [f"note: {b.state.kind}: {n}" for n in b.notes]
    return lines + hidden


def render_table(view: MyKeyView) -> str:
    key = view.key
    alias = f"{view.alias} ({view.key_name})" if view.alias else view.key_name
    lines = [f"key {alias} on {view.proxy}, at {view.now:%Y-%m-%d %H:%M} UTC"]
    if key is None:
        lines.append(f"key record: {_hidden(view.key_seen)}")
    else:
        s, lim = key.budget, key.limits
        limits = ", ".join(
            f"{name} {value:,}"
            for name, value in (
                ("rpm", lim.rpm),
                ("tpm", lim.tpm),
                ("tpd", lim.tpd),
                ("parallel", lim.max_parallel_requests),
            )
            if value is not None
        )
        expires = f"{s.expires:%Y-%m-%d %H:%M} UTC" if s.expires else "never"
        lines.append(
            f"status {key.status or '-'}{', BLOCKED' if s.blocked else ''}; expires {expires}; "
            f"limits: {limits or 'none'}; team {view.team_name or '-'}; user {s.user_id or '-'}"
        )
        if key.total_spend is not None:
            lines.append(f"lifetime spend {_money(key.total_spend)}")
    allowed = ", ".join(view.models_allowed) if view.models_allowed else "any the proxy allows"
    usable = ", ".join(view.models_usable) if view.models_usable is not None else _hidden(view.models_seen)
    lines += [f"models: restricted to {allowed}; may call {usable}", ""]
    budgets = _budget_lines(view)
    lines += budgets or ["no budget on this key"]
    lines += ["", "spend (UTC days)"]
    lines += [
        _fig(n, f) for n, f in (("today", view.today), ("month to date", view.month), ("in the window", view.window))
    ]
    for m in view.model_budgets:
        lines.append(f"model budget {m.model}: {_money(m.spend)} of {_money(m.limit)} ({m.time_period or 'no reset'})")
    if view.per_model and view.period is not None:
        span = f"{day_date(view.period[0])} to {day_date(view.period[1])}"
        lines += [
            "",
            f"per model, {span} (from {view.activity_seen.source})",
            *_columns(
                ["model", "spend", "share", "requests", "tokens"],
                [
                    [m.model, _money(m.spend), f"{m.share * 100:.1f}%", f"{m.requests:,}", f"{m.tokens:,}"]
                    for m in view.per_model
                ],
                {0},
            ),
        ]
    spent_days = [d for d in view.per_day if d.spend or d.requests]
    if spent_days:
        lines += [
            "",
            "per day (UTC, days with requests)",
            *_columns(
                ["day", "spend", "requests", "tokens"],
                [[str(day_date(d.day)), _money(d.spend), f"{d.requests:,}", f"{d.tokens:,}"] for d in spent_days],
                {0},
            ),
        ]
    lines.append("")
    if not view.recent_seen.visible:
        lines.append(f"recent requests: {_hidden(view.recent_seen)}")
    elif not view.recent:
        lines.append("recent requests: none since yesterday (UTC)")
    else:
        lines += [
            "recent requests (newest first)",
            *_columns(
                ["start (UTC)", "model", "spend", "tokens in/out", "status", "ms"],
                [
                    [
                        f"{r.start:%m-%d %H:%M:%S}",
                        r.model,
                        _money(r.spend),
                        f"{r.prompt_tokens:,}/{r.completion_tokens:,}",
                        "failed" if r.failed else "ok",
                        "-" if r.duration_ms is None else f"{r.duration_ms:,}",
                    ]
                    for r in view.recent
                ],
                {0, 1, 4},
            ),
        ]
    lines += [f"note: {n}" for n in view.notes]
    return "\n".join(lines) + "\n"
