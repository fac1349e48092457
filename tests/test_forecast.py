"""Burn rates, projections and exhaustion against hand-computed cases with fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spendtui.core.forecast import HourlySpend, forecast, per_hour, trailing_rate
from spendtui.money import PICO

USD = PICO
HOUR = timedelta(hours=1)
NOV1, DEC1 = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)  # 720 hours


def test_hourly_spend_prorates_partial_hours_and_knows_its_coverage() -> None:
    start = datetime(2026, 11, 27, 10, tzinfo=UTC)
    now = start + timedelta(hours=1, minutes=30)
    series = HourlySpend(start, (1 * USD, 2 * USD), until=now)
    # [10:30, 11:30): half of the 10:00 hour, all of the 11:00 hour (observed until 11:30)
    assert series.between(now - HOUR, now) == USD // 2 + 2 * USD
    # [11:00, 11:15): a quarter of 11:00-11:30, i.e. half of the observed part
    assert series.between(start + HOUR, start + timedelta(hours=1, minutes=15)) == USD
    assert series.between(start - HOUR, now) is None  # before the series starts
    assert series.between(start, now + HOUR) is None  # after it was observed
    assert trailing_rate(series, now, 1) == USD // 2 + 2 * USD
    assert trailing_rate(series, now, 24) is None
    assert trailing_rate(None, now, 1) is None


def test_last_24_hours_rate() -> None:
    start = datetime(2026, 11, 26, tzinfo=UTC)
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    values = tuple([USD] * 48)  # $1 every hour; the series runs to midnight tomorrow
    series = HourlySpend(start, values, until=now)
    assert trailing_rate(series, now, 24) == USD
    assert trailing_rate(series, now, 1) == USD


def test_mid_window() -> None:
    now = NOV1 + timedelta(hours=360)  # half of November
    f = forecast(36 * USD, 60 * USD, now, NOV1, DEC1)
    assert f.rate_window == USD // 10  # $36 over 360 h
    assert f.projection_rate == USD // 10
    assert f.projected_at_end == 72 * USD  # $36 + 360 h at $0.10
    assert f.runs_out_at == datetime(2026, 11, 26, tzinfo=UTC)  # $24 left at $0.10/h: 240 h
    assert f.days_left == 10.0


def test_start_of_window_is_damped_like_litellm() -> None:
    now = NOV1 + timedelta(minutes=30)
    f = forecast(1 * USD, 60 * USD, now, NOV1, DEC1)
    assert f.rate_window == 2 * USD  # the plain average: $1 in half an hour
    # projections count at least 1/24 of the window as elapsed: 30 h
    assert f.projection_rate == USD * 3600 // (30 * 3600)
    assert f.projected_at_end == USD + USD * 7195 // 300  # $1 + 719.5 h at $1 per 30 h
    assert f.runs_out_at is None  # $59 at $1 per 30 h outlasts the month
    assert f.days_left == 73.75  # 1,770 hours


def test_no_spend() -> None:
    f = forecast(0, 60 * USD, NOV1 + timedelta(days=3), NOV1, DEC1)
    assert (f.rate_window, f.projection_rate, f.projected_at_end) == (0, 0, 0)
    assert f.runs_out_at is None and f.days_left is None


def test_already_over_budget() -> None:
    now = NOV1 + timedelta(hours=360)
    f = forecast(70 * USD, 60 * USD, now, NOV1, DEC1)
    assert f.runs_out_at is None and f.days_left == 0.0
    assert f.projected_at_end == 140 * USD


def test_budget_of_zero() -> None:
    f = forecast(0, 0, NOV1 + timedelta(hours=5), NOV1, DEC1)
    assert f.days_left == 0.0 and f.runs_out_at is None


def test_no_budget_still_projects() -> None:
    now = NOV1 + timedelta(hours=360)
    f = forecast(36 * USD, None, now, NOV1, DEC1)
    assert f.projected_at_end == 72 * USD
    assert f.runs_out_at is None and f.days_left is None


def test_window_reset_between_two_polls() -> None:
    """Just before the reset the old window projects to its end; just after, the new
    window starts from the new (small) counter, damped, not from last month's spend."""
    before = forecast(59 * USD, 60 * USD, DEC1 - timedelta(minutes=10), NOV1, DEC1)
    assert before.projected_at_end is not None and 59 * USD < before.projected_at_end < 60 * USD
    jan1 = datetime(2027, 1, 1, tzinfo=UTC)
    after = forecast(USD // 2, 60 * USD, DEC1 + timedelta(minutes=20), DEC1, jan1)
    assert after.projection_rate == (USD // 2) * 3600 // (31 * 3600)  # 744 h / 24 = 31 h
    assert after.projected_at_end is not None and after.projected_at_end < 13 * USD
    assert after.runs_out_at is None


def test_reset_overdue_projects_the_counter_as_it_is() -> None:
    f = forecast(30 * USD, 60 * USD, DEC1 + timedelta(minutes=4), NOV1, DEC1)
    assert f.projected_at_end == 30 * USD
    assert f.runs_out_at is None and f.days_left is None


def test_budget_without_window_uses_the_24h_rate() -> None:
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    series = HourlySpend(datetime(2026, 11, 26, tzinfo=UTC), tuple([USD // 2] * 48), until=now)
    f = forecast(10 * USD, 22 * USD, now, None, None, series)
    assert f.rate_last_24h == USD // 2 and f.projection_rate == USD // 2
    assert f.projected_at_end is None and f.rate_window is None
    assert f.runs_out_at == now + timedelta(hours=24)  # $12 left at $0.50/h
    assert f.days_left == 1.0


def test_per_hour() -> None:
    assert per_hour(USD, timedelta(minutes=30)) == 2 * USD
    assert per_hour(USD, timedelta(0)) is None
