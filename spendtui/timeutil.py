"""UTC days and hours as small integers, and parsing of the timestamps sources store.

The cube keys spend by ``day`` (days since 1970-01-01 UTC) and ``hour`` (0-23, or -1
for a whole-day cell). Every day spendtui shows is a UTC day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

EPOCH = date(1970, 1, 1)
_EPOCH_DT = datetime(1970, 1, 1, tzinfo=UTC)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock that always answers ``moment`` (tests, screenshots)."""
    moment = ensure_utc(moment)
    return lambda: moment


def ensure_utc(moment: datetime) -> datetime:
    """Naive datetimes are UTC (LiteLLM stores naive UTC); aware ones are converted."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def day_date(number: int) -> date:
    """The date of a day number."""
    return EPOCH + timedelta(days=number)


def day_of(moment: datetime) -> int:
    """The UTC day number of a moment."""
    return day_number(ensure_utc(moment).date())


def hour_of(moment: datetime) -> int:
    """Hours since the epoch, UTC."""
    return int((ensure_utc(moment) - _EPOCH_DT).total_seconds() // 3600)


def day_start(number: int) -> datetime:
    """Midnight UTC that starts a day number."""
    return datetime.combine(day_date(number), datetime.min.time(), tzinfo=UTC)


_TS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_timestamp(value: object) -> datetime | None:
    """Parse what a database or the proxy gives for a timestamp; None if unreadable.

    Accepts datetimes (naive = UTC), ISO-8601 text with or without a zone (``Z``,
    ``+00:00``, ``-0500``), and epoch seconds as numbers.
    """
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    match = _TS.match(value.strip())
    if not match:
        return None
    year, month, day_, hh, mm, ss, frac, zone = match.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        moment = datetime(int(year), int(month), int(day_), int(hh or 0), int(mm or 0), int(ss or 0), micro, UTC)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        moment = moment - sign * offset
    return moment


def parse_day(text: str) -> date:
    """Parse ``YYYY-MM-DD`` strictly; ValueError with a readable message otherwise."""
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def format_age(seconds: float) -> str:
    """``3s``, ``4m``, ``2h 5m``, ``3d`` style ages."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        return f"{hours}h {rest // 60}m" if rest >= 60 else f"{hours}h"
    return f"{seconds // 86400}d"
