"""LiteLLM budget durations: the grammar, and where budget windows start and end.

LiteLLM accepts ``<int>`` followed by ``s``, ``m``, ``h``, ``d``, ``w`` or ``mo``, plus the
aliases ``hourly``/``daily``/``weekly``/``monthly`` on key requests. Resets snap to calendar
boundaries in the proxy's time zone (``litellm_settings.timezone``, default UTC):
``1d``/``24h`` at midnight, ``7d``/``1w`` on Monday, ``30d``/``1mo`` on the 1st of the month,
other ``Nd`` at midnight N days on, ``Nh``/``Nm``/``Ns`` on multiples of N since midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_GRAMMAR = re.compile(r"^([0-9]+)(mo|s|m|h|d|w)$")
ALIASES = {"hourly": "1h", "daily": "24h", "weekly": "7d", "monthly": "30d"}
UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month"}


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


def zone(name: str | None) -> tzinfo:
    """The proxy's budget time zone (IANA name); UTC when unset."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DurationError(f"unknown time zone {name!r}") from exc


def _add_month(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + (moment.month - 1) + months
    return moment.replace(year=total // 12, month=total % 12 + 1, day=1)


def _is_monthly(duration: Duration) -> bool:
    return (duration.unit == "d" and duration.value == 30) or duration.unit == "mo"


def _is_weekly(duration: Duration) -> bool:
    return (duration.unit == "d" and duration.value == 7) or (duration.unit == "w" and duration.value == 1)


def _is_daily(duration: Duration) -> bool:
    return (duration.unit == "d" and duration.value == 1) or (duration.unit == "h" and duration.value == 24)


def next_reset(duration: Duration, now: datetime, tz: tzinfo = UTC) -> datetime:
    """When LiteLLM would next reset a budget of this duration, seen at ``now`` (UTC out)."""
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if _is_monthly(duration):
        result = _add_month(midnight, 1)
    elif _is_weekly(duration):
        days = (7 - local.weekday()) % 7 or 7
        result = midnight + timedelta(days=days)
    elif _is_daily(duration):
        result = midnight + timedelta(days=1)
    elif duration.unit in ("d", "w"):
        days = duration.value * (7 if duration.unit == "w" else 1)
        result = midnight + timedelta(days=days)
    else:
        # The next multiple of N of the unit's own clock field (hour of day, minute of
        # hour, second of minute), carried into the larger fields as LiteLLM does.
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
        result = midnight + timedelta(days=h // 24, hours=h % 24, minutes=m, seconds=s)
    return _normalise(result, tz).astimezone(UTC)


def window_start(duration: Duration, reset_at: datetime, tz: tzinfo = UTC) -> datetime:
    """The start of the window that ends at ``reset_at`` (UTC out).

    ``reset_at - duration`` is wrong for calendar windows (a month is not 30 days), so
    monthly windows step back one calendar month and weekly/daily ones whole local days.
    Sub-day windows step back their length.
    """
    local = reset_at.astimezone(tz)
    if _is_monthly(duration):
        result = _add_month(local, -1)
    elif _is_weekly(duration):
        result = local - timedelta(days=7)
    elif _is_daily(duration):
        result = local - timedelta(days=1)
    elif duration.unit in ("d", "w"):
        result = local - timedelta(days=duration.value * (7 if duration.unit == "w" else 1))
    else:
        step = {"h": 3600, "m": 60, "s": 1}[duration.unit] * duration.value
        result = local - timedelta(seconds=step)
    return _normalise(result, tz).astimezone(UTC)


def current_window(duration: Duration, now: datetime, tz: tzinfo = UTC) -> tuple[datetime, datetime]:
    """(start, end) of the budget window that contains ``now``, as LiteLLM would set it."""
    end = next_reset(duration, now, tz)
    return window_start(duration, end, tz), end


def _normalise(moment: datetime, tz: tzinfo) -> datetime:
    """Re-attach the zone after wall-clock arithmetic (DST-safe for ZoneInfo)."""
    return moment.replace(tzinfo=None).replace(tzinfo=tz) if tz is not UTC else moment
