"""Comparing a window with the period before it, like with like.

A window that ends today holds a partial day: against the whole previous period it
looks like a drop in the morning and its first day of data like a leap. So:

* a window of several days that ends today compares its complete days (today left
  out) with the same number of days at the start of the previous period;
* the Today window compares today's complete hours with the same hours yesterday (no
  comparison before 01:00 UTC);
* a window that ended before today compares whole periods.

Where the source has no data for the start of the compared previous days (a proxy
set up three weeks ago, the demo's 45 days), the comparison says from when it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from spendtui.core.selection import Window
from spendtui.timeutil import day_date, day_number


@dataclass(frozen=True)
class Periods:
    """The part of the window compared, and the same part of the period before it."""

    current: Window
    previous: Window
    #: How the Overview's tile says it: ``vs prev``, ``vs yesterday``.
    label: str


def periods(window: Window, now: datetime) -> Periods | None:
    """The like-with-like periods for ``window`` at ``now``; None when there is nothing
    comparable yet (the first hour of today)."""
    today = day_number(now.date())
    if window.last_day < today:
        return Periods(window, window.previous(), "vs prev")
    if window.days == 1:
        if now.hour == 0:
            return None
        hours = now.hour
        yesterday = window.first_day - 1
        return Periods(
            Window(window.first_day, window.first_day, hours),
            Window(yesterday, yesterday, hours),
            "vs yesterday",
        )
    complete = Window(window.first_day, min(window.last_day, today - 1))
    before = window.previous()
    same = Window(before.first_day, before.first_day + complete.days - 1)
    return Periods(complete, same, "vs prev")


def _days(window: Window) -> str:
    first, last = day_date(window.first_day), day_date(window.last_day)
    return f"{first:%m-%d}" if first == last else f"{first:%m-%d}–{last:%m-%d}"


def coverage_note(compared: Periods, first_data_day: int | None) -> str | None:
    """Why the change may mislead: the previous days have data only from some day on
    (None too when they have none at all: then there is no change to show)."""
    if first_data_day is None or first_data_day <= compared.previous.first_day:
        return None
    if first_data_day > compared.previous.last_day:
        return None
    return f"Δ prev: the previous period is partly covered (data from {day_date(first_data_day):%Y-%m-%d})"
