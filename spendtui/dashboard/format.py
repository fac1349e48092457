"""Short, aligned numbers for narrow terminals."""

from __future__ import annotations

from spendtui.money import PICO, format_usd_auto


def money(pico: int) -> str:
    """``$1,234.57``; four decimals below ten cents so small spend is not ``$0.00``."""
    return format_usd_auto(pico)


def money_short(pico: int) -> str:
    """``$12.3K`` style for tight spots (KPI tiles, chart labels)."""
    usd = pico / PICO
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e4, "K")):
        if abs(usd) >= limit:
            return f"${usd / limit:,.1f}{suffix}"
    return format_usd_auto(pico)


def count(n: int) -> str:
    """``1,234`` below 100k, ``123.4K``, ``12.3M`` above."""
    if n >= 1_000_000_000:
        return f"{n / 1e9:.1f}B"
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 100_000:
        return f"{n / 1e3:.1f}K"
    return f"{n:,}"


def percent(part: float, whole: float, places: int = 1) -> str:
    if not whole:
        return "–"
    return f"{part * 100 / whole:.{places}f}%"


#: From this ratio (ten times the previous spend) a change reads ``×12``, and from
#: NEW_FROM (a previous spend under 1 % of today's) ``new``: "+2303247%" says nothing.
TIMES_FROM = 9.0
NEW_FROM = 99.0


def change_text(ratio: float | None) -> str:
    """``+12%``, ``-3.5%``, ``×12``, ``new`` (nothing, or next to nothing, before), ``–``."""
    if ratio is None:
        return "–"
    if ratio >= NEW_FROM:
        return "new"
    if ratio >= TIMES_FROM:
        return f"×{ratio + 1:.0f}"
    places = 0 if abs(ratio) >= 0.1 else 1
    return f"{ratio * 100:+.{places}f}%"


def rate_per_hour(pico_per_hour: float) -> str:
    return f"{money_short(int(pico_per_hour))}/h"


def fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut in the middle: names of keys and budgets
    differ at their ends (``code-review-prod-20`` / ``-16``), so both ends stay."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + "…" + text[len(text) - tail :]


def distinct(labels: list[str], ids: list[str], width: int) -> list[str]:
    """``labels`` fitted to ``width`` so that rows of different ids never read the same:
    where two fitted labels collide (the same alias twice, or a cut), each gets its
    id's end (``web-app · 3f9c2a``)."""
    fitted = [fit(label, width) for label in labels]
    seen: dict[str, set[str]] = {}
    for text, ident in zip(fitted, ids, strict=True):
        seen.setdefault(text, set()).add(ident)
    out = []
    for label, text, ident in zip(labels, fitted, ids, strict=True):
        if len(seen[text]) > 1:
            suffix = f" · {ident[-6:]}"
            text = fit(label, max(1, width - len(suffix))) + suffix
        out.append(text)
    return out
