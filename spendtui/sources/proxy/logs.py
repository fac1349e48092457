"""``/spend/logs/v2`` rows as the cube's raw rows.

A row carries every ``LiteLLM_SpendLogs`` column except the request and response
payloads. The mapping is the database source's, column for column: the model is
``model_group`` (the name the client asked for), else ``model``; the user is the key's
owner (``user``), the customer ``end_user``; tags are ``request_tags``; a request failed
when ``status`` is ``failure``; ``cache_hit`` is the string ``"True"`` on a hit;
``organization_id`` and ``agent_id`` as logged ('' and null: attributed from the key);
the prompt-cache tokens from ``metadata.usage_object`` (``core/cache_tokens.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from spendtui.core.cache_tokens import cache_tokens, usage_values
from spendtui.core.cube import RawRow
from spendtui.core.measures import MAX_TOKENS
from spendtui.core.repricing import reasoning_tokens
from spendtui.errors import SourceDataError
from spendtui.money import to_pico
from spendtui.timeutil import parse_timestamp


@dataclass(frozen=True)
class LogsPage:
    """One page of ``/spend/logs/v2``."""

    rows: list[dict[str, Any]]
    total: int | None
    capped: bool


def parse_logs_page(body: object, where: str) -> LogsPage:
    """The envelope ``{"data": [...], "total", "total_is_capped", ...}``."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise SourceDataError(f"{where}: expected an object with a 'data' list of spend logs")
    rows = [r for r in body["data"] if isinstance(r, dict)]
    if len(rows) != len(body["data"]):
        raise SourceDataError(f"{where}: a spend log entry is not an object")
    total = body.get("total")
    return LogsPage(rows, total if isinstance(total, int) else None, bool(body.get("total_is_capped")))


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _int(value: object) -> int:
    """A token count (0 when unreadable or beyond ``MAX_TOKENS``)."""
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        try:
            number = int(str(value))
        except (TypeError, ValueError):
            return 0
    return number if -MAX_TOKENS <= number <= MAX_TOKENS else 0


def _usage_object(metadata: object) -> object:
    """``metadata.usage_object`` (None when absent; metadata may come as JSON text)."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None
    return metadata.get("usage_object") if isinstance(metadata, dict) else None


def raw_row(row: dict[str, Any]) -> RawRow:
    """One spend-log row as a RawRow (unusable spend stays None: the cube counts it)."""
    request_id = row.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        raise SourceDataError("a spend log entry has no request_id")
    model = _text(row.get("model_group")) or _text(row.get("model"))
    cache = row.get("cache_hit")
    usage = _usage_object(row.get("metadata"))
    read, write = cache_tokens(usage_values(usage))
    return RawRow(
        request_id=request_id,
        start=row.get("startTime"),
        model=model,
        provider=_text(row.get("custom_llm_provider")),
        api_key=_text(row.get("api_key")),
        user=_text(row.get("user")),
        team=_text(row.get("team_id")),
        customer=_text(row.get("end_user")),
        tags=row.get("request_tags"),
        spend=to_pico(row.get("spend")),
        prompt_tokens=_int(row.get("prompt_tokens")),
        completion_tokens=_int(row.get("completion_tokens")),
        total_tokens=_int(row.get("total_tokens")),
        failed=row.get("status") == "failure",
        cache_hit=(cache is True) or (isinstance(cache, str) and cache.lower() == "true"),
        organization=_text(row.get("organization_id")) or None,
        agent=_text(row.get("agent_id")) or None,
        cache_read_tokens=read,
        cache_creation_tokens=write,
        logged_model=_text(row.get("model")) or None,
        model_group=_text(row.get("model_group")) or None,
        reasoning_tokens=reasoning_tokens(usage),
    )


def end_time(row: dict[str, Any]) -> datetime | None:
    """When the request ended (LiteLLM writes the row a few seconds after this)."""
    return parse_timestamp(row.get("endTime")) or parse_timestamp(row.get("startTime"))
