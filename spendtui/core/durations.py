"""LiteLLM budget durations: the grammar, and where budget windows start and end.

This follows LiteLLM 1.110.2's ``litellm_core_utils/duration_parser.py`` (read, not copied):

* A duration is ``<int>`` followed by ``s``, ``m``, ``h``, ``d``, ``w`` or ``mo``; the words
  ``hourly``/``daily``/``weekly``/``monthly`` stand for ``1h``/``24h``/``7d``/``30d``.
* Resets snap to calendar boundaries in the proxy's time zone (``litellm_settings.timezone``,
  default UTC), at ``litellm_settings.budget_reset_time`` (default midnight) for day, week
  and month durations: ``1d`` at the next reset time of day, ``7d``/``1w`` on Monday,
  ``30d``/``1mo`` on the 1st of the month, other ``Nd``/``Nw`` N days (7N) after today's
  midnight. ``Nh``/``Nm``/``Ns`` land on the next multiple of N of the hour of day (minute
  of hour, second of minute); a result past midnight lands on the *next* day only, as
  LiteLLM computes it (so ``48h`` resets at the next midnight). ``24h`` (and ``daily``)
  ignore the reset time of day.
* A window's start is its reset minus the duration in calendar terms (one calendar month
  for ``30d``/``1mo``), so ``budget_reset_at - 30 days`` is never used.

``parse_duration`` is strict (what spendtui accepts from people); ``parse_stored_duration``
reads what a database may hold the way LiteLLM reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_GRAMMAR = re.compile(r"^([0-9]+)(mo|s|m|h|d|w)$")
_STORED = re.compile(r"(\d+)([a-z]+)")
_STORED_UNIT = re.compile(r"\d+(mo|[smhdw]?)")
ALIASES = {"hourly": "1h", "daily": "24h", "weekly": "7d", "monthly": "30d"}
UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month"}
MIDNIGHT = time(0, 0)


class DurationError(ValueError):
    """A duration that LiteLLM would not accept."""


@dataclass(frozen=True)
class Duration:
    """A parsed budget duration such as ``30d``."""

    value: int
    unit: str

    def __str__(self) -> str:
        return f"{self.value}{self.unit}"

    def describe(self) -> str:
        """``30 days``, ``1 month``."""
        noun = UNITS[self.unit]
        return f"{self.value} {noun}" + ("" if self.value == 1 else "s")


def parse_duration(text: str) -> Duration:
    """Parse a duration strictly (aliases allowed); DurationError with the grammar otherwise."""
    if not isinstance(text, str):
        raise DurationError(f"duration must be text like '30d', not {type(text).__name__}")
    raw = text.strip()
    raw = ALIASES.get(raw.lower(), raw)
    match = _GRAMMAR.match(raw)
    if not match:
        raise DurationError(
            f"{text!r} is not a LiteLLM duration: use a whole number followed by "
            "s, m, h, d, w or mo (e.g. 30s, 15m, 24h, 7d, 2w, 1mo), or "
            "hourly/daily/weekly/monthly"
        )
    value = int(match.group(1))
    unit = match.group(2)
    if value <= 0:
        raise DurationError(f"{text!r}: the number must be at least 1")
    if unit == "mo" and value != 1:
        raise DurationError(f"{text!r}: LiteLLM only resets monthly budgets every 1mo")
    if value > 100_000:
        raise DurationError(f"{text!r} is too long for a budget window")
    return Duration(value, unit)


def parse_stored_duration(text: object) -> Duration | None:
    """A ``budget_duration`` read from LiteLLM's tables, interpreted as LiteLLM does.

    LiteLLM matches ``(\\d+)([a-z]+)`` at the start and takes the unit from the leading
    ``mo``/``s``/``m``/``h``/``d``/``w`` (so ``30min`` is 30 minutes and ``2days`` two days).
    None when LiteLLM would not recognise it: it then resets at the next midnight, so the
    window is treated as one day (see ``window_start``).
    """
    if not isinstance(text, str):
        return None
    raw = ALIASES.get(text.strip().lower(), text)
    match = _STORED.match(raw)
    if not match:
        return None
    value, spelled = int(match.group(1)), match.group(2)
    unit_match = _STORED_UNIT.match(raw)
    unit = (unit_match.group(1) if unit_match else "") or spelled
    if unit == "mo" and spelled != "mo" and value != 1:
        unit = spelled  # "3months": LiteLLM does not recognise it
    if unit not in UNITS or value <= 0:
        return None
    return Duration(value, unit)


def zone(name: str | None) -> tzinfo:
    """The proxy's budget time zone (IANA name); UTC when unset."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DurationError(f"unknown time zone {name!r}") from exc


def _add_month(moment: datetime, months: int) -> datetime:
    """The 1st of the month ``months`` away, same time of day."""
    total = moment.year * 12 + (moment.month - 1) + months
    return moment.replace(year=total // 12, month=total % 12 + 1, day=1)


def _shift_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by calendar months, clamped to the target month's last day."""
    first = _add_month(moment, months)
    last_day = (_add_month(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(moment.day, last_day))


def _is_monthly(duration: Duration) -> bool:
    return (duration.unit == "d" and duration.value == 30) or duration.unit == "mo"


def _days(duration: Duration) -> int | None:
    """Whole days of a day or week duration (weeks are 7N days), None for other units."""
    if duration.unit == "d":
        return duration.value
    if duration.unit == "w":
        return duration.value * 7
    return None


def _at(day: datetime, clock: time) -> datetime:
    return day.replace(hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=0)


def _next_occurrence(boundary: datetime, clock: time, now: datetime, period: timedelta) -> datetime:
    """The reset on ``boundary``'s day at ``clock``, one period later if that is not after now."""
    candidate = _normalise(_at(boundary, clock), now.tzinfo)
    return candidate if candidate > now else candidate + period


def next_reset(duration: Duration, now: datetime, tz: tzinfo = UTC, reset_time: time = MIDNIGHT) -> datetime:
    """When LiteLLM would next reset a budget of this duration, seen at ``now`` (UTC out).

    ``reset_time`` is LiteLLM's ``budget_reset_time`` (day, week and month durations only).
    """
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    days = _days(duration)
    if _is_monthly(duration):
        if duration.unit == "mo" and duration.value != 1:
            raise DurationError(f"{duration}: LiteLLM only resets monthly budgets every 1mo")
        first = midnight.replace(day=1)
        candidate = _normalise(_at(first, reset_time), tz)
        result = candidate if candidate > local else _at(_add_month(first, 1), reset_time)
    elif days == 1:
        result = _next_occurrence(midnight, reset_time, local, timedelta(days=1))
    elif days == 7:
        monday = midnight + timedelta(days=(7 - local.weekday()) % 7)
        result = _next_occurrence(monday, reset_time, local, timedelta(days=7))
    elif days is not None:
        result = _at(midnight + timedelta(days=days), reset_time)
    else:
        # The next multiple of N of the unit's own clock field (hour of day, minute of
        # hour, second of minute), carried into the larger fields; past midnight it lands
        # on the next day, whatever the size of the overflow (LiteLLM's rule).
        v = duration.value
        h, m, s = local.hour, local.minute, local.second
        if duration.unit == "h":
            h, m, s = (h // v + 1) * v, 0, 0
        elif duration.unit == "m":
            m, s = (m // v + 1) * v, 0
        else:
            s = (s // v + 1) * v
        m += s // 60
        s %= 60
        h += m // 60
        m %= 60
        day = midnight + timedelta(days=1) if h >= 24 else midnight
        result = day.replace(hour=h % 24, minute=m, second=s)
    return _normalise(result, tz).astimezone(UTC)


def window_start(duration: Duration | None, reset_at: datetime, tz: tzinfo = UTC) -> datetime:
    """The start of the window that ends at ``reset_at`` (UTC out).

    Monthly windows (``30d``, ``Nmo``) step back calendar months; day and week windows
    whole local days (so a window across a DST change starts at the previous local
    reset); sub-day windows their length. An unrecognised duration (None) is one day,
    as LiteLLM resets those at the next midnight.
    """
    local = reset_at.astimezone(tz)
    if duration is None:
        result = local - timedelta(days=1)
    elif _is_monthly(duration):
        result = _shift_months(local, -(duration.value if duration.unit == "mo" else 1))
    elif (days := _days(duration)) is not None:
        result = local - timedelta(days=days)
    else:
        step = {"h": 3600, "m": 60, "s": 1}[duration.unit] * duration.value
        return (reset_at - timedelta(seconds=step)).astimezone(UTC)
    return _normalise(result, tz).astimezone(UTC)


def current_window(
    duration: Duration, now: datetime, tz: tzinfo = UTC, reset_time: time = MIDNIGHT
) -> tuple[datetime, datetime]:
    """(start, end) of the budget window that contains ``now``, as LiteLLM would set it."""
    end = next_reset(duration, now, tz, reset_time)
    return window_start(duration, end, tz), end


def _normalise(moment: datetime, tz: tzinfo | None) -> datetime:
    """Re-attach the zone after wall-clock arithmetic (DST-safe for ZoneInfo)."""
    if tz is None or tz is UTC:
        return moment
    return moment.replace(tzinfo=None).replace(tzinfo=tz)
