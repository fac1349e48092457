"""Table cells that show formatted text but sort by their raw value."""

from __future__ import annotations

import math
from functools import total_ordering
from typing import TYPE_CHECKING

from rich.text import Text

from spendtui.dashboard import format as fmt

if TYPE_CHECKING:
    from spendtui.core.budget_eval import EvaluatedBudget


@total_ordering
class Cell:
    """A right-aligned (or left-aligned) cell; equality and order use the raw value."""

    __slots__ = ("value", "text", "style", "left")

    def __init__(self, value: float | str, text: str, style: str = "", left: bool = False) -> None:
        self.value = value
        self.text = text
        self.style = style
        self.left = left

    def __rich__(self) -> Text:
        return Text(self.text, style=self.style, justify="left" if self.left else "right", no_wrap=True)

    def _key(self) -> tuple:
        v = self.value
        if isinstance(v, str):
            return (1, v.lower())
        return (0, -math.inf if v is None or (isinstance(v, float) and math.isnan(v)) else v)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Cell):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and self.text == other.text and self.value == other.value

    def __hash__(self) -> int:
        return hash((self.text, str(self.value)))

    def __str__(self) -> str:
        return self.text


def label(text: str, style: str = "") -> Cell:
    return Cell(text, text, style, left=True)


def money(pico: int | None) -> Cell:
    if pico is None:
        return Cell(-1, "–")
    return Cell(pico, fmt.money(pico))


def number(n: int) -> Cell:
    return Cell(n, fmt.count(n))


def millis(ms: float | None, pending: bool = False) -> Cell:
    """A latency: ``840 ms``, ``1.25 s``; ``–`` when unknown, ``…`` while it is being read
    (both sort below every value)."""
    from spendtui.core.latency import format_ms

    if ms is None:
        return Cell(-1.0, "…" if pending else "–", "dim")
    return Cell(ms, format_ms(ms))


def share(ratio: float) -> Cell:
    return Cell(ratio, f"{ratio * 100:.1f}%")


def change(ratio: float | None) -> Cell:
    """The change column: one rule with the Overview (``fmt.change_text``)."""
    if ratio is None:
        return Cell(-math.inf, "–", "dim")
    text = fmt.change_text(ratio)
    if text == "new":
        return Cell(ratio, text, "bold")
    style = "red" if ratio > 0.05 else "green" if ratio < -0.05 else ""
    return Cell(ratio, text, style)


def budget(b: EvaluatedBudget | None) -> Cell:
    """``▲ 84% of $25.00 /1mo``, sorting by how full it is; ``–`` without a budget."""
    if b is None:
        return Cell(-1.0, "–", "dim", left=True)
    from spendtui.dashboard.budgets import short

    fraction = b.fraction if b.fraction is not None else -0.5
    style = {"ok": "", "warning": "yellow", "exceeded": "bold red"}[b.level]
    return Cell(fraction if math.isfinite(fraction) else 1e9, short(b), style, left=True)
