"""A key's own view through the proxy (``spendtui me``): what an ordinary key may read.

What LiteLLM 1.108.7 shows to a **non-admin** key (probed on the real proxy, an
``internal_user``'s keys, a team's key without a user, expired and blocked keys):

=============================================  ==========================================
endpoint                                       a non-admin key
=============================================  ==========================================
``/key/info?key=<hash>``                        its own record: alias, spend (the budget
                                                counter), max_budget, budget_duration,
                                                budget_reset_at, rpm/tpm/tpd,
                                                max_parallel_requests, models, expires,
                                                blocked, team_id, user_id, model_spend,
                                                model_max_budget, and its soft budget in the
                                                embedded ``litellm_budget_table``
``/v2/user/info?user_id=<own>``                 its user's budget (404 for a key without user)
``/user/daily/activity?api_key=<hash>``         its rows of the daily user table; **403 for
                                                a key without a user** ("Service-account keys
                                                cannot query user analytics")
``/spend/logs/v2?api_key=<hash>``               its user's request log (the filter narrows it
                                                to the key); **401 for a key without a user**
``/team/info?team_id=<own team>``               the team, budget and spend included, to a
                                                member's key and to the team's own keys
                                                (403 for another team)
``/v1/models``                                  the models it may call
``/team/list``, ``/user/list``, ``/budget/list``  refused (401/403): admin only
=============================================  ==========================================

An **expired** key gets 401 ``Authentication Error - Expired Key`` and a **blocked** key
401 ``Key is blocked`` on every endpoint, ``/key/info`` included: such a key sees nothing,
and ``spendtui me`` says which (exit 3). The proxy's **master key** has no record
(``/key/info`` 404 "Key not found in database"); LiteLLM logs its requests under the
api_key ``litellm_proxy_master_key``, which is what is read for it. An admin's generated
key sees the same as any key of its own here (the filter is always this key's hash).

LiteLLM writes some refused management calls to its request log as failure rows whose
``call_type`` is the route (seen for ``/key/info``, ``/user/info``, ``/team/info``,
``/key/list``, ``/model/info``): what a key is known not to be shown is therefore not
asked (a key without a user: no daily activity, request log nor user), and rows of
management routes are left out of the key's requests.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from typing import Any

from spendtui.core.budget_eval import budget_window
from spendtui.core.budget_state import BudgetState
from spendtui.core.me import month_start
from spendtui.core.me_model import NOT_VISIBLE, DailyCell, KeyLimits, KeyRecord, LoggedRequest, MyKeyReads
from spendtui.core.model_budgets import parse_model_max_budget, parse_model_spend
from spendtui.errors import SourceAuthError, SourceDataError, SourceError
from spendtui.money import to_pico
from spendtui.sources.daily.tables import DailyTable, merge_page
from spendtui.sources.proxy import admin
from spendtui.sources.proxy.errors import EnterpriseOnly, FeatureMissing, KeyRefused
from spendtui.sources.proxy.http import ProxyHttp
from spendtui.sources.proxy.logs import parse_logs_page
from spendtui.sources.proxy.reads import DAILY_PAGE, far_end, stamp
from spendtui.timeutil import day_date, day_of, day_start, parse_timestamp

#: The api_key LiteLLM logs the master key's requests under (``LITELLM_PROXY_MASTER_KEY_ALIAS``).
MASTER_LOG_KEY = "litellm_proxy_master_key"
#: Pages of 1,000 requests read for the last day (burn rates and the tail); beyond: capped.
LOG_PAGES = 5
LOG_PAGE = 1000
#: The furthest back the daily activity is read (a budget window longer than this is cut).
MAX_DAYS = 400
NO_USER = (
    f"{NOT_VISIBLE}: LiteLLM shows daily activity and request logs only to keys bound to a user, "
    "or to admins (this key has no user_id)"
)

Obj = dict[str, Any]


def masked(raw: str) -> str:
    """LiteLLM's ``sk-...abcd`` form of a raw key: the only form of it ever shown."""
    if len(raw) < 12:
        return "sk-..." if raw.startswith("sk-") else "(a short key)"
    return f"sk-...{raw[-4:]}" if raw.startswith("sk-") else f"...{raw[-4:]}"


def rejected(exc: KeyRefused, key_name: str, where: str) -> SourceAuthError:
    """The proxy refused the key itself: say why in a line, the key masked."""
    detail = exc.detail.lower()
    if "expired" in detail:
        why = "the key has expired"
    elif "blocked" in detail:
        why = "the key is blocked (an admin can unblock it)"
    else:
        why = "the proxy does not accept this key"
    return SourceAuthError(f"{where}: the proxy rejected the key {key_name}: {why} (HTTP {exc.status}: {exc.detail})")


def _hidden(exc: SourceError) -> str:
    """Why a part is not visible, in LiteLLM's words when it gave any."""
    if isinstance(exc, KeyRefused):
        return f"{NOT_VISIBLE} (HTTP {exc.status}: {exc.detail})"
    if isinstance(exc, EnterpriseOnly):
        return f"{NOT_VISIBLE}: needs a LiteLLM Enterprise licence"
    return f"{NOT_VISIBLE}: {exc}"


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _limit(info: Obj, row: Obj, name: str) -> int | None:
    own = _int(info.get(name))
    return own if own is not None else _int(row.get(name))


def key_record(token: str, info: Obj) -> KeyRecord:
    """``/key/info``'s ``info`` as a KeyRecord (the key's budget read as ``budgets_from`` reads keys)."""
    state = admin.budgets_from([{**info, "token": token}], [], [], [], [])[0]
    raw_row = info.get("litellm_budget_table")
    row: Obj = raw_row if isinstance(raw_row, dict) else {}
    budgets, notes = parse_model_max_budget(info.get("model_max_budget"), "key")
    spent, spend_notes = parse_model_spend(info.get("model_spend"), "key")
    models = info.get("models")
    status = info.get("status")
    return KeyRecord(
        budget=state,
        limits=KeyLimits(
            rpm=_limit(info, row, "rpm_limit"),
            tpm=_limit(info, row, "tpm_limit"),
            tpd=_limit(info, row, "tpd_limit"),
            max_parallel_requests=_limit(info, row, "max_parallel_requests"),
        ),
        models=tuple(m for m in models if isinstance(m, str)) if isinstance(models, list) else (),
        status=status if isinstance(status, str) else None,
        total_spend=admin.money(info.get("total_spend")),
        last_active=parse_timestamp(info.get("last_active")),
        created_at=parse_timestamp(info.get("created_at")),
        model_budgets=tuple(budgets),
        model_spend=tuple(sorted(spent.items())),
        notes=(*notes, *spend_notes),
    )


def _logged(row: Obj) -> LoggedRequest | None:
    """A request-log row as a LoggedRequest (None for LiteLLM's management-route rows)."""
    call_type = row.get("call_type")
    start = parse_timestamp(row.get("startTime"))
    request_id = row.get("request_id")
    if (isinstance(call_type, str) and call_type.startswith("/")) or start is None or not isinstance(request_id, str):
        return None
    model = row.get("model_group") or row.get("model") or ""
    duration = row.get("request_duration_ms")
    return LoggedRequest(
        request_id=request_id,
        start=start,
        end=parse_timestamp(row.get("endTime")),
        model=str(model),
        spend=to_pico(row.get("spend")),
        prompt_tokens=_int(row.get("prompt_tokens")) or 0,
        completion_tokens=_int(row.get("completion_tokens")) or 0,
        failed=row.get("status") == "failure",
        duration_ms=int(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else None,
    )


class MyKeyReader:
    """Reads one key's view with the source's client (``ProxySource.my_key``)."""

    def __init__(self, http: ProxyHttp) -> None:
        self.http = http
        raw = http.settings.api_key or ""
        self.token = hashlib.sha256(raw.encode()).hexdigest()
        self.key_name = masked(raw)

    def read(self, now: datetime) -> MyKeyReads:
        return self.http.run(lambda: self._read(now))

    async def _read(self, now: datetime) -> MyKeyReads:
        where = f"{self.http.display}/key/info"
        record: KeyRecord | None
        reason: str | None
        try:
            answer = await self.http.aget("/key/info", {"key": self.token})
        except KeyRefused as exc:
            raise rejected(exc, self.key_name, where) from None
        except FeatureMissing:
            record, reason, log_key = None, self._no_record(), MASTER_LOG_KEY
        else:
            body = answer.body
            info = body.get("info") if isinstance(body, dict) else None
            if not isinstance(info, dict):
                raise SourceDataError(f"{where}: expected an object with an 'info' object")
            record, reason, log_key = key_record(self.token, info), None, self.token
        user_id = record.budget.user_id if record else None
        team_id = record.budget.team_id if record else None
        reads_logs = record is None or user_id is not None
        first_day = self._first_day(record.budget if record else None, now)
        today = day_of(now)
        logs_from = day_start(today - 1)
        daily, logs, team, user, models = await asyncio.gather(
            self._part(self._daily(log_key, user_id, first_day, today)) if reads_logs else _none(NO_USER),
            self._part(self._logs(log_key, logs_from, today)) if reads_logs else _none(NO_USER),
            self._part(self._team(team_id)) if team_id else _none(None),
            self._part(self._user(user_id)) if user_id else _none(None),
            self._part(self._models()),
        )
        return MyKeyReads(
            proxy=self.http.display,
            key_name=self.key_name,
            read_at=now,
            key=record,
            key_reason=reason,
            team=team[0],
            team_reason=team[1],
            user=user[0],
            user_reason=user[1],
            daily=daily[0],
            daily_reason=daily[1],
            daily_days=(first_day, today) if daily[0] is not None else None,
            logs=logs[0][0] if logs[0] else None,
            logs_reason=logs[1],
            logs_from=logs_from if logs[0] else None,
            logs_complete=logs[0][1] if logs[0] else True,
            models_usable=models[0],
            models_reason=models[1],
            notes=record.notes if record else (),
        )

    @staticmethod
    def _no_record() -> str:
        """No key row (404): the master key, or a key the proxy does not store."""
        return (
            f"{NOT_VISIBLE}: the proxy keeps no record of this key (its master key, or a key it does not "
            f"store): no budget or limits; its requests are read as LiteLLM logs them ({MASTER_LOG_KEY})"
        )

    @staticmethod
    def _first_day(state: BudgetState | None, now: datetime) -> int:
        """The first UTC day read: the month's first, or the budget window's (a day early
        for a proxy in another time zone), whichever is earlier, at most ``MAX_DAYS`` back."""
        today = day_of(now)
        first = month_start(now)
        if state is not None:
            window, _ = budget_window(state, now)
            if window.start is not None:
                first = min(first, day_of(window.start) - 1)
        return max(first, today - MAX_DAYS + 1)

    async def _part(self, work: Any) -> tuple[Any, str | None]:
        """``(value, None)``, or ``(None, why)`` when the proxy does not show it to this key."""
        try:
            return await work, None
        except (KeyRefused, FeatureMissing, EnterpriseOnly) as exc:
            return None, _hidden(exc)

    async def _daily(self, log_key: str, user_id: str | None, first: int, last: int) -> tuple[DailyCell, ...]:
        path = "/user/daily/activity"
        params: dict[str, object] = {
            "start_date": day_date(first).isoformat(),
            "end_date": day_date(last).isoformat(),
            "api_key": log_key,
            "user_id": user_id,
            "page_size": DAILY_PAGE,
        }
        table = DailyTable("user")
        page = 1
        while True:
            answer = await self.http.aget(path, {**params, "page": page})
            if not merge_page(table, answer.body, f"{self.http.display}{path}").has_more:
                break
            page += 1
        cells = []
        for (date, model, key), cell in sorted(table.cells["model"].items()):
            if key != log_key:
                continue
            day = day_of(datetime.fromisoformat(date + "T00:00:00+00:00"))
            # the cube's measures: spend, requests, prompt, completion, total, failed, ...
            cells.append(DailyCell(day, model, cell[0], cell[1], cell[2], cell[3], cell[5]))
        return tuple(cells)

    async def _logs(self, log_key: str, start: datetime, today: int) -> tuple[tuple[LoggedRequest, ...], bool]:
        """The key's requests that started since ``start``, newest first; False when capped."""
        out: list[LoggedRequest] = []
        seen: set[str] = set()
        for page in range(1, LOG_PAGES + 1):
            answer = await self.http.aget(
                "/spend/logs/v2",
                {
                    "start_date": stamp(start),
                    "end_date": stamp(far_end(today)),
                    "api_key": log_key,
                    "page": page,
                    "page_size": LOG_PAGE,
                    "sort_by": "startTime",
                    "sort_order": "desc",
                },
            )
            rows = parse_logs_page(answer.body, f"{self.http.display}/spend/logs/v2").rows
            for row in rows:
                found = _logged(row)
                if found is not None and found.request_id not in seen:
                    seen.add(found.request_id)
                    out.append(found)
            if len(rows) < LOG_PAGE:
                return tuple(sorted(out, key=lambda r: r.start, reverse=True)), True
        return tuple(sorted(out, key=lambda r: r.start, reverse=True)), False

    async def _team(self, team_id: str) -> BudgetState:
        answer = await self.http.aget("/team/info", {"team_id": team_id})
        body = answer.body
        info = body.get("team_info") if isinstance(body, dict) else None
        if not isinstance(info, dict):
            raise SourceDataError(f"{self.http.display}/team/info: expected an object with a 'team_info' object")
        return admin.budgets_from([], [info], [], [], [])[0]

    async def _user(self, user_id: str) -> BudgetState:
        answer = await self.http.aget("/v2/user/info", {"user_id": user_id})
        if not isinstance(answer.body, dict) or not answer.body.get("user_id"):
            raise SourceDataError(f"{self.http.display}/v2/user/info: expected a user object")
        return admin.budgets_from([], [], [answer.body], [], [])[0]

    async def _models(self) -> tuple[str, ...]:
        answer = await self.http.aget("/v1/models")
        items = admin.list_of(answer.body, "data", f"{self.http.display}/v1/models")
        return tuple(sorted({str(m["id"]) for m in items if isinstance(m.get("id"), str)}))


async def _none(reason: str | None) -> tuple[None, str | None]:
    return None, reason
