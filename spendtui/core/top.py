"""The biggest spenders of a dimension too fine for the cube: sessions and MCP tools.

A session (``session_id``: one agent run or conversation, from the ``x-litellm-session-id``
header) has a handful of requests; a cube cell per session would multiply the cells by
the sessions. So these are answered by the source for a range of UTC days, ranked by
spend (``TopAnswer``), not kept in the cube. What a source must offer is ``TopSource``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

#: Dimensions answered this way: the name used in reports, the LiteLLM log column.
TOP_COLUMNS = {"session": "session_id", "tool": "mcp_namespaced_tool_name"}


@dataclass(frozen=True)
class TopRow:
    """One session or tool. Money is integer pico-dollars; times are UTC."""

    id: str
    spend: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    failures: int
    first_seen: datetime | None
    last_seen: datetime | None
    #: Distinct models and key hashes of its requests, sorted.
    models: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopAnswer:
    """The ``limit`` biggest of ``groups`` values in the range, and the requests without one."""

    dimension: str
    rows: list[TopRow]
    #: Distinct values with requests in the range (``rows`` may show fewer).
    groups: int
    #: Spend and requests of every request with a value, and of those without one.
    spend: int
    requests: int
    spend_without: int
    requests_without: int
    #: Rows the source could not count (unusable spend), said to the user.
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class TopSource(Protocol):
    """A source that can rank sessions and tools for UTC days ``first_day``..``last_day``
    (day numbers); raises ``SourceError`` when it cannot (naming why)."""

    def top(self, dimension: str, first_day: int, last_day: int, limit: int) -> TopAnswer: ...
