"""Request latency as mergeable histograms: the bucket rule, percentiles, and what a
pane shows (no numpy, so the UI shell can import it cheaply).

A request's *duration* is LiteLLM's ``request_duration_ms``, else ``"endTime" -
"startTime"``; its *time to first token* (TTFT) is ``"completionStartTime" -
"startTime"`` for streaming requests only: LiteLLM sets ``completionStartTime`` to the
end time of a response that was not streamed, so a first token at or after the end is no
first token. Only successful requests count (a failure's duration is its timeout or its
error, not the model's speed); cache hits do count (they are what the caller waited for).

Durations go into log-spaced buckets: bucket 0 holds durations under 1 ms, bucket
``i >= 1`` the durations in ``(GAMMA**(i-2), GAMMA**(i-1)]`` ms. A bucket is named by
``bucket_value``, within ``RELATIVE_ERROR`` of every duration in it, so a percentile
read from the merged counts of any cells, days or polls is within 2 % of the exact one
(nearest rank: the ``ceil(q * n)``-th smallest duration). The same rule is written in
SQL by the database source (``sources/db/latency.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

GAMMA = 1.04
#: The largest relative distance from a bucket's value to a duration in it.
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)
#: Buckets kept: the last one takes everything from GAMMA**(N_BUCKETS-3) ms (~5 days) on.
N_BUCKETS = 512
#: A request without a duration (or without a first token) in a bucket column.
NO_BUCKET = -1
#: Whole milliseconds: longer durations are corrupt data (a request of more than a day).
MAX_MS = 86_400_000
_LN_GAMMA = math.log(GAMMA)


def bucket_of(ms: float) -> int:
    """The bucket of a duration in milliseconds (>= 0; see the module's rule)."""
    if ms < 1:
        return 0
    return min(N_BUCKETS - 1, math.ceil(math.log(ms) / _LN_GAMMA) + 1)


def bucket_value(bucket: int) -> float:
    """The milliseconds a bucket stands for: the point at ``RELATIVE_ERROR`` from both ends."""
    if bucket <= 0:
        return 0.0
    return 2 * GAMMA ** (bucket - 1) / (GAMMA + 1)


def rank(n: int, percent: int) -> int:
    """The nearest rank of the ``percent`` percentile of ``n`` values (integer arithmetic:
    ``ceil(percent * n / 100)``, at least 1)."""
    return max(1, (n * percent + 99) // 100)


def percentile_bucket(counts: Sequence[int], percent: int) -> int | None:
    """The bucket of the nearest-rank ``percent`` percentile of bucket ``counts``, None
    without any request."""
    n = sum(counts)
    if n <= 0:
        return None
    rank_ = rank(n, percent)
    seen = 0
    for bucket, count in enumerate(counts):
        seen += count
        if seen >= rank_:
            return bucket
    return len(counts) - 1


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles of one set of requests, in milliseconds (None: no such request)."""

    #: Successful requests with a duration, and streaming ones with a first token.
    requests: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    ttft_requests: int = 0
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None


NO_LATENCY = Latency()


def format_ms(ms: float | None) -> str:
    """``840 ms``, ``1.25 s``, ``12.4 s``, ``3.1 min``; ``–`` when unknown."""
    if ms is None:
        return "–"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 10_000:
        return f"{ms / 1000:.2f} s"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms / 60_000:.1f} min"
