"""The proxy source: the same figures as the database source, from LiteLLM's REST API.

* **History** (days before the live window) comes from the daily activity endpoints as
  *fact cubes* (``sources/daily/history.py``), each exact for the dimensions its table crosses.
* **Live** (the engine's hourly days, yesterday and today) comes from ``/spend/logs/v2``:
  every request with every dimension, kept current by polls.
* **Modes** (feature detection, never version guesses): a proxy without the daily
  activity endpoints (404/422) is read from request logs for the whole window; one
  without ``/spend/logs/v2`` from the legacy ``/spend/logs`` (whole days, capped at
  10,000 rows). ``mode`` says which is in use.

Request budget: a cold load reads each history endpoint's pages, the live window's log
pages, and names. A steady-state poll is one ``/spend/logs/v2`` request (a further page
only while a burst is being read), never overlaps another poll, and is paced by
``PollPacer`` (idle 3 s → 30 s, errors exponentially up to 2 min).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from spendtui.core.budget_state import BudgetList, KeyStates
from spendtui.core.cube import CellChunk, RawRow
from spendtui.core.facts import FactCube
from spendtui.core.me_model import MyKeyReads
from spendtui.core.names import Names
from spendtui.errors import NotAdminKey, SourceAuthError, SourceDataError, SourceError
from spendtui.sources.daily.history import build_history
from spendtui.sources.proxy import admin
from spendtui.sources.proxy.admin_reads import AdminReads
from spendtui.sources.proxy.errors import ADMIN_HINT, EnterpriseOnly, FeatureMissing
from spendtui.sources.proxy.http import HttpSettings, ProxyHttp
from spendtui.sources.proxy.logs import end_time, raw_row
from spendtui.sources.proxy.pacing import PollPacer
from spendtui.sources.proxy.reads import (
    LOGS_PAGE,
    far_end,
    optional,
    read_daily,
    read_legacy_logs,
    read_logs,
    stamp,
)
from spendtui.timeutil import Clock, day_date, day_of, day_start, system_clock

MODE_AGGREGATES = "daily aggregates + live request logs"
MODE_LOGS = "request logs only (no daily activity endpoints on this proxy)"
MODE_LEGACY = "legacy /spend/logs (older proxy; at most 10,000 requests per read)"
#: LiteLLM writes a row 2-15 s after the request ends; a poll re-reads this far back.
WRITE_MARGIN = timedelta(seconds=60)
#: A deep poll (the engine asks every minute or so) re-reads further, for late batches.
DEEP_MARGIN = timedelta(minutes=15)
#: Rows are filtered by start time; a request may run this long before it ends.
LONGEST_REQUEST = timedelta(minutes=30)


@dataclass
class ProxyLoad:
    """A cold load: raw rows for the live days plus the history fact cubes."""

    chunks: list[CellChunk]
    rows: list[RawRow]
    fact_cubes: list[FactCube]
    live_first_day: int
    notes: list[str] = field(default_factory=list)
    #: Measures the history cubes cannot count, and what the figure is made of.
    partial_measures: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProxyStatus:
    """How the source is doing: the mode in use, why the data is stale (the last poll's
    error, until a poll succeeds), when the next poll may go out, requests so far."""

    mode: str
    stale: str | None
    next_poll_in: float
    requests_sent: int
    notes: tuple[str, ...]


@dataclass
class _Cursor:
    live_first_day: int
    #: The next poll looks for rows that ended at or after this, less a margin.
    since: datetime
    #: request ids already delivered -> when the request ended.
    seen: dict[str, datetime] = field(default_factory=dict)


class ProxySource:
    """Reads one LiteLLM proxy. One HTTP client for the source's life; ``close`` frees it."""

    kind = "proxy"

    def __init__(
        self,
        settings: HttpSettings,
        *,
        clock: Clock = system_clock,
        env: Mapping[str, str] | None = None,
        pacer: PollPacer | None = None,
    ) -> None:
        self.http = ProxyHttp(settings, env)
        self.clock = clock
        self.pacer = pacer or PollPacer()
        self.mode = MODE_AGGREGATES
        #: Things the proxy could not do, each said once (shown with the data).
        self.notes: list[str] = []
        self._cursor: _Cursor | None = None
        self._poll_lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._missing: set[str] = set()
        #: Polls skipped because another was still in flight.
        self.overlapping_polls = 0
        #: Rows per ``/spend/logs/v2`` page (LiteLLM's maximum; smaller in tests).
        self.logs_page = LOGS_PAGE

    # ------------------------------------------------------------------ status
    def status(self) -> ProxyStatus:
        """What the status line shows between polls (no request)."""
        error = self.pacer.last_error
        return ProxyStatus(
            mode=self.mode,
            stale=str(error) if error is not None else None,
            next_poll_in=self.pacer.seconds_left(),
            requests_sent=self.http.requests_sent,
            notes=tuple(self.notes),
        )

    # ------------------------------------------------------------------ identity
    @property
    def display(self) -> str:
        return self.http.display

    def identity(self) -> str:
        return f"proxy:{self.display}"

    def close(self) -> None:
        self.http.close()

    def _note_missing(self, exc: Exception) -> None:
        path = getattr(exc, "path", str(exc))
        if path in self._missing:
            return
        self._missing.add(path)
        if isinstance(exc, EnterpriseOnly):
            self.notes.append(f"{path} needs a LiteLLM Enterprise licence; using the free endpoints instead")
        else:
            self.notes.append(f"{path} is not available on this proxy (older LiteLLM)")

    def _today(self) -> int:
        return day_of(self.clock())

    # ------------------------------------------------------------------ admin reads (admin_reads.py)
    @property
    def _admin(self) -> AdminReads:
        return AdminReads(self)  # (made per read: holding one would tie the two in a reference cycle)

    def names(self) -> Names:
        return self._admin.names()

    def budgets(self) -> BudgetList:
        """Every budget of every LiteLLM kind with its window and spend (admin_reads)."""
        return self._admin.budgets()

    def key_states(self) -> KeyStates:
        """Every virtual key the proxy's key may see (``/key/list``), with or without a limit."""
        return self._admin.key_states()

    def models(self) -> list[admin.ModelPrice]:
        """Model names the key may use, with their per-token prices."""
        return self._admin.models()

    def health(self) -> admin.ProxyHealth:
        """Status, database state and LiteLLM version for the status line."""
        return self._admin.health()

    def my_key(self, now: datetime) -> MyKeyReads:
        """What this source's own key may see of itself (``spendtui me``; any key, admin
        or not: see ``me.py`` for what LiteLLM shows to which)."""
        from spendtui.sources.proxy.me import MyKeyReader

        return MyKeyReader(self.http).read(now)

    # ------------------------------------------------------------------ cold load
    def load(self, first_day: int, hourly_from_day: int) -> ProxyLoad:
        """History cubes for days before ``hourly_from_day``; raw rows from then on."""
        with self._load_lock:
            return self.http.run(lambda: self._load(first_day, hourly_from_day))

    async def _check_admin(self) -> None:
        """Refuse a key that LiteLLM would silently scope to its own spend.

        Every spend endpoint answers a non-admin key with that key's own rows only, so
        figures would look complete and be wrong. Listing users is an admin (or viewer)
        right and a cheap query: 401/403 there means the key is not an admin's."""
        try:
            await self.http.aget("/user/list", {"page": 1, "page_size": 1})
        except SourceAuthError as exc:
            raise NotAdminKey(
                f"{self.display}: this key may only read its own spend (LiteLLM scopes every spend "
                f"view to a non-admin key's rows); {ADMIN_HINT}"
            ) from exc
        except FeatureMissing as exc:
            self._note_missing(exc)

    async def _load(self, first_day: int, hourly_from_day: int) -> ProxyLoad:
        await self._check_admin()
        live_first = max(first_day, hourly_from_day)
        notes: list[str] = []
        history: list[FactCube] = []

        async def no_history() -> None:
            return None

        older = self._read_history(first_day, live_first - 1) if first_day < live_first else no_history()
        tables, (rows, server_time) = await asyncio.gather(older, self._read_live(live_first))
        if tables is not None:
            history, notes = build_history(first_day, live_first - 1, **tables)
        elif first_day < live_first:
            # no daily activity endpoints: the request log covers the older days too
            earlier, _ = await self._read_live(first_day, before=live_first)
            rows = [*rows, *earlier]
            live_first = first_day
        newest = max((e for e in (end_time(r) for r in rows) if e is not None), default=None)
        since = server_time or newest or day_start(live_first)
        cursor = _Cursor(live_first, since)
        out: list[RawRow] = []
        for row in rows:
            parsed = raw_row(row)
            if parsed.request_id in cursor.seen:
                continue  # a row that moved to a later page while paging
            cursor.seen[parsed.request_id] = end_time(row) or since
            out.append(parsed)
        self._cursor = cursor
        self.pacer.reset()
        partial = {}
        if history:
            partial["cache_hits"] = (
                f"cache hits are counted from request logs only (from {day_date(live_first)}): "
                "LiteLLM's daily tables do not keep them"
            )
        return ProxyLoad([], out, history, live_first, [*self.notes, *notes], partial)

    async def _read_history(self, first: int, last: int) -> dict[str, Any] | None:
        """``build_history``'s arguments: the daily tables (user, team, customer, tag,
        organization, agent) and why those that could not be read were not; None when
        the proxy has no daily activity endpoints at all."""
        if self.mode != MODE_AGGREGATES:
            return None
        try:
            user = await read_daily(self.http, "user", first, last)
        except FeatureMissing as exc:
            self._note_missing(exc)
            self.mode = MODE_LOGS
            return None
        refused: dict[str, str] = {}

        def owner_table_missing(entity: str) -> Callable[[Exception], None]:
            def missing(exc: Exception) -> None:  # (said with the refusals, not as a note)
                refused[entity] = str(exc)

            return missing

        entities = ("team", "customer", "tag", "organization", "agent")
        found = await asyncio.gather(
            *(
                optional(
                    partial(read_daily, self.http, entity, first, last),
                    owner_table_missing(entity) if entity in ("organization", "agent") else self._note_missing,
                )
                for entity in entities
            )
        )
        return {"user": user, **dict(zip(entities, found, strict=True)), "refused": refused}

    async def _read_live(
        self, first_day: int, before: int | None = None
    ) -> tuple[list[dict[str, Any]], datetime | None]:
        """Request-log rows from ``first_day`` on (up to the start of the day ``before``:
        a request started exactly at midnight comes twice and is de-duplicated)."""
        end = far_end(self._today()) if before is None else day_start(before)
        if self.mode != MODE_LEGACY:
            try:
                read = await read_logs(self.http, day_start(first_day), end, page_size=self.logs_page)
                return read.rows, read.server_time
            except FeatureMissing as exc:
                self._note_missing(exc)
                self.mode = MODE_LEGACY
                first_error = exc
        else:
            first_error = None
        try:
            last = self._today() + 1 if before is None else before - 1
            read = await read_legacy_logs(self.http, first_day, last)
        except FeatureMissing as exc:
            self.mode = MODE_AGGREGATES
            raise SourceDataError(
                f"{self.display}: cannot read request logs: {first_error or ''} and /spend/logs: {exc}"
            ) from None
        return read.rows, read.server_time

    # ------------------------------------------------------------------ polls
    def poll(self, deep: bool = False) -> list[RawRow]:
        """Requests written since the last load or poll, each exactly once.

        Returns at once with nothing when another poll is in flight or the pacer says
        wait; re-raises the last error while backing off after a failure."""
        if not self._poll_lock.acquire(blocking=False):
            self.overlapping_polls += 1
            return []
        try:
            if self._cursor is None:
                return []
            if not self.pacer.due(forced=deep):
                if self.pacer.last_error is not None:
                    raise self.pacer.last_error
                return []
            try:
                rows = self.http.run(lambda: self._poll(deep))
            except SourceError as exc:
                self.pacer.failed(exc)
                raise
            self.pacer.succeeded(len(rows))
            return rows
        finally:
            self._poll_lock.release()

    async def _poll(self, deep: bool) -> list[RawRow]:
        cursor = self._cursor
        assert cursor is not None
        margin = DEEP_MARGIN if deep else WRITE_MARGIN
        since = cursor.since - margin
        floor = day_start(cursor.live_first_day)
        if self.mode == MODE_LEGACY:
            read = await read_legacy_logs(self.http, cursor.live_first_day, self._today() + 1)
        else:
            start = max(floor, since - LONGEST_REQUEST)
            end = far_end(self._today())
            read = await read_logs(self.http, start, end, stop_before=since, page_size=self.logs_page)
        fresh: list[RawRow] = []
        newest = cursor.since
        for row in read.rows:
            rid = row.get("request_id")
            ended = end_time(row)
            if ended is not None and ended > newest:
                newest = ended
            if not isinstance(rid, str) or rid in cursor.seen:
                continue
            cursor.seen[rid] = ended or cursor.since
            fresh.append(raw_row(row))
        cursor.since = read.server_time or newest
        horizon = cursor.since - DEEP_MARGIN - LONGEST_REQUEST - timedelta(minutes=5)
        if self.mode != MODE_LEGACY:
            cursor.seen = {k: v for k, v in cursor.seen.items() if v >= horizon}
        return fresh

    # ------------------------------------------------------------------ tail
    def recent(self, limit: int = 200) -> list[RawRow]:
        """The newest requests by start time, oldest first (the live tail)."""
        today = self._today()
        if self.mode == MODE_LEGACY:
            rows = self.http.run(lambda: read_legacy_logs(self.http, today - 1, today + 1)).rows
        else:
            params = {
                "start_date": stamp(day_start(today - 1)),
                "end_date": stamp(far_end(today)),
                "page": 1,
                "page_size": max(1, min(limit, 1000)),
                "sort_by": "startTime",
                "sort_order": "desc",
            }
            answer = self.http.get("/spend/logs/v2", params)
            rows = admin.list_of(answer.body, "data", f"{self.display}/spend/logs/v2")
        out = [raw_row(r) for r in rows]
        out.sort(key=lambda r: str(r.start))
        return out[-limit:] if limit else []
