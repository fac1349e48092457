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
from spendtui.demo.owners import choose_deleted, owner_columns
from spendtui.demo.world import DemoKey, DemoWorld, build_world
from spendtui.errors import UsageError

MASTER_KEY_ALIAS = "litellm_proxy_master_key"
LAYOUTS = ("litellm", "compact")
_MS = 1000
#: ``PRAGMA application_id`` of every database ``create_demo_db`` writes ("SPTD"): the mark
#: by which spendtui knows a file is its own demo database, the only kind it replaces.
DEMO_APPLICATION_ID = 0x53505444
_SQLITE_MAGIC = b"SQLite format 3\x00"


class NotADemoDatabase(UsageError):
    """The path holds a file that spendtui's demo generator did not write."""


def is_demo_database(path: str | Path) -> bool:
    """Whether ``path`` is a SQLite file carrying the demo generator's application id
    (read from the 100-byte file header; the file is not opened as a database)."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError:
        return False
    return len(head) == 100 and head[:16] == _SQLITE_MAGIC and int.from_bytes(head[68:72], "big") == DEMO_APPLICATION_ID


def check_replaceable(path: str | Path) -> None:
    """NotADemoDatabase unless ``path`` is free: absent, an empty file, or a spendtui demo database."""
    path = Path(path)
    refuse = "refusing to replace it (delete it yourself if you mean it, or choose another path)"
    if path.is_dir():
        raise NotADemoDatabase(f"{path} is a directory: give a file path for the demo database")
    if not path.exists():
        return
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise NotADemoDatabase(
            f"{path}: cannot read it to check that it is a spendtui demo database ({exc.strerror or exc})"
        ) from None
    if not head or is_demo_database(path):
        return
    if head.startswith(_SQLITE_MAGIC):
        raise NotADemoDatabase(
            f"{path} is a SQLite database without the mark of spendtui's demo generator "
            f"(nor do demo databases written before the mark existed): {refuse}"
        )
    raise NotADemoDatabase(f"{path} exists and is not a spendtui demo database: {refuse}")


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


#: Prompt caching by model: (usage shape, share of requests that read the cache, share of
#: the prompt read, share of requests that write it). Anthropic logs its own fields;
#: OpenAI-style providers ``prompt_tokens_details.cached_tokens`` (OpenAI caches prompts
#: of 1,024 tokens and more, in steps of 128). Other models: no caching.
CACHING: dict[str, tuple[str, float, tuple[float, float], float]] = {
    "claude-sonnet-4-5": ("anthropic", 0.6, (0.5, 0.9), 0.15),
    "claude-haiku-4-5": ("anthropic", 0.5, (0.4, 0.85), 0.12),
    "claude-opus-4-1": ("anthropic", 0.55, (0.5, 0.9), 0.2),
    "gpt-4o": ("openai", 0.4, (0.3, 0.8), 0.0),
    "gpt-4o-mini": ("openai", 0.35, (0.3, 0.8), 0.0),
    "gpt-4.1": ("openai", 0.45, (0.3, 0.85), 0.0),
    "gpt-4.1-mini": ("openai", 0.4, (0.3, 0.8), 0.0),
    "o4-mini": ("openai", 0.3, (0.3, 0.7), 0.0),
    "grok-code-fast-1": ("openai", 0.6, (0.5, 0.9), 0.0),
}


#: Reasoning by model: (share of requests that reason, share of the completion that is
#: reasoning), logged as OpenAI's ``completion_tokens_details.reasoning_tokens`` (part of
#: the completion tokens, as LiteLLM counts them).
REASONING: dict[str, tuple[float, tuple[float, float]]] = {
    "o4-mini": (1.0, (0.4, 0.85)),
    "grok-4-1-fast-reasoning": (1.0, (0.3, 0.8)),
    "perplexity-sonar-deep-research": (1.0, (0.5, 0.9)),
    "gemini-2.5-flash": (0.5, (0.2, 0.7)),
}


def _cache_tokens(
    rng: np.random.Generator, model: np.ndarray, prompt: np.ndarray, failed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per request, its prompt-cache reads and writes (part of its prompt tokens, as LiteLLM
    logs them) for the models in ``CACHING``, from a random stream of their own (the other
    columns do not change)."""
    n = len(model)
    draw, share, write_draw, write_share = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    reads = np.zeros(n, dtype=np.int64)
    writes = np.zeros(n, dtype=np.int64)
    by_name = {m.name: i for i, m in enumerate(catalog.MODELS)}
    for name, (style, p_read, (lo, hi), p_write) in CACHING.items():
        mine = (model == by_name[name]) & ~failed
        read = np.where(mine & (draw < p_read), (prompt * (lo + (hi - lo) * share)).astype(np.int64), 0)
        if style == "openai":
            read = np.where(prompt >= 1024, read // 128 * 128, 0)
        write = np.where(mine & (write_draw < p_write), (prompt * (0.2 + 0.5 * write_share)).astype(np.int64), 0)
        write = np.minimum(write, prompt - read)
        reads = np.where(mine, read, reads)
        writes = np.where(mine, write, writes)
    return reads, writes


def _reasoning_tokens(
    rng: np.random.Generator, model: np.ndarray, completion: np.ndarray, failed: np.ndarray
) -> np.ndarray:
    """Per request, its reasoning tokens (part of its completion tokens) for the models in
    ``REASONING``, from a random stream of their own."""
    n = len(model)
    draw, share = rng.random(n), rng.random(n)
    out = np.zeros(n, dtype=np.int64)
    by_name = {m.name: i for i, m in enumerate(catalog.MODELS)}
    for name, (p_reason, (lo, hi)) in REASONING.items():
        mine = (model == by_name[name]) & ~failed & (draw < p_reason)
        out = np.where(mine, (completion * (lo + (hi - lo) * share)).astype(np.int64), out)
    return out


def _usage_objects(
    model: np.ndarray, prompt: np.ndarray, reads: np.ndarray, writes: np.ndarray, reasoning: np.ndarray
) -> list[str]:
    """Per request, the ``"usage_object": {...}`` member its metadata gets ('' for none):
    Anthropic's own cache fields for Claude, OpenAI's ``prompt_tokens_details.cached_tokens``
    for the other caching models, and ``completion_tokens_details.reasoning_tokens``."""
    out = [""] * len(model)
    anthropic = np.array([CACHING.get(m.name, ("",))[0] == "anthropic" for m in catalog.MODELS])[model]
    for i in np.flatnonzero((reads > 0) | (writes > 0) | (reasoning > 0)).tolist():
        p, r, w, z = int(prompt[i]), int(reads[i]), int(writes[i]), int(reasoning[i])
        fields = [f'"prompt_tokens": {p}']
        if r or w:
            if anthropic[i]:
                fields.append(f'"cache_read_input_tokens": {r}, "cache_creation_input_tokens": {w}')
            else:
                fields.append(f'"prompt_tokens_details": {{"cached_tokens": {r}}}')
        if z:
            fields.append(f'"completion_tokens_details": {{"reasoning_tokens": {z}}}')
        out[i] = f'"usage_object": {{{", ".join(fields)}}}'
    return out


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

    reads, writes = _cache_tokens(np.random.default_rng([world.seed, 10, lo_ms, n]), model, prompt, failed)
    reasoning = _reasoning_tokens(np.random.default_rng([world.seed, 12, lo_ms, n]), model, completion, failed)
    usage = _usage_objects(model, prompt, reads, writes, reasoning)
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
