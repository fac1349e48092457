"""Alert thresholds: fractions of a budget (0.8 = 80 %), and the soft budget.

spendtui's own setting (LiteLLM's budget alert percentages are fixed in its code): the
default is 0.8 and 1.0, configurable globally and per budget. A threshold is crossed when
spend is at or over ``fraction × limit``, compared exactly (Decimal × pico-dollars).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: Thresholds above this are almost certainly percentages written as numbers (80).
MAX_FRACTION = Decimal(10)


@dataclass(frozen=True)
class Threshold:
    """A fraction of the limit, or (``fraction`` None) the budget's soft budget."""

    fraction: Decimal | None

    @property
    def is_soft(self) -> bool:
        return self.fraction is None

    @property
    def key(self) -> str:
        """Stable text for de-duplication: ``0.8``, ``1``, ``soft``."""
        return "soft" if self.fraction is None else format(self.fraction.normalize(), "f")

    @property
    def label(self) -> str:
        """``80%``, ``100%``, ``soft budget``."""
        if self.fraction is None:
            return "soft budget"
        return format((self.fraction * 100).normalize(), "f") + "%"

    def sort_key(self) -> Decimal:
        return Decimal(-1) if self.fraction is None else self.fraction

    def amount(self, limit: int) -> Decimal:
        """The spend (pico-dollars, exact) at which this fraction of ``limit`` is reached."""
        assert self.fraction is not None
        return self.fraction * limit


SOFT = Threshold(None)
DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (Threshold(Decimal("0.8")), Threshold(Decimal("1.0")))


def parse_threshold(value: object, *, allow_soft: bool = False) -> Threshold:
    """``0.8``, ``1``, ``"80%"`` (and ``"soft"`` when allowed); ValueError says what is wrong."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a fraction such as 0.8, got {value!r}")
    if isinstance(value, str):
        raw = value.strip().lower()
        if raw in ("soft", "soft_budget", "soft budget"):
            if allow_soft:
                return SOFT
            raise ValueError("'soft' is only allowed in budget_alerts (the soft budget has no fraction)")
        try:
            fraction = Decimal(raw[:-1].strip()) / 100 if raw.endswith("%") else Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"expected a fraction such as 0.8 or a percentage such as '80%', got {value!r}") from None
    elif isinstance(value, int | float):
        fraction = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        raise ValueError(f"expected a fraction such as 0.8, got {type(value).__name__}")
    if not fraction.is_finite() or fraction <= 0:
        raise ValueError(f"a threshold must be above 0, got {value!r}")
    if fraction > MAX_FRACTION:
        raise ValueError(f"{value!r} is a fraction of the budget: write 0.8 (or '80%') for 80 %")
    return Threshold(fraction)


def normalise(thresholds: list[Threshold] | tuple[Threshold, ...]) -> tuple[Threshold, ...]:
    """Unique thresholds, soft first, then ascending."""
    unique = {t.key: t for t in thresholds}
    return tuple(sorted(unique.values(), key=Threshold.sort_key))


@dataclass(frozen=True)
class AlertTarget:
    """Post to ``webhook`` when a budget crosses ``threshold`` (``where``: its config key)."""

    threshold: Threshold
    webhook: str
    where: str = ""
