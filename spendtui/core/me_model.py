"""A key holder's own view (``spendtui me``): what one virtual key may see of itself.

Two halves, both plain data:

* ``MyKeyReads``: what a source read for the key, part by part. A part the proxy would
  not show to this key is ``None`` with the reason (LiteLLM's words, or why it was not
  asked), never zeros. Sources fill it (``sources/proxy/me.py``).
* ``MyKeyView``: everything a screen shows, computed from the reads at one moment
  (``core/me.py`` ``build_view``): one frozen snapshot a table, JSON, a status-bar line or
  a dashboard renders without further I/O.

Money is integer pico-dollars; times are timezone-aware UTC; days are spendtui day
numbers (``timeutil.day_number``) in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from spendtui.core.budget_eval import EvaluatedBudget
from spendtui.core.budget_state import BudgetState
from spendtui.core.model_budgets import ModelBudget

#: Shown for a part the proxy does not show to this key.
NOT_VISIBLE = "not visible to this key"


# ---------------------------------------------------------------------- what a source reads
@dataclass(frozen=True)
class KeyLimits:
    """Rate and concurrency limits on the key (None: no limit of that kind)."""

    rpm: int | None = None
    tpm: int | None = None
    tpd: int | None = None
    max_parallel_requests: int | None = None


@dataclass(frozen=True)
class KeyRecord:
    """The key's own row (``/key/info``). ``budget`` is its BudgetState (kind ``key``):
    ``spend`` is LiteLLM's budget-window counter, the figure it enforces."""

    budget: BudgetState
    limits: KeyLimits
    #: Models the key is restricted to; empty: no restriction on the key itself.
    models: tuple[str, ...] = ()
    #: LiteLLM's ``status``: active, expired, revoked, deleted (None when not said).
    status: str | None = None
    #: Lifetime spend, never reset (``total_spend``, LiteLLM 2026-09 on; None when absent).
    total_spend: int | None = None
    last_active: datetime | None = None
    created_at: datetime | None = None
    #: Per-model budgets (``model_max_budget``) and the spend LiteLLM counts for each model.
    model_budgets: tuple[ModelBudget, ...] = ()
    model_spend: tuple[tuple[str, int], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DailyCell:
    """One UTC day and model of the key's daily activity (LiteLLM's daily user table)."""

    day: int
    model: str
    spend: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    failed: int


@dataclass(frozen=True)
class LoggedRequest:
    """One request of the key from LiteLLM's request log."""

    request_id: str
    start: datetime
    end: datetime | None
    model: str
    #: None when the logged cost is unusable (counted, never added).
    spend: int | None
    prompt_tokens: int
    completion_tokens: int
    failed: bool
    duration_ms: int | None = None


@dataclass(frozen=True)
class MyKeyReads:
    """What a source read for one key. For each part: the value, or None and the reason."""

    proxy: str
    #: LiteLLM's ``sk-...abcd`` form of the key: the only form of it ever shown.
    key_name: str
    read_at: datetime
    key: KeyRecord | None
    key_reason: str | None
    #: The key's team budget; None with no reason: the key has no team.
    team: BudgetState | None = None
    team_reason: str | None = None
    #: The key's user's budget; None with no reason: the key has no user.
    user: BudgetState | None = None
    user_reason: str | None = None
    #: Daily activity of this key for ``daily_days`` (first, last), or why not.
    daily: tuple[DailyCell, ...] | None = None
    daily_reason: str | None = None
    daily_days: tuple[int, int] | None = None
    daily_source: str = "/user/daily/activity"
    #: The key's requests that started at or after ``logs_from``, newest first, or why not.
    logs: tuple[LoggedRequest, ...] | None = None
    logs_reason: str | None = None
    logs_from: datetime | None = None
    #: False when the read stopped at its cap: older requests of the span are missing.
    logs_complete: bool = True
    #: Public model names the key may call (``/model/info``), or why not.
    models_usable: tuple[str, ...] | None = None
    models_reason: str | None = None
    notes: tuple[str, ...] = ()


@runtime_checkable
class MyKeySource(Protocol):
    """A source that can read its own key's view (the proxy source)."""

    def my_key(self, now: datetime) -> MyKeyReads: ...


# ---------------------------------------------------------------------- what a screen shows
@dataclass(frozen=True)
class Seen:
    """Whether a part is visible to this key, where it comes from, and why not."""

    source: str
    reason: str | None = None

    @property
    def visible(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Figure:
    """One amount (pico-dollars) with where it comes from; ``value`` None when not visible."""

    value: int | None
    seen: Seen
    #: Requests behind the amount (None when not known).
    requests: int | None = None

    @property
    def visible(self) -> bool:
        return self.seen.visible and self.value is not None


@dataclass(frozen=True)
class DaySpend:
    day: int
    spend: int
    requests: int
    tokens: int


@dataclass(frozen=True)
class ModelSpend:
    model: str
    spend: int
    requests: int
    tokens: int
    #: Share of the period's spend (0 to 1; 0 when the period has none).
    share: float


@dataclass(frozen=True)
class ModelBudgetView:
    """One per-model budget of the key: limit, LiteLLM's counted spend (None: unknown)."""

    model: str
    limit: int
    spend: int | None
    time_period: str | None


@dataclass(frozen=True)
class MyKeyView:
    """Everything ``spendtui me`` and a "My key" pane show, at ``now``.

    Every part carries a ``Seen`` (or is a ``Figure`` with one): when it is not visible
    the screen says ``NOT_VISIBLE`` and the reason, never a zero.
    """

    now: datetime
    proxy: str
    #: ``sk-...abcd`` and the alias (None without one); ``label`` is what to call the key.
    key_name: str
    alias: str | None
    key: KeyRecord | None
    key_seen: Seen
    #: The key's own budget evaluated (gauge, thresholds, reset, forecast); None when the
    #: key record is not visible. ``has_budget`` tells whether it has a limit at all.
    budget: EvaluatedBudget | None
    team_name: str | None
    team_budget: EvaluatedBudget | None
    team_seen: Seen | None
    user_budget: EvaluatedBudget | None
    user_seen: Seen | None
    #: Spend today (UTC), this month to date (UTC) and in the key's budget window.
    today: Figure
    month: Figure
    window: Figure
    #: What the per-day and per-model figures cover (first and last UTC day) and from where.
    activity_seen: Seen
    period: tuple[int, int] | None
    per_day: tuple[DaySpend, ...]
    per_model: tuple[ModelSpend, ...]
    #: The key's newest requests, newest first.
    recent: tuple[LoggedRequest, ...]
    recent_seen: Seen
    models_allowed: tuple[str, ...]
    models_usable: tuple[str, ...] | None
    models_seen: Seen
    limits: KeyLimits | None
    model_budgets: tuple[ModelBudgetView, ...]
    #: The worst level among the visible budgets (key, team, user): ok, warning, exceeded.
    level: str
    notes: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        return self.alias or self.key_name

    @property
    def has_budget(self) -> bool:
        return self.budget is not None and self.budget.limit is not None

    def budgets(self) -> tuple[EvaluatedBudget, ...]:
        """The visible budgets that apply to the key: its own, its team's, its user's."""
        return tuple(b for b in (self.budget, self.team_budget, self.user_budget) if b is not None)
