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


#: The ledger's name for an email channel: ``email:ADDRESS`` (a webhook's is its URL).
EMAIL_CHANNEL_PREFIX = "email:"


@dataclass(frozen=True)
class AlertTarget:
    """Tell one channel when a budget crosses ``threshold``: post to ``webhook``, or mail
    ``email`` (exactly one of the two). ``where``: its config key."""

    threshold: Threshold
    webhook: str | None = None
    where: str = ""
    email: str | None = None

    def __post_init__(self) -> None:
        if (self.webhook is None) == (self.email is None):
            raise ValueError("an alert target has exactly one channel: a webhook or an email address")

    @property
    def channel(self) -> str:
        """``webhook`` or ``email``."""
        return "webhook" if self.webhook is not None else "email"

    @property
    def channel_id(self) -> str:
        """What the alert ledger hashes: the webhook URL itself (so state files written
        before email existed still match), or ``email:ADDRESS``."""
        if self.webhook is not None:
            return self.webhook
        return f"{EMAIL_CHANNEL_PREFIX}{self.email}"
