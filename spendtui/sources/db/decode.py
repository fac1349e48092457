"""Query answers as the cube takes them: ``RawRow`` from a raw row, ``CellChunk`` from
the single-row aggregate of ``SpendSql.cells``."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from spendtui.core.cache_tokens import cache_tokens, usage_values
from spendtui.core.cube import CellChunk, RawRow
from spendtui.core.measures import MAX_TOKENS, N_MEASURES
from spendtui.core.repricing import reasoning_tokens
from spendtui.errors import SourceDataError
from spendtui.money import to_pico
from spendtui.sources.db.sql import CELL_SEP


def raw_row(r: Sequence[Any]) -> RawRow:
    """A RawRow from a ``SpendSql.raw_rows`` result row (columns in that order; a driver
    row holds whatever types the driver returns, hence ``Any``)."""
    (
        rid,
        request_id,
        ts,
        _,
        model,
        provider,
        api_key,
        user,
        team,
        customer,
        tags,
        spend,
        pt,
        ct,
        tt,
        status,
        cache,
        organization,
        agent,
        usage,
        duration_ms,
        ttft_ms,
        logged_model,
        model_group,
        reasoning,
    ) = r
    cache_read, cache_creation = _cache_tokens(usage)
    return RawRow(
        request_id=str(request_id if request_id is not None else rid),
        start=ts,
        model=model,
        provider=provider,
        api_key=api_key,
        user=user,
        team=team,
        customer=customer,
        tags=tags,
        spend=to_pico(spend),
        prompt_tokens=_int(pt),
        completion_tokens=_int(ct),
        total_tokens=_int(tt),
        failed=status == "failure",
        cache_hit=isinstance(cache, str) and cache.lower() == "true",
        organization=organization or None,
        agent=agent or None,
        cache_read_tokens=cache_read,
        cache_creation_tokens=cache_creation,
        rowid=rid if isinstance(rid, int) else None,
        duration_ms=_ms(duration_ms),
        ttft_ms=_ms(ttft_ms),
        logged_model=logged_model,
        model_group=model_group,
        reasoning_tokens=reasoning_tokens({"completion_tokens_details": {"reasoning_tokens": reasoning}}),
    )


def _ms(value: Any) -> float | None:
    """Milliseconds as the database computed them (a float, Decimal or None)."""
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _cache_tokens(usage: Any) -> tuple[int, int]:
    """Cache-read and cache-creation tokens of ``SpendSql.cache_usage``: SQLite's JSON
    array text of the values, or PostgreSQL's usage object as the driver decoded it."""
    if usage is None:
        return 0, 0
    if isinstance(usage, str):
        try:
            values = json.loads(usage)
        except ValueError:
            return 0, 0
        return cache_tokens(values) if isinstance(values, list) else (0, 0)
    return cache_tokens(usage_values(usage))


def _int(value: Any) -> int:
    """A token count (0 when unreadable, infinite or beyond ``MAX_TOKENS``); ``value`` is
    whatever the driver returned (int, float, Decimal, str or None)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if -MAX_TOKENS <= number <= MAX_TOKENS else 0


def _cell_int(text_value: str) -> int:
    """One summed measure that is not a plain integer: SQLite sums a REAL token count
    (3.7, or 9e999 stored as Inf) as a REAL. Whole part when finite, 0 otherwise."""
    try:
        value = float(text_value)
    except ValueError:
        return 0
    if not math.isfinite(value) or abs(value) >= 2**63:
        return 0
    return int(value)


def _split_ints(text_value: str | None, count: int) -> np.ndarray:
    if not count:
        return np.zeros(0, dtype=np.int64)
    text = text_value or ""  # NULL only when there are no cells: SpendSql.cells coalesces each measure
    try:
        values = np.fromstring(text, dtype=np.int64, sep=",")
    except ValueError:  # a REAL in the sums (see _cell_int): the slow path, value by value
        values = np.array([_cell_int(v) for v in text.split(",")], dtype=np.int64)
    if len(values) != count:
        raise SourceDataError("the database returned a malformed aggregate (measure count mismatch)")
    return values


def chunk_from_row(row: Sequence[Any]) -> CellChunk:
    """Turn the single-row aggregate answer into a CellChunk."""
    _, buckets, keys, *measures, bad = row
    bucket_list = buckets.split(CELL_SEP) if buckets else []
    key_list = keys.split(CELL_SEP) if keys else []
    n = len(key_list)
    if len(bucket_list) != n:
        raise SourceDataError(
            "a value in the spend table contains a control character spendtui uses as a "
            "separator (\\x1e); cannot aggregate it safely"
        )
    cols = [_split_ints(m, n) for m in measures]
    matrix = np.stack(cols, axis=1) if n else np.zeros((0, N_MEASURES), dtype=np.int64)
    return CellChunk(bucket_list, key_list, matrix, int(bad or 0))
