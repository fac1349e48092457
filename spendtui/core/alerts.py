"""Threshold crossings, and "notify once per budget per threshold per window".

``crossings`` lists every threshold a set of evaluated budgets is at or over now.
``ThresholdTracker`` is what the dashboard calls on each refresh: it returns only the
crossings not reported before in the same window. A new window (LiteLLM reset the
counter, or a plan entered its next period) re-arms every threshold of that budget. A
budget without a window (LiteLLM never resets it) re-arms a threshold once its spend is
seen below it again (e.g. after its limit was raised).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spendtui.core.budget_eval import EvaluatedBudget
from spendtui.core.thresholds import Threshold


@dataclass(frozen=True)
class Crossing:
    """A budget at or over a threshold."""

    budget: EvaluatedBudget
    threshold: Threshold

    @property
    def level(self) -> str:
        """``exceeded`` for a fraction of 1 or more of a hard limit, else ``warning``."""
        fraction = self.threshold.fraction
        if fraction is not None and fraction >= 1 and not self.budget.limit_is_soft:
            return "exceeded"
        return "warning"

    @property
    def key(self) -> str:
        """``team:team-alpha|0.8|2026-11-01T00:00:00+00:00``: one alert per window."""
        return f"{self.budget.state.uid}|{self.threshold.key}|{self.budget.window.key}"


def crossings(budgets: Iterable[EvaluatedBudget]) -> list[Crossing]:
    """Every threshold the budgets are at or over, budget by budget, soft first."""
    return [Crossing(b, t) for b in budgets for t in b.crossed]


def highest_per_budget(found: Iterable[Crossing]) -> list[Crossing]:
    """One crossing per budget, its highest threshold (a soft budget counts lowest): a key
    that jumps from 70 % to 110 % in one refresh is 'over 100 %', not also 'over 80 %'."""
    best: dict[str, Crossing] = {}
    for crossing in found:
        uid = crossing.budget.state.uid
        held = best.get(uid)
        if held is None or crossing.threshold.sort_key() > held.threshold.sort_key():
            best[uid] = crossing
    return list(best.values())


class ThresholdTracker:
    """Remembers which crossings were reported; ``update`` returns the new ones.

    The first ``update`` only records what is already crossed (the dashboard shows those
    anyway) unless ``notify_existing`` is set; every later one reports crossings that
    happen while spendtui runs.
    """

    def __init__(self, notify_existing: bool = False) -> None:
        self.notify_existing = notify_existing
        self._primed = False
        #: budget uid -> (window key, threshold keys reported in that window)
        self._seen: dict[str, tuple[str, set[str]]] = {}

    def update(self, budgets: Iterable[EvaluatedBudget]) -> list[Crossing]:
        fresh: list[Crossing] = []
        for budget in budgets:
            uid, window = budget.state.uid, budget.window.key
            known_window, seen = self._seen.get(uid, (window, set()))
            if known_window != window:
                seen = set()  # a new window re-arms every threshold
            now_crossed = {t.key for t in budget.crossed}
            if budget.window.start is None:
                seen &= now_crossed  # no window: re-arm what fell below
            for threshold in budget.crossed:
                if threshold.key not in seen:
                    seen.add(threshold.key)
                    if self._primed or self.notify_existing:
                        fresh.append(Crossing(budget, threshold))
            self._seen[uid] = (window, seen)
        self._primed = True
        return fresh

    def forget(self, uid: str) -> None:
        """Drop what is known of one budget (e.g. it was deleted)."""
        self._seen.pop(uid, None)
