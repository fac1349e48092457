"""A model of LiteLLM's daily tables and their paginated endpoints, for tests.

Written from LiteLLM 1.108.7's ``db_spend_update_writer.py`` (what each table gets per
request) and ``common_daily_activity.py`` (how a page of table rows becomes an answer),
independently of spendtui's parser. The real proxy is checked the same way in
``test_proxy_peer.py``; this model lets tests use many keys, days and pages.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from spendtui.demo.generator import RowBatch

_COUNTS = ("prompt_tokens", "completion_tokens", "api_requests", "successful_requests", "failed_requests")


def log_rows(batch: RowBatch) -> list[dict[str, Any]]:
    """Demo rows shaped as ``/spend/logs/v2`` returns them (ISO times, tag lists)."""
    out = []
    names = list(batch.columns)
    for values in zip(*(batch.columns[c] for c in names), strict=True):
        row = dict(zip(names, values, strict=True))
        for col in ("startTime", "endTime"):
            row[col] = datetime.fromisoformat(row[col]).isoformat(timespec="milliseconds") + "+00:00"
        tags = row.get("request_tags")
        row["request_tags"] = json.loads(tags) if isinstance(tags, str) else tags
        out.append(row)
    return out


def _entities(row: dict[str, Any], entity: str) -> list[str | None]:
    """The entity values LiteLLM writes a table row under for one request."""
    if entity == "user":
        return [row.get("user")]  # a request without a user still gets a (NULL) row
    if entity == "team":
        return [] if row.get("team_id") is None else [row["team_id"]]
    if entity == "customer":
        return [row["end_user"]] if row.get("end_user") else []
    if entity in ("organization", "agent"):
        # written under the request's own organization_id / agent_id (as its log row
        # holds them), none when the request had none
        value = row.get(f"{entity}_id")
        return [value] if value else []
    return list(dict.fromkeys(row.get("request_tags") or []))


def table_rows(rows: Iterable[dict[str, Any]], entity: str) -> list[dict[str, Any]]:
    """``LiteLLM_Daily<Entity>Spend`` rows: sums per (entity, day, key, model, provider)."""
    acc: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        day = row["startTime"][:10]
        for value in _entities(row, entity):
            key = (value, day, row["api_key"], row["model"], row["custom_llm_provider"])
            found = acc.get(key)
            if found is None:
                found = acc[key] = {
                    "entity": value,
                    "date": day,
                    "api_key": row["api_key"],
                    "model": row["model"],
                    "model_group": row["model_group"],
                    "custom_llm_provider": row["custom_llm_provider"],
                    "spend": 0.0,
                    "prompt_tokens": 0,
                    "completion_tokens": 0,
                    "api_requests": 0,
                    "successful_requests": 0,
                    "failed_requests": 0,
                }
            found["spend"] += row["spend"]
            found["prompt_tokens"] += row["prompt_tokens"]
            found["completion_tokens"] += row["completion_tokens"]
            found["api_requests"] += 1
            ok = row["status"] != "failure"
            found["successful_requests" if ok else "failed_requests"] += 1
    return list(acc.values())


def _metrics() -> dict[str, Any]:
    return {
        "spend": 0.0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "api_requests": 0,
        "successful_requests": 0,
        "failed_requests": 0,
    }


def _add(metrics: dict[str, Any], row: dict[str, Any]) -> None:
    metrics["spend"] += row["spend"]
    for name in _COUNTS:
        metrics[name] += row[name]
    metrics["total_tokens"] += row["prompt_tokens"] + row["completion_tokens"]


def _bucket(target: dict, name: str, row: dict[str, Any]) -> None:
    entry = target.setdefault(name, {"metrics": _metrics(), "metadata": {}, "api_key_breakdown": {}})
    _add(entry["metrics"], row)
    per_key = entry["api_key_breakdown"].setdefault(row["api_key"], {"metrics": _metrics(), "metadata": {}})
    _add(per_key["metrics"], row)


def answer(rows: list[dict[str, Any]], page: int, total_pages: int, total_rows: int) -> dict[str, Any]:
    """One page of table rows aggregated the way the paginated endpoint does."""
    days: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "metrics": _metrics(),
            "breakdown": {
                "models": {},
                "model_groups": {},
                "providers": {},
                "api_keys": {},
                "entities": {},
                "endpoints": {},
                "mcp_servers": {},
            },
        }
    )
    for row in rows:
        day = days[row["date"]]
        _add(day["metrics"], row)
        b = day["breakdown"]
        if row["model"]:
            _bucket(b["models"], row["model"], row)
        if row["model_group"] or row["model"]:
            _bucket(b["model_groups"], row["model_group"] or row["model"], row)
        _bucket(b["providers"], row["custom_llm_provider"] or "unknown", row)
        key = b["api_keys"].setdefault(row["api_key"], {"metrics": _metrics(), "metadata": {}})
        _add(key["metrics"], row)
        _bucket(b["entities"], row["entity"] or "Unassigned", row)
    results = [{"date": d, **v} for d, v in sorted(days.items(), reverse=True)]
    return {
        "results": results,
        "metadata": {"page": page, "total_pages": total_pages, "has_more": page * len(rows) < total_rows},
    }


class DailyEndpoint:
    """``GET /<entity>/daily/activity`` over a fixed set of table rows."""

    def __init__(self, rows: list[dict[str, Any]], seed: int = 3) -> None:
        ids = random.Random(seed)
        self.rows = sorted(rows, key=lambda r: ids.random())  # the uuid "id" order
        self.rows.sort(key=lambda r: r["date"], reverse=True)  # ORDER BY date DESC, id

    def __call__(self, request):  # type: ignore[no-untyped-def]
        from tests.proxy_server import Reply

        q = request.query
        lo, hi = q["start_date"], q["end_date"]
        size, page = int(q.get("page_size", 10)), int(q.get("page", 1))
        chosen = [r for r in self.rows if lo <= r["date"] <= hi]
        part = chosen[(page - 1) * size : page * size]
        body = answer(part, page, -(-len(chosen) // size), len(chosen))
        body["metadata"]["has_more"] = page * size < len(chosen)
        return Reply(200, body)
