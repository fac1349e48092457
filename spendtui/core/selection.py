"""What a question is about: a window of UTC days and filters on dimensions (no numpy)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from spendtui.timeutil import day_date, day_number

#: Dimensions a breakdown can group by (``tag:<category>`` is also accepted).
DIMENSIONS = ("model", "provider", "key", "user", "team", "customer", "organization", "project", "agent", "tag")
FILTER_DIMENSIONS = DIMENSIONS


@dataclass(frozen=True)
class Window:
    """An inclusive range of UTC days; with ``until_hour``, only the hours before it of a
    single day (held hour by hour: today and yesterday), to compare like with like."""

    first_day: int
    last_day: int
    until_hour: int | None = None

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("a window cannot end before it starts")
        if self.until_hour is not None and (self.first_day != self.last_day or not 0 <= self.until_hour <= 24):
            raise ValueError("until_hour bounds a single day, with an hour from 0 to 24")

    @classmethod
    def from_dates(cls, first: date, last: date) -> Window:
        return cls(day_number(first), day_number(last))

    @classmethod
    def last_days(cls, n: int, today: date) -> Window:
        """The last ``n`` days including today."""
        return cls.from_dates(today - timedelta(days=n - 1), today)

    @classmethod
    def month_to_date(cls, today: date) -> Window:
        return cls.from_dates(today.replace(day=1), today)

    @classmethod
    def quarter_to_date(cls, today: date) -> Window:
        first_month = (today.month - 1) // 3 * 3 + 1
        return cls.from_dates(today.replace(month=first_month, day=1), today)

    @property
    def days(self) -> int:
        return self.last_day - self.first_day + 1

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.first_day - self.days, self.first_day - 1)

    @property
    def first(self) -> date:
        return day_date(self.first_day)

    @property
    def last(self) -> date:
        return day_date(self.last_day)

    def label(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first.isoformat()} UTC"
        return f"{self.first.isoformat()} – {self.last.isoformat()} UTC"


@dataclass(frozen=True)
class Filters:
    """Values to keep per dimension: OR within a dimension, AND across dimensions.

    Keys are filtered by their hash (what LiteLLM logs), teams, organizations, projects
    and agents by their ids, tags by the full ``category:value`` text.
    """

    model: frozenset[str] = frozenset()
    provider: frozenset[str] = frozenset()
    key: frozenset[str] = frozenset()
    user: frozenset[str] = frozenset()
    team: frozenset[str] = frozenset()
    customer: frozenset[str] = frozenset()
    organization: frozenset[str] = frozenset()
    project: frozenset[str] = frozenset()
    agent: frozenset[str] = frozenset()
    tag: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not any(getattr(self, d) for d in FILTER_DIMENSIONS)

    def with_value(self, dimension: str, value: str) -> Filters:
        """These filters plus one value for a dimension."""
        if dimension not in FILTER_DIMENSIONS:
            raise ValueError(f"unknown filter dimension {dimension!r}")
        return replace(self, **{dimension: getattr(self, dimension) | {value}})

    def without(self, dimension: str) -> Filters:
        return replace(self, **{dimension: frozenset()})

    def items(self) -> list[tuple[str, frozenset[str]]]:
        return [(d, getattr(self, d)) for d in FILTER_DIMENSIONS if getattr(self, d)]


NO_FILTERS = Filters()
