"""History fact cubes built from LiteLLM's daily tables (see ``tables.py`` for what they hold).

The user table is the base: LiteLLM writes a user-table row for every request (a request
without a user gets a NULL user), so its per-key totals ``K[day, key]`` are the day's
requests. Each other view is one dimension crossed with the key:

====================  ===============================  ==========================================
cube                  cells from                       ``(none)`` cells
====================  ===============================  ==========================================
model × key           user table, ``model_groups``     K minus the groups (requests with no model)
provider × key        user table, ``providers``        LiteLLM's ``unknown`` provider
user × key            user table, ``entities``         LiteLLM's ``Unassigned`` user
team × key            team table, ``entities``         K minus the team rows (no team)
organization × key    organization table, ``entities`` K minus the rows (no organization logged)
agent × key           agent table, ``entities``        K minus the rows (no agent logged)
customer × key        customer table, ``entities``     K minus the customer rows (no end user)
tag × key             tag table, ``entities``          none: untagged requests have no rows
====================  ===============================  ==========================================

A key nearly always belongs to one user, team, organization and agent on a given day.
Where that holds for every (day, key) of the history, the owner is attached to every cell
by key, so e.g. *model by team* or *customer by organization* are exact; where it does
not, that dimension is not claimed (the fact set then refuses those questions instead of
guessing).

Organization, project and agent are attributed as in the request-log cube
(``dims.Attribution``): LiteLLM writes an organization (agent) table row under the
request's own ``organization_id`` (``agent_id``), the values its request log row holds, so
a cell of those tables is placed as the row's own value, and the remainder (requests that
logged none) is attributed from the key, and for the organization from the team, when a
question is asked. The team fallback needs the team of each key-day: the organization is
claimed only where the team is attached. The project is the key's alone, so every cube
(they all know the key) answers it exactly, once the engine gives the cubes the same
attribution as the request-log cube (``SpendEngine.names``).

A table the source cannot read (an endpoint that needs a LiteLLM Enterprise licence, a
table an older LiteLLM lacks) is given as a *refusal*: an unusable cube whose reason the
fact set names when it refuses a question that needs it (never zeros).

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

#: The dimensions a key's owner is attached by, in this order in an ``Owner``.
OWNED = ("user", "team", "organization", "agent")
#: (user, team, organization, agent) of a key on a day; "" where not attached.
Owner = tuple[str, str, str, str]
_NO_OWNER: Owner = ("", "", "", "")
#: A view's composite row key of one cell: ``place(value, key, owner)``.
Place = Callable[[str, str, Owner], str]
_PLURAL = {"user": "users", "team": "teams", "organization": "organizations", "agent": "agents"}
#: Float sums of the same requests in two tables may differ by a few pico-dollars.
_SPEND_SLACK = 64


def _composite(model: str, provider: str, key: str, customer: str, tag: str, owner: Owner) -> str:
    """The composite row key of a daily-table cell (the organization and agent are the
    row's own: ``""`` is attributed from the key at question time, see the docstring)."""
    user, team, organization, agent = owner
    joined = FIELD_SEP.join((model, provider, key, user, team, customer, organization, agent, tag))
    if joined.count(FIELD_SEP) != COMPOSITE_PARTS - 1:
        raise SourceDataError("a name in the proxy's daily activity contains a control character (\\x1f)")
    if not tag:
        return joined
    return joined[: len(joined) - len(tag)] + _tag_list(tag)


def _as_owner(dim: str) -> Place:
    """The place of a view whose value is one of the owners (user, team...)."""
    at = OWNED.index(dim)

    def place(value: str, key: str, owner: Owner) -> str:
        mine = list(owner)
        mine[at] = value
        return _composite("", "", key, "", "", (mine[0], mine[1], mine[2], mine[3]))

    return place


@lru_cache(maxsize=65536)
def _tag_list(tag: str) -> str:
    return json.dumps([tag])


class _Owners:
    """Who owns each key on each day, when that is a single user (team, organization...)."""

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


def _cube(cells: dict[tuple[str, str, str], Cell], owners: dict[tuple[str, str], Owner], place: Place) -> Cube:
    """A cube of ``cells`` ((day, value, key) -> measures); ``place(value, key, owner)``
    makes the composite row key. Each distinct combination is interned once, and each
    distinct day parsed once (days repeat the combinations): per cell only two indices."""
    cube = Cube()
    n = len(cells)
    if n == 0:
        return cube
    made: dict[tuple[str, str, Owner], int] = {}
    interned: list[tuple[int, int, int, int, bool]] = []
    day_at: dict[str, int] = {}
    combination_of, day_of = [], []
    owner_of = owners.get
    for day, value, key in cells:
        owner = owner_of((day, key), _NO_OWNER)
        combination = (value, key, owner)
        at = made.get(combination)
        if at is None:
            at = made[combination] = len(interned)
            interned.append(cube.dims.composite(place(value, key, owner)))
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
    *,
    organization: DailyTable | None = None,
    agent: DailyTable | None = None,
    refused: Mapping[str, str] | None = None,
) -> tuple[list[FactCube], list[str]]:
    """The history fact cubes for ``first_day``..``last_day`` and notes for the user.
    ``refused``: dimensions whose table could not be read, and why."""
    history = HistoryBuilder(first_day, last_day, user, team, organization, agent)
    for dim, reason in (refused or {}).items():
        history.refuse(dim, reason)
    if customer is not None:
        history.add_customer(customer)
    if tag is not None:
        history.add_tag(tag)
    return history.facts, history.notes


class HistoryBuilder:
    """``build_history`` in steps, for a reader that gets the tables one at a time: the
    user, team, organization and agent tables fix who owns each key and give a view
    each (and the model and provider views); the customer and tag tables each add one
    (``facts`` and ``notes`` grow as they do)."""

    def __init__(
        self,
        first_day: int,
        last_day: int,
        user: DailyTable,
        team: DailyTable | None = None,
        organization: DailyTable | None = None,
        agent: DailyTable | None = None,
    ) -> None:
        self.first_day, self.last_day = first_day, last_day
        self.notes: list[str] = []
        self.facts: list[FactCube] = []
        base = _within(user.keys, first_day, last_day)
        self.totals = _KeyTotals(base)
        views: dict[str, tuple[dict[tuple[str, str, str], Cell], str | None]] = {
            "user": self._with_remainder(user.cells["entity"])
        }
        for dim, table in (("team", team), ("organization", organization), ("agent", agent)):
            if table is not None:
                views[dim] = self._with_remainder(table.cells["entity"])
        # the key is known in every view, and with it the key's project
        attach = {"key", "project"}
        owners_of: dict[str, _Owners] = {}
        for dim, (cells, why) in views.items():
            if why is not None:
                continue
            of = _Owners(cells)
            if of.exact:
                attach.add(dim)
                owners_of[dim] = of
            elif of.ambiguous:
                self.notes.append(f"{of.ambiguous} key-days have several {_PLURAL[dim]}: {dim} is only known per key")
        # an organization not logged is attributed through the team: only with the team
        if "team" not in attach:
            attach.discard("organization")
        self.attach = attach
        self.owners: dict[tuple[str, str], Owner] = {
            (day, key): (
                owners_of["user"].of(day, key) if "user" in attach else "",
                owners_of["team"].of(day, key) if "team" in attach else "",
                owners_of["organization"].of(day, key) if "organization" in attach else "",
                owners_of["agent"].of(day, key) if "agent" in attach else "",
            )
            for day, key in base
        }
        models, why = self._with_remainder(user.cells["model"])
        self._add("daily model × key", "model", models, why, lambda v, k, o: _composite(v, "", k, "", "", o))
        providers, why = self._with_remainder(user.cells["provider"])
        self._add("daily provider × key", "provider", providers, why, lambda v, k, o: _composite("", v, k, "", "", o))
        for dim, (cells, why) in views.items():
            self._add(f"daily {dim} × key", dim, cells, why, _as_owner(dim))

    def refuse(self, dim: str, reason: str) -> None:
        """A view the source could not read: the fact set names ``reason`` when it
        refuses a question about ``dim`` (instead of answering with zeros)."""
        known = frozenset({dim, "key"})
        self.facts.append(FactCube(f"daily {dim} × key", Cube(), known, self.first_day, self.last_day, unusable=reason))
        self.notes.append(f"{dim} is not known for days before the request logs: {reason}")

    def add_customer(self, customer: DailyTable) -> None:
        customers, why = self._with_remainder(customer.cells["entity"])
        place: Place = lambda v, k, o: _composite("", "", k, v, "", o)  # noqa: E731
        self._add("daily customer × key", "customer", customers, why, place)

    def add_tag(self, tag: DailyTable) -> None:
        tags = {k: v for k, v in self._within(tag.cells["entity"]).items() if k[1]}
        place: Place = lambda v, k, o: _composite("", "", k, "", v, o)  # noqa: E731
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
        place: Place,
        tag_per_row: bool = False,
    ) -> None:
        known = frozenset({dim} | self.attach)
        reason = f"the proxy's {name} view disagrees with its user view: {why}" if why else None
        if dim == "organization" and reason is None and "team" not in self.attach:
            reason = "the team of some keys is not known per day (an organization is attributed through it)"
        if reason:
            self.notes.append(reason)
        cube = _cube(cells, self.owners, place)
        self.facts.append(FactCube(name, cube, known, self.first_day, self.last_day, tag_per_row, reason))
