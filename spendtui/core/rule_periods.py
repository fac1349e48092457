"""The periods spend rules count over, and exact totals for a span of UTC hours.

A rule's period is the clock hour, day, ISO week (Monday to Sunday) or month that holds
``now`` in the profile's time zone (LiteLLM's ``timezone``; UTC when unset). Its key
names it in that zone: ``2026-12-07T13``, ``2026-12-07``, ``2026-W49``, ``2026-12``.

The cube keys spend by UTC day and UTC hour, so a period's totals are the whole UTC days
it covers plus, at each end, the hours of a day it only partly covers. Those hours must
be held by hour (``Questions.hourly``), else ``NotCountable`` and the rule is reported
as not evaluated, never counted wrongly. Hours are UTC clock hours. A day, week or month
of a zone offset by a fraction of an hour (Asia/Kolkata) cannot be cut from hour cells:
``counted_period`` counts the UTC period instead, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from spendtui.core.questions import Questions
from spendtui.core.selection import Filters, Window
from spendtui.core.totals import ZERO, Totals
from spendtui.timeutil import day_of, day_start

#: The periods a threshold rule counts over.
RULE_PERIODS = ("hour", "day", "week", "month")
HOUR = timedelta(hours=1)


class NotCountable(Exception):
    """The held cells cannot count this span exactly (says why)."""


@dataclass(frozen=True)
class Period:
    """One period: its key in the profile's zone and its UTC bounds ``[start, end)``."""

    key: str
    start: datetime
    end: datetime


def hour_floor(moment: datetime) -> datetime:
    """The start of the UTC clock hour holding ``moment``."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _local_midnight(day: datetime, tz: tzinfo) -> datetime:
    return datetime.combine(day.date(), time(0), tzinfo=tz).astimezone(UTC)


def current_period(period: str, now: datetime, tz: tzinfo = UTC) -> Period:
    """The period of kind ``period`` holding ``now`` (see the module doc). Hours are UTC
    clock hours (named by their start in the zone: the same hours but for zones offset by
    a fraction of an hour)."""
    local = now.astimezone(tz)
    if period == "hour":
        start = hour_floor(now)
        return Period(hour_key(start, tz), start, start + HOUR)
    if period == "day":
        first, key = local, local.date().isoformat()
        following = local + timedelta(days=1)
    elif period == "week":
        first = local - timedelta(days=local.weekday())
        year, week, _ = local.isocalendar()
        key = f"{year}-W{week:02d}"
        following = first + timedelta(days=7)
    elif period == "month":
        first = local.replace(day=1)
        key = f"{local.year}-{local.month:02d}"
        following = (first + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown rule period {period!r}")
    return Period(key, _local_midnight(first, tz), _local_midnight(following, tz))


def counted_period(period: str, now: datetime, tz: tzinfo = UTC) -> tuple[Period, str | None]:
    """``current_period`` in the zone, or in UTC (with a note saying so) when the zone's
    period does not start and end on UTC hours: hour cells cannot cut it."""
    found = current_period(period, now, tz)
    if found.start == hour_floor(found.start) and found.end == hour_floor(found.end):
        return found, None
    note = f"the {period} in {tz} does not start on a UTC hour; counted as the UTC {period} instead"
    return current_period(period, now, UTC), note


def hour_key(start: datetime, tz: tzinfo = UTC) -> str:
    """``2026-12-07T13``: the clock hour starting at ``start``, in the zone."""
    return start.astimezone(tz).strftime("%Y-%m-%dT%H")


def _hours_of(query: Questions, day: int, first: int, stop: int, filters: Filters) -> Totals:
    """The totals of hours ``[first, stop)`` of one UTC day."""
    hours = query.hourly(day, filters)
    if hours is None:
        raise NotCountable(f"{day_start(day):%Y-%m-%d} is held as a whole day, not hour by hour")
    total = ZERO
    for hour, totals in hours:
        if first <= hour < stop:
            total = total + totals
    return total


def span_totals(query: Questions, start: datetime, end: datetime, filters: Filters, now: datetime) -> Totals:
    """Exact totals of the records in ``[start, end)`` (UTC, on hour boundaries).

    Nothing is logged after ``now``: a span running past the end of today counts today as
    a whole day (no hour cells needed). ``NotCountable`` when a bound is inside an hour or
    a partly covered day is held only as a whole day; ``NotExact`` (``core.facts``) when
    no held cube crosses the filters for these days."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    for bound in (start, end):
        if bound != hour_floor(bound):
            raise NotCountable(f"the period starts or ends at {bound:%H:%M} UTC, inside an hour")
    next_midnight = day_start(day_of(now) + 1)
    if end > next_midnight:
        end = max(start, next_midnight)
    if end <= start:
        return ZERO
    first_day, last_day = day_of(start), day_of(end - HOUR)
    total = ZERO
    if start.hour:
        stop = (end.hour or 24) if first_day == last_day else 24
        total = total + _hours_of(query, first_day, start.hour, stop, filters)
        first_day += 1
    if end.hour and last_day >= first_day:
        total = total + _hours_of(query, last_day, 0, end.hour, filters)
        last_day -= 1
    if last_day >= first_day:
        total = total + query.totals(Window(first_day, last_day), filters)
    return total
