"""History fact cubes built from LiteLLM's daily tables (see ``tables.py`` for what they hold).

The user table is the base: LiteLLM writes a user-table row for every request (a request
without a user gets a NULL user), so its per-key totals ``K[day, key]`` are the day's
requests. Each other view is one dimension crossed with the key:

================  ===============================  ==========================================
cube              cells from                       ``(none)`` cells
================  ===============================  ==========================================
model × key       user table, ``model_groups``     K minus the groups (requests with no model)
provider × key    user table, ``providers``        LiteLLM's ``unknown`` provider
user × key        user table, ``entities``         LiteLLM's ``Unassigned`` user
team × key        team table, ``entities``         K minus the team rows (no team)
customer × key    customer table, ``entities``     K minus the customer rows (no end user)
tag × key         tag table, ``entities``          none: untagged requests have no rows
================  ===============================  ==========================================

A key nearly always belongs to one user and one team on a given day. Where that holds for
every (day, key) of the history, the user and team are attached to every cell by key, so
e.g. *model by team* or *customer by user* are exact; where it does not, that dimension is
not claimed (the fact set then refuses those questions instead of guessing).

A view whose table disagrees with the user table (more requests for a key than the user
table has) is kept but marked unusable, with the reason.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import lru_cache
from itertools import chain
from typing import Any, TypeVar

import numpy as np

from spendtui.core.cube import Cube
from spendtui.core.dims import COMPOSITE_PARTS, FIELD_SEP
from spendtui.core.facts import FactCube
from spendtui.core.measures import N_MEASURES, REQUESTS, SPEND
from spendtui.errors import SourceDataError
from spendtui.sources.daily.tables import Cell, DailyTable
from spendtui.timeutil import day_number, parse_day

#: A daily table's cell key: (day, key) or (day, value, key).
_Key = TypeVar("_Key", bound=tuple[str, ...])

_NO_OWNER = ("", "")
#: Float sums of the same requests in two tables may differ by a few pico-dollars.
_SPEND_SLACK = 64


def _composite(model: str, provider: str, key: str, user: str, team: str, customer: str, tag: str) -> str:
    """The composite row key of a daily-table cell (the tables name no organization or
    agent of the row: a fact cube built from them does not claim those dimensions)."""
    joined = FIELD_SEP.join((model, provider, key, user, team, customer, "", "", tag))
    if joined.count(FIELD_SEP) != COMPOSITE_PARTS - 1:
        raise SourceDataError("a name in the proxy's daily activity contains a control character (\\x1f)")
    if not tag:
        return joined
    return joined[: len(joined) - len(tag)] + _tag_list(tag)


@lru_cache(maxsize=65536)
def _tag_list(tag: str) -> str:
    return json.dumps([tag])


class _Owners:
    """Who owns each key on each day, when that is a single user (or team)."""

    def __init__(self, cells: dict[tuple[str, str, str], Cell]) -> None:
        seen: dict[tuple[str, str], set[str]] = defaultdict(set)
        for (day, value, key), cell in cells.items():
            if cell[REQUESTS] or cell[SPEND]:
                seen[(day, key)].add(value)
        self.owner = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
        self.ambiguous = sum(1 for v in seen.values() if len(v) > 1)

    @property
    def exact(self) -> bool:
        return self.ambiguous == 0

    def of(self, day: str, key: str) -> str:
        return self.owner.get((day, key), "")


def _matrix(cells: Mapping[Any, Cell]) -> np.ndarray:
    """The measures of ``cells`` as an (n, 7) array: int64, or Python integers where one
    does not fit."""
    try:
        flat = np.fromiter(chain.from_iterable(cells.values()), dtype=np.int64, count=N_MEASURES * len(cells))
    except OverflowError:
        return np.array(list(cells.values()), dtype=object).reshape(len(cells), N_MEASURES)
    return flat.reshape(len(cells), N_MEASURES)


def _small(matrix: np.ndarray, times: int = 1) -> bool:
    """Whether ``times`` values as large as the largest in ``matrix`` sum within int64."""
    return matrix.dtype == np.int64 and (matrix.size == 0 or times * int(np.abs(matrix).max()) < 2**62)


class _KeyTotals:
    """The user table's per (day, key) totals, indexed once for every view's remainder."""

    def __init__(self, base: dict[tuple[str, str], Cell]) -> None:
        self.keys = list(base)
        self.at = {k: i for i, k in enumerate(self.keys)}
        self.matrix = _matrix(base)
        self.small = _small(self.matrix)


def _with_remainder(
    cells: dict[tuple[str, str, str], Cell], base: _KeyTotals
) -> tuple[dict[tuple[str, str, str], Cell], str | None]:
    """``cells`` plus, per (day, key), what ``base`` has beyond them, as the ``""`` value.

    Returns the reason the two disagree, if they do (more requests than the base). The
    sums per (day, key) are numpy's, in int64 while they cannot overflow (Python's
    integers otherwise); only the (day, key)s that differ are looked at one by one."""
    at = base.at
    where = np.fromiter((at.get((day, key), -1) for day, _, key in cells), dtype=np.int64, count=len(cells))
    measures = _matrix(cells)
    known = where >= 0
    exact = base.small and _small(measures, len(cells))
    have = np.zeros(base.matrix.shape, dtype=np.int64 if exact else object)
    np.add.at(have, where[known], measures[known].astype(have.dtype, copy=False))
    differ = np.flatnonzero((have != base.matrix).any(axis=1))
    out = dict(cells)
    for row in differ.tolist():
        (day, key), want = base.keys[row], base.matrix[row].tolist()
        rest = [w - h for w, h in zip(want, have[row].tolist(), strict=True)]
        if rest[REQUESTS] < 0 or any(r < 0 for i, r in enumerate(rest) if i != SPEND):
            return out, f"it counts more requests than the user table for {day}"
        same_counts = all(r == 0 for i, r in enumerate(rest) if i != SPEND)
        if same_counts and abs(rest[SPEND]) <= _SPEND_SLACK + want[REQUESTS]:
            continue  # the same requests, their spend summed in another order
        if rest[SPEND] < -(_SPEND_SLACK + want[REQUESTS]):
            return out, f"it has more spend than the user table for {day}"
        rest[SPEND] = max(rest[SPEND], 0)
        prior = out.get((day, "", key))
        out[(day, "", key)] = rest if prior is None else [a + b for a, b in zip(prior, rest, strict=True)]
    if not known.all():
        extra = (day for (day, _, _), found in zip(cells, known.tolist(), strict=True) if not found)
        return out, f"it has a key the user table does not have on {min(extra)}"
    return out, None


def _cube(
    cells: dict[tuple[str, str, str], Cell],
    owners: dict[tuple[str, str], tuple[str, str]],
    place: Callable[[str, str, str, str], str],
) -> Cube:
    """A cube of ``cells`` ((day, value, key) -> measures); ``place(value, key, user, team)``
    makes the composite row key. Each distinct combination is interned once, and each
    distinct day parsed once (days repeat the combinations): per cell only two indices."""
    cube = Cube()
    n = len(cells)
    if n == 0:
        return cube
    made: dict[tuple[str, str, str, str], int] = {}
    interned: list[tuple[int, int, int, int, bool]] = []
    day_at: dict[str, int] = {}
    combination_of, day_of = [], []
    owner = owners.get
    for day, value, key in cells:
        user, team = owner((day, key), _NO_OWNER)
        combination = (value, key, user, team)
        at = made.get(combination)
        if at is None:
            at = made[combination] = len(interned)
            interned.append(cube.dims.composite(place(value, key, user, team)))
        combination_of.append(at)
        d = day_at.get(day)
        if d is None:
            d = day_at[day] = _day_number(day)
        day_of.append(d)
    ids = np.asarray(interned, dtype=np.int32)[np.asarray(combination_of)]
    when = np.empty((n, 2), dtype=np.int32)
    when[:, 0] = day_of
    when[:, 1] = -1  # whole days
    measures = _matrix(cells)
    if measures.dtype != np.int64:
        big = next(day for (day, _, _), cell in cells.items() if max(map(abs, cell)) >= 2**63)
        raise SourceDataError(
            "a daily total (spend past $9.2M, or a count past 9.2e18, for one key and day) is "
            f"more than spendtui's 64-bit cells hold ({big})"
        )
    cube.add_interned(when, ids, measures)
    cube.sort_by_day()
    cube.dims.forget_load_caches()
    return cube


@lru_cache(maxsize=4096)
def _day_number(day: str) -> int:
    try:
        return day_number(parse_day(day))
    except ValueError:
        raise SourceDataError(f"daily activity has an unreadable date {day!r}") from None


def _within(cells: dict[_Key, Cell], first_day: int, last_day: int) -> dict[_Key, Cell]:
    """The cells of days ``first_day``..``last_day`` (each distinct day parsed once)."""
    days = {k[0] for k in cells}
    outside = {d for d in days if not first_day <= _day_number(d) <= last_day}
    return {k: v for k, v in cells.items() if k[0] not in outside} if outside else cells


def build_history(
    first_day: int,
    last_day: int,
    user: DailyTable,
    team: DailyTable | None = None,
    customer: DailyTable | None = None,
    tag: DailyTable | None = None,
) -> tuple[list[FactCube], list[str]]:
    """The history fact cubes for ``first_day``..``last_day`` and notes for the user."""
    history = HistoryBuilder(first_day, last_day, user, team)
    if customer is not None:
        history.add_customer(customer)
    if tag is not None:
        history.add_tag(tag)
    return history.facts, history.notes


class HistoryBuilder:
    """``build_history`` in steps, for a reader that gets the tables one at a time: the
    user and team tables fix who owns each key and give four views; the customer and tag
    tables each add one (``facts`` and ``notes`` grow as they do)."""

    def __init__(self, first_day: int, last_day: int, user: DailyTable, team: DailyTable | None = None) -> None:
        self.first_day, self.last_day = first_day, last_day
        self.notes: list[str] = []
        self.facts: list[FactCube] = []
        base = _within(user.keys, first_day, last_day)
        self.totals = _KeyTotals(base)
        users, why_users = self._with_remainder(user.cells["entity"])
        user_of = _Owners(users)
        teams, why_teams = self._with_remainder(team.cells["entity"]) if team else ({}, None)
        team_of = _Owners(teams) if team and why_teams is None else None
        attach = {"key"}
        if why_users is None and user_of.exact:
            attach.add("user")
        elif user_of.ambiguous:
            self.notes.append(f"{user_of.ambiguous} key-days have several users: user is only known per key")
        if team_of is not None and team_of.exact:
            attach.add("team")
        elif team_of is not None and team_of.ambiguous:
            self.notes.append(f"{team_of.ambiguous} key-days have several teams: team is only known per key")
        self.attach = attach
        with_user, with_team = "user" in attach, team_of is not None and "team" in attach
        self.owners = {
            (day, key): (
                user_of.of(day, key) if with_user else "",
                team_of.of(day, key) if team_of is not None and with_team else "",
            )
            for day, key in base
        }
        # place(value, key, user, team): the composite row key of one cell of each view
        models, why = self._with_remainder(user.cells["model"])
        self._add("daily model × key", "model", models, why, lambda v, k, u, t: _composite(v, "", k, u, t, "", ""))
        providers, why = self._with_remainder(user.cells["provider"])
        place_provider = lambda v, k, u, t: _composite("", v, k, u, t, "", "")  # noqa: E731
        self._add("daily provider × key", "provider", providers, why, place_provider)
        place_user = lambda v, k, u, t: _composite("", "", k, v, t, "", "")  # noqa: E731
        self._add("daily user × key", "user", users, why_users, place_user)
        if team is not None:
            place_team = lambda v, k, u, t: _composite("", "", k, u, v, "", "")  # noqa: E731
            self._add("daily team × key", "team", teams, why_teams, place_team)

    def add_customer(self, customer: DailyTable) -> None:
        customers, why = self._with_remainder(customer.cells["entity"])
        place = lambda v, k, u, t: _composite("", "", k, u, t, v, "")  # noqa: E731
        self._add("daily customer × key", "customer", customers, why, place)

    def add_tag(self, tag: DailyTable) -> None:
        tags = {k: v for k, v in self._within(tag.cells["entity"]).items() if k[1]}
        place = lambda v, k, u, t: _composite("", "", k, u, t, "", v)  # noqa: E731
        self._add("daily tag × key", "tag", tags, None, place, tag_per_row=True)

    def _within(self, cells: dict[tuple[str, str, str], Cell]) -> dict[tuple[str, str, str], Cell]:
        return _within(cells, self.first_day, self.last_day)

    def _with_remainder(
        self, cells: dict[tuple[str, str, str], Cell]
    ) -> tuple[dict[tuple[str, str, str], Cell], str | None]:
        return _with_remainder(self._within(cells), self.totals)

    def _add(
        self,
        name: str,
        dim: str,
        cells: dict[tuple[str, str, str], Cell],
        why: str | None,
        place: Callable[[str, str, str, str], str],
        tag_per_row: bool = False,
    ) -> None:
        attach = self.attach
        known = frozenset({dim, "key"} | (attach if dim not in ("user", "team") else _other(dim, attach)))
        reason = f"the proxy's {name} view disagrees with its user view: {why}" if why else None
        if reason:
            self.notes.append(reason)
        cube = _cube(cells, self.owners, place)
        self.facts.append(FactCube(name, cube, known, self.first_day, self.last_day, tag_per_row, reason))


def _other(dim: str, attach: set[str]) -> set[str]:
    """For the user and team cubes: the other owner dimension, if it is attached."""
    other = "team" if dim == "user" else "user"
    return {"key"} | ({other} if other in attach else set())
