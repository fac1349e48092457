"""Evaluating budgets: levels, thresholds, windows, urgency, and once-per-window crossings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from spendtui.core.alerts import Crossing, ThresholdTracker, crossings, highest_per_budget
from spendtui.core.budget_eval import by_urgency, evaluate
from spendtui.core.budget_state import BudgetState, budget_usd
from spendtui.core.durations import zone
from spendtui.core.thresholds import SOFT, Threshold, parse_threshold
from spendtui.money import PICO

USD = PICO
NOW = datetime(2026, 11, 16, tzinfo=UTC)
DEC1 = datetime(2026, 12, 1, tzinfo=UTC)


def key(spend: float, max_budget: float | None = 60, **kw: object) -> BudgetState:
    base = BudgetState(
        kind="key",
        id=str(kw.pop("id", "k1")),
        name=str(kw.pop("name", "alpha")),
        spend=round(spend * USD),
        max_budget=None if max_budget is None else round(max_budget * USD),
        budget_duration="30d",
        budget_reset_at=DEC1,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spend", "level", "crossed"),
    [
        (0, "ok", ()),
        (47.99, "ok", ()),
        (48, "warning", ("0.8",)),  # exactly 80 %: at or over counts
        (59.99, "warning", ("0.8",)),
        (60, "exceeded", ("0.8", "1")),
        (75, "exceeded", ("0.8", "1")),
    ],
)
def test_levels_and_crossed_thresholds(spend: float, level: str, crossed: tuple[str, ...]) -> None:
    b = evaluate(key(spend), NOW)
    assert b.level == level
    assert tuple(t.key for t in b.crossed) == crossed
    assert (b.window.start, b.window.end) == (datetime(2026, 11, 1, tzinfo=UTC), DEC1)
    assert b.resets_in == timedelta(days=15)
    assert b.remaining == round((60 - spend) * USD)


def test_soft_budget_warns_and_never_exceeds_on_its_own() -> None:
    with_soft = replace(key(45), soft_budget=40 * USD)
    b = evaluate(with_soft, NOW)
    assert b.level == "warning" and SOFT in b.crossed and b.limit == 60 * USD
    soft_only = replace(key(45, None), soft_budget=40 * USD)
    b = evaluate(soft_only, NOW)
    assert b.limit_is_soft and b.limit == 40 * USD
    assert b.level == "warning" and [t.key for t in b.crossed] == ["0.8", "1"]
    assert all(c.level == "warning" for c in crossings([b]))


def test_budget_of_zero_is_at_its_limit() -> None:
    b = evaluate(key(0, 0), NOW)
    assert b.level == "exceeded" and b.fraction == 1.0 and b.percent == 100.0
    b = evaluate(key(0.5, 0), NOW)
    assert b.level == "exceeded" and b.percent is None and b.remaining == -USD // 2


def test_no_budget_has_no_level_beyond_ok() -> None:
    b = evaluate(key(500, None), NOW)
    assert b.level == "ok" and b.limit is None and b.fraction is None and not b.crossed


def test_thresholds_are_exact_and_configurable() -> None:
    half = (parse_threshold(0.5), parse_threshold("90%"), parse_threshold(1))
    b = evaluate(key(30), NOW, thresholds=half)
    assert [t.label for t in b.crossed] == ["50%"]
    # 0.1 is not exactly representable as a float; the comparison is exact in Decimal
    tenth = (Threshold(Decimal("0.1")),)
    assert evaluate(key(6, 60), NOW, thresholds=tenth).crossed == tenth
    assert evaluate(replace(key(0), spend=6 * USD - 1), NOW, thresholds=tenth).crossed == ()


def test_window_from_duration_when_reset_at_is_missing_and_in_a_time_zone() -> None:
    b = evaluate(key(10, budget_reset_at=None), NOW)
    assert b.window.assumed and b.window.end == DEC1 and any("budget_reset_at" in n for n in b.notes)
    berlin = evaluate(key(10, budget_reset_at=None, budget_duration="1d"), NOW, tz=zone("Europe/Berlin"))
    assert berlin.window.end == datetime(2026, 11, 16, 23, tzinfo=UTC)
    odd = evaluate(key(10, budget_duration="1y", budget_reset_at=datetime(2026, 11, 17, tzinfo=UTC)), NOW)
    assert odd.window.start == NOW and any("resets daily" in n for n in odd.notes)
    lifetime = evaluate(key(10, budget_duration=None, budget_reset_at=None), NOW)
    assert lifetime.window.start is None and lifetime.resets_in is None


def test_reset_overdue() -> None:
    b = evaluate(key(50, budget_reset_at=NOW - timedelta(minutes=3)), NOW)
    assert b.reset_overdue and b.resets_in == timedelta(0) and any("overdue" in n for n in b.notes)


def test_urgency_order() -> None:
    states = [
        key(10, id="calm", name="calm"),
        key(70, id="far-over", name="far-over"),
        key(61, id="just-over", name="just-over"),
        key(50, id="warn-slow", name="warn-slow", budget_reset_at=datetime(2026, 11, 17, tzinfo=UTC)),
        key(50, id="warn-fast", name="warn-fast"),  # runs out before the month ends
        key(5, None, id="no-limit", name="no-limit"),
        replace(key(49), kind="team", id="t", name="team"),
    ]
    order = [b.state.id for b in by_urgency(evaluate(s, NOW) for s in states)]
    assert order == ["far-over", "just-over", "warn-fast", "t", "warn-slow", "calm", "no-limit"]


def test_tracker_notifies_once_per_budget_per_threshold_per_window() -> None:
    tracker = ThresholdTracker()
    assert tracker.update([evaluate(key(50), NOW)]) == []  # already crossed at start: primes only
    later = NOW + timedelta(hours=1)
    fresh = tracker.update([evaluate(key(61), later)])
    assert [(c.threshold.key, c.level) for c in fresh] == [("1", "exceeded")]
    assert tracker.update([evaluate(key(65), later + timedelta(hours=1))]) == []
    # the window resets: the counter restarts, then crosses 80 % again in the new window
    jan1 = datetime(2027, 1, 1, tzinfo=UTC)
    after = DEC1 + timedelta(minutes=20)
    assert tracker.update([evaluate(key(0.5, budget_reset_at=jan1), after)]) == []
    again = tracker.update([evaluate(key(49, budget_reset_at=jan1), after + timedelta(days=5))])
    assert [c.threshold.key for c in again] == ["0.8"]
    assert Crossing(again[0].budget, again[0].threshold).key.endswith("2026-12-01T00:00:00+00:00")


def test_tracker_rearms_windowless_budgets_that_fall_below() -> None:
    tracker = ThresholdTracker(notify_existing=True)
    lifetime = {"budget_duration": None, "budget_reset_at": None}
    assert [c.threshold.key for c in tracker.update([evaluate(key(50, **lifetime), NOW)])] == ["0.8"]
    assert tracker.update([evaluate(key(55, **lifetime), NOW)]) == []
    assert tracker.update([evaluate(key(55, 100, **lifetime), NOW)]) == []  # limit raised
    assert [c.threshold.key for c in tracker.update([evaluate(key(85, 100, **lifetime), NOW)])] == ["0.8"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5.0, 5 * USD),
        (0.00174795, 1_747_950_000),
        ("12.5", 12_500_000_000_000),
        (None, None),
        (float("nan"), None),
    ],
)
def test_budget_usd(value: object, expected: int | None) -> None:
    assert budget_usd(value) == expected


@pytest.mark.parametrize("value", [80, "abc", 0, -0.5, True, None])
def test_bad_thresholds(value: object) -> None:
    with pytest.raises(ValueError):
        parse_threshold(value)


def test_a_jump_over_several_thresholds_is_said_once_at_the_highest() -> None:
    tracker = ThresholdTracker()
    tracker.update([evaluate(key(10), NOW), evaluate(key(10, id="k2", name="beta"), NOW)])
    later = NOW + timedelta(hours=1)
    found = tracker.update([evaluate(key(70), later), evaluate(key(50, id="k2", name="beta"), later)])
    assert sorted((c.budget.state.id, c.threshold.key) for c in found) == [("k1", "0.8"), ("k1", "1"), ("k2", "0.8")]
    said = highest_per_budget(found)
    assert sorted((c.budget.state.id, c.threshold.key, c.level) for c in said) == [
        ("k1", "1", "exceeded"),
        ("k2", "0.8", "warning"),
    ]
