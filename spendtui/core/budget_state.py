"""A budget as a source reports it: LiteLLM keys, teams, users, customers, organizations,
projects, team members, tags and per-model budgets.

Sources (database, proxy) produce these; spendtui's own budget plans from the config are
evaluated into the same shape, so gauges, forecasts and alerts treat them alike.

What a source must offer for budgets is ``BudgetSource`` below: one method, ``budgets()``,
returning every budget of LiteLLM's kinds (``LITELLM_KINDS``) that has a ``max_budget``
or a soft budget (a ``BudgetList`` also carries notes on what it could not read).
``KeySource`` (``key_states()``) lists every virtual key, with a limit or without, for
``spendtui keys list``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol, runtime_checkable

from spendtui.money import PICO
from spendtui.timeutil import parse_timestamp

#: Every kind of budget, in the order the Budgets pane cycles through them. ``member`` is a
#: user's budget inside one team (``LiteLLM_TeamMembership``), ``model`` one model's budget
#: on a key, user or team (``model_max_budget``).
KINDS = ("key", "team", "user", "customer", "organization", "project", "member", "tag", "model", "plan")
#: LiteLLM's budget kinds (every kind but spendtui's plans).
LITELLM_KINDS = KINDS[:-1]
#: A cent in pico-dollars: a counter and the logs closer than this agree.
CENT = PICO // 100
#: Budgets above this (USD) are treated as unreadable data, not as a limit.
MAX_BUDGET_USD = 10**12


@dataclass(frozen=True)
class BudgetState:
    """One budget. Money is integer pico-dollars; times are timezone-aware UTC."""

    kind: str
    #: Identity: key hash, team id, user id, customer id, or the plan's name.
    id: str
    #: What to show: key alias, team alias, user id, customer alias, plan name.
    name: str
    #: Spend in the current window as the source counts it (LiteLLM's ``spend`` column:
    #: it resets at ``budget_reset_at``; without a duration it never resets).
    spend: int
    max_budget: int | None = None
    soft_budget: int | None = None
    budget_duration: str | None = None
    budget_reset_at: datetime | None = None
    blocked: bool = False
    #: For keys: LiteLLM's ``sk-...abcd`` form; for others None.
    key_name: str | None = None
    #: For keys: the key alias (None when it has none) and when the key expires.
    alias: str | None = None
    expires: datetime | None = None
    team_id: str | None = None
    user_id: str | None = None
    #: An explicit window (spendtui plans); sources leave these None and the window
    #: follows from ``budget_duration`` and ``budget_reset_at``.
    window_start: datetime | None = None
    window_end: datetime | None = None
    #: What a plan counts, in words (``tag project:web-app``); None for LiteLLM budgets.
    scope: str | None = None
    #: The request logs this budget counts, as (dimension, value) pairs that must all
    #: match (``(("team", "t1"), ("user", "ann"))``); empty: not comparable with the logs.
    log_scope: tuple[tuple[str, str], ...] = ()
    #: Spend the request logs show for the same scope and window (pico-dollars), when
    #: counted (``budgets.logs``); None: not counted.
    logs_spend: int | None = None
    #: Where ``spend`` comes from: ``counter`` (LiteLLM's stored counter) or ``logs``
    #: (a model budget whose row has no ``model_spend`` entry: counted from the logs).
    spend_from: str = "counter"

    #: False while a difference between counter and logs has not yet held across two reads
    #: of the counters (the dashboard: a request in flight is in one and not yet the other).
    logs_settled: bool = True

    @property
    def differs(self) -> bool:
        """The stored counter and the logs differ by more than a cent (settled or not)."""
        return self.logs_spend is not None and self.spend_from == "counter" and abs(self.spend - self.logs_spend) > CENT

    @property
    def disagrees(self) -> bool:
        """The stored counter and the logs differ by more than a cent, and the difference
        has held (see ``logs_settled``)."""
        return self.differs and self.logs_settled

    @property
    def has_limit(self) -> bool:
        return self.max_budget is not None or self.soft_budget is not None

    @property
    def uid(self) -> str:
        """Unique across kinds: ``team:team-alpha``."""
        return f"{self.kind}:{self.id}"


class KindNote(str):
    """A note about one budget kind (``organization budgets not shown: ...``): a string
    everywhere, and ``check --kind`` leaves out the notes of kinds it was not asked for."""

    kind: str

    def __new__(cls, kind: str, text: str) -> KindNote:
        note = super().__new__(cls, text)
        note.kind = kind
        return note


def note_kind(note: str) -> str | None:
    """The budget kind a note is about (``KindNote``), None for a general one."""
    return note.kind if isinstance(note, KindNote) else None


class BudgetList(list[BudgetState]):
    """``budgets()``'s answer: the states, and what the source could not read (a table an
    older LiteLLM lacks, an unreadable ``model_max_budget``)."""

    def __init__(self, states: Iterable[BudgetState] = (), notes: Iterable[str] = ()) -> None:
        super().__init__(states)
        self.notes: tuple[str, ...] = tuple(notes)


@runtime_checkable
class BudgetSource(Protocol):
    """What the budget engine needs from a source (database or proxy).

    ``budgets()`` returns the current state of every key, team, user and customer that
    has a limit (``max_budget`` or soft budget), with ``spend`` as LiteLLM counts it for
    the current window. It raises ``SourceError`` when the source cannot be read.
    """

    def budgets(self) -> list[BudgetState]: ...


@runtime_checkable
class LogSpanSource(Protocol):
    """A source that can tell the UTC day of its oldest request log (None: it has none),
    so all-time budget counters can be compared with the logs."""

    def first_log_day(self) -> int | None: ...


@dataclass(frozen=True)
class KeyStates:
    """Every virtual key a source lists, and what the source cannot tell."""

    keys: list[BudgetState]
    notes: tuple[str, ...] = ()
    #: BudgetState fields the source has no data for (a simplified table lacks their
    #: columns): unknown, which is not the same as "none" or "never".
    unknown: frozenset[str] = frozenset()
    #: Team aliases by team id, for the teams the source names.
    team_names: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class KeySource(Protocol):
    """A source that can list virtual keys (database or proxy).

    ``key_states()`` returns every key, with or without a limit and whatever its spend,
    read exactly as ``budgets()`` reads keys. It raises ``SourceError`` when the source
    cannot be read.
    """

    def key_states(self) -> KeyStates: ...


def budget_usd(value: object) -> int | None:
    """A stored USD amount (budget or spend counter) as pico-dollars; None if unusable.

    Floats are read through their shortest decimal form (``5.0``, ``0.00174795``), so a
    budget typed as 5 is exactly 5,000,000,000,000 pico-dollars. NULL, NaN, infinities and
    absurd amounts give None; negative counters are kept (LiteLLM can be told to reset
    spend to any value).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    try:
        amount = Decimal(value) if isinstance(value, str | int | Decimal) else None
        # compared without abs(): abs() of 1e999999999 overflows the decimal context
        if amount is None or not amount.is_finite() or not -MAX_BUDGET_USD <= amount <= MAX_BUDGET_USD:
            return None
    except (ArithmeticError, ValueError):  # InvalidOperation and Overflow are ArithmeticErrors
        return None
    return int((amount * PICO).to_integral_value(ROUND_HALF_EVEN))


def text_or_none(value: object) -> str | None:
    """Stripped text, None for NULL or blank."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def _flag(value: object) -> bool:
    """Booleans as databases and JSON give them (True, 1, 't', 'true')."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "t", "yes")
    return bool(value)


def state_from_row(
    kind: str, ident: str, name: str, row: Mapping[str, Any], linked: Mapping[str, Any] | None = None
) -> BudgetState:
    """A state from an entity's row (database or JSON, LiteLLM's column names) and its
    linked ``LiteLLM_BudgetTable`` row, read as LiteLLM enforces them: the row's own
    ``max_budget``/``soft_budget`` first, the linked row's when the row has none; and an
    entity without a ``budget_duration`` of its own resets on the linked row's schedule."""
    budget = linked or {}

    def pick(column: str) -> object:
        own = row.get(column)
        return own if own is not None else budget.get(column)

    duration = text_or_none(row.get("budget_duration"))
    reset_at = parse_timestamp(row.get("budget_reset_at"))
    if duration is None and budget:
        duration = text_or_none(budget.get("budget_duration"))
        reset_at = parse_timestamp(budget.get("budget_reset_at"))
    return BudgetState(
        kind=kind,
        id=ident,
        name=name,
        spend=budget_usd(row.get("spend")) or 0,
        max_budget=budget_usd(pick("max_budget")),
        soft_budget=budget_usd(pick("soft_budget")),
        budget_duration=duration,
        budget_reset_at=reset_at if duration else None,
        blocked=_flag(row.get("blocked")),
        key_name=text_or_none(row.get("key_name")) if kind == "key" else None,
        alias=text_or_none(row.get("key_alias")) if kind == "key" else None,
        expires=parse_timestamp(row.get("expires")) if kind == "key" else None,
        team_id=text_or_none(row.get("team_id")) if kind in ("key", "user") else None,
        user_id=text_or_none(row.get("user_id")) if kind == "key" else None,
        log_scope=((kind, ident),) if kind in ("key", "team", "user", "customer") else (),
    )
