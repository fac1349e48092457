"""The proxy source's reads: request-log pages, daily-activity pages, paged lists.

All functions are coroutines on the source's one client (``ProxyHttp.aget``).

Request logs (``/spend/logs/v2``) are read newest-*ending* first (``sort_by=endTime``):
LiteLLM writes a row a few seconds after the request ends, so every row not seen yet
ended after the previous read began (less a margin), and a read can stop at the first
page that reaches back past that point. Paging is by offset; rows written meanwhile
only push others to later pages (seen twice, de-duplicated by ``request_id``). A page
shorter than the page size is the last one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from spendtui.errors import SourceDataError
from spendtui.sources.daily.tables import DailyTable, merge_page
from spendtui.sources.proxy.errors import EnterpriseOnly, FeatureMissing
from spendtui.sources.proxy.http import ProxyHttp
from spendtui.sources.proxy.logs import end_time, parse_logs_page
from spendtui.timeutil import day_date, day_start

LOGS_PAGE = 1000  # /spend/logs/v2 maximum since LiteLLM 2026-07
DAILY_PAGE = 1000
LIST_PAGE = 100  # /key/list and /user/list maximum
#: Daily-activity pages fetched at once after the first.
PARALLEL_PAGES = 4
LEGACY_CAP = 10_000

DAILY_PATHS = {
    "user": "/user/daily/activity",
    "team": "/team/daily/activity",
    "customer": "/customer/daily/activity",
    "tag": "/tag/daily/activity",
    # LiteLLM 2025-11 and 2025-12 on; the organization's needs an Enterprise licence
    "organization": "/organization/daily/activity",
    "agent": "/agent/daily/activity",
}


def stamp(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS`` (UTC), the form ``/spend/logs/v2`` takes."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class LogRead:
    rows: list[dict[str, Any]]
    #: The server's clock when the read began (``Date`` of its first answer), if sent.
    server_time: datetime | None
    requests: int


async def read_logs(
    http: ProxyHttp,
    start: datetime,
    end: datetime,
    *,
    stop_before: datetime | None = None,
    page_size: int = LOGS_PAGE,
) -> LogRead:
    """Rows whose request started in [start, end], newest end first.

    With ``stop_before``, paging stops after the first page whose oldest row ended
    before it (older rows were seen by earlier reads)."""
    rows: list[dict[str, Any]] = []
    server_time = None
    page = 1
    while True:
        answer = await http.aget(
            "/spend/logs/v2",
            {
                "start_date": stamp(start),
                "end_date": stamp(end),
                "page": page,
                "page_size": page_size,
                "sort_by": "endTime",
                "sort_order": "desc",
            },
        )
        if page == 1:
            server_time = answer.server_time
        batch = parse_logs_page(answer.body, f"{http.display}/spend/logs/v2").rows
        rows.extend(batch)
        if len(batch) < page_size:
            return LogRead(rows, server_time, page)
        if stop_before is not None:
            ends = [e for e in (end_time(r) for r in batch) if e is not None]
            if ends and min(ends) < stop_before:
                return LogRead(rows, server_time, page)
        page += 1


async def read_legacy_logs(http: ProxyHttp, first_day: int, last_day: int) -> LogRead:
    """Raw rows from the legacy ``/spend/logs`` (whole UTC days; at most 10,000 rows)."""
    answer = await http.aget(
        "/spend/logs",
        {
            "start_date": day_date(first_day).isoformat(),
            "end_date": day_date(last_day + 1).isoformat(),
            "summarize": False,
        },
    )
    where = f"{http.display}/spend/logs"
    if not isinstance(answer.body, list):
        raise SourceDataError(f"{where}: expected a list of spend logs")
    if answer.headers.get("x-litellm-spend-logs-truncated", "").lower() == "true":
        raise SourceDataError(
            f"{where}: more than {LEGACY_CAP:,} requests in the window, and this older proxy "
            "cannot page through them; shorten the window or upgrade LiteLLM"
        )
    rows = [r for r in answer.body if isinstance(r, dict)]
    return LogRead(rows, answer.server_time, 1)


async def read_daily(
    http: ProxyHttp, entity: str, first_day: int, last_day: int, page_size: int = DAILY_PAGE
) -> DailyTable:
    """Every page of one daily-activity endpoint for the days, merged."""
    path = DAILY_PATHS[entity]
    where = f"{http.display}{path}"
    table = DailyTable(entity)
    params = {
        "start_date": day_date(first_day).isoformat(),
        "end_date": day_date(last_day).isoformat(),
        "page_size": page_size,
    }
    first = await http.aget(path, {**params, "page": 1})
    info = merge_page(table, first.body, where)
    if not info.has_more:
        return table
    pages = list(range(2, max(info.total_pages, 2) + 1))
    for at in range(0, len(pages), PARALLEL_PAGES):
        chunk = pages[at : at + PARALLEL_PAGES]
        answers = await asyncio.gather(*(http.aget(path, {**params, "page": p}) for p in chunk))
        more = True
        for answer in answers:
            more = merge_page(table, answer.body, where).has_more
        if not more:
            return table
    # pages appeared while reading: keep going one at a time until the proxy says done
    page = pages[-1] + 1
    while True:
        answer = await http.aget(path, {**params, "page": page})
        if not merge_page(table, answer.body, where).has_more:
            return table
        page += 1


async def read_paged(
    http: ProxyHttp, path: str, field: str, params: dict[str, object], size_param: str
) -> list[dict[str, Any]]:
    """Every item of a page/size paged list (``/key/list``, ``/user/list``)."""
    where = f"{http.display}{path}"
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = await http.aget(path, {**params, "page": page, size_param: LIST_PAGE})
        body = answer.body
        batch = body.get(field) if isinstance(body, dict) else None
        if not isinstance(batch, list):
            raise SourceDataError(f"{where}: expected a {field!r} list")
        items.extend(b for b in batch if isinstance(b, dict))
        total_pages = body.get("total_pages") if isinstance(body.get("total_pages"), int) else None
        if not batch or len(batch) < LIST_PAGE or (total_pages is not None and page >= total_pages):
            return items
        page += 1


async def optional(work: Callable[[], Awaitable[Any]], missing: Callable[[Exception], None]) -> Any:
    """``await work()``, or None (after telling ``missing``) when the proxy lacks it."""
    try:
        return await work()
    except (FeatureMissing, EnterpriseOnly) as exc:
        missing(exc)
        return None


def far_end(today: int) -> datetime:
    """An end bound safely after anything the proxy can have written."""
    return day_start(today + 2) - timedelta(seconds=1)
