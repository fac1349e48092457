"""``spendtui keys list``: every virtual key with its budget, evaluated at one moment.

Keys come from ``budgets.board.read_key_states`` (LiteLLM's PostgreSQL, a SQLite copy in
either layout, or the proxy's ``/key/list``), read exactly as ``spendtui check`` reads key
budgets; each is evaluated with ``core.budget_eval`` for its window (the next reset) and
the share of its limit used. Keys without a limit and keys that never spent are listed too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from fractions import Fraction

from spendtui.budgets.board import read_key_states
from spendtui.core.budget_eval import EvaluatedBudget, evaluate
from spendtui.core.budget_state import BudgetState

SORTS = ("spend", "used", "alias")
#: LiteLLM's display form of a key: ``sk-...`` and its last characters.
_SHORT_FORM = re.compile(r"^sk-\.\.\.\S{1,8}$")


@dataclass(frozen=True)
class ListedKey:
    """One key: its evaluated budget and its team's display name."""

    budget: EvaluatedBudget
    #: The team's alias, else its id; None without a team.
    team: str | None = None

    @property
    def state(self) -> BudgetState:
        return self.budget.state

    @property
    def token(self) -> str | None:
        """The stored hash; None when the token column holds a raw ``sk-`` key (LiteLLM
        hashes anything starting with ``sk-``, so such a row was written by something else)."""
        return None if self.state.id.startswith("sk-") else self.state.id

    @property
    def key_name(self) -> str | None:
        """LiteLLM's ``sk-...abcd`` form: the stored one, else cut from a raw stored key."""
        if self.state.key_name is None and self.token is None:
            return masked_key_name(self.state.id)
        return masked_key_name(self.state.key_name)

    @property
    def expired(self) -> bool:
        return self.state.expires is not None and self.state.expires <= self.budget.now

    @property
    def used(self) -> Fraction | None:
        """spend / limit exactly (max budget, else soft budget); None without a limit,
        and for a $0 limit: 1 with no spend, else None with ``over_zero_limit``."""
        limit = self.budget.limit
        if limit is None or (limit == 0 and self.state.spend > 0):
            return None
        return Fraction(self.state.spend, limit) if limit else Fraction(1)

    @property
    def over_zero_limit(self) -> bool:
        return self.budget.limit == 0 and self.state.spend > 0


@dataclass(frozen=True)
class KeyList:
    """The keys at ``listed_at``, and what the source could not tell."""

    listed_at: datetime
    keys: list[ListedKey]
    notes: tuple[str, ...] = ()
    #: BudgetState fields the source has no data for (``KeyStates.unknown``).
    unknown: frozenset[str] = frozenset()


def masked_key_name(value: str | None) -> str | None:
    """LiteLLM's ``sk-...abcd`` form. A stored value that looks like a whole key (a
    database written by something else) is cut down to that form: a key never shows."""
    if value is None or _SHORT_FORM.match(value) or not value.startswith("sk-"):
        return value
    return f"sk-...{value[-4:]}"


def list_keys(source: object, now: datetime, tz: tzinfo = UTC) -> KeyList:
    """Read every key from ``source`` and evaluate its budget at ``now``."""
    found = read_key_states(source)
    teams = found.team_names
    keys = [
        ListedKey(evaluate(s, now, tz=tz), (teams.get(s.team_id) or s.team_id) if s.team_id else None)
        for s in found.keys
        if s.kind == "key"
    ]
    return KeyList(now, keys, found.notes, found.unknown)


def _alias_order(k: ListedKey) -> tuple[bool, str, str, str]:
    label = k.state.alias or k.key_name or k.token or ""
    return (k.state.alias is None, label.lower(), label, k.state.id)


def sort_keys(keys: Iterable[ListedKey], by: str) -> list[ListedKey]:
    """``spend``: most first; ``used``: fullest first (keys without a limit last);
    ``alias``: A to Z (keys without an alias last). Ties go by alias."""
    if by == "spend":
        return sorted(keys, key=lambda k: (-k.state.spend, *_alias_order(k)))
    if by == "used":

        def fullness(k: ListedKey) -> tuple[int, Fraction]:
            if k.over_zero_limit:
                return (0, Fraction(0))
            return (1, -k.used) if k.used is not None else (2, Fraction(0))

        return sorted(keys, key=lambda k: (*fullness(k), *_alias_order(k)))
    if by == "alias":
        return sorted(keys, key=_alias_order)
    raise ValueError(f"unknown sort {by!r}")


def over(keys: Iterable[ListedKey], percent: Decimal) -> list[ListedKey]:
    """Keys that used at least ``percent`` of their limit (compared exactly); keys
    without a limit are left out, a $0 limit with any spend is over everything."""
    threshold = Fraction(percent) / 100
    return [k for k in keys if k.over_zero_limit or (k.used is not None and k.used >= threshold)]
