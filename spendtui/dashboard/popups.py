"""Budget crossings as popups: one summary at a time, never a stream.

While the dashboard runs, every refresh can cross thresholds of several budgets (the
demo crosses some almost every poll). Each crossing as its own 15 s popup covered the
Overview's "Urgent budgets" and the status bar nearly all the time. The pacer keeps the
crossings of a refresh together, shows at most one popup every ``every`` seconds, and
folds what arrived meanwhile into the next one; the Budgets pane lists them all anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Seconds between two budget popups, at least.
POPUP_EVERY = 10.0
#: Crossings written out in one popup; the rest are counted.
SHOWN = 3


#: How a spend rule's event starts (``dashboard.budgets.rule_event_text``).
RULE_MARKS = ("▲ rule ", "✓ rule ")


@dataclass(frozen=True)
class Popup:
    title: str
    text: str
    severity: str


@dataclass
class PopupPacer:
    every: float = POPUP_EVERY
    _pending: list[tuple[str, str]] = field(default_factory=list)
    _last: float | None = None
    _titles: set[str] = field(default_factory=set)

    def add(self, crossings: tuple[tuple[str, str], ...]) -> None:
        """Crossings of one refresh: (level, text)."""
        self._pending.extend(crossings)

    def wait(self, now: float) -> float | None:
        """Seconds until a popup may show (0: now); None when nothing is pending."""
        if not self._pending:
            return None
        return 0.0 if self._last is None else max(0.0, self._last + self.every - now)

    @property
    def titles(self) -> set[str]:
        """The titles of the popups given out so far (to find them on screen)."""
        return self._titles

    def take(self, now: float) -> Popup | None:
        """The popup to show now, if one is due: everything pending, summed up."""
        if self.wait(now) != 0.0:
            return None
        pending, self._pending = self._pending, []
        self._last = now
        severity = "error" if any(level == "exceeded" for level, _ in pending) else "warning"
        if all(level == "information" for level, _ in pending):
            severity = "information"  # (only rules back under)
        if len(pending) == 1:
            title = "Spend rule" if pending[0][1].startswith(RULE_MARKS) else "Budget"
            self._titles.add(title)
            return Popup(title, pending[0][1], severity)
        lines = [text for _, text in pending[:SHOWN]]
        if len(pending) > SHOWN:
            lines.append(f"and {len(pending) - SHOWN} more")
        lines.append("(0 shows every budget)")
        noun = "alerts" if any(text.startswith(RULE_MARKS) for _, text in pending) else "budget alerts"
        self._titles.add(title := f"{len(pending)} {noun}")
        return Popup(title, "\n".join(lines), severity)
