"""Burn rates and projections for one budget: pure functions of numbers and a clock.

Rates are integer pico-dollars per hour:

* ``rate_last_hour`` / ``rate_last_24h``: spend in the trailing hour / 24 hours, from
  hourly spend (an hour only partly inside the span counts pro rata; the hour that
  contains ``now`` has only been observed up to ``now``).
* ``rate_window``: the window's spend divided by the time since the window started.

Projections use the window average, damped at the start of a window the way LiteLLM's
own "projected to exceed" alert does: the elapsed time counts as at least 1/24 of the
window, so the first minutes of a month do not project a fortune. A budget without a
window (LiteLLM never resets it) projects with the last-24-hour rate instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_US_PER_HOUR = 3_600_000_000
_HOUR = timedelta(hours=1)
#: Exhaustion further away than this is not a forecast worth showing as a date.
_HORIZON = timedelta(days=3660)


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True)
class HourlySpend:
    """Spend per clock hour from ``start`` (on the hour, UTC), observed up to ``until``."""

    start: datetime
    values: tuple[int, ...]
    until: datetime

    @property
    def end(self) -> datetime:
        return self.start + _HOUR * len(self.values)

    def between(self, first: datetime, last: datetime) -> int | None:
        """Spend in [first, last), partial hours pro rata; None if the span is not covered."""
        if first < self.start or last > min(self.until, self.end) or last < first:
            return None
        total = 0
        for i, value in enumerate(self.values):
            if not value:
                continue
            bucket_start = self.start + _HOUR * i
            bucket_end = min(bucket_start + _HOUR, self.until)
            if bucket_end <= bucket_start:
                continue
            lo, hi = max(bucket_start, first), min(bucket_end, last)
            if hi <= lo:
                continue
            span, part = _us(bucket_end - bucket_start), _us(hi - lo)
            total += value if part >= span else value * part // span
        return total


@dataclass(frozen=True)
class Forecast:
    """Where a budget is heading. Money in pico-dollars, rates in pico-dollars per hour."""

    rate_last_hour: int | None = None
    rate_last_24h: int | None = None
    rate_window: int | None = None
    #: The rate the projections use (damped window average, or the 24 h rate).
    projection_rate: int | None = None
    #: Spend expected when the window ends (None without a window end).
    projected_at_end: int | None = None
    #: When spend reaches the limit at the projection rate, if that is before the window
    #: ends (or there is no window end); None when it will not, or is already over.
    runs_out_at: datetime | None = None
    #: Days until the limit at the projection rate: 0 when already reached, None without
    #: a limit or without spending.
    days_left: float | None = None


def trailing_rate(hourly: HourlySpend | None, now: datetime, hours: int) -> int | None:
    """Average pico-dollars per hour over the ``hours`` before ``now``."""
    if hourly is None:
        return None
    spent = hourly.between(now - _HOUR * hours, now)
    return None if spent is None else spent // hours


def per_hour(spend: int, elapsed: timedelta) -> int | None:
    """``spend`` over ``elapsed`` as pico-dollars per hour (None for no elapsed time)."""
    elapsed_us = _us(elapsed)
    if elapsed_us <= 0:
        return None
    return spend * _US_PER_HOUR // elapsed_us


def forecast(
    spend: int,
    limit: int | None,
    now: datetime,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    hourly: HourlySpend | None = None,
) -> Forecast:
    """Burn rates, projected spend at the window end, exhaustion time and days left.

    Projections use the exact ratio (spend over time), not the rounded hourly rate."""
    rate_1h = trailing_rate(hourly, now, 1)
    rate_24h = trailing_rate(hourly, now, 24)
    elapsed = max(now - window_start, timedelta(0)) if window_start is not None else None
    rate_window = per_hour(spend, elapsed) if elapsed is not None else None
    # the projection rate as an exact ratio: ``amount`` pico-dollars per ``per_us`` microseconds
    amount, per_us = 0, 0
    if window_start is not None and window_end is not None and window_end > window_start:
        amount, per_us = spend, _us(max(elapsed or timedelta(0), (window_end - window_start) / 24))
    elif window_start is not None:
        amount, per_us = spend, _us(elapsed or timedelta(0))
    elif hourly is not None:
        spent = hourly.between(now - _HOUR * 24, now)
        amount, per_us = (spent, 24 * _US_PER_HOUR) if spent is not None else (0, 0)
    rate = amount * _US_PER_HOUR // per_us if per_us > 0 else None
    projected = None
    if window_end is not None:
        remaining_us = _us(max(window_end - now, timedelta(0)))
        projected = spend + (amount * remaining_us // per_us if per_us > 0 else 0)
    runs_out_at, days_left = _exhaustion(spend, limit, now, window_end, amount, per_us)
    return Forecast(rate_1h, rate_24h, rate_window, rate, projected, runs_out_at, days_left)


def _exhaustion(
    spend: int, limit: int | None, now: datetime, window_end: datetime | None, amount: int, per_us: int
) -> tuple[datetime | None, float | None]:
    if limit is None:
        return None, None
    left = limit - spend
    if left <= 0:
        return None, 0.0
    if window_end is not None and now >= window_end:
        return None, None  # the window is over; LiteLLM resets the counter shortly
    if amount <= 0 or per_us <= 0:
        return None, None
    until = timedelta(microseconds=min(left * per_us // amount, _us(_HORIZON)))
    days = until / timedelta(days=1)
    at = now + until
    if until >= _HORIZON or (window_end is not None and at >= window_end):
        return None, days
    return at, days
