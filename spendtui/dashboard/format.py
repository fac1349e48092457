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


def change(current: int, previous: int) -> tuple[str, float | None]:
    """``+12.3%`` against the previous period, ``new`` when it had nothing."""
    if previous == 0:
        return ("new", float("inf")) if current else ("–", None)
    ratio = (current - previous) / previous
    places = 0 if abs(ratio) >= 0.1 else 1
    return f"{ratio * 100:+.{places}f}%", ratio


def rate_per_hour(pico_per_hour: float) -> str:
    return f"{money_short(int(pico_per_hour))}/h"
