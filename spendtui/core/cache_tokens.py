"""A request's prompt-cache tokens, read from its logged usage object as LiteLLM reads them.

``"LiteLLM_SpendLogs"`` has no column for them (LiteLLM 1.108.7): the usage object LiteLLM
logs in ``metadata.usage_object`` has them, in the provider's shape. LiteLLM's daily
tables are filled from it by ``extract_cache_read_tokens`` /
``extract_cache_creation_tokens`` (``litellm_core_utils/llm_cost_calc/cache_tokens.py``):
Anthropic's own field when it is a non-zero number, else the OpenAI-style field(s) under
``prompt_tokens_details``. The database source applies the same rule in SQL for cold
loads (``sources/db/sql.py``); raw rows (polls, the proxy's request log) come here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from spendtui.core.measures import MAX_TOKENS

#: Paths inside the usage object, in the order ``cache_tokens`` takes their values: the
#: cache-read fields, then the cache-creation fields, each explicit field first.
READ_PATHS: tuple[tuple[str, ...], ...] = (("cache_read_input_tokens",), ("prompt_tokens_details", "cached_tokens"))
WRITE_PATHS: tuple[tuple[str, ...], ...] = (
    ("cache_creation_input_tokens",),
    ("prompt_tokens_details", "cache_write_tokens"),
    ("prompt_tokens_details", "cache_creation_tokens"),
)
PATHS = (*READ_PATHS, *WRITE_PATHS)


def _number(value: object) -> float | int | None:
    """A JSON number (true and false count as 1 and 0, as in LiteLLM's Python), else None."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and not math.isnan(value):
        return value  # (an infinite count wins and reads as 0, as SQLite's 9e999 does)
    return None


def _whole(value: float | int | None) -> int:
    """The whole part of a token count; 0 when absent or beyond ``MAX_TOKENS``."""
    if value is None or not -MAX_TOKENS <= value <= MAX_TOKENS:
        return 0
    return int(value)


def cache_tokens(values: Sequence[object]) -> tuple[int, int]:
    """(cache-read, cache-creation) tokens from the values at ``PATHS`` (None where absent)."""
    if len(values) != len(PATHS):
        return 0, 0
    numbers = [_number(v) for v in values]
    read = _whole(numbers[0]) if numbers[0] else _whole(numbers[1])
    write = next((_whole(n) for n in numbers[2:] if n), 0)
    return read, write


def usage_values(usage: object) -> list[object]:
    """The values at ``PATHS`` of a usage object (None where absent or not an object)."""
    out: list[object] = []
    for path in PATHS:
        node: object = usage
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        out.append(node)
    return out
