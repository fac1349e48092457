"""Spend rules the demo dashboard starts with (``c`` to ``rules`` in the Budgets pane).

Written as a user writes them under ``rules:`` (and validated the same way). The demo's
simulated traffic (4 requests/s by default) is far above its recorded history, so
"requests this hour" fires a few minutes after the start and the spike rule after the
first full hour: the notifications a live proxy would give.
"""

from __future__ import annotations

from typing import Any

DEMO_RULES: list[dict[str, Any]] = [
    {"name": "requests this hour", "measure": "requests", "period": "hour", "above": 1000},
    {"name": "daily spend", "measure": "spend", "period": "day", "above": 50},
    {
        "name": "opus this month",
        "measure": "spend",
        "scope": {"model": "claude-opus-4-1"},
        "period": "month",
        "above": 20,
    },
    {
        "name": "gpt-4.1 failures",
        "measure": "failure_rate",
        "scope": {"model": "gpt-4.1"},
        "period": "day",
        "above": "5%",
    },
    {"name": "request spike", "kind": "spike", "measure": "requests", "factor": 3, "floor": 100},
]
