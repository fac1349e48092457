"""Budget window math against hand-computed cases and against a real LiteLLM's answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from spendtui.core.durations import (
    Duration,
    DurationError,
    current_window,
    next_reset,
    parse_duration,
    parse_stored_duration,
    window_start,
    zone,
)
from spendtui.timeutil import parse_timestamp
from tests.helpers import RESPONSES


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# 2026-11-27 is a Friday; 2026-11-30 a Monday.
@pytest.mark.parametrize(
    ("duration", "now", "start", "end"),
    [
        ("30d", utc(2026, 11, 27, 12), utc(2026, 11, 1), utc(2026, 12, 1)),
        ("1mo", utc(2026, 12, 15, 8), utc(2026, 12, 1), utc(2027, 1, 1)),
        ("monthly", utc(2026, 2, 10), utc(2026, 2, 1), utc(2026, 3, 1)),
        ("7d", utc(2026, 11, 27, 12), utc(2026, 11, 23), utc(2026, 11, 30)),
        ("1w", utc(2026, 11, 27, 12), utc(2026, 11, 23), utc(2026, 11, 30)),
        ("7d", utc(2026, 11, 30, 0, 0, 0), utc(2026, 11, 30), utc(2026, 12, 7)),  # exactly Monday midnight
        ("weekly", utc(2026, 11, 29, 23, 59, 59), utc(2026, 11, 23), utc(2026, 11, 30)),
        ("2w", utc(2026, 11, 27, 12), utc(2026, 11, 27), utc(2026, 12, 11)),
        ("3d", utc(2026, 11, 27, 12), utc(2026, 11, 27), utc(2026, 11, 30)),
        ("1d", utc(2026, 11, 27, 23, 59, 59), utc(2026, 11, 27), utc(2026, 11, 28)),
        ("24h", utc(2026, 11, 27, 0, 0, 1), utc(2026, 11, 27), utc(2026, 11, 28)),
        ("daily", utc(2026, 11, 27, 5), utc(2026, 11, 27), utc(2026, 11, 28)),
        ("1h", utc(2026, 11, 27, 0, 2, 47), utc(2026, 11, 27, 0), utc(2026, 11, 27, 1)),
        ("5h", utc(2026, 11, 27, 22, 30), utc(2026, 11, 27, 20), utc(2026, 11, 28, 1)),
        ("6h", utc(2026, 11, 27, 12), utc(2026, 11, 27, 12), utc(2026, 11, 27, 18)),
        # LiteLLM moves an overflow past midnight to the next day only: 48h resets at midnight
        ("48h", utc(2026, 11, 27, 5), utc(2026, 11, 26), utc(2026, 11, 28)),
        ("15m", utc(2026, 11, 27, 10, 7, 30), utc(2026, 11, 27, 10, 0), utc(2026, 11, 27, 10, 15)),
        ("15m", utc(2026, 11, 27, 23, 50), utc(2026, 11, 27, 23, 45), utc(2026, 11, 28, 0, 0)),
        ("90m", utc(2026, 11, 27, 23, 50), utc(2026, 11, 27, 23, 0), utc(2026, 11, 28, 0, 30)),
        ("30s", utc(2026, 11, 27, 10, 0, 45), utc(2026, 11, 27, 10, 0, 30), utc(2026, 11, 27, 10, 1)),
        ("30d", utc(2026, 12, 31, 23, 59), utc(2026, 12, 1), utc(2027, 1, 1)),
    ],
)
def test_windows_in_utc(duration: str, now: datetime, start: datetime, end: datetime) -> None:
    assert current_window(parse_duration(duration), now) == (start, end)


def test_reset_time_of_day_moves_day_week_and_month_resets_only() -> None:
    noon = time(12, 0)
    assert next_reset(parse_duration("1d"), utc(2026, 11, 27, 8), reset_time=noon) == utc(2026, 11, 27, 12)
    assert next_reset(parse_duration("1d"), utc(2026, 11, 27, 13), reset_time=noon) == utc(2026, 11, 28, 12)
    # "24h" (and so "daily") is an hour duration: LiteLLM ignores the time of day for it
    assert next_reset(parse_duration("24h"), utc(2026, 11, 27, 8), reset_time=noon) == utc(2026, 11, 28)
    assert next_reset(parse_duration("7d"), utc(2026, 11, 30, 10), reset_time=noon) == utc(2026, 11, 30, 12)
    assert next_reset(parse_duration("7d"), utc(2026, 11, 30, 12), reset_time=noon) == utc(2026, 12, 7, 12)
    start, end = current_window(parse_duration("30d"), utc(2026, 12, 1, 8), reset_time=noon)
    assert (start, end) == (utc(2026, 11, 1, 12), utc(2026, 12, 1, 12))
    assert next_reset(parse_duration("3d"), utc(2026, 11, 27, 13), reset_time=noon) == utc(2026, 11, 30, 12)


def test_windows_follow_the_profile_time_zone_across_dst() -> None:
    new_york = zone("America/New_York")
    # DST ended on Sunday 2026-11-01: the window starts at EDT midnight, ends at EST midnight
    start, end = current_window(parse_duration("30d"), utc(2026, 11, 27, 12), new_york)
    assert start == utc(2026, 11, 1, 4) and end == utc(2026, 12, 1, 5)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert next_reset(parse_duration("1d"), utc(2026, 11, 27, 16), tokyo) == utc(2026, 11, 28, 15)
    # a weekly window containing the DST change starts at the previous local Monday midnight
    assert current_window(parse_duration("7d"), utc(2026, 11, 1, 12), new_york) == (
        utc(2026, 10, 26, 4),
        utc(2026, 11, 2, 5),
    )
    assert zone(None) is UTC and zone("UTC") is UTC
    with pytest.raises(DurationError, match="unknown time zone"):
        zone("Mars/Olympus")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", Duration(30, "d")),
        ("monthly", Duration(30, "d")),
        ("Daily", Duration(24, "h")),
        ("30min", Duration(30, "m")),  # LiteLLM takes the leading unit letter
        ("2days", Duration(2, "d")),
        ("1month", Duration(1, "mo")),
        ("2mo", Duration(2, "mo")),
        ("3months", None),  # LiteLLM does not recognise it: falls back to a daily reset
        ("1y", None),
        ("0d", None),
        ("", None),
        ("30", None),
        (None, None),
    ],
)
def test_stored_durations_read_as_litellm_reads_them(text: object, expected: Duration | None) -> None:
    assert parse_stored_duration(text) == expected


@pytest.mark.parametrize("text", ["30", "1y", "0d", "2mo", "30 d", "d30", "-1d"])
def test_strict_grammar_rejects_what_litellm_would_not_store(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


def test_window_start_of_unrecognised_and_multi_month_durations() -> None:
    assert window_start(None, utc(2026, 11, 28)) == utc(2026, 11, 27)
    assert window_start(Duration(2, "mo"), utc(2026, 12, 1)) == utc(2026, 10, 1)
    assert window_start(Duration(1, "h"), utc(2026, 11, 27, 1)) == utc(2026, 11, 27, 0)
    with pytest.raises(DurationError):
        next_reset(Duration(2, "mo"), utc(2026, 11, 27))


def test_reset_times_equal_what_a_real_litellm_stored() -> None:
    """LiteLLM 1.108.7 set budget_reset_at when these keys and teams were created."""
    keys = json.loads((RESPONSES / "key_list.json").read_text())["keys"]
    teams = json.loads((RESPONSES / "team_list.json").read_text())
    checked = 0
    for item in keys + teams:
        if not item.get("budget_duration"):
            continue
        created = parse_timestamp(item["created_at"])
        assert created is not None
        expected = parse_timestamp(item["budget_reset_at"])
        assert next_reset(parse_duration(item["budget_duration"]), created) == expected, item["budget_duration"]
        checked += 1
    assert checked == 6  # 1h, 7d, 1d, 30d keys and two 30d teams
