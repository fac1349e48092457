"""Poll discipline for the proxy source: how often a refresh may touch the network.

LiteLLM's own dashboard once took proxies down with 51 requests per refresh. A refresh
here is at most one ``/spend/logs/v2`` page in steady state (more only while a burst of
new rows is paged through), never overlaps another, and slows down when idle or failing:

* **Idle:** after ``IDLE_POLLS`` polls in a row found nothing new, the interval doubles
  per further empty poll from ``base`` up to ``IDLE_CAP`` (3 s → 30 s, as LiteLLM's UI).
  A poll that finds rows resets it.
* **Errors:** after a failed poll the next one waits ``base * 2**(failures-1)``, up to
  ``ERROR_CAP``; until then the last error is raised again without a request, so the
  caller keeps showing its data as stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from spendtui.errors import SourceError

IDLE_POLLS = 3
IDLE_CAP = 30.0
ERROR_CAP = 120.0


@dataclass
class PollPacer:
    """When the next poll may go out; ``monotonic`` is injectable for tests."""

    base: float = 3.0
    monotonic: Callable[[], float] = field(default=time.monotonic)
    empty_polls: int = 0
    failures: int = 0
    last_error: SourceError | None = None
    _next_at: float = 0.0

    @property
    def interval(self) -> float:
        """The wait after the last poll (for the status line)."""
        if self.failures:
            doubling: int = 2 ** (self.failures - 1)  # (failures >= 1: a whole power)
            return min(ERROR_CAP, self.base * doubling)
        extra = self.empty_polls - IDLE_POLLS + 1
        if extra <= 0:
            return self.base
        growth: int = 2**extra
        return min(IDLE_CAP, self.base * growth)

    def seconds_left(self) -> float:
        return max(0.0, self._next_at - self.monotonic())

    def due(self, forced: bool = False) -> bool:
        """Whether a poll may go out now. ``forced`` (a user's refresh, a deep poll)
        skips the idle wait, never the error back-off."""
        if self.failures:
            return self.seconds_left() <= 0
        return forced or self.seconds_left() <= 0

    def succeeded(self, new_rows: int) -> None:
        self.failures = 0
        self.last_error = None
        self.empty_polls = 0 if new_rows else self.empty_polls + 1
        self._next_at = self.monotonic() + self.interval

    def failed(self, error: SourceError) -> None:
        self.failures += 1
        self.last_error = error
        self._next_at = self.monotonic() + self.interval

    def reset(self) -> None:
        """After a cold load: poll at the base rate again."""
        self.empty_polls = 0
        self.failures = 0
        self.last_error = None
        self._next_at = self.monotonic() + self.base
