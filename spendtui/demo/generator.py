"""Deterministic demo spend: LiteLLM-shaped request rows, written to SQLite.

Rows follow weekday and hour-of-day seasonality with growth over the period; each key
has its own models, customers and tag habits, so the data compresses the way real
proxy traffic does. Each request's ``spend`` is what LiteLLM would log, from LiteLLM's own
price map, except for the deliberate cost problems ``costs`` describes (a model missing
from the map, a custom price lost for a few days, cache reads billed as input).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from spendtui.demo import catalog, costs, schema
from spendtui.demo.accounts import SpendIndex, assign_budgets, write_world
from spendtui.demo.files import DEMO_APPLICATION_ID, NotADemoDatabase, check_replaceable, is_demo_database
from spendtui.demo.owners import choose_deleted, owner_columns
from spendtui.demo.usage import cache_tokens, reasoning_tokens, usage_objects
from spendtui.demo.world import DemoKey, DemoWorld, build_world

__all__ = [
    "DEMO_APPLICATION_ID",
    "NotADemoDatabase",
    "check_replaceable",
    "create_demo_db",
    "generate_rows",
    "is_demo_database",
    "write_rows",
]


MASTER_KEY_ALIAS = "litellm_proxy_master_key"
LAYOUTS = ("litellm", "compact")
_MS = 1000


@dataclass
class RowBatch:
    """Generated requests, one list per column (LiteLLM names), in write order."""

    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.columns["request_id"])


class _KeyTables:
    """Per-key lookup arrays so row generation is vectorised."""

    def __init__(self, world: DemoWorld) -> None:
        keys = world.keys
        n = len(keys)
        width = max(len(k.model_ids) for k in keys)
        self.model_ids = np.zeros((n, width), dtype=np.int64)
        self.model_cum = np.ones((n, width))
        for i, key in enumerate(keys):
            k = len(key.model_ids)
            self.model_ids[i, :k] = key.model_ids
            self.model_ids[i, k:] = key.model_ids[-1]
            self.model_cum[i, :k] = key.model_cum
        self.cust_count = np.array([len(k.customers) for k in keys], dtype=np.int64)
        self.cust_offset = np.concatenate([[0], np.cumsum(self.cust_count)[:-1]]).astype(np.int64)
        self.cust_flat = [c for k in keys for c in k.customers]
        self.metadata = [json.dumps({"user_api_key_alias": k.alias}) for k in keys]


def _tag_values(key: DemoKey, sprint: int) -> list[str]:
    values = []
    for category in key.tag_order:
        if category == "project":
            values.append(f"project:{key.project}")
        elif category == "env":
            values.append(f"env:{key.env}")
        elif category == "team" and key.team is not None:
            values.append(f"team:{key.team.tag}")
        elif category == "cost-center":
            values.append(f"cost-center:{key.team.cost_center if key.team else 'shared'}")
        elif category == "feature":
            values.append(f"feature:{key.feature}")
        elif category == "sprint":
            values.append(f"sprint:{sprint}")
    return values


def _hour_weights(start: datetime, end: datetime, growth: bool) -> tuple[np.ndarray, np.ndarray]:
    """Start of each hour (epoch ms) in [start, end) and its traffic weight."""
    first = start.replace(minute=0, second=0, microsecond=0)
    n_hours = int((end - first).total_seconds() // 3600) + 1
    starts = np.array(
        [int((first + timedelta(hours=h)).timestamp() * _MS) for h in range(n_hours)],
        dtype=np.int64,
    )
    weights = np.empty(n_hours)
    span = max(1, n_hours - 1)
    for h in range(n_hours):
        moment = first + timedelta(hours=h)
        w = catalog.HOUR_SHAPE[moment.hour] * catalog.WEEKDAY_SHAPE[moment.weekday()]
        if growth:
            w *= 0.6 + 0.8 * h / span
        weights[h] = w
    lo_ms, hi_ms = int(start.timestamp() * _MS), int(end.timestamp() * _MS)
    covered = np.clip(np.minimum(starts + 3600 * _MS, hi_ms) - np.maximum(starts, lo_ms), 0, None)
    weights *= covered / (3600 * _MS)
    return starts, weights / weights.sum()


def _fmt_ms(ms: np.ndarray) -> list[str]:
    text = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    return [t.replace("T", " ") for t in text.tolist()]


def generate_rows(
    world: DemoWorld,
    rng: np.random.Generator,
    start: datetime,
    end: datetime,
    n: int,
    *,
    growth: bool = True,
    write_delay: tuple[float, float] = (2.0, 15.0),
    owners_rng: np.random.Generator | None = None,
    organization_from: datetime | None = None,
    incidents: tuple[costs.Incident, ...] = (),
) -> RowBatch:
    """``n`` requests with start times in [start, end), sorted by write time.

    The LiteLLM 1.108 columns ``organization_id`` and ``agent_id`` come from
    ``owners_rng``, a random stream of their own (default: one derived from the seed, the
    start and ``n``), so they change no other column. ``organization_id`` is the key's
    organization at request time, NULL on requests before ``organization_from`` (logged by a
    LiteLLM without the column); ``agent_id`` is the agent of an agent's key on some of its
    requests, rarely an agent calling with another key, else NULL.

    ``spend`` is what LiteLLM logs (``costs.request_spend``), wrong as ``incidents`` say
    for the requests that started inside their windows.
    """
    tables = _KeyTables(world)
    hour_starts, hour_p = _hour_weights(start, end, growth)
    lo_ms, hi_ms = int(start.timestamp() * _MS), int(end.timestamp() * _MS)
    hour = rng.choice(len(hour_starts), size=n, p=hour_p)
    ts = hour_starts[hour] + rng.integers(0, 3600 * _MS, n)
    ts = np.clip(ts, lo_ms, hi_ms - 1)

    key = rng.choice(len(world.keys), size=n, p=world.key_p)
    u = rng.random(n)
    slot = np.minimum((u[:, None] > tables.model_cum[key]).sum(axis=1), tables.model_ids.shape[1] - 1)
    model = tables.model_ids[key, slot]

    med_p = np.array([m.prompt_median for m in catalog.MODELS], dtype=float)
    med_c = np.array([m.completion_median for m in catalog.MODELS], dtype=float)
    prompt = np.maximum(5, rng.lognormal(np.log(med_p[model]), 0.8)).astype(np.int64)
    completion = np.where(
        med_c[model] > 0, np.maximum(1, rng.lognormal(np.log(np.maximum(med_c[model], 1)), 0.7)), 0
    ).astype(np.int64)

    failed = rng.random(n) < 0.02
    cached = (~failed) & (rng.random(n) < 0.04)
    prompt[failed] = 0
    completion[failed] = 0

    duration = (150 + completion * rng.uniform(8, 25, n)).astype(np.int64)
    duration[cached] = rng.integers(5, 40, int(cached.sum()))
    delay = (rng.uniform(*write_delay, n) * _MS).astype(np.int64)
    created = ts + duration + delay

    has_cust = (tables.cust_count[key] > 0) & (rng.random(n) < 0.75)
    pick = (rng.random(n) ** 2 * np.maximum(tables.cust_count[key], 1)).astype(np.int64)
    cust_idx = tables.cust_offset[key] + pick
    n_tags = rng.choice(4, size=n, p=[0.12, 0.3, 0.35, 0.23])
    master = rng.random(n) < 0.01
    ids = rng.bytes(16 * n)

    order = np.argsort(created, kind="stable")
    ts, created, duration = ts[order], created[order], duration[order]
    key, model, prompt, completion = key[order], model[order], prompt[order], completion[order]
    failed, cached = failed[order], cached[order]
    has_cust, cust_idx, n_tags, master = has_cust[order], cust_idx[order], n_tags[order], master[order]

    reads, writes = cache_tokens(np.random.default_rng([world.seed, 10, lo_ms, n]), model, prompt, failed)
    reasoning = reasoning_tokens(np.random.default_rng([world.seed, 12, lo_ms, n]), model, completion, failed)
    usage = usage_objects(model, prompt, reads, writes, reasoning)
    spend = costs.request_spend(model, prompt, completion, reads, writes, reasoning, ts, failed | cached, incidents)
    ttft_rng = np.random.default_rng([world.seed, 11, lo_ms, n])
    first_token = _first_token(ttft_rng, model, prompt, duration, failed | cached)
    sprint = ((ts // (86_400 * _MS)) - 20_000) // 14
    tag_cache: dict[tuple[int, int, int], str] = {}
    columns: dict[str, list[Any]] = {c: [] for c in schema.LITELLM_LOG_COLUMNS}
    start_text = _fmt_ms(ts)
    end_text = _fmt_ms(ts + duration)
    first_text = _fmt_ms(ts + first_token)
    created_text = _fmt_ms(created)
    keys = world.keys
    models = catalog.MODELS
    for i in range(n):
        k = int(key[i])
        dk = keys[k]
        m = models[int(model[i])]
        nt = int(n_tags[i])
        sp = int(sprint[i])
        tags = tag_cache.get((k, nt, sp))
        if tags is None:
            tags = json.dumps(_tag_values(dk, sp)[:nt])
            tag_cache[(k, nt, sp)] = tags
        is_master = bool(master[i])
        columns["request_id"].append(
            ("embd-" if m.call_type == "aembedding" else "chatcmpl-")
            + str(uuid.UUID(bytes=ids[16 * i : 16 * i + 16], version=4))
        )
        columns["call_type"].append(m.call_type)
        columns["api_key"].append(MASTER_KEY_ALIAS if is_master else dk.token)
        columns["spend"].append(float(spend[i]))
        columns["total_tokens"].append(int(prompt[i] + completion[i]))
        columns["prompt_tokens"].append(int(prompt[i]))
        columns["completion_tokens"].append(int(completion[i]))
        columns["startTime"].append(start_text[i])
        columns["endTime"].append(end_text[i])
        columns["completionStartTime"].append(None if failed[i] else first_text[i])
        columns["model"].append(m.litellm_model)
        columns["model_id"].append("")
        columns["model_group"].append(m.name)
        columns["custom_llm_provider"].append(m.provider)
        columns["api_base"].append("")
        columns["user"].append("default_user_id" if is_master else dk.user_id)
        metadata = "{}" if is_master else tables.metadata[k]
        if usage[i]:  # (the alias object, with the usage object added)
            metadata = metadata[:-1] + (", " if len(metadata) > 2 else "") + usage[i] + "}"
        columns["metadata"].append(metadata)
        columns["cache_hit"].append("True" if cached[i] else "False")
        columns["cache_key"].append("")
        columns["request_tags"].append(tags)
        columns["team_id"].append(None if is_master or dk.team is None else dk.team.team_id)
        columns["end_user"].append(tables.cust_flat[int(cust_idx[i])] if has_cust[i] else None)
        columns["requester_ip_address"].append(f"10.0.0.{k % 250 + 1}")
        columns["session_id"].append(None)
        columns["status"].append("failure" if failed[i] else "success")
        columns["request_duration_ms"].append(int(duration[i]))
        columns["created_at"].append(created_text[i])
        columns["updated_at"].append(created_text[i])
    if owners_rng is None:
        owners_rng = np.random.default_rng([world.seed, 8, lo_ms, n])
    owner_columns(world, columns, key, master, ts, owners_rng, organization_from)
    return RowBatch(columns)


def _first_token(
    rng: np.random.Generator, model: np.ndarray, prompt: np.ndarray, duration: np.ndarray, not_streamed: np.ndarray
) -> np.ndarray:
    """Milliseconds from each request's start to its ``completionStartTime``: for the
    streamed chat requests (60 %), the first token, after a delay that grows with the
    prompt and always before the end; for the rest the end, as LiteLLM logs a response
    that was not streamed. A stream of its own, so no other column changes."""
    n = len(model)
    chat = np.array([m.call_type == "acompletion" for m in catalog.MODELS])[model]
    streamed = chat & ~not_streamed & (rng.random(n) < 0.6)
    delay = ((120 + prompt * 0.05) * rng.lognormal(0.0, 0.35, n)).astype(np.int64)
    first = np.minimum(np.maximum(delay, 30), duration - 1)
    return np.where(streamed & (duration > 1), first, duration)


def _rows(batch: RowBatch, names: Sequence[str]) -> list[tuple[Any, ...]]:
    return list(zip(*(batch.columns[c] for c in names), strict=True))


def write_rows(conn: sqlite3.Connection, batch: RowBatch, layout: str) -> None:
    """Append a batch to the SpendLogs table of the given layout (caller commits)."""
    if layout == "litellm":
        names = schema.LITELLM_LOG_COLUMNS
        conn.executemany(schema.insert_sql("LiteLLM_SpendLogs", names), _rows(batch, names))
    else:
        # the compact layout keeps one timestamp, the request time, as created_at
        cols = dict(batch.columns)
        cols["created_at"] = batch.columns["startTime"]
        names = schema.COMPACT_LOG_COLUMNS
        conn.executemany(
            schema.insert_sql("LiteLLM_SpendLogs", names),
            list(zip(*(cols[c] for c in names), strict=True)),
        )


def create_demo_db(
    path: str | Path,
    *,
    rows: int = 200_000,
    days: int = 90,
    layout: str = "litellm",
    seed: int = 7,
    now: datetime | None = None,
    chunk: int = 250_000,
    organization_days: int = 20,
) -> DemoWorld:
    """Write a fresh demo database at ``path``, replacing an earlier demo database there.

    Requests before the last ``organization_days`` days have no ``organization_id`` (as if
    logged before LiteLLM had the column): they are attributed from their key or team.

    Any other file at ``path`` (text, a SQLite database without the demo's mark) is left
    untouched: NotADemoDatabase. An empty file counts as free (e.g. from ``mktemp``).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    if rows < 0 or days < 1:
        raise ValueError("rows must be >= 0 and days >= 1")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    path = Path(path)
    check_replaceable(path)
    if path.exists():
        path.unlink()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    world = build_world(seed)
    rng = np.random.default_rng([seed, 2])
    owners_rng = np.random.default_rng([seed, 8])
    organization_from = now - timedelta(days=organization_days)
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0)
    windows = costs.incidents(now)
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"PRAGMA application_id={DEMO_APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executescript(schema.LITELLM_DDL if layout == "litellm" else schema.COMPACT_DDL)
        # generate in chunks of time so memory stays flat for millions of rows
        n_chunks = max(1, -(-rows // chunk))
        span = (now - start) / n_chunks
        hour_starts, hour_p = _hour_weights(start, now, growth=True)
        chunk_bounds = [start + span * i for i in range(n_chunks + 1)]
        weights = []
        for lo, hi in zip(chunk_bounds, chunk_bounds[1:], strict=False):
            lo_ms, hi_ms = lo.timestamp() * _MS, hi.timestamp() * _MS
            weights.append(float(hour_p[(hour_starts >= lo_ms - 3600 * _MS) & (hour_starts < hi_ms)].sum()))
        counts = np.floor(np.array(weights) / sum(weights) * rows).astype(int)
        counts[-1] += rows - counts.sum()
        sample = RowBatch({c: [] for c in schema.LITELLM_LOG_COLUMNS})
        for (lo, hi), count in zip(zip(chunk_bounds, chunk_bounds[1:], strict=False), counts, strict=True):
            batch = (
                generate_rows(
                    world,
                    rng,
                    lo,
                    hi,
                    int(count),
                    owners_rng=owners_rng,
                    organization_from=organization_from,
                    incidents=windows,
                )
                if count
                else None
            )
            if batch is None:
                continue
            write_rows(conn, batch, layout)
            for c in ("api_key", "team_id", "user", "end_user", "startTime", "spend"):
                sample.columns[c].extend(batch.columns[c])
        index = SpendIndex(sample)
        assign_budgets(world, index, now, rng)
        choose_deleted(world, index, now)
        write_world(conn, world, index, now, layout)
        if layout == "litellm":
            costs.write_deployments(conn, seed, now)
        conn.commit()
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    return world
